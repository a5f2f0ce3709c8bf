#!/usr/bin/env bash
# lsweep's full-batch training against an independent float64 NumPy reference
# (numpy_reference.py): 8 points, 3 ranks; every point's final parameters must
# agree with the reference's to 1e-6 of the largest (numpy_reference.py says why
# not 1e-15 everywhere).
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$here/reference_job.toml" --store "$tmp/r.h5" > /dev/null
"$py" "$here/numpy_reference.py" "$tmp/r.h5"
