#!/usr/bin/env bash
# verilay's native core (native/, Rust + napi-rs). Usage: scripts/native.sh build|check|test
#   build: native/verilay.node, release (`npm run build` runs it first); VERILAY_GPU=off builds it
#          without the GPU executor
#   check: cargo fmt --check and clippy -D warnings (`npm run check`)
#   test:  the pure crates' own tests (`npm test`)
# Without a Rust toolchain each step says so and succeeds: verilay then uses its JavaScript paths
# (the apps say so at boot), unless VERILAY_NATIVE=on asks for the native core.
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:?usage: scripts/native.sh build|check|test}
mode=${VERILAY_NATIVE:-auto}
if [ "$mode" = off ] && [ "$step" = build ]; then
  echo "native: VERILAY_NATIVE=off, the native core is not built"
  exit 0
fi
cargo=$(command -v cargo || true)
[ -z "$cargo" ] && [ -x "$HOME/.cargo/bin/cargo" ] && cargo="$HOME/.cargo/bin/cargo"
if [ -z "$cargo" ]; then
  echo "native: no Rust toolchain (cargo) found: skipping '$step'; verilay will use its JavaScript paths"
  [ "$mode" = on ] && { echo "native: VERILAY_NATIVE=on needs cargo" >&2; exit 1; }
  exit 0
fi
manifest=(--manifest-path native/Cargo.toml)
case "$step" in
  build)
    # The GPU executor (wgpu, native/crates/gpu) is in by default; VERILAY_GPU=off leaves it out.
    features=()
    [ "${VERILAY_GPU:-on}" = off ] && features=(--no-default-features)
    "$cargo" build --release --locked --quiet "${manifest[@]}" -p verilay-node "${features[@]}"
    case "$(uname -s)" in
      Darwin) lib=libverilay_node.dylib ;;
      *) lib=libverilay_node.so ;;
    esac
    # Copy then rename: a process loading the addon never sees a half-written file.
    cp "native/target/release/$lib" native/verilay.node.tmp
    mv native/verilay.node.tmp native/verilay.node
    echo "native: built native/verilay.node"
    ;;
  check)
    "$cargo" fmt "${manifest[@]}" --all -- --check
    "$cargo" clippy --release --locked --quiet "${manifest[@]}" --workspace --all-targets -- -D warnings
    ;;
  test)
    "$cargo" test --release --locked --quiet "${manifest[@]}" --workspace --exclude verilay-node
    ;;
  *)
    echo "usage: scripts/native.sh build|check|test" >&2
    exit 2
    ;;
esac
