"""Checks that two stores of the same job hold bit-identical results, whatever
their rank counts or interruptions. Clock readings and provenance may differ.
Usage: /usr/bin/python3 compare_stores.py [--common] A B
--common: compare only the datasets both stores have (a version-1 store resumed
by a newer lsweep against a store that lsweep made)."""
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


args = [x for x in sys.argv[1:] if x != "--common"]
common = "--common" in sys.argv
with h5py.File(args[0], "r") as a, h5py.File(args[1], "r") as b:
    names = datasets(a)
    if common:  # a resumed version-1 store against a new one: compare what both have
        names = [n for n in names if n in set(datasets(b))]
    elif names != datasets(b):
        sys.exit(f"compare_stores.py: different datasets: {names} vs {datasets(b)}")
    differ = []
    for name in names:
        if name in SKIP or is_clock(a[name]):
            continue
        x, y = a[name][()], b[name][()]
        # Compare the bytes, so NaN == NaN and -0.0 != 0.0.
        if x.shape != y.shape or x.tobytes() != y.tobytes():
            differ.append(name)
    if a.attrs["job_toml"] != b.attrs["job_toml"]:
        differ.append("job_toml attribute")
    if differ:
        sys.exit("compare_stores.py: FAILED, these differ: " + ", ".join(differ))
    print(f"compare_stores.py: {len([n for n in names if n not in SKIP])} datasets bit-identical")
