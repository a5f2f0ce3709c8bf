#!/usr/bin/env bash
# The jamming probe end to end: a width scan at 3 ranks finds a transition;
# `report --transitions` brackets it; the points fit (no Delta above the
# tolerance) at and above the reported N* and not below it (median over
# seeds); the report refuses a store without the probe; the figures tool runs.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3 tools=$4
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$here/jamming_job.toml" --store "$tmp/jam.h5"
"$lsweep" report --transitions --csv "$tmp/jam.h5" > "$tmp/n_star.csv"
"$lsweep" report --transitions "$tmp/jam.h5" | grep -q 'p_over_n_star'
"$py" - "$tmp/jam.h5" "$tmp/n_star.csv" <<'PY'
import csv
import sys

import h5py
import numpy as np

store, table = sys.argv[1:]
rows = list(csv.DictReader(open(table)))
assert len(rows) == 1 and rows[0]["outcome"] == "transition", rows
high, low = float(rows[0]["width_high"]), float(rows[0]["width_low"])
J = "probes/jamming/"
with h5py.File(store, "r") as f:
    width, status = f["grid/width"][()], f["points/status"][()]
    tol, fitted, n = f[J + "final_n_delta_tol"][()], f[J + "fitted"][()], f[J + "weight_count"][()]
    assert np.all(status == 2), status
    assert float(rows[0]["n_star"]) == n[width == high][0]
    assert abs(float(rows[0]["p_over_n_star"]) - 64 / n[width == high][0]) < 1e-12
    for w in sorted(set(width)):
        median = np.median(tol[width == w])
        if w >= high:
            assert median == 0, (w, tol[width == w])
        else:
            assert median > 0, (w, tol[width == w])
    assert np.all((tol == 0) == (fitted == 1))
print(f"jamming_test: N* between widths {low:g} and {high:g}; fitted above, not below")
PY

rc=0
"$lsweep" report --transitions "$here/../fixtures/v1_store.h5" 2> "$tmp/nojam.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'has no jamming results' "$tmp/nojam.err" ||
  { echo "FAILED: report --transitions of a store without the probe: exit $rc"; cat "$tmp/nojam.err"; exit 1; }
rc=0
"$lsweep" report --transitions --diffusion "$tmp/jam.h5" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "FAILED: --transitions with --diffusion: exit $rc"; exit 1; }

"$py" "$tools/jamming_figures.py" "$tmp/jam.h5" "$tmp/fig" > /dev/null
for f in fitted ndelta test_error phase; do [ -s "$tmp/fig-$f.png" ] || { echo "FAILED: no $f figure"; exit 1; }; done
echo "jamming_test: all checks passed"
