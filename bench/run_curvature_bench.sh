#!/usr/bin/env bash
# The curvature probe's estimators and cost, same run, single thread:
#  1. bench/curvature_bench.cpp on the edge-of-stability job's trained network (lr 0.2): HVP vs gradient,
#     Lanczos vs PyHessian-style deflated power iteration, trace errors vs the exact trace;
#  2. bench/curvature_bench.py: the same HVP and gradient in PyTorch Python (PyHessian's single-batch mode);
#  3. the probe's cost relative to training: the job's first point (lr 0.01, 10000 GD steps, 38 checkpoints)
#     with and without [probes.curvature] (lsweep_probe_bench).
# Usage: bench/run_curvature_bench.sh [BUILD_DIR=./build]
set -euo pipefail
build_dir=${1:-./build}
bench_dir=$(cd "$(dirname "$0")" && pwd)
job=$bench_dir/../jobs/edge-of-stability.toml
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$build_dir/bench/lsweep_curvature_bench" "$job"
/usr/bin/python3 "$bench_dir/curvature_bench.py"
"$build_dir/bench/lsweep_probe_bench" "$job" 1
