#!/usr/bin/env bash
# Runs on the GPU machine (after bench/device/make-kit.sh here): the 10,000-model cross-check and
# the executor benchmark on its GPU, results into $OUT (gpu-cross-check.json, gpu-bench.md, log).
#   device run: bash bench/device/gpu-bench.sh      carry: [".devkit", ".gl"]
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-bench-out}
mkdir -p "$OUT" /tmp/kit-node
# The Vulkan loader (the NVIDIA driver's ICD is the machine's own).
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
xz -dc .devkit/node.xz > /tmp/kit-node/node && chmod +x /tmp/kit-node/node
cd .devkit
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | tee "$OUT/log"
GPU_CROSS_CHECK_OUT="$OUT/gpu-cross-check.json" /tmp/kit-node/node dist/bench/gpu-cross-check.bench.js 2>&1 |
  grep -v XDG_RUNTIME | tail -3 | tee -a "$OUT/log"
GPU_BENCH_OUT="$OUT/gpu-bench.md" /tmp/kit-node/node dist/bench/gpu-executor.bench.js 2>&1 | tee -a "$OUT/log"
cat "$OUT/gpu-bench.md"
