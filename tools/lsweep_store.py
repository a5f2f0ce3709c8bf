"""Open an lsweep store as an xarray Dataset, in one call.

    import sys; sys.path.insert(0, "tools")        # or PYTHONPATH=tools
    from lsweep_store import open_store
    ds = open_store("out/eos.h5")                   # every quantity
    ds = open_store("out/eos.h5", ["final_lambda_max", "lambda_max"])  # only these are read

The Dataset is indexed by the grid: lr, batch, width, seed (a "full" batch is
stored as P, the training set's size). Quantities measured along the way add
their own dimensions: step (checkpoints), tw and lag (the diffusion probe),
eigenvalue (curvature's top_k), alpha, s, t and checkpoint (the landscape probe's line
and directions), layer, and bins. Points the sweep has not
finished, and grid cells no point has (widths that grid.bisect chose for other
lines), hold NaN; `status` says which is which (done, pending, ...).

Every variable carries the store's `units` and `meaning` as attributes. A
quantity's name is its dataset's name (final_lambda_max, exponent, ...). Where
two groups use one name, results/ keeps it and the others are prefixed with
their probe or group: `series_train_accuracy` (train_accuracy is the final
one), `curvature_seconds`, `diffusion_seconds`. The packed parameter vectors of
probes.weights (store_params) are not variables: `parameters(path, point)`
reads one point's.

It reads with HDF5's file locking off, so that a store a sweep is still
writing can be read (rows being written may be half there: trust a row whose
status is done). A file that is not an lsweep store is refused with
LsweepStoreError. Only Debian's python3-h5py, python3-numpy and python3-xarray
are needed.
"""
import os
import warnings

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")  # before h5py opens anything

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

GRID = ("lr", "batch", "width", "seed")
STATUS = ("pending", "running", "done", "failed", "diverged", "timed_out", "unused")

# Axes after the first (points) of the datasets that have them: the dimension
# names, and the dataset that gives a dimension its coordinate values.
AXES = {
    "series/*": ("step",),
    "probes/curvature/top_eigenvalues": ("step", "eigenvalue"),
    "probes/curvature/top_residuals": ("step", "eigenvalue"),
    "probes/curvature/density": ("density_bin",),
    "probes/curvature/slq_nodes": ("slq_node",),
    "probes/curvature/slq_weights": ("slq_node",),
    "probes/curvature/*": ("step",),
    "probes/diffusion/delta": ("tw", "lag"),
    "probes/diffusion/fourth_moment_ratio": ("tw", "lag"),
    "probes/diffusion/msd": ("lag",),
    "probes/diffusion/*": ("tw",),
    "probes/jamming/dead_units": ("layer",),
    "probes/jamming/gaps_satisfied": ("gap_bin",),
    "probes/jamming/gaps_unsatisfied": ("gap_bin",),
    "probes/jamming/*": ("step",),
    "probes/landscape/line_train_loss": ("alpha",),
    "probes/landscape/line_train_accuracy": ("alpha",),
    "probes/landscape/line_test_loss": ("alpha",),
    "probes/landscape/line_test_accuracy": ("alpha",),
    "probes/landscape/dir_train_loss": ("t",),
    "probes/landscape/dir_train_accuracy": ("t",),
    "probes/landscape/dir_test_loss": ("t",),
    "probes/landscape/dir_test_accuracy": ("t",),
    "probes/landscape/checkpoint_line_*": ("checkpoint", "alpha"),
    "probes/landscape/checkpoint_dir_*": ("checkpoint", "t"),
    "probes/landscape/checkpoint_plane_*": ("checkpoint", "s", "t"),
    "probes/landscape/*": ("s", "t"),
    "probes/noise_split/fit": ("x",),
    "probes/noise_split/*": ("step",),
    "probes/weights/*": ("step",),
}
COORDINATES = {"step": "series/step", "tw": "probes/diffusion/waiting_time", "lag": "probes/diffusion/lag",
               "alpha": "probes/landscape/line_alpha", "s": "probes/landscape/coordinate",
               "t": "probes/landscape/coordinate", "checkpoint": "probes/landscape/checkpoint_step",
               "x": "probes/noise_split/grid_x"}
# Datasets that are not one row per point: coordinates, and packed vectors.
NOT_PER_POINT = {"series/step", "probes/diffusion/waiting_time", "probes/diffusion/lag", "probes/jamming/hist_edges",
                 "probes/landscape/line_alpha", "probes/landscape/coordinate", "probes/landscape/checkpoint_step",
                 "probes/weights/initial_params", "probes/weights/final_params", "probes/noise_split/grid_x",
                 "probes/noise_split/teacher"}


class LsweepStoreError(Exception):
    """The file is not an lsweep store, or a quantity asked for is not in it."""


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _open(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise LsweepStoreError(f"{path}: cannot be opened as an HDF5 file ({e}); an lsweep store is the file "
                               "that `lsweep run --store` writes") from None
    if _text(f.attrs.get("format", b"")) != "lsweep-store":
        f.close()
        raise LsweepStoreError(f"{path}: not an lsweep store (its root attribute format is not 'lsweep-store')")
    return f


def _axes(path, ndim):
    for pattern, names in AXES.items():
        if path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1])):
            if len(names) == ndim - 1:
                return names
    leaf = path.rsplit("/", 1)[1]
    return tuple(f"{leaf}_axis{k}" for k in range(1, ndim))  # a dataset this loader does not know yet


def _per_point(f, n):
    found = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name not in NOT_PER_POINT and obj.ndim >= 1 and obj.shape[0] == n \
                and not name.startswith(("grid/", "points/checksum", "points/status")):
            found.append(name)
    f.visititems(visit)
    return sorted(found)


def _names(paths):
    """Variable name of each dataset: its leaf; where leaves collide, results/ keeps
    it and the others are prefixed with their probe (or group): series_train_accuracy."""
    leaves = {}
    for p in paths:
        leaves.setdefault(p.rsplit("/", 1)[1], []).append(p)
    out = {}
    for leaf, ps in leaves.items():
        for p in ps:
            parts = p.split("/")
            plain = len(ps) == 1 or parts[0] == "results"
            out[p] = leaf if plain else f"{parts[1] if parts[0] == 'probes' else parts[0]}_{leaf}"
    return out


def open_store(path, variables=None, grid=True):
    """The store at `path` as an xarray Dataset.

    variables: names (as in the Dataset: "final_lambda_max") or store paths
    ("probes/curvature/final_lambda_max") to read; None reads every quantity.
    grid: True (default) gives dimensions lr, batch, width, seed; False keeps
    one `point` dimension with those as coordinates (and point_id).
    """
    with _open(path) as f:
        n = f["grid/lr"].shape[0]
        paths = _per_point(f, n)
        names = _names(paths)
        if variables is not None:
            wanted = set(variables)
            chosen = [p for p in paths if names[p] in wanted or p in wanted]
            missing = wanted - {names[p] for p in chosen} - set(chosen)
            if missing:
                raise LsweepStoreError(f"{path}: no quantity {', '.join(sorted(missing))} in this store; "
                                       f"it has: {', '.join(sorted(names[p] for p in paths))}")
            paths = chosen
        coords = {"point_id": ("point", np.arange(n))}
        for g in GRID:
            coords[g] = ("point", f[f"grid/{g}"][()])
        status = f["points/status"][()]
        names_of_status = [STATUS[s] if 0 <= s < len(STATUS) else str(s) for s in status]
        coords["status"] = ("point", np.array(names_of_status, dtype="U9"))
        data = {}
        for p in paths:
            d = f[p]
            values = d[()]
            if values.dtype.kind == "S":
                values = np.char.decode(values, "utf-8", "replace")
            data[names[p]] = (("point",) + _axes(p, d.ndim), values,
                              {"units": _text(d.attrs.get("units", b"")), "meaning": _text(d.attrs.get("meaning", b"")),
                               "path": p})
        ds = xr.Dataset(data, coords=coords)
        for dim, source in COORDINATES.items():
            if dim in ds.dims and source in f:
                ds = ds.assign_coords({dim: (dim, f[source][()], {"units": _text(f[source].attrs.get("units", b""))})})
        ds.attrs = {k: (_text(v) if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        for g in GRID:
            ds[g].attrs = {"units": _text(f[f"grid/{g}"].attrs.get("units", b"")),
                           "meaning": _text(f[f"grid/{g}"].attrs.get("meaning", b""))}
    return to_grid(ds) if grid else ds


def to_grid(ds):
    """A Dataset with a `point` dimension (open_store(..., grid=False)) indexed by lr, batch, width, seed."""
    # Rows that no point trained (grid.bisect's unused rows) would collide on the index.
    ds = ds.isel(point=np.flatnonzero(ds["status"].values != "unused"))
    cells = int(np.prod([np.unique(ds[g].values).size for g in GRID]))
    if cells == ds.sizes["point"]:  # a full grid: every cell is a point, nothing to fill
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # xarray pre-fills integers with NaN, then overwrites
            ds = ds.set_index(point=list(GRID)).unstack("point")
    else:  # grid.bisect: a width only some lines have; the other cells are NaN (status "absent")
        ints = [v for v in list(ds.data_vars) + ["point_id"] if ds[v].dtype.kind in "iu"]
        ds = ds.assign({v: ds[v].astype(np.float64) for v in ints if v in ds.data_vars})
        ds = ds.assign_coords(point_id=ds["point_id"].astype(np.float64))
        ds = ds.set_index(point=list(GRID)).unstack("point", fill_value={"status": "absent"} | {
            v: np.nan for v in list(ds.data_vars) + ["point_id"]})
    return ds.transpose(*GRID, ...)


def parameters(path, point, which="final"):
    """One point's flattened parameters ("initial" or "final"), in LibTorch's parameters() order."""
    with _open(path) as f:
        if "probes/weights/initial_params" not in f:
            raise LsweepStoreError(f"{path}: no stored parameters: the job needs [probes.weights] store_params = true")
        offset, count = int(f["probes/weights/param_offset"][point]), int(f["probes/weights/param_count"][point])
        return f[f"probes/weights/{which}_params"][offset:offset + count]
