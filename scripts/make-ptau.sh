#!/usr/bin/env bash
# Development powers of tau (docs/trusted-setup.md). DEVELOPMENT ONLY: their toxic waste is known.
# Production keys need a real multi-party ceremony.
#   POWER=14 (default): remakes circuits/ptau/pot14_final.ptau with snarkjs: one local contributor
#     whose entropy is in this script. Slow: about 15-25 minutes on 2 cores. Made once; the result
#     is committed with its hash, and builds never remake it.
#   POWER=15..20: circuits/ptau/pot<POWER>_dev.ptau, written natively (`verilay ptau`, minutes)
#     from the public development beacon and checked against circuits/ptau/pot_dev.sha256. Builds
#     write these on first need anyway; this makes one ahead of time. Needs `npm run build` (cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
POWER=${POWER:-14}
if [ "$POWER" -gt 14 ]; then
  exec node dist/apps/cli/src/main.js ptau --power "$POWER"
fi
cd circuits/ptau
SNARKJS="node ../../node_modules/snarkjs/build/cli.cjs"
$SNARKJS powersoftau new bn128 "$POWER" "pot${POWER}_0000.ptau" -v
$SNARKJS powersoftau contribute "pot${POWER}_0000.ptau" "pot${POWER}_0001.ptau" \
  --name="verilay development contribution" -e="verilay-dev-entropy-not-secret" -v
$SNARKJS powersoftau prepare phase2 "pot${POWER}_0001.ptau" "pot${POWER}_final.ptau" -v
rm -f "pot${POWER}_0000.ptau" "pot${POWER}_0001.ptau"
sha256sum "pot${POWER}_final.ptau" > "pot${POWER}_final.ptau.sha256"
