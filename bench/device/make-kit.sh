#!/usr/bin/env bash
# Packs what the GPU benchmarks need on a bare machine with a GPU but no Node, no Rust and no
# network (the `device` machines: docs/gpu.md, "On an NVIDIA GPU"): .devkit/ holds this machine's
# node (xz, ~24 MB), the built dist/ and native/verilay.node, the models and the one runtime
# package the benches load beyond Node itself; .gl/ the Vulkan loader's Debian packages. Both are
# git-ignored: name them in the device run's `carry`. Build first: `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f native/verilay.node ] && [ -d dist/bench ] || { echo "make-kit: run npm run build first" >&2; exit 1; }
rm -rf .devkit && mkdir -p .devkit/native .devkit/models .devkit/node_modules/@noble
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > .devkit/node.xz
cp -r dist .devkit/dist
cp native/verilay.node .devkit/native/
touch .devkit/native/Cargo.toml # libs/native finds the addon beside the nearest native/Cargo.toml
cp -r models/mnist models/tiny-llm .devkit/models/
cp -r node_modules/@noble/hashes .devkit/node_modules/@noble/
cp package.json .devkit/
if [ ! -d .gl ]; then
  mkdir -p .gl /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -q >/dev/null
  (cd .gl && apt-get "${o[@]}" download -q libvulkan1 >/dev/null)
fi
du -sh .devkit .gl
