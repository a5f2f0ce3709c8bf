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
