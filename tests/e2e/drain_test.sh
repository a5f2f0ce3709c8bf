#!/usr/bin/env bash
# Graceful drain: SIGUSR1 (SLURM's time-limit warning) and SIGTERM
# (preemption) sent to mpirun while a sweep runs. The sweep stops handing out
# points, marks the interrupted ones pending, closes the store cleanly; a
# resume finishes it, identical to an uninterrupted run.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3
source "$here/background_run.sh"
job=$here/crash_job.toml

"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$job" --store "$tmp/reference.h5" > /dev/null

# Does this machine's mpirun pass signals on to its ranks? Open MPI's does
# (SIGUSR1 by default; on SIGTERM it ends the job), but on one GPU machine's
# sandbox it passed on nothing: a plain process under it never saw SIGUSR1.
# There the drains below signal the ranks themselves, as a batch system
# signals a job's tasks; everywhere else mpirun, as a user at a workstation.
"${session[@]}" "$mpiexec" -n 1 "$py" -c 'import pathlib, signal, sys, time
signal.signal(signal.SIGUSR1, lambda *_: sys.exit(0))
pathlib.Path(sys.argv[1]).touch()
time.sleep(30)
sys.exit(1)' "$tmp/ready" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -e "$tmp/ready" ] && break
  sleep 0.1
done
kill -USR1 "$pid"
forwards=1
wait "$pid" || forwards=0
pid=""
signal_job() {  # SIGNAL: to mpirun, or to its ranks where it does not pass signals on
  if [ "$forwards" -eq 1 ]; then kill "-$1" "$pid"; else kill "-$1" $(cat /proc/"$pid"/task/*/children); fi
}
[ "$forwards" -eq 1 ] || echo "drain_test.sh: NOTE: this machine's mpirun does not pass SIGUSR1 on; signalling the ranks"

for signal in USR1 TERM; do
  store=$tmp/drained-$signal.h5
  "${session[@]}" "$mpiexec" --oversubscribe -n 3 "$lsweep" run "$job" --store "$store" --progress-seconds 0.5 > "$tmp/run.log" 2>&1 &
  pid=$!
  # Signal once the first point is done (polling the store: what a user does).
  for _ in $(seq 1 600); do
    [ "$("$lsweep" status --left "$store" 2> /dev/null || echo 80)" -le 78 ] && break
    sleep 0.1
  done
  signal_job "$signal"
  rc=0
  wait "$pid" || rc=$?
  pid=""
  # mpirun exits 4 (lsweep's "points left") on USR1; on TERM it reports being terminated.
  if [ "$signal" = USR1 ] && [ "$rc" -ne 4 ]; then echo "FAILED: exit $rc after USR1, want 4"; cat "$tmp/run.log"; exit 1; fi
  grep -q 'drained on a signal' "$tmp/run.log" || { echo "FAILED: no drain after $signal"; cat "$tmp/run.log"; exit 1; }
  grep -q 'progress: 80 points' "$tmp/run.log" || { echo "FAILED: no progress line"; exit 1; }
  "$lsweep" status "$store" > "$tmp/status.txt"
  grep -q 'last run ended' "$tmp/status.txt" || { echo "FAILED: store not closed after $signal"; cat "$tmp/status.txt"; exit 1; }
  grep -q ' 0 running' "$tmp/status.txt" || { echo "FAILED: points left running after $signal"; cat "$tmp/status.txt"; exit 1; }
  left=$("$lsweep" status --left "$store")
  [ "$left" -gt 0 ] || { echo "FAILED: the drain after $signal left nothing to resume"; exit 1; }
  "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$job" --store "$store" > "$tmp/resume.log"
  [ "$("$lsweep" status --left "$store")" -eq 0 ] || { echo "FAILED: resume after $signal did not finish"; exit 1; }
  "$py" "$here/compare_stores.py" "$tmp/reference.h5" "$store"
  echo "drain_test.sh: $signal drained with $left point(s) left; resumed to an identical store"
done
# Packs (train.pack = 4): a drain, then a SIGKILL, each mid-sweep, resumed to
# a store bit-identical to the uninterrupted pack run's. The drain's USR1 goes
# to the ranks themselves, as a batch system signals a job's tasks, while
# mpirun has it blocked: the drain must not depend on mpirun forwarding it.
sed '/^steps = /a pack = 4' "$job" > "$tmp/pack_job.toml"
grep -q '^pack = 4$' "$tmp/pack_job.toml"
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/pack_job.toml" --store "$tmp/pack_reference.h5" > /dev/null
for signal in USR1 KILL; do
  store=$tmp/pack-$signal.h5
  launch=("${session[@]}")
  [ "$signal" = USR1 ] && launch=("${session_blocked[@]}")
  "${launch[@]}" "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/pack_job.toml" --store "$store" > "$tmp/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    [ "$("$lsweep" status --left "$store" 2> /dev/null || echo 80)" -le 76 ] && break  # a first pack is done
    sleep 0.1
  done
  rc=0
  if [ "$signal" = KILL ]; then
    kill_run
  else
    kill -USR1 $(cat /proc/"$pid"/task/*/children)  # the ranks: mpirun's children
    wait "$pid" || rc=$?
  fi
  pid=""
  if [ "$signal" = USR1 ] && [ "$rc" -ne 4 ]; then echo "FAILED: packs: exit $rc after USR1 to the ranks, want 4"; cat "$tmp/run.log"; exit 1; fi
  left=$("$lsweep" status --left "$store")
  [ "$left" -gt 0 ] || { echo "FAILED: packs: $signal left nothing to resume"; cat "$tmp/run.log"; exit 1; }
  "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/pack_job.toml" --store "$store" > "$tmp/resume.log"
  [ "$("$lsweep" status --left "$store")" -eq 0 ] || { echo "FAILED: packs: resume after $signal did not finish"; exit 1; }
  "$py" "$here/compare_stores.py" "$tmp/pack_reference.h5" "$store"
  echo "drain_test.sh: packs: $signal with $left point(s) left; resumed to an identical store"
done
echo "drain_test.sh: all checks passed"
