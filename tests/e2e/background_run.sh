# Sourced by the e2e scripts that run sweeps in the background: Debian's
# python (with h5py), a temporary folder, and on exit the process group of the
# background run in $pid (mpiexec and every rank) killed and the folder removed.
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 -- "-$pid" 2> /dev/null
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
