#!/usr/bin/env bash
# The diffusion probe end to end: stores bit-identical at 3 and 2 ranks and
# with the snapshots spilled to a scratch file (which leaves nothing behind);
# every done point has a finite exponent with a positive error; the report's
# columns; `report --diffusion` against numpy's least squares on the stored
# intercepts; its refusal of a store without the probe; the figures tool.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3 tools=$4
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
job=$here/diffusion_job.toml

"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$job" --store "$tmp/np3.h5"
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level warn run "$job" --store "$tmp/np2.h5"
"$py" "$here/compare_stores.py" "$tmp/np2.h5" "$tmp/np3.h5"

# memory_mb = 0: every snapshot goes to the scratch file ($TMPDIR), which is
# unlinked at once: the folder stays empty; the results are the same bits.
sed '/^\[probes.diffusion\]/a memory_mb = 0' "$job" > "$tmp/spill_job.toml"
mkdir "$tmp/scratch"
TMPDIR=$tmp/scratch "$mpiexec" --oversubscribe -x TMPDIR -n 2 "$lsweep" --log-level warn run "$tmp/spill_job.toml" \
  --store "$tmp/spill.h5"
"$py" "$here/compare_stores.py" --ignore-key memory_mb --skip probes/diffusion/spilled "$tmp/np2.h5" "$tmp/spill.h5"
[ -z "$(ls -A "$tmp/scratch")" ] || { echo "FAILED: scratch files left behind:"; ls -la "$tmp/scratch"; exit 1; }

"$lsweep" report --csv "$tmp/np3.h5" > "$tmp/report.csv"
"$py" "$here/loader_test.py" "$tmp/np3.h5" "$tmp/report.csv" "$tools"
"$lsweep" report --diffusion --csv "$tmp/np3.h5" > "$tmp/kunin.csv"
"$lsweep" report --diffusion "$tmp/np3.h5" > "$tmp/kunin.txt"
"$py" - "$tmp/np3.h5" "$tmp/spill.h5" "$tmp/report.csv" "$tmp/kunin.csv" <<'PY'
import csv
import sys

import h5py
import numpy as np

store, spill, report, kunin = sys.argv[1:]
D = "probes/diffusion/"
with h5py.File(store, "r") as f, h5py.File(spill, "r") as g:
    done = f["points/status"][()] == 2
    assert done.sum() == 6, f["points/status"][()]
    c, err = f[D + "final_exponent"][()], f[D + "final_exponent_err"][()]
    assert np.all(np.isfinite(c[done])) and np.all(err[done] > 0), (c, err)
    assert np.all(np.isfinite(f[D + "msd_exponent"][()][done]))
    assert np.all(f[D + "spilled"][()][done] == 0) and np.all(g[D + "spilled"][()][done] == 1)
    assert f[D + "delta"].shape == (6, len(f[D + "waiting_time"]), len(f[D + "lag"]))
    lr, batch = f["grid/lr"][()], f["grid/batch"][()]
    fits = {}
    for name, path in (("diffusion_intercept", "final_intercept"), ("msd_intercept", "msd_intercept")):
        y = f[D + path][()][done]
        X = np.column_stack([np.ones(done.sum()), np.log(lr[done]), np.log(batch[done])])
        coef, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
        s2 = float(rss[0]) / (len(y) - 3)
        se = np.sqrt(s2 * np.diag(np.linalg.inv(X.T @ X)))
        fits[name] = (coef, se, c[done].mean())
rows = list(csv.DictReader(open(report)))
for col in ("diffusion_exponent", "diffusion_exponent_err", "diffusion_intercept", "diffusion_tw", "msd_exponent",
            "msd_exponent_err", "msd_intercept"):
    assert col in rows[0], col
got = list(csv.DictReader(open(kunin)))
assert [r["quantity"] for r in got] == ["diffusion_intercept", "msd_intercept"], got
for r in got:
    coef, se, mean_c = fits[r["quantity"]]
    assert r["width"] == "8" and r["points"] == "6" and r["lr_values"] == "3" and r["batch_values"] == "2", r
    for key, want in (("constant", coef[0]), ("slope_ln_lr", coef[1]), ("slope_ln_batch", coef[2]),
                      ("constant_err", se[0]), ("slope_ln_lr_err", se[1]), ("slope_ln_batch_err", se[2]),
                      ("mean_diffusion_exponent", mean_c)):
        assert abs(float(r[key]) - want) <= 1e-8 * max(1.0, abs(want)), (r["quantity"], key, r[key], want)
print("diffusion_test: report --diffusion equals numpy's least squares")
PY
grep -q 'slope_ln_lr' "$tmp/kunin.txt"

rc=0
"$lsweep" report --diffusion "$here/../fixtures/v1_store.h5" 2> "$tmp/nodiff.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'has no diffusion results' "$tmp/nodiff.err" ||
  { echo "FAILED: report --diffusion of a store without the probe: exit $rc"; cat "$tmp/nodiff.err"; exit 1; }

"$py" "$tools/diffusion_figures.py" "$tmp/np3.h5" "$tmp/fig" > "$tmp/table.csv"
for f in delta aging exponent; do [ -s "$tmp/fig-$f.png" ] || { echo "FAILED: no $f figure"; exit 1; }; done
[ "$(wc -l < "$tmp/table.csv")" -eq 7 ]
echo "diffusion_test: all checks passed"
