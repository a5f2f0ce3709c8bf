#!/usr/bin/env bash
# The jamming probe end to end: a width scan at 3 ranks finds a transition;
# `report --transitions` brackets it; the points fit (no Delta above the
# tolerance) at and above the reported N* and not below it (median over
# seeds); grid.bisect finds a bracket inside it, and a sweep resumed in the
# middle of a bisection ends with the same store; the report refuses a store
# without the probe; the figures tool runs.
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

# grid.bisect: the same scan bisected from its ends. Points at widths both runs
# train give the same bits; the bracket is N*'s by the same rule, inside the
# listed scan's; unused reserved rows keep width 0.
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$here/jamming_bisect_job.toml" --store "$tmp/bis.h5"
"$lsweep" report --transitions --csv "$tmp/bis.h5" > "$tmp/bis.csv"
"$lsweep" report --csv "$tmp/bis.h5" > "$tmp/bis_points.csv"
"$py" "$here/loader_test.py" "$tmp/bis.h5" "$tmp/bis_points.csv" "$tools"
cp "$tmp/bis.h5" "$tmp/resumed.h5"
"$py" - "$tmp/jam.h5" "$tmp/n_star.csv" "$tmp/bis.h5" "$tmp/bis.csv" "$tmp/resumed.h5" <<'PY'
import csv
import sys

import h5py
import numpy as np

listed, listed_csv, bis, bis_csv, resumed = sys.argv[1:]
J = "probes/jamming/"
a = list(csv.DictReader(open(listed_csv)))[0]
b = list(csv.DictReader(open(bis_csv)))[0]
assert b["outcome"] == "transition", b
low, high = float(b["width_low"]), float(b["width_high"])
assert float(a["width_low"]) <= low < high <= float(a["width_high"]), (a, b)
with h5py.File(listed, "r") as f, h5py.File(bis, "r") as g:
    fw, fs, ft = f["grid/width"][()], f["grid/seed"][()], f[J + "final_n_delta_tol"][()]
    gw, gs, gt, st = g["grid/width"][()], g["grid/seed"][()], g[J + "final_n_delta_tol"][()], g["points/status"][()]
    assert len(gw) == 6 * 4 and set(st) <= {2, 6}, st
    assert np.all(gw[st == 6] == 0) and np.all(gw[st == 2] > 0)
    reserved = np.arange(len(gw)) >= 8
    chosen = sorted(set(gw[reserved & (st == 2)]))
    assert (high - low == 1) or len(chosen) == 4, (low, high, chosen)
    assert np.mean(gt[gw == high] == 0) >= 0.5 and np.mean(gt[gw == low] == 0) < 0.5, (gt[gw == high], gt[gw == low])
    same = 0
    for i in np.flatnonzero(st == 2):
        j = np.flatnonzero((fw == gw[i]) & (fs == gs[i]))
        if len(j):
            assert ft[j[0]] == gt[i], (gw[i], gs[i])
            same += 1
    assert same >= 8, same
    n = len(chosen)
# A sweep stopped after its first bisected width: later rows pending again, widths unchosen.
with h5py.File(resumed, "r+") as h:
    st = h["points/status"][()]
    cut = np.arange(len(st)) >= 12
    st[cut] = 0
    h["points/status"][...] = st
    w = h["grid/width"][()]
    w[cut] = 0
    h["grid/width"][...] = w
print(f"jamming_test: bisection brackets N* between widths {low:g} and {high:g} with {n} widths bisected")
PY
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level warn run "$here/jamming_bisect_job.toml" --store "$tmp/resumed.h5"
"$py" "$here/compare_stores.py" "$tmp/bis.h5" "$tmp/resumed.h5"
# A finished reserved row whose stored width the bisection would not choose
# again: the resume refuses, naming the point, and leaves the store as it was.
"$py" - "$tmp/resumed.h5" <<'PY'
import sys

import h5py

with h5py.File(sys.argv[1], "r+") as h:
    w = h["grid/width"][()]
    w[8] += 1  # the first bisected width's first seed
    h["grid/width"][...] = w
PY
cp "$tmp/resumed.h5" "$tmp/tampered.h5"
rc=0
"$mpiexec" --oversubscribe -n 2 "$lsweep" run "$here/jamming_bisect_job.toml" --store "$tmp/resumed.h5" \
  > /dev/null 2> "$tmp/tamper.err" || rc=$?
[ "$rc" -eq 3 ] && grep -q 'point 8 was trained at width' "$tmp/tamper.err" && cmp -s "$tmp/resumed.h5" "$tmp/tampered.h5" ||
  { echo "FAILED: resume of a store with a changed bisected width: exit $rc"; cat "$tmp/tamper.err"; exit 1; }

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
