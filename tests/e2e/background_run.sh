# Sourced by the e2e scripts that run sweeps in the background: Debian's
# python (with h5py), a temporary folder, and on exit the background run in
# $pid (mpiexec and every rank) killed and the folder removed.
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
pid=""
# kill_run: SIGKILL the background run in $pid, mpirun and every rank, and
# wait until none is left running; fails if mpirun had already ended. Open MPI
# puts each rank in a process group of its own, and a rank usually ends when
# mpirun does, but not at once everywhere: on one GPU machine's sandbox a rank
# outlived mpirun's SIGKILL and still held the store when the resume began.
kill_run() {
  local ranks rank
  ranks=$(cat /proc/"$pid"/task/*/children 2> /dev/null)
  kill -9 -- "-$pid" 2> /dev/null || return 1
  [ -z "$ranks" ] || kill -9 $ranks 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  for rank in $ranks; do  # gone, or a zombie (its files closed) left to init
    while [ -e "/proc/$rank" ] && ! grep -q '^State:.*Z' "/proc/$rank/status" 2> /dev/null; do sleep 0.05; done
  done
  return 0
}
cleanup() {
  [ -n "$pid" ] && kill_run
  rm -rf "$tmp"
}
trap cleanup EXIT
# "${session[@]}" CMD ARGS... runs CMD in a new session (and so its own
# process group: $! is its pid and the group's id, with no fork in between)
# with SIGUSR1 and SIGTERM unblocked and at their default action: a launcher
# may start the tests with signals blocked (one GPU machine's blocked
# SIGCHLD), and a blocked signal would never reach mpirun. `setsid` may fork
# instead, and then $! is not mpirun. "${session_blocked[@]}" starts CMD with
# both blocked (Open MPI unblocks them in the ranks it starts).
session_exec() {
  printf '%s' "import os, signal, sys
drain = {signal.SIGUSR1, signal.SIGTERM}
for s in drain: signal.signal(s, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_$1, drain)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])"
}
session=("$py" -c "$(session_exec UNBLOCK)")
session_blocked=("$py" -c "$(session_exec BLOCK)")
