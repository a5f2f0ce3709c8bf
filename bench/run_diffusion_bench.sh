#!/usr/bin/env bash
# The diffusion probe's time and peak memory, lsweep (off, memory, spill) vs
# the same loop in PyTorch Python (off, memory), single thread, each mode in
# its own process, all in one run (compare ratios, not absolute times).
# Usage: bench/run_diffusion_bench.sh [BUILD_DIR=./build] [JOB=bench/diffusion_bench.toml]
set -euo pipefail
build_dir=${1:-./build}
bench_dir=$(cd "$(dirname "$0")" && pwd)
job=${2:-$bench_dir/diffusion_bench.toml}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
for mode in off memory spill; do "$build_dir/bench/lsweep_diffusion_bench" "$job" "$mode"; done
for mode in off memory; do /usr/bin/python3 "$bench_dir/diffusion_bench.py" "$job" "$mode"; done
