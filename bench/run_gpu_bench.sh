#!/usr/bin/env bash
# Training throughput in model-steps per second: lsweep's one-point loop
# (eager, and with CUDA graphs), lsweep's packs of K models (train.pack), and
# PyTorch Python on the same device (a loop, and packs of K models with
# torch.func.vmap), for widths 64, 256, 1024 and batches 32, 128 (depth 2, 784
# inputs, 10 classes, 4096 samples, momentum 0.9). Every implementation reads
# each step's losses, as a worker does to catch divergence.
# Usage: bench/run_gpu_bench.sh [BUILD_DIR=./build]
# Environment: PYTHON (a python3 with PyTorch and CUDA), DEVICE (cuda, the
# default; cpu: lsweep's loop and packs only, one thread), WIDTHS, BATCHES,
# PACKS (default "8 64 256"), STEPS.
set -euo pipefail

build_dir=${1:-./build}
bench_dir=$(cd "$(dirname "$0")" && pwd)
cxx_bench=$build_dir/bench/lsweep_train_bench
python=${PYTHON:-python3}
device=${DEVICE:-cuda}
[[ -x $cxx_bench ]] || { echo "error: $cxx_bench not found: build it (scripts/build.sh lsweep_train_bench; a build folder made by scripts/test.sh needs cmake -DLSWEEP_BUILD_BENCH=ON first)" >&2; exit 1; }
widths=${WIDTHS:-64 256 1024}
batches=${BATCHES:-32 128}
packs=${PACKS:-8 64 256}
steps=${STEPS:-300}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

rate() { sed -n 's/.*"model_steps_per_second": *\([0-9.eE+-]*\).*/\1/p' <<< "$1"; }
ours() {  # WIDTH BATCH K GRAPH: model-steps/s of lsweep_train_bench
  local k=$3 n=$steps
  [ "$k" -gt 1 ] && n=$(((steps + 1) / 2))
  local json
  json=$("$cxx_bench" --width "$1" --batch "$2" --steps "$n" --warmup 20 --device "$device" --pack "$k" --graph "$4")
  if [ "$device" = cuda ] && [ "$4" = 1 ] && ! grep -q '"graph":true' <<< "$json"; then
    echo "warning: width $1 batch $2 K $k: no CUDA graph: $json" >&2
  fi
  rate "$json"
}

py_json=""
if [ "$device" = cuda ]; then
  py_json=$("$python" "$bench_dir/gpu_bench.py" --widths "${widths// /,}" --batches "${batches// /,}" \
    --packs "${packs// /,}" --steps 200)
fi
pick() {  # IMPL WIDTH BATCH K: PyTorch's model-steps/s, or 0
  local r
  r=$(grep "\"impl\": \"$1\", \"width\": $2, \"batch\": $3, \"k\": $4," <<< "$py_json" |
    sed -n 's/.*"model_steps_per_second": *\([0-9.]*\).*/\1/p')
  echo "${r:-0}"
}

header=(width batch lsweep_eager lsweep_graph)
for k in $packs; do header+=("lsweep_k$k"); done
header+=(pytorch_loop)
for k in $packs; do header+=("vmap_k$k"); done
header+=(graph/loop packbest/one packbest/vmapbest)
printf '%s\n' "${header[*]}"
for width in $widths; do
  for batch in $batches; do
    eager=$(ours "$width" "$batch" 1 0)
    graph=$eager
    [ "$device" = cuda ] && graph=$(ours "$width" "$batch" 1 1)
    row=("$width" "$batch" "$eager" "$graph")
    best=0
    for k in $packs; do
      r=$(ours "$width" "$batch" "$k" 1)
      row+=("$r")
      best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
    done
    loop=$(pick pytorch-loop "$width" "$batch" 1)
    row+=("$loop")
    vbest=0
    for k in $packs; do
      r=$(pick pytorch-vmap "$width" "$batch" "$k")
      row+=("$r")
      vbest=$(awk -v a="$vbest" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
    done
    row+=("$(awk -v g="$graph" -v l="$loop" 'BEGIN { printf "%.2f", (l > 0 ? g / l : 0) }')")
    row+=("$(awk -v b="$best" -v o="$graph" 'BEGIN { printf "%.2f", b / o }')")
    row+=("$(awk -v b="$best" -v v="$vbest" 'BEGIN { printf "%.2f", (v > 0 ? b / v : 0) }')")
    printf '%s\n' "${row[*]}"
  done
done
[ -z "$py_json" ] || grep '"error"' <<< "$py_json" >&2 || true
