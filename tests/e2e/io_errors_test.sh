#!/usr/bin/env bash
# I/O errors never hang a sweep and never lose a finished row.
#  1. A full disk while the store is created (a 300 KiB tmpfs; root only):
#     every rank ends, lsweep names the store and the cause, nothing is left
#     in the folder; with space back the same command runs the sweep.
#  2. A disk that fills after creation (root only): the store's space was
#     allocated at creation, so the sweep finishes and loses nothing.
#  3. ENOSPC injected at the system-call level (LD_PRELOAD io_fault.so) into
#     the row writes, then into the metadata writes of the end (end_time):
#     every rank ends within the time limit with lsweep's message,
#     exit non-zero, finished rows readable; once the fault is gone a resume
#     finishes the sweep, identical to an uninterrupted run.
# Hangs become failures: every run has a timeout.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3 shim=$4
source "$here/background_run.sh"
sed 's/^seed = .*/seed = [0, 1]/' "$here/crash_job.toml" > "$tmp/job.toml"  # 40 points
job=$tmp/job.toml
run() { timeout 300 "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$@"; }
fail() { echo "FAILED: $*"; exit 1; }
# Waits (polling the store, as a user would) until at least $2 points are finished.
wait_finished() {
  for _ in $(seq 1 1200); do
    [ "$("$lsweep" status --left "$1" 2> /dev/null || echo 40)" -le $((40 - $2)) ] && return 0
    sleep 0.05
  done
  fail "no point finished in $1"
}
run "$job" --store "$tmp/reference.h5" > /dev/null

if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/disk" && mount -t tmpfs -o size=300k tmpfs "$tmp/disk" 2> /dev/null; then
  trap 'umount "$tmp/disk" 2> /dev/null; cleanup' EXIT
  # 1. Full at creation: the job's store needs about 420 KiB.
  # A store of about 430 KiB (300 checkpoints), quick to run (300 steps).
  sed -e 's/^checkpoints = 10/checkpoints = 300/' -e 's/^steps = 2000/steps = 300/' "$job" > "$tmp/big.toml"
  rc=0
  run "$tmp/big.toml" --store "$tmp/disk/s.h5" > "$tmp/out" 2> "$tmp/err" || rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "creation on a full disk exited $rc (124: hung)"
  grep -q "lsweep: error: store '$tmp/disk/s.h5' cannot be created: .*MB free" "$tmp/err" || { cat "$tmp/err"; fail "no message naming the store and the space"; }
  [ -z "$(ls -A "$tmp/disk")" ] || { ls -la "$tmp/disk"; fail "files left after a failed creation"; }
  mount -o remount,size=4m "$tmp/disk"
  run "$tmp/big.toml" --store "$tmp/disk/s.h5" > /dev/null || fail "creation with space back"
  [ "$("$lsweep" status --left "$tmp/disk/s.h5")" -eq 0 ] || fail "sweep with space back did not finish"
  echo "io_errors_test.sh: a full disk at creation ended every rank ($rc) and left nothing; with space the sweep ran"

  # 2. Full after creation: nothing is lost.
  rm -f "$tmp/disk/s.h5"
  "${session[@]}" "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$job" --store "$tmp/disk/m.h5" > "$tmp/run.log" 2>&1 &
  pid=$!
  wait_finished "$tmp/disk/m.h5" 2
  dd if=/dev/zero of="$tmp/disk/filler" bs=4k 2> /dev/null || true
  [ "$(df --output=avail "$tmp/disk" | tail -1)" -eq 0 ] || fail "the disk did not fill"
  rc=0
  timeout 300 tail --pid="$pid" -f /dev/null || fail "the sweep hung on a full disk"
  wait "$pid" || rc=$?
  pid=""
  if [ "$rc" -ne 0 ]; then  # allowed: it stops with a message; then a resume must finish it
    grep -q "store '$tmp/disk/m.h5'" "$tmp/run.log" || { cat "$tmp/run.log"; fail "no message after a full disk"; }
    rm -f "$tmp/disk/filler"
    run "$job" --store "$tmp/disk/m.h5" > /dev/null || fail "resume after the disk was freed"
  fi
  "$py" "$here/compare_stores.py" "$tmp/reference.h5" "$tmp/disk/m.h5"
  echo "io_errors_test.sh: a disk that filled mid-sweep lost nothing (exit $rc)"
  umount "$tmp/disk"
  trap cleanup EXIT
else
  echo "io_errors_test.sh: not root or no tmpfs: the real full-disk parts are skipped"
fi

# 3a. ENOSPC on row writes, once two points are finished.
export LSWEEP_FAULT_PATH=rows.h5 LSWEEP_FAULT_TRIGGER=$tmp/fault
inject() { timeout 300 "$mpiexec" --oversubscribe -n 3 -x LD_PRELOAD="$shim" -x LSWEEP_FAULT_PATH -x LSWEEP_FAULT_TRIGGER \
  ${LSWEEP_FAULT_MAX_OFFSET:+-x LSWEEP_FAULT_MAX_OFFSET} "$lsweep" --log-level warn run "$job" --store "$1"; }
( rc=0; inject "$tmp/rows.h5" > "$tmp/run.log" 2>&1 || rc=$?; echo "exit $rc" >> "$tmp/run.log" ) &
wait_finished "$tmp/rows.h5" 2
"$py" "$here/finished_rows.py" "$tmp/rows.h5" > "$tmp/before.txt"
touch "$tmp/fault"
wait
rc=$(sed -n 's/^exit //p' "$tmp/run.log")
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { cat "$tmp/run.log"; fail "row-write errors: exit $rc (124: hung)"; }
grep -q "error: aborting the sweep: store '$tmp/rows.h5': writing row .* MB free" "$tmp/run.log" ||
  { cat "$tmp/run.log"; fail "no message naming the store after a failed row write"; }
"$lsweep" report --csv "$tmp/rows.h5" > "$tmp/rows.csv" || fail "store unreadable after a failed row write"
"$py" "$here/finished_rows.py" "$tmp/rows.h5" > "$tmp/after.txt"
[ -z "$(comm -23 <(sort "$tmp/before.txt") <(sort "$tmp/after.txt"))" ] || fail "a finished row was lost"
rm "$tmp/fault"
run "$job" --store "$tmp/rows.h5" > /dev/null || fail "resume after the fault"
"$py" "$here/compare_stores.py" "$tmp/reference.h5" "$tmp/rows.h5"
echo "io_errors_test.sh: failed row writes ended every rank (exit $rc); the resume finished an identical store"

# 3b. ENOSPC on the metadata region only: rows go through, end_time and the flush fail.
# The reference store has the same layout (same job): its first dataset's offset ends the metadata region.
LSWEEP_FAULT_MAX_OFFSET=$("$py" -c '
import h5py, sys
f = h5py.File(sys.argv[1], "r")
offsets = []
f.visititems(lambda n, o: offsets.append(o.id.get_offset()) if isinstance(o, h5py.Dataset) else None)
print(min(offsets))' "$tmp/reference.h5")
export LSWEEP_FAULT_MAX_OFFSET LSWEEP_FAULT_PATH=end.h5
( rc=0; inject "$tmp/end.h5" > "$tmp/run.log" 2>&1 || rc=$?; echo "exit $rc" >> "$tmp/run.log" ) &
wait_finished "$tmp/end.h5" 1
touch "$tmp/fault"  # from now on only the end writes metadata
wait
rc=$(sed -n 's/^exit //p' "$tmp/run.log")
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { cat "$tmp/run.log"; fail "end_time errors: exit $rc (124: hung)"; }
grep -q "error: aborting the sweep: store '$tmp/end.h5'" "$tmp/run.log" || { cat "$tmp/run.log"; fail "no message after a failed end"; }
[ "$("$lsweep" status --left "$tmp/end.h5")" -eq 0 ] || fail "rows lost when the end failed"
rm "$tmp/fault"
run "$job" --store "$tmp/end.h5" | grep -q "nothing to run" || fail "resume of a store whose end failed"
"$py" "$here/compare_stores.py" "$tmp/reference.h5" "$tmp/end.h5"
echo "io_errors_test.sh: a failed end (end_time, flush) ended every rank (exit $rc) with every row kept"
echo "io_errors_test.sh: all checks passed"
