#!/usr/bin/env bash
# Remakes the development powers-of-tau file circuits/ptau/pot14_final.ptau (2^14 constraints).
# DEVELOPMENT ONLY: one local contributor whose entropy is in this script, so its toxic waste is
# known. Production keys need a real multi-party ceremony (see docs/trusted-setup.md).
# Slow: about 15-25 minutes on 2 cores. Run once; the result is committed with its hash.
set -euo pipefail
cd "$(dirname "$0")/../circuits/ptau"
POWER=${POWER:-14}
SNARKJS="node ../../node_modules/snarkjs/build/cli.cjs"
$SNARKJS powersoftau new bn128 "$POWER" "pot${POWER}_0000.ptau" -v
$SNARKJS powersoftau contribute "pot${POWER}_0000.ptau" "pot${POWER}_0001.ptau" \
  --name="verilay development contribution" -e="verilay-dev-entropy-not-secret" -v
$SNARKJS powersoftau prepare phase2 "pot${POWER}_0001.ptau" "pot${POWER}_final.ptau" -v
rm -f "pot${POWER}_0000.ptau" "pot${POWER}_0001.ptau"
sha256sum "pot${POWER}_final.ptau" > "pot${POWER}_final.ptau.sha256"
