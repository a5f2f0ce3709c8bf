#!/usr/bin/env bash
# The escape probe's time against the same experiment in PyTorch Python
# (bench/escape_bench.py: replicas batched as the probe does, and one network
# per replica in a Python loop), in one run: one point, float64, one thread
# each. The barrier is out of reach, so every replica runs the whole budget
# and the step counts are the same on both sides.
# Usage: bench/run_escape_bench.sh [BUILD_DIR=./build]
# Environment: TRAIN (128), DIM (5), WIDTH (3), BATCH (4), REPLICAS (16),
# DESCENT (2000), BUDGET (2000), CHECK_EVERY (10), PYTHON (/usr/bin/python3).
set -euo pipefail
build=${1:-./build}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
train=${TRAIN:-128} dim=${DIM:-5} width=${WIDTH:-3} batch=${BATCH:-4} replicas=${REPLICAS:-16}
descent=${DESCENT:-2000} budget=${BUDGET:-2000} every=${CHECK_EVERY:-10}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/job.toml" <<JOB
name = "escape-bench"
[grid]
lr = [0.1]
batch = [$batch]
width = [$width]
seed = [0]
[data]
kind = "gaussian"
train_size = $train
dim = $dim
[model]
depth = 1
[train]
loss = "mse"
steps = 1
checkpoints = 1
dtype = "float64"
[probes.escape]
barrier = 1e9
descent_lr = 0.5
descent_steps = $descent
gradient_tolerance = 0
replicas = $replicas
budget = $budget
check_every = $every
lanczos_steps = 30
JOB
mpiexec --oversubscribe -n 2 "$build/src/lsweep" --log-level error run "$tmp/job.toml" --store "$tmp/b.h5" > /dev/null
ours=$("$python" -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["probes/escape/seconds"][0])' "$tmp/b.h5")
args=(--train "$train" --dim "$dim" --width "$width" --batch "$batch" --replicas "$replicas" --descent "$descent"
  --budget "$budget" --check-every "$every")
batched=$("$python" "$here/escape_bench.py" "${args[@]}" --mode batched | sed -n 's/.*"seconds": *\([0-9.eE+-]*\).*/\1/p')
loop=$("$python" "$here/escape_bench.py" "${args[@]}" --mode loop | sed -n 's/.*"seconds": *\([0-9.eE+-]*\).*/\1/p')
echo "descent $descent GD steps; $replicas SGD and $replicas white-noise replicas x $budget steps, checks every $every"
echo "lsweep escape probe: $ours s"
echo "PyTorch Python, batched replicas: $batched s"
echo "PyTorch Python, a loop over replicas: $loop s"
awk -v a="$ours" -v b="$batched" -v c="$loop" \
  'BEGIN { printf "ratio (PyTorch Python / lsweep): batched %.2f, loop %.2f\n", b / a, c / a }'
