"""Checks that two stores of the same job hold bit-identical results, whatever
their rank counts or interruptions. Clock readings and provenance may differ.
Usage: /usr/bin/python3 compare_stores.py A B"""
import sys

import h5py
import numpy as np

SKIP = {"results/wall_seconds", "results/started_at", "results/finished_at"}  # clocks


def datasets(f):
    names = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    names = datasets(a)
    if names != datasets(b):
        sys.exit(f"compare_stores.py: different datasets: {names} vs {datasets(b)}")
    differ = []
    for name in names:
        if name in SKIP:
            continue
        x, y = a[name][()], b[name][()]
        # Compare the bytes, so NaN == NaN and -0.0 != 0.0.
        if x.shape != y.shape or x.tobytes() != y.tobytes():
            differ.append(name)
    if a.attrs["job_toml"] != b.attrs["job_toml"]:
        differ.append("job_toml attribute")
    if differ:
        sys.exit("compare_stores.py: FAILED, these differ: " + ", ".join(differ))
    print(f"compare_stores.py: {len(names) - len(SKIP)} datasets bit-identical")
