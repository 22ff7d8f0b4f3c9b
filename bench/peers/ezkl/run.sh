#!/usr/bin/env bash
# The ezkl peer row of the prover benchmark (docs/benchmarks.md, "Peer: ezkl"): ezkl from PyPI in
# this folder's own virtual environment proves the MNIST MLP from its float ONNX checkpoint and
# writes bench/peers/ezkl/results.json. `npm run bench:ezkl` builds dist/ first, so the verifier's
# gas on anvil is measured too (evm-gas.ts); without dist/ verifyGas stays null.
# Usage: bench/peers/ezkl/run.sh [--runs N]   (default 3 proofs, or EZKL_PROVE_RUNS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$here/.venv"
python="${EZKL_PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "ezkl: creating $venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi
# A no-op (no registry request) once the pinned versions are installed.
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

"$venv/bin/python" "$here/bench_ezkl.py" --work "$here/.work" "$@"

gas="$root/dist/bench/peers/ezkl/evm-gas.js"
if [ -f "$gas" ]; then
  node "$gas" "$here/.work" "$here/results.json"
else
  echo "ezkl: $gas not built (npm run build): verifyGas stays null"
fi
# results.json is committed: keep it in the repository's format (`npm run check` runs prettier).
prettier="$root/node_modules/.bin/prettier"
[ -x "$prettier" ] && "$prettier" --log-level warn --write "$here/results.json"
cat "$here/results.json"
