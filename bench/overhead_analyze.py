#!/usr/bin/python3
"""Where a sweep's worker time goes besides training, from a finished store.

Worker time is the sweep's span (first start to last finish) times the
workers; training is the sum of every point's wall_seconds (the trainer's own
clock: training, evaluations and probes). The rest is overhead: taking a
point (started_at is written, the model is built), storing it, the messages
between master and worker, and the tail of the sweep where a worker has no
point left. Usage: overhead_analyze.py STORE WORKERS"""
import sys

import h5py
import numpy as np

store, workers = sys.argv[1], int(sys.argv[2])
with h5py.File(store, "r") as f:
    start, end, wall = (f["results/" + n][()] for n in ("started_at", "finished_at", "wall_seconds"))
n = len(start)
# Chain each point to the worker that was free when it started (greedy, by start time).
free, gaps = [], []
for i in np.argsort(start):
    ready = [k for k, t in enumerate(free) if t <= start[i] + 1e-9]
    if ready and len(free) >= workers:
        k = max(ready, key=lambda k: free[k])
        gaps.append(start[i] - free[k])
        free[k] = end[i]
    else:
        free.append(end[i])
span = end.max() - start.min()
outside = span * workers - wall.sum()
print(f"{n} points, mean {1e3 * wall.mean():.1f} ms of training each, on {workers} workers")
print(f"  inside a point, outside training (started_at to finished_at minus wall_seconds): "
      f"mean {1e3 * np.mean(end - start - wall):.2f} ms, median {1e3 * np.median(end - start - wall):.2f} ms")
print(f"  between two points of a worker (finished_at to next started_at): "
      f"mean {1e3 * np.mean(gaps):.2f} ms, median {1e3 * np.median(gaps):.2f} ms")
print(f"  worker time outside training: {100 * outside / (span * workers):.2f}% = {1e3 * outside / n:.2f} ms per point")
