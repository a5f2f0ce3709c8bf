#!/usr/bin/env bash
# The landscape probe's time against the same work in PyTorch Python
# (bench/landscape_bench.py, the way loss-landscape evaluates a surface), in
# one run: one point, Gaussian data with 10 classes, one thread each.
# Usage: bench/run_landscape_bench.sh [BUILD_DIR=./build]
# Environment: TRAIN (4096), TEST (1024), DIM (64), WIDTH (256), DEPTH (2),
# PLANE_POINTS (21), PYTHON (/usr/bin/python3).
set -euo pipefail
build=${1:-./build}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
train=${TRAIN:-4096} test=${TEST:-1024} dim=${DIM:-64} width=${WIDTH:-256} depth=${DEPTH:-2}
m=${PLANE_POINTS:-21}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/job.toml" <<JOB
name = "landscape-bench"
[grid]
lr = [0.01]
batch = [64]
width = [$width]
seed = [0]
[data]
kind = "gaussian"
train_size = $train
test_size = $test
dim = $dim
[model]
depth = $depth
[train]
loss = "cross_entropy"
steps = 10
checkpoints = 1
[probes.landscape]
line_steps = 20
line_extend = 10
plane_points = $m
JOB
mpiexec --oversubscribe -n 2 "$build/src/lsweep" --log-level error run "$tmp/job.toml" --store "$tmp/b.h5" > /dev/null
ours=$("$python" -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["probes/landscape/seconds"][0])' "$tmp/b.h5")
evaluations=$((41 + m + m * m))
theirs=$("$python" "$here/landscape_bench.py" --train "$train" --test "$test" --dim "$dim" --width "$width" \
  --depth "$depth" --classes 1 --evaluations "$evaluations" | sed -n 's/.*"seconds": *\([0-9.eE+-]*\).*/\1/p')
echo "evaluations (train + test each): $evaluations"
echo "lsweep landscape probe: $ours s"
echo "PyTorch Python (loss-landscape style): $theirs s"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio (PyTorch Python / lsweep): %.2f\n", b / a }'
