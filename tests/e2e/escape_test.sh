#!/usr/bin/env bash
# The escape probe end to end: stores bit-identical at 3 and 2 ranks; every
# done point's tau, escapes and interval agree with its stored replicas
# (total time / escapes, censored at the budget); `report --escape` against
# numpy's least squares on the stored taus; its refusal of a store without the
# probe; the figures tool.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3 tools=$4
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
job=$here/escape_job.toml

"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$job" --store "$tmp/np3.h5"
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level warn run "$job" --store "$tmp/np2.h5"
"$py" "$here/compare_stores.py" "$tmp/np2.h5" "$tmp/np3.h5"

"$lsweep" report --escape --csv "$tmp/np3.h5" > "$tmp/fits.csv"
"$lsweep" report --escape "$tmp/np3.h5" > "$tmp/fits.txt"
"$lsweep" report --csv "$tmp/np3.h5" > "$tmp/report.csv"
"$py" - "$tmp/np3.h5" "$tmp/fits.csv" "$tmp/report.csv" <<'PY'
import csv
import sys

import h5py
import numpy as np

store, fits, report = sys.argv[1:]
E = "probes/escape/"
with h5py.File(store, "r") as f:
    status = f["points/status"][()]
    assert np.all(status == 2), status
    lr, batch, lam = f["grid/lr"][()], f["grid/batch"][()], f[E + "lambda_max"][()]
    assert np.all(np.isfinite(lam)) and np.all(lam > 0), lam
    assert np.all(f[E + "top_eigenvalues"][()][:, 0] == lam)
    assert np.all(np.diff(f[E + "top_eigenvalues"][()], axis=1) <= 0)
    assert np.all(f[E + "noise_trace"][()] > 0)
    taus = {}
    escapes = 0
    for dyn in ("sgd", "white"):
        t, e = f[E + dyn + "_time"][()], f[E + dyn + "_escaped"][()]
        assert t.shape == (6, 6) and set(np.unique(e)) <= {0.0, 1.0}
        assert np.all((t[e == 1] % 5 == 0) & (t[e == 1] <= 400)) and np.all(t[e == 0] == 400), t
        d = e.sum(axis=1)
        tau = np.where(d > 0, t.sum(axis=1) / np.maximum(d, 1), np.inf)
        assert np.array_equal(f[E + dyn + "_escapes"][()], d)
        assert np.allclose(f[E + dyn + "_tau"][()], tau, rtol=1e-15), (f[E + dyn + "_tau"][()], tau)
        lo, hi = f[E + dyn + "_tau_lower"][()], f[E + dyn + "_tau_upper"][()]
        assert np.all(lo < tau) and np.all((hi > tau) | np.isinf(tau)), (lo, tau, hi)
        taus[dyn] = tau
        escapes += d.sum()
    assert escapes > 0, "no replica escaped: the test job checks less than it should"
rows = list(csv.DictReader(open(report)))
for col in ("escape_lambda_max", "escape_sgd_tau", "escape_white_tau_upper", "escape_minimum_loss"):
    assert col in rows[0], col
got = list(csv.DictReader(open(fits)))
want_groups = [("sgd", "batch_over_lr", "all"), ("sgd", "inverse_lambda_max", "all"),
               ("sgd", "batch_over_lr", "width 2 seed 0"), ("sgd", "batch_over_lr", "width 3 seed 0")]
want_groups += [("white",) + g[1:] for g in want_groups]
assert [(r["dynamics"], r["predictor"], r["minimum"]) for r in got] == want_groups, got
for r in got:
    tau = taus[r["dynamics"]]
    x = batch / lr if r["predictor"] == "batch_over_lr" else 1 / lam
    mask = np.ones(6, bool) if r["minimum"] == "all" else (f"width {int(w)} seed 0" == r["minimum"]
                                                           for w in h5py.File(store, "r")["grid/width"][()])
    mask = np.fromiter(mask, bool) if not isinstance(mask, np.ndarray) else mask
    use = mask & np.isfinite(tau)
    assert int(r["points"]) == use.sum() and int(r["censored_points"]) == (mask & np.isinf(tau)).sum(), r
    assert use.sum() >= 3, r
    X = np.column_stack([np.ones(use.sum()), x[use]])
    y = np.log(tau[use])
    coef, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    se = np.sqrt(float(rss[0]) / (len(y) - 2) * np.diag(np.linalg.inv(X.T @ X)))
    r2 = 1 - float(rss[0]) / ((y - y.mean()) ** 2).sum()
    for key, want in (("slope", coef[1]), ("intercept", coef[0]), ("slope_err", se[1]), ("intercept_err", se[0]),
                      ("r2", r2)):
        assert abs(float(r[key]) - want) <= 1e-8 * max(1.0, abs(want)), (r, key, want)
print("escape_test: rows consistent, report --escape equals numpy's least squares")
PY
grep -q 'inverse_lambda_max' "$tmp/fits.txt"

rc=0
"$lsweep" report --escape "$here/../fixtures/v1_store.h5" 2> "$tmp/none.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'has no escape results' "$tmp/none.err" ||
  { echo "FAILED: report --escape of a store without the probe: exit $rc"; cat "$tmp/none.err"; exit 1; }

"$py" "$tools/escape_figures.py" "$tmp/np3.h5" "$tmp/fig" > "$tmp/table.csv"
for f in batch_over_lr sharpness slopes; do [ -s "$tmp/fig-$f.png" ] || { echo "FAILED: no $f figure"; exit 1; }; done
diff <(head -9 "$tmp/table.csv" | cut -d, -f1-3,5,6) <(cut -d, -f1-3,5,6 "$tmp/fits.csv") > /dev/null ||
  { echo "FAILED: the figures' table and report --escape differ"; head -9 "$tmp/table.csv"; cat "$tmp/fits.csv"; exit 1; }
echo "escape_test: all checks passed"
