#!/usr/bin/python3
"""Figures from a lsweep store: training-loss curves of every point, and the
final test accuracy against the learning rate (one line per batch and width);
with importance sampling (train.importance_temperature), a third panel: the
effective sample size of the sampling weights over training.

Usage: /usr/bin/python3 tools/plot_sweep.py STORE OUT.png
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(store, out):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"plot_sweep.py: '{store}' is not a lsweep store")
        lr, batch, width = (f["grid/" + c][()] for c in ("lr", "batch", "width"))
        names = {v: k for k, v in h5py.check_enum_dtype(f["points/status"].dtype).items()}
        status = np.array([names[int(s)] for s in f["points/status"][()]])
        steps = f["series/step"][()]
        loss = f["series/train_loss"][()]
        test_acc = f["results/test_accuracy"][()]
        ess = f["series/sampling_ess"][()] if "series/sampling_ess" in f else None
        title = f.attrs["job_name"].decode()

    fig, axes = plt.subplots(1, 2 if ess is None else 3, figsize=(11 if ess is None else 16, 4.2))
    left, right = axes[0], axes[1]
    x = np.maximum(steps, 0.5)  # step 0 on a log axis
    for i in range(len(lr)):
        if status[i] in ("done", "diverged"):
            left.plot(x, loss[i], lw=0.8, alpha=0.7, color="C3" if status[i] == "diverged" else "C0")
    left.set(xscale="log", yscale="log", xlabel="step (0 drawn at 0.5)", ylabel="training loss",
             title=f"{title}: training loss of {len(lr)} points")
    for b in np.unique(batch):
        for w in np.unique(width):
            sel = (batch == b) & (width == w) & (status == "done")
            if not sel.any():
                continue
            lrs = np.unique(lr[sel])
            mean = [test_acc[sel & (lr == v)].mean() for v in lrs]
            right.plot(lrs, mean, marker="o", label=f"B={b}, h={w}")
    right.set(xscale="log", xlabel="learning rate", ylabel="final test accuracy (mean over seeds)",
              title="test accuracy vs learning rate")
    right.legend(fontsize=8)
    if ess is not None:
        for i in range(len(lr)):
            if status[i] in ("done", "diverged"):
                axes[2].plot(x, ess[i], lw=0.8, alpha=0.7, color=f"C{np.searchsorted(np.unique(lr), lr[i]) % 10}")
        axes[2].set(xscale="log", yscale="log", xlabel="step (0 drawn at 0.5)",
                    ylabel="effective sample size (Kish)",
                    title="importance-sampling weights (colour: learning rate)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"plot_sweep.py: wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
