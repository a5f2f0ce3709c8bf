#!/usr/bin/env bash
# Crash safety: SIGKILL every rank at 20 or more random moments of a sweep,
# resume each time, and check that (1) every resume opens the store, (2) no
# point finished before a kill is ever started again, and (3) the final store
# is bit-identical to an uninterrupted run's.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3
source "$here/background_run.sh"
job=$here/crash_job.toml
RANDOM=${LSWEEP_CRASH_SEED:-20261123}
echo "crash_resume_test.sh: random seed ${LSWEEP_CRASH_SEED:-20261123}"

# The reference run also gives the sweep's pace on this machine: how long from
# launch to its first finished point. Kill moments are drawn up to 1.5 times
# that, so that about a third of them land mid-sweep whatever the machine's
# speed, and the sweep, short of 20 kills, never finishes under them.
start_ms=$(date +%s%3N)
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$job" --store "$tmp/reference.h5" > /dev/null
first_ms=$("$py" -c 'import h5py, sys; print(int(1000 * h5py.File(sys.argv[1], "r")["results/finished_at"][()].min()) - int(sys.argv[2]))' \
  "$tmp/reference.h5" "$start_ms")
window_ms=$((3 * first_ms / 2))
echo "crash_resume_test.sh: first point finished after $first_ms ms; kills in [100, $window_ms) ms"

store=$tmp/crashed.h5
: > "$tmp/finished_before_kills.txt"
# At least 20 kills, of which at least 5 mid-sweep (the store holds finished
# points); the others may land in start-up or store creation.
kills=0 midsweep=0 attempts=0
while :; do
  attempts=$((attempts + 1))
  [ "$attempts" -le 200 ] || { echo "FAILED: the sweep never finished"; exit 1; }
  # A new session, so that the whole run (mpiexec and every rank) is one process group.
  "${session[@]}" "$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$job" --store "$store" > "$tmp/run.log" 2>&1 &
  pid=$!
  if [ "$kills" -lt 20 ] || [ "$midsweep" -lt 5 ]; then
    # A random moment in [0.1 s, window): start-up, creation, training or closing.
    ms=$((100 + RANDOM % (window_ms - 100)))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    if kill_run; then
      pid=""
      kills=$((kills + 1))
      if [ -e "$store" ]; then
        "$lsweep" report --csv "$store" > /dev/null || { echo "FAILED: store unreadable after kill $kills"; exit 1; }
        "$py" "$here/finished_rows.py" "$store" > "$tmp/finished_now.txt"
        [ -s "$tmp/finished_now.txt" ] && midsweep=$((midsweep + 1))
        cat "$tmp/finished_now.txt" >> "$tmp/finished_before_kills.txt"
      fi
      continue
    fi
  fi
  if wait "$pid"; then pid=""; break; fi
  echo "FAILED: a run exited non-zero:"; cat "$tmp/run.log"; exit 1
done
echo "crash_resume_test.sh: $kills kills ($midsweep mid-sweep), $attempts runs"
[ "$kills" -ge 20 ] && [ "$midsweep" -ge 5 ] ||
  { echo "FAILED: the sweep finished after only $kills kills ($midsweep mid-sweep); lengthen crash_job.toml"; exit 1; }

"$py" "$here/finished_rows.py" "$store" > "$tmp/finished_final.txt"
sort -u "$tmp/finished_before_kills.txt" > "$tmp/before.txt"
missing=$(comm -23 "$tmp/before.txt" <(sort -u "$tmp/finished_final.txt") | wc -l)
[ "$missing" -eq 0 ] || { echo "FAILED: $missing finished point(s) were run again"; exit 1; }
[ "$(wc -l < "$tmp/finished_final.txt")" -eq 80 ] || { echo "FAILED: not all 80 points finished"; exit 1; }
"$py" "$here/compare_stores.py" "$tmp/reference.h5" "$store"
[ ! -e "$store.creating" ] || { echo "FAILED: a .creating file was left"; exit 1; }
echo "crash_resume_test.sh: all checks passed"
