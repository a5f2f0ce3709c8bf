#!/usr/bin/env bash
# The weights probe's cost relative to training at 20 checkpoints, lsweep vs
# the same loop in PyTorch Python, single thread, same run, for a short
# (quickstart-sized) and a long (diffusion-style) point.
# Usage: bench/run_probe_bench.sh [BUILD_DIR=./build] [REPS=3]
set -euo pipefail
build_dir=${1:-./build}
reps=${2:-3}
bench_dir=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
for job in probe_short probe_long; do
  echo "== $job.toml"
  "$build_dir/bench/lsweep_probe_bench" "$bench_dir/$job.toml" "$reps"
  /usr/bin/python3 "$bench_dir/probe_bench.py" "$bench_dir/$job.toml" "$reps"
done
