#!/usr/bin/env bash
# Per-point overhead of a sweep besides training: 400 points of about 100 ms on
# 2 workers (mpirun -np 3), analysed from the store by overhead_analyze.py.
# With a second lsweep binary (e.g. an older build) as BASELINE, the same
# sweep runs with it too, in the same run, for a comparison.
# Usage: bench/run_overhead_bench.sh [BUILD_DIR=./build] [BASELINE_LSWEEP]
set -euo pipefail
build_dir=${1:-./build}
baseline=${2:-}
bench_dir=$(cd "$(dirname "$0")" && pwd)
source "$bench_dir/../scripts/mpi_env.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for impl in "$build_dir/src/lsweep" $baseline; do
  echo "== $impl"
  /usr/bin/time -f "  sweep wall time %e s" mpirun --oversubscribe -np 3 "$impl" --log-level warn run \
    "$bench_dir/overhead_job.toml" --store "$tmp/s.h5" > /dev/null
  /usr/bin/python3 "$bench_dir/overhead_analyze.py" "$tmp/s.h5" 2
  rm -f "$tmp/s.h5"
done
