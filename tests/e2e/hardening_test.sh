#!/usr/bin/env bash
# What a hostile but realistic user does to stores and job files, and what
# lsweep must do: one run per store whatever the path's spelling; bad store
# and job paths refused (exit 2) with nothing created; damaged stores refused
# (exit 3) byte-identical; torn rows run again; messages that show what the
# user wrote; a schema-version-1 store (tests/fixtures) opened, reported and
# resumed.
set -uo pipefail
lsweep=$(readlink -f "$1") here=$(readlink -f "$2") mpiexec=$3 fixtures=$(readlink -f "$4")
source "$here/background_run.sh"
failures=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
# expect CODE PATTERN CMD...: CMD exits with CODE (within 60 s) and its stderr matches PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 2
  timeout 60 "$@" > "$tmp/out" 2> "$tmp/err"
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/err"; then
    fail "'$*' exited $got (want $code, 124: hung); stderr:"
    cat "$tmp/err"
  fi
}
run2="$mpiexec --oversubscribe -n 2 $lsweep"  # word-split on purpose: no spaces in these paths
same_listing() {  # same_listing DIR BEFORE: nothing was created or removed
  [ "$(ls -A "$1" | sort)" = "$2" ] || fail "folder $1 changed: $(ls -A "$1" | tr '\n' ' ') (was: $(echo $2))"
}
job=$here/e2e_job.toml
$run2 --log-level error run "$job" --store "$tmp/done.h5" > /dev/null || fail "a plain sweep"

# 1. One run per store, whatever the spelling of its path. The first run must
# outlive the four refused ones: its points train a million steps each, so it
# runs until the drain (USR1) below stops it. (With crash_job's 1000 steps it
# could finish first on a fast or idle machine, and the last "second run"
# then resumed a store nobody held.)
mkdir -p "$tmp/a/sub"
sed 's/^steps = 1000$/steps = 1000000/' "$here/crash_job.toml" > "$tmp/long_job.toml"
grep -q '^steps = 1000000$' "$tmp/long_job.toml" || fail "long_job.toml: crash_job.toml's steps changed"
"${session[@]}" "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/long_job.toml" --store "$tmp/a/r.h5" \
  > "$tmp/a.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do  # until a point runs: the store exists and the run holds its lock
  "$lsweep" status "$tmp/a/r.h5" 2> /dev/null | grep -Eq ', [1-9][0-9]* running' && break
  sleep 0.05
done
ln -s r.h5 "$tmp/a/link.h5"
ln "$tmp/a/r.h5" "$tmp/a/hard.h5"
before=$(ls -A "$tmp/a" | sort)
for spelling in "$tmp/a/link.h5" "$tmp/a/hard.h5" "$tmp/a/sub/../r.h5" "r.h5"; do
  expect 2 'another lsweep run is using this store' bash -c "cd '$tmp/a' && $mpiexec --oversubscribe -n 2 $lsweep run $tmp/long_job.toml --store $spelling"
  grep -q resuming "$tmp/out" "$tmp/err" && fail "a second run through '$spelling' resumed the store"
done
same_listing "$tmp/a" "$before"
kill -USR1 "$pid"
wait "$pid"
pid=""
same_listing "$tmp/a" "$before"  # no lock file, no .creating left
echo "hardening_test.sh: a second run through a symbolic link, a hard link, '..' and a relative path was refused"

# 3. Store paths that cannot be a store: exit 2, nothing created.
mkdir -p "$tmp/p"
ln -s nowhere.h5 "$tmp/p/dangling.h5"
mkfifo "$tmp/p/fifo.h5"
before=$(ls -A "$tmp/p" | sort)
expect 2 "allowed: the path of a store file" $run2 run "$job" --store ""
expect 2 "a symbolic link to a path that does not exist" $run2 run "$job" --store "$tmp/p/dangling.h5"
expect 2 "a folder, not a store file" $run2 run "$job" --store "$tmp/p"
expect 2 "a FIFO (named pipe), not a store file" $run2 run "$job" --store "$tmp/p/fifo.h5"
expect 2 "a character device, not a store file" $run2 run "$job" --store /dev/null
expect 2 "folder '$tmp/p/missing' does not exist" $run2 run "$job" --store "$tmp/p/missing/s.h5"
expect 2 "names a folder, not a file" $run2 run "$job" --store "$tmp/p/s.h5/"
same_listing "$tmp/p" "$before"
mkdir -p "$tmp/ro"
if [ "$(id -u)" -eq 0 ]; then mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro" 2> /dev/null; else chmod 555 "$tmp/ro"; fi
if ! touch "$tmp/ro/x" 2> /dev/null; then
  expect 2 "folder '$tmp/ro' is not writable" $run2 run "$job" --store "$tmp/ro/s.h5"
  [ -z "$(ls -A "$tmp/ro")" ] || fail "files created in a read-only folder"
fi
mountpoint -q "$tmp/ro" && umount "$tmp/ro"
if ! "${LSWEEP_PYTHON:-/usr/bin/python3}" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
  sed 's/^\[train\]/[train]\ndevice = "cuda"/' "$job" > "$tmp/cuda.toml"
  before=$(ls -A "$tmp/p" | sort)
  expect 2 'train.device = "cuda" but this LibTorch sees no CUDA device' $run2 run "$tmp/cuda.toml" --store "$tmp/p/c.h5"
  same_listing "$tmp/p" "$before"
fi
echo "hardening_test.sh: bad store paths refused with exit 2 and nothing created"

# 4. Job paths that are not job files: exit 2, quickly (a FIFO must not hang).
mkfifo "$tmp/p/job.fifo"
head -c 70000 /dev/zero | tr '\0' '#' > "$tmp/p/long.toml"
for cmd in "$run2 run" "$lsweep validate"; do
  extra=""
  [ "$cmd" = "$run2 run" ] && extra="--store $tmp/p/j.h5"
  expect 2 "job file '$tmp/p' is a folder" $cmd "$tmp/p" $extra
  expect 2 "job file '/dev/zero' is a character device, not a regular file" $cmd /dev/zero $extra
  expect 2 "is a FIFO (named pipe), not a regular file" $cmd "$tmp/p/job.fifo" $extra
  expect 2 "has 70000 bytes: allowed at most 60000" $cmd "$tmp/p/long.toml" $extra
done
[ -e "$tmp/p/j.h5" ] && fail "a refused job created a store"
echo "hardening_test.sh: job paths that are not job files refused with exit 2"

# 5. Damaged stores: exit 3, the dataset or attribute named, the file byte-identical.
tamper() {  # tamper NAME PYTHON: a copy of done.h5 changed by PYTHON (f is the open file)
  cp "$tmp/done.h5" "$tmp/$1.h5"
  "${LSWEEP_PYTHON:-/usr/bin/python3}" -c "import h5py, numpy as np, sys
f = h5py.File(sys.argv[1], 'r+')
$2
f.close()" "$tmp/$1.h5"
  cp "$tmp/$1.h5" "$tmp/$1.copy"
}
damaged() {  # damaged NAME PATTERN: run, status and report refuse it, untouched
  expect 3 "$2" $run2 run "$job" --store "$tmp/$1.h5"
  cmp -s "$tmp/$1.h5" "$tmp/$1.copy" || fail "damaged store $1 was changed"
}
tamper step 'f["series/step"][3] = 999'
damaged step 'dataset /series/step\[3\] holds 999; its job gives'
tamper batch 'b = f["grid/batch"][()].astype("f8"); b[0] = 16.5; del f["grid/batch"]; f["grid/batch"] = b'
damaged batch 'dataset /grid/batch holds float64; allowed: int64'
expect 3 'dataset /grid/batch holds float64' "$lsweep" report "$tmp/batch.h5"
tamper format 'f.attrs["format"] = "lsweep-store"'  # h5py writes a variable-length string
damaged format "attribute 'format' holds a variable-length string"
tamper jobtoml 'f.attrs["job_toml"] = f.attrs["job_toml"].decode()'
damaged jobtoml "attribute 'job_toml' holds a variable-length string"
tamper jobint 'f.attrs["job_toml"] = np.int64(7)'
damaged jobint "attribute 'job_toml' holds an int64"
tamper missing 'del f["results/steps"]'
damaged missing 'dataset /results/steps is missing'
expect 3 'dataset /results/steps is missing' "$lsweep" status "$tmp/missing.h5"
tamper shape 'del f["probes/weights/param_norm"]; f["probes/weights/param_norm"] = np.zeros((8, 3))'
damaged shape 'dataset /probes/weights/param_norm has shape \[8, 3\]; its job gives \[8, 9\]'
tamper version 'f.attrs["schema_version"] = np.int64(99)'
damaged version 'has schema version 99; this lsweep reads versions 1 to 2'
echo "hardening_test.sh: damaged stores refused with exit 3, byte-identical"

# 6. A row torn by a crash (its status on disk, a value not): it counts as left, the report marks
# it, and a resume runs it again; the store then equals the untouched one.
tamper torn 'f["results/final_train_loss"][1] = 0.123'
"$lsweep" status "$tmp/torn.h5" > "$tmp/status.txt" || fail "status of a torn store"
grep -q '1 finished row(s) torn by a crash will run again' "$tmp/status.txt" || { fail "status of a torn row"; cat "$tmp/status.txt"; }
[ "$("$lsweep" status --left "$tmp/torn.h5")" -eq 1 ] || fail "a torn row is left to run"
"$lsweep" report --csv "$tmp/torn.h5" | grep -q '^1,.*,torn$' || fail "report marks the torn row"
$run2 run "$job" --store "$tmp/torn.h5" > "$tmp/out" 2> "$tmp/err" || fail "resume of a torn store"
grep -q 'resuming, 1 of 8 points' "$tmp/err" || { fail "the resume ran more than the torn row"; cat "$tmp/err"; }
"$py" "$here/compare_stores.py" "$tmp/done.h5" "$tmp/torn.h5" > /dev/null || fail "torn row rerun differs"
[ "$("$lsweep" report --csv "$tmp/torn.h5" | grep -c ',ok$')" -eq 8 ] || fail "rows after the rerun"
echo "hardening_test.sh: a torn row ran again and the store equals an uninterrupted run's"

# 7. Messages show what the user wrote.
sed 's/^batch = .*/batch = ["full", "full"]/' "$job" > "$tmp/full.toml"
expect 2 'grid.batch\[1\] = "full": repeats grid.batch\[0\]' "$lsweep" validate "$tmp/full.toml"
sed 's/^lr = .*/lr = { from = 0.1, to = "x", num = 3 }/' "$job" > "$tmp/logx.toml"
expect 2 'grid.lr.to = "x": allowed: a finite number' "$lsweep" validate "$tmp/logx.toml"
grep -q 'log spacing' "$tmp/err" && fail "a string range end got the log-spacing hint"

# A store written by lsweep 0.1.0 (schema version 1) opens, reports and resumes.
cp "$fixtures/v1_store.h5" "$tmp/v1.h5"
"$lsweep" status "$tmp/v1.h5" | grep -q '2 done, 0 failed, 4 diverged, 0 timed out, 0 running, 2 pending' ||
  fail "status of the version-1 store"
"$lsweep" report "$tmp/v1.h5" | grep -q 'schema version 1' || fail "report of the version-1 store"
printf '\n[probes.weights]\n' | cat "$fixtures/v1_job.toml" - > "$tmp/v1_probes.toml"
expect 2 'probes.weights: store has no \[probes.weights\], job has \[probes.weights\]' $run2 run "$tmp/v1_probes.toml" --store "$tmp/v1.h5"
$run2 --log-level error run "$fixtures/v1_job.toml" --store "$tmp/v1.h5" > /dev/null || fail "resume of the version-1 store"
[ "$("$lsweep" status --left "$tmp/v1.h5")" -eq 0 ] || fail "the version-1 store did not finish"
$run2 --log-level error run "$fixtures/v1_job.toml" --store "$tmp/v1_fresh.h5" > /dev/null
# Its finished rows came from Debian's LibTorch 1.13 (with OpenBLAS): bit for
# bit only against the same LibTorch; another one (a PyTorch wheel's, with its
# own BLAS) sums in another order, so to float32 rounding there.
tolerance=()
"$py" -c 'import h5py, sys; a, b = (h5py.File(p, "r").attrs["libtorch_version"] for p in sys.argv[1:]); sys.exit(a != b)' \
  "$fixtures/v1_store.h5" "$tmp/v1_fresh.h5" || tolerance=(--rtol 1e-4)
"$py" "$here/compare_stores.py" --common "${tolerance[@]}" "$tmp/v1_fresh.h5" "$tmp/v1.h5" || fail "the resumed version-1 store differs"
echo "hardening_test.sh: the version-1 store opened, reported and resumed to the same results"

if [ "$failures" -ne 0 ]; then
  echo "hardening_test.sh: $failures failure(s)"
  exit 1
fi
echo "hardening_test.sh: all checks passed"
