#!/usr/bin/env bash
# Training steps/s of lsweep's worker loop vs the same loop in PyTorch Python,
# single thread, per (width, batch). Usage: bench/run_train_bench.sh [BUILD_DIR=./build] [OPTIMIZER=sgd|adam]
# (sgd: momentum 0.9 at lr 0.01; adam: torch.optim.Adam's defaults at lr 1e-3, against lsweep's Adam).
set -euo pipefail

build_dir=${1:-./build}
case ${2:-sgd} in sgd) adam=0 ;; adam) adam=1 ;; *) echo "error: OPTIMIZER = $2: allowed: sgd or adam" >&2; exit 2 ;; esac
bench_dir=$(cd "$(dirname "$0")" && pwd)
cxx_bench=$build_dir/bench/lsweep_train_bench
python=/usr/bin/python3  # Debian's interpreter: it has python3-torch
[[ -x $cxx_bench ]] || { echo "error: $cxx_bench not found; build target lsweep_train_bench" >&2; exit 1; }

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

# Prints the steps_per_second field of a bench's JSON line; fails if it is missing.
steps_per_second() {
  local rate
  rate=$(sed -n 's/.*"steps_per_second": *\([0-9.eE+-]*\).*/\1/p' <<<"$1")
  [[ -n $rate ]] || { echo "error: no steps_per_second in: $1" >&2; return 1; }
  echo "$rate"
}

printf '%6s %6s %14s %15s %8s\n' width batch lsweep_steps/s pytorch_steps/s ratio
for width in 64 256 1024; do
  case $width in 64) steps=3000 ;; 256) steps=1000 ;; *) steps=300 ;; esac
  for batch in 32 128; do
    args=(--width "$width" --batch "$batch" --steps "$steps" --adam "$adam")
    ours_json=$("$cxx_bench" "${args[@]}")
    theirs_json=$("$python" "$bench_dir/train_bench.py" "${args[@]}")
    ours=$(steps_per_second "$ours_json")
    theirs=$(steps_per_second "$theirs_json")
    awk -v w="$width" -v b="$batch" -v o="$ours" -v t="$theirs" \
      'BEGIN { printf "%6d %6d %14.1f %15.1f %8.3f\n", w, b, o, t, o / t }'
  done
done
