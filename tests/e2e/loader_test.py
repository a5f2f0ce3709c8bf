"""Checks tools/lsweep_store.py on a store a test sweep made: the same numbers
as `lsweep report --csv`, bit for bit; selection by coordinates; series and
probe arrays against the store's own rows; only the quantities asked for are
read; a file that is not a store is refused.
Usage: python3 loader_test.py STORE REPORT_CSV TOOLS_DIR"""
import csv
import math
import os
import sys
import tempfile

import h5py
import numpy as np

store, report, tools = sys.argv[1:4]
try:
    import xarray  # noqa: F401
except ImportError:
    # Debian's python has it (scripts/setup.sh installs python3-xarray); another
    # python, named by LSWEEP_PYTHON (a GPU machine's wheel), may not.
    if os.environ.get("LSWEEP_PYTHON"):
        print(f"loader_test.py: skipped: {sys.executable} (LSWEEP_PYTHON) has no xarray")
        sys.exit(0)
    raise
sys.path.insert(0, tools)
from lsweep_store import LsweepStoreError, open_store  # noqa: E402

# `report --csv` column -> the loader's variable (where they differ).
COLUMNS = {"lambda_max": "final_lambda_max", "lambda_max_residual": "final_lambda_max_residual",
           "lambda_min": "final_lambda_min", "eos_ratio": "final_eos_ratio", "hessian_trace": "final_hessian_trace",
           "hessian_trace_err": "final_hessian_trace_err", "diffusion_exponent": "final_exponent",
           "diffusion_exponent_err": "final_exponent_err", "diffusion_intercept": "final_intercept",
           "diffusion_tw": "final_waiting_time", "n_delta": "final_n_delta", "n_delta_tol": "final_n_delta_tol",
           "train_errors": "final_errors", "hinge_loss": "final_hinge_loss", "weights_param_norm": "final_param_norm",
           "weights_distance_sq": "final_distance_sq", "weights_grad_norm": "final_grad_norm"}
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


ds = open_store(store)
flat = open_store(store, grid=False)
with open(report) as f:
    rows = list(csv.DictReader(f))
compared = 0
for row in rows:
    where = {"lr": float(row["lr"]), "batch": int(row["batch"]), "width": int(row["width"]), "seed": int(row["seed"])}
    cell = ds.sel(where)
    check(int(cell.point_id) == int(row["point_id"]), f"point_id at {where}")
    check(str(cell.status.values) == row["status"], f"status at {where}: {cell.status.values} vs {row['status']}")
    for column, text in row.items():
        name = COLUMNS.get(column, column)
        if name in ds.data_vars and ds[name].ndim > 4 and f"final_{name}" in ds.data_vars:
            name = f"final_{name}"  # a measurement along the way: the report shows its last value
        if name not in ds.data_vars or column in ("error",):
            continue
        check(cell[name].size == 1, f"report column {column} is not one value per point in the loader ({name})")
        ours, theirs = float(cell[name].values.ravel()[0]), float(text) if text not in ("", "nan") else math.nan
        same = (math.isnan(ours) and math.isnan(theirs)) or ours == theirs
        check(same, f"{name} at {where}: loader {ours!r}, report {theirs!r}")
        compared += 1
check(compared >= 6 * len(rows), f"only {compared} values compared")

with h5py.File(store, "r") as f:
    # Selection by coordinates picks the row of the point whose grid values they are.
    for point in range(f["grid/lr"].shape[0]):
        where = {g: f[f"grid/{g}"][point] for g in ("lr", "batch", "width", "seed")}
        cell = ds.sel(where)
        check(int(cell.point_id) == point, f"sel({where}) gave point {int(cell.point_id)}, want {point}")
        check(np.array_equal(cell.train_loss.values, f["series/train_loss"][point], equal_nan=True),
              f"train_loss series of point {point}")
        check(np.array_equal(flat.isel(point=point).train_loss.values, f["series/train_loss"][point], equal_nan=True),
              f"train_loss series of point {point} (grid=False)")
        for name in [n for n in ("top_eigenvalues", "delta", "checkpoint_plane_train_loss") if n in ds.data_vars]:
            path = ds[name].attrs["path"]
            check(np.array_equal(cell[name].values, f[path][point], equal_nan=True), f"{name} of point {point}")
    if "checkpoint_plane_train_loss" in ds.data_vars:  # the landscape probe at chosen checkpoints
        check(ds.checkpoint_plane_train_loss.dims[4:] == ("checkpoint", "s", "t"),
              f"checkpoint_plane_train_loss dims {ds.checkpoint_plane_train_loss.dims}")
        check(ds.checkpoint_line_train_loss.dims[4:] == ("checkpoint", "alpha"),
              f"checkpoint_line_train_loss dims {ds.checkpoint_line_train_loss.dims}")
        check(np.array_equal(ds.checkpoint.values, f["probes/landscape/checkpoint_step"][()]), "the checkpoint coordinate")
        # alpha 1 at a chosen checkpoint is the training loss of the series at that step, bit for bit.
        first = float(ds.checkpoint.values[0])
        a1 = ds.checkpoint_line_train_loss.sel(checkpoint=first, alpha=1.0)
        at_step = ds.train_loss.sel(step=first) if ds.step.ndim == 1 else None
        if at_step is not None:
            check(bool(((a1 == at_step) | np.isnan(at_step)).all()), "checkpoint line at alpha 1 vs the series")
    check(np.array_equal(ds.step.values, f["series/step"][()]), "the step coordinate")
    check(ds.final_train_loss.attrs["units"] == f["results/final_train_loss"].attrs["units"].decode(), "units")
    check(ds.final_train_loss.dims == ("lr", "batch", "width", "seed"), f"dims {ds.final_train_loss.dims}")

only = open_store(store, ["final_train_loss", "series/train_loss"])
check(sorted(only.data_vars) == ["final_train_loss", "train_loss"], f"asked for two, got {sorted(only.data_vars)}")
try:
    open_store(store, ["no_such_quantity"])
    check(False, "an unknown quantity was not refused")
except LsweepStoreError as e:
    check("no quantity no_such_quantity" in str(e), f"message for an unknown quantity: {e}")
with tempfile.NamedTemporaryFile(suffix=".h5") as other:
    with h5py.File(other.name, "w") as f:
        f["x"] = np.zeros(3)
    try:
        open_store(other.name)
        check(False, "an HDF5 file that is not a store was not refused")
    except LsweepStoreError as e:
        check("not an lsweep store" in str(e), f"message for a non-store: {e}")

if failures:
    sys.exit("loader_test.py: FAILED:\n  " + "\n  ".join(failures[:20]))
print(f"loader_test.py: {len(rows)} points, {compared} report values equal, selections and arrays agree")
