#!/usr/bin/env bash
# GPU training throughput: lsweep's one-point loop (eager, and with CUDA
# graphs) against PyTorch Python on the same GPU (a loop, and packs of K
# models with torch.func.vmap), for widths 64, 256, 1024 and batches 32, 128
# (depth 2, 784 inputs, 10 classes, 4096 samples, momentum 0.9). Rates are
# model-steps per second; every implementation reads each step's loss, as a
# worker does to catch divergence.
# Usage: bench/run_gpu_bench.sh [BUILD_DIR=./build]; PYTHON: a python3 with PyTorch and CUDA.
set -euo pipefail

build_dir=${1:-./build}
bench_dir=$(cd "$(dirname "$0")" && pwd)
cxx_bench=$build_dir/bench/lsweep_train_bench
python=${PYTHON:-python3}
[[ -x $cxx_bench ]] || { echo "error: $cxx_bench not found; build target lsweep_train_bench" >&2; exit 1; }
widths=${WIDTHS:-64 256 1024}
batches=${BATCHES:-32 128}
steps=${STEPS:-500}

rate() { sed -n "s/.*\"$2\": *\([0-9.eE+-]*\).*/\1/p" <<< "$1"; }

declare -A ours_eager ours_graph
for width in $widths; do
  for batch in $batches; do
    args=(--width "$width" --batch "$batch" --steps "$steps" --warmup 50 --device cuda)
    ours_eager[$width,$batch]=$(rate "$("$cxx_bench" "${args[@]}" --graph 0)" steps_per_second)
    json=$("$cxx_bench" "${args[@]}" --graph 1)
    ours_graph[$width,$batch]=$(rate "$json" steps_per_second)
    grep -q '"graph":true' <<< "$json" || echo "warning: width $width batch $batch: no CUDA graph: $json" >&2
  done
done

py_json=$("$python" "$bench_dir/gpu_bench.py" --widths "${widths// /,}" --batches "${batches// /,}" --steps 200)
printf '%6s %6s %12s %12s %12s %12s %12s %12s %8s %8s\n' width batch lsweep lsweep_graph pytorch_loop \
  vmap_k8 vmap_k64 vmap_k256 graph/py eager/py
for width in $widths; do
  for batch in $batches; do
    pick() { grep "\"impl\": \"$1\", \"width\": $width, \"batch\": $batch, \"k\": $2," <<< "$py_json" |
      sed -n 's/.*"model_steps_per_second": *\([0-9.]*\).*/\1/p'; }
    loop=$(pick pytorch-loop 1)
    awk -v w="$width" -v b="$batch" -v e="${ours_eager[$width,$batch]}" -v g="${ours_graph[$width,$batch]}" \
      -v l="${loop:-0}" -v k8="$(pick pytorch-vmap 8)" -v k64="$(pick pytorch-vmap 64)" -v k256="$(pick pytorch-vmap 256)" \
      'BEGIN { printf "%6d %6d %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f\n",
               w, b, e, g, l, k8, k64, k256, (l > 0 ? g / l : 0), (l > 0 ? e / l : 0) }'
  done
done
grep '"error"' <<< "$py_json" >&2 || true
