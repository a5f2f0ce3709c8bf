"""Checks that two stores of the same job hold bit-identical results, whatever
their rank counts or interruptions. Clock readings and provenance may differ.
Usage: /usr/bin/python3 compare_stores.py [--common] [--rtol R] [--ignore-key KEY]... [--skip DATASET]... A B
--common: compare only the datasets both stores have (a version-1 store resumed
by a newer lsweep against a store that lsweep made).
--rtol R: floating-point values need only agree to R relative, to themselves
or to their dataset's largest value (NaN equals NaN; the largest difference
found is printed;
integers and strings still bit for bit), and the jobs may differ in train.pack
and train.team: a sweep trained in packs or teams against the same sweep
trained point by point.
--ignore-key KEY: the jobs may differ in the line `KEY = ...` (a setting
that must not change results, e.g. probes.diffusion's memory_mb).
--skip DATASET: do not compare DATASET (e.g. probes/diffusion/spilled, which
says where the snapshots lived)."""
import sys

import h5py
import numpy as np

# Clocks, and the row checksum, which covers them; also every duration (units "s"), e.g. a probe's timings.
SKIP = {"results/wall_seconds", "results/started_at", "results/finished_at", "points/checksum"}


def is_clock(dataset):
    units = dataset.attrs.get("units", b"")
    return (units.decode() if isinstance(units, bytes) else str(units)) == "s"


def datasets(f):
    names = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


argv = sys.argv[1:]
rtol = None
if "--rtol" in argv:
    i = argv.index("--rtol")
    rtol = float(argv[i + 1])
    del argv[i:i + 2]
ignored = []
while "--ignore-key" in argv:
    i = argv.index("--ignore-key")
    ignored.append(argv[i + 1])
    del argv[i:i + 2]
if rtol is not None:
    ignored += ["pack", "team"]
while "--skip" in argv:
    i = argv.index("--skip")
    SKIP.add(argv[i + 1])
    del argv[i:i + 2]
args = [x for x in argv if x != "--common"]
common = "--common" in argv


def same(x, y):
    if x.shape != y.shape:
        return False
    if rtol is not None and x.dtype.kind == "f":
        # Relative to each value, or to the dataset's largest (values near 0).
        finite = np.abs(x[np.isfinite(x)])
        scale = float(finite.max()) if finite.size else 0.0
        return bool(np.allclose(x, y, rtol=rtol, atol=rtol * scale, equal_nan=True))
    return x.tobytes() == y.tobytes()  # the bytes, so NaN == NaN and -0.0 != 0.0


def largest_difference(x, y):
    """max |x - y| / max(|y|, the dataset's largest |value|/1e6) over finite pairs, or None."""
    if x.shape != y.shape or x.dtype.kind != "f":
        return None
    both = np.isfinite(x) & np.isfinite(y)
    if not both.any():
        return None
    scale = 1e-6 * float(np.abs(y[both]).max())
    d = np.abs(x[both] - y[both]) / np.maximum(np.abs(y[both]), scale if scale > 0 else 1e-300)
    return float(d.max())


def job_text(f):
    text = f.attrs["job_toml"]
    text = text.decode() if isinstance(text, bytes) else str(text)
    keys = tuple(k + " =" for k in ignored)
    return "\n".join(line for line in text.splitlines() if not keys or not line.strip().startswith(keys))


with h5py.File(args[0], "r") as a, h5py.File(args[1], "r") as b:
    names = datasets(a)
    if common:  # a resumed version-1 store against a new one: compare what both have
        names = [n for n in names if n in set(datasets(b))]
    elif names != datasets(b):
        sys.exit(f"compare_stores.py: different datasets: {names} vs {datasets(b)}")
    differ, worst = [], (0.0, "")
    for name in names:
        if name in SKIP or is_clock(a[name]):
            continue
        x, y = np.asarray(a[name][()]), np.asarray(b[name][()])
        d = largest_difference(x, y) if rtol is not None else None
        if d is not None and d > worst[0]:
            worst = (d, name)
        if not same(x, y):
            differ.append(name if d is None else f"{name} (largest relative difference {d:.3g})")
    if job_text(a) != job_text(b):
        differ.append("job_toml attribute")
    if differ:
        sys.exit("compare_stores.py: FAILED, these differ: " + ", ".join(differ))
    how = "bit-identical" if rtol is None else f"equal to {rtol:g} relative"
    if rtol is not None and worst[1]:
        how += f" (largest difference {worst[0]:.3g}, in {worst[1]})"
    print(f"compare_stores.py: {len([n for n in names if n not in SKIP])} datasets {how}")
