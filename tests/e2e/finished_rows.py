"""Prints 'point_id started_at' for every finished point of a store, one per
line: a finished point that is run again gets a new started_at.
Usage: /usr/bin/python3 finished_rows.py STORE"""
import sys

import h5py

with h5py.File(sys.argv[1], "r") as f:
    names = {v: k for k, v in h5py.check_enum_dtype(f["points/status"].dtype).items()}
    status = f["points/status"][()]
    started = f["results/started_at"][()]
    for i, s in enumerate(status):
        if names[int(s)] not in ("pending", "running"):
            print(i, repr(float(started[i])))
