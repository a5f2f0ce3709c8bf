#!/usr/bin/env bash
# Bad input never creates or touches a store, and exits non-zero with a message
# that names the field, the value and what is allowed.
set -uo pipefail
lsweep=$1 here=$2 mpiexec=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect CODE PATTERN CMD...: CMD exits with CODE and its stderr matches PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 2
  "$@" > "$tmp/out" 2> "$tmp/err"
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAILED: '$*' exited $got (want $code); stderr:"; cat "$tmp/err"
    failures=$((failures + 1))
  fi
}

good=$here/e2e_job.toml
sed 's/^lr = .*/lr = [0.05, -1.0]/' "$good" > "$tmp/neg_lr.toml"
sed 's/^dim = 10/dim = 10\ncolour = "red"/' "$good" > "$tmp/unknown.toml"

expect 2 'grid.lr\[1\] = -1.0: allowed: a finite number > 0 and <= 1000000' "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$tmp/neg_lr.toml" --store "$tmp/a.h5"
expect 2 "unknown key 'data.colour'" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$tmp/unknown.toml" --store "$tmp/a.h5"
expect 2 "job file '$tmp/missing.toml' cannot be read" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$tmp/missing.toml" --store "$tmp/a.h5"
expect 2 'needs at least 2 MPI ranks' "$mpiexec" -n 1 "$lsweep" run "$good" --store "$tmp/a.h5"
expect 2 "folder '$tmp/nodir' does not exist" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/nodir/a.h5"
printf '[grid]\nlr = [0.1]\nbatch = [4]\nwidth = [4]\n[data]\nkind = "gaussian"\ntrain_size = 8\ndim = 2\n[train]\nloss = "mse"\nsteps = 2\ndevice = "cuda"\n' > "$tmp/cuda.toml"
if ! "${LSWEEP_PYTHON:-/usr/bin/python3}" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
  expect 2 'rank 1: train.device = "cuda" but this LibTorch sees no CUDA device' "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$tmp/cuda.toml" --store "$tmp/a.h5"
fi
[ -e "$tmp/a.h5" ] && { echo "FAILED: a refused run created a store"; failures=$((failures + 1)); }

echo "precious results" > "$tmp/existing.h5"
cp "$tmp/existing.h5" "$tmp/existing.copy"
expect 3 'is not an HDF5 file, so not a lsweep store; refusing to run' "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/existing.h5"
cmp -s "$tmp/existing.h5" "$tmp/existing.copy" || { echo "FAILED: a file that is not a store was touched"; failures=$((failures + 1)); }

# A finished store: resuming it runs nothing and changes nothing; another job is refused.
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level error run "$good" --store "$tmp/done.h5" > /dev/null
cp "$tmp/done.h5" "$tmp/done.copy"
"$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/done.h5" > "$tmp/out" 2>&1
grep -q 'nothing to run: all 8 points' "$tmp/out" || { echo "FAILED: resume of a finished store"; cat "$tmp/out"; failures=$((failures + 1)); }
sed 's/^steps = 200/steps = 300/; s/^width = \[8, 16\]/width = [8, 32]/' "$good" > "$tmp/other.toml"
expect 2 'was made by a different job' "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$tmp/other.toml" --store "$tmp/done.h5"
grep -q 'grid.width: store has \[8, 16\], job has \[8, 32\]' "$tmp/err" || { echo "FAILED: width difference not named"; failures=$((failures + 1)); }
grep -q 'train.steps: store has 200, job has 300' "$tmp/err" || { echo "FAILED: steps difference not named"; failures=$((failures + 1)); }
cmp -s "$tmp/done.h5" "$tmp/done.copy" || { echo "FAILED: a refused or empty resume touched the store"; failures=$((failures + 1)); }
"${LSWEEP_PYTHON:-/usr/bin/python3}" -c 'import h5py, sys; h5py.File(sys.argv[1], "w").attrs["format"] = "other"' "$tmp/other.h5"
expect 3 "not a lsweep store" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/other.h5"
# A store whose grid rows are not its job's grid is refused.
cp "$tmp/done.h5" "$tmp/tampered.h5"
"${LSWEEP_PYTHON:-/usr/bin/python3}" -c 'import h5py, sys; f = h5py.File(sys.argv[1], "r+"); f["grid/lr"][1] = 0.5; f.close()' "$tmp/tampered.h5"
expect 3 "does not hold what its own job gives (dataset /grid/lr\[1\] holds 0.5; its job gives 0.05)" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/tampered.h5"
# A damaged store (cut short, as by a full disk) is refused, not overwritten.
head -c 6000 "$tmp/done.h5" > "$tmp/damaged.h5"
cp "$tmp/damaged.h5" "$tmp/damaged.copy"
expect 3 "damaged.h5" "$mpiexec" --oversubscribe -n 2 "$lsweep" run "$good" --store "$tmp/damaged.h5"
grep -q "refusing to run with --store" "$tmp/err" || { echo "FAILED: damaged store message"; cat "$tmp/err"; failures=$((failures + 1)); }
cmp -s "$tmp/damaged.h5" "$tmp/damaged.copy" || { echo "FAILED: a damaged store was touched"; failures=$((failures + 1)); }
expect 3 "damaged.h5" "$lsweep" status "$tmp/damaged.h5"

# The per-point time limit: every lr-0.05 point stops as timed_out (the lr-1e4 ones diverge, or time out
# first while the probes measure), and the sweep goes on.
sed 's/^steps = 200/steps = 100000000\npoint_time_limit = 0.05/; /^checkpoint_steps/d' "$good" > "$tmp/limited.toml"
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/limited.toml" --store "$tmp/limited.h5" > /dev/null
"$lsweep" report --csv "$tmp/limited.h5" > "$tmp/limited.csv"
[ "$(grep -c '^[0-9]*,0.05,.*,timed_out,.*exceeded train.point_time_limit = 0.05 s' "$tmp/limited.csv")" -eq 4 ] ||
  { echo "FAILED: points over the time limit"; cat "$tmp/limited.csv"; failures=$((failures + 1)); }

expect 2 'grid.lr\[1\] = -1' "$lsweep" validate "$tmp/neg_lr.toml"
"$lsweep" validate "$good" > "$tmp/valid.txt" || { echo "FAILED: validate on a good job"; failures=$((failures + 1)); }
grep -q 'points: 8 (lr 2 x batch 2 x width 2 x seed 1)' "$tmp/valid.txt" || { echo "FAILED: point count"; cat "$tmp/valid.txt"; failures=$((failures + 1)); }
grep -q 'store size: about .* KiB' "$tmp/valid.txt" || { echo "FAILED: store size"; failures=$((failures + 1)); }

expect 3 'is not an HDF5 file' "$lsweep" report "$tmp/existing.h5"
expect 3 'does not exist' "$lsweep" report "$tmp/none.h5"
expect 2 'log-level' "$lsweep" --log-level loud validate "$good"
expect 2 'STORE is required' "$lsweep" report

if [ "$failures" -ne 0 ]; then echo "refusals_test.sh: $failures failure(s)"; exit 1; fi
echo "refusals_test.sh: all checks passed"
