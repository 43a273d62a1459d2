#!/usr/bin/env bash
# The GPU benchmark in one device call (see DEVELOPERS.md: the device tool lends an H100/H200 for
# 15 minutes a session, so everything is built here first).
#   here:        bash bench/gpu.sh prepare
#   on the GPU:  run tool, carry [".gpu", ".tmp/bench-webgpu.mjs"], command:
#                bash .gpu/remote.sh bash bench/gpu.sh run
# `run` prints (and writes to $OUT/ when set) PyTorch's table (fp32, TF32 off), papergrad's WebGPU
# table and the matmul kernel sweep, all from the same machine in one go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case "${1:-}" in
  prepare)
    bash /work/shared/gpu/prepare.sh
    npx esbuild bench/webgpu.ts --bundle --platform=node --format=esm --external:webgpu --outfile=.tmp/bench-webgpu.mjs --log-level=warning
    echo 'carry [".gpu", ".tmp/bench-webgpu.mjs"] and run: bash .gpu/remote.sh bash bench/gpu.sh run'
    ;;
  run)
    out="${OUT:-/tmp/gpu-bench}"; mkdir -p "$out"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/device.txt" || true
    date -u +%FT%TZ | tee -a "$out/device.txt"
    (timeout 240 python3 bench/torch_reference.py 2>&1 || echo "torch_reference.py failed ($?)") | tee "$out/torch.txt"
    (timeout 300 node .tmp/bench-webgpu.mjs --sweep 2>&1 || echo "bench-webgpu failed ($?)") | tee "$out/webgpu.txt"
    ;;
  *)
    echo "usage: bash bench/gpu.sh prepare | run" >&2
    exit 2
    ;;
esac
