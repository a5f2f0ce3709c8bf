#!/usr/bin/python3
"""Figures from the landscape probe of a lsweep store ([probes.landscape]):

  PREFIX-line.png       the training loss (and test loss, dashed) along the line from the
                        initialisation (alpha 0) to the trained network (alpha 1), one line per point
  PREFIX-direction.png  the training loss along one filter-normalised random direction through the
                        trained network, one line per point
  PREFIX-contours.png   the 2-D slices (log10 training loss) of up to 6 done points, spread over the grid
  PREFIX-montage.png    the 2-D slices across (lr, batch) for one width (--width; default the largest),
                        the first seed: rows batch, columns lr
  PREFIX-checkpoints.png  with checkpoint_steps: for up to 4 done points, the line from the
                        initialisation to the network at each chosen step (top) and the direction
                        through it (bottom), coloured by step, beside the end's

and a table on stdout: per point, lr, batch, width, seed, status, the loss at alpha 0 and 1, and the
line's barrier. Stores without the plane (plane = false) get no contours or montage.

Usage: /usr/bin/python3 tools/landscape_figures.py STORE [PREFIX] [--width W]
  PREFIX defaults to STORE without .h5.
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import os
import sys

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import h5py  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

G = "probes/landscape/"
DONE = 2


def log10(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.where(x > 0, x, np.nan))


def label(d, i):
    return f"lr {d['lr'][i]:g}, B {d['batch'][i]}, w {d['width'][i]}, s {d['seed'][i]}"


def main(store, prefix, width):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"landscape_figures.py: '{store}' is not a lsweep store")
        if G + "line_alpha" not in f:
            sys.exit(f"landscape_figures.py: '{store}' has no [probes.landscape]")
        d = {k: f["grid/" + k][()] for k in ("lr", "batch", "width", "seed")}
        d["status"] = f["points/status"][()]
        status_names = {v: k for k, v in h5py.check_enum_dtype(f["points/status"].dtype).items()}
        for k in ("line_alpha", "coordinate", "line_train_loss", "dir_train_loss", "line_barrier"):
            d[k] = f[G + k][()]
        d["line_test_loss"] = f[G + "line_test_loss"][()] if G + "line_test_loss" in f else None
        d["plane"] = f[G + "plane_train_loss"][()] if G + "plane_train_loss" in f else None
        if G + "checkpoint_step" in f:
            d["checkpoint_step"] = f[G + "checkpoint_step"][()]
            d["checkpoint_line"] = f[G + "checkpoint_line_train_loss"][()]
            d["checkpoint_dir"] = f[G + "checkpoint_dir_train_loss"][()]
    done = np.flatnonzero(d["status"] == DONE)
    alpha, coord = d["line_alpha"], d["coordinate"]
    a0, a1 = int(np.flatnonzero(alpha == 0.0)[0]), int(np.flatnonzero(alpha == 1.0)[0])

    print("point  lr        batch  width  seed  status    loss_alpha0  loss_alpha1  line_barrier")
    for i in range(d["lr"].size):
        print(f"{i:<6} {d['lr'][i]:<9g} {d['batch'][i]:<6} {d['width'][i]:<6} {d['seed'][i]:<5} {status_names[int(d['status'][i])]:<9} "
              f"{d['line_train_loss'][i, a0]:<12.6g} {d['line_train_loss'][i, a1]:<12.6g} {d['line_barrier'][i]:.6g}")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i in done:
        (line,) = ax.plot(alpha, d["line_train_loss"][i], label=label(d, i))
        if d["line_test_loss"] is not None:
            ax.plot(alpha, d["line_test_loss"][i], "--", color=line.get_color(), lw=0.8)
    for x in (0.0, 1.0):
        ax.axvline(x, color="grey", lw=0.5)
    save_curves(fig, ax, len(done), "alpha: (1 - alpha) theta_0 + alpha theta_final", "loss (train solid, test dashed)",
                "From the initialisation (0) to the trained network (1)", f"{prefix}-line.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i in done:
        ax.plot(coord, d["dir_train_loss"][i], label=label(d, i))
    save_curves(fig, ax, len(done), "t: theta_final + t d1 (filter-normalised)", "training loss",
                "Along a random direction through the trained network", f"{prefix}-direction.png")

    if "checkpoint_step" in d and done.size > 0:
        checkpoint_figure(d, done, alpha, coord, f"{prefix}-checkpoints.png")
    if d["plane"] is None or done.size == 0:
        return
    picks = done[np.unique(np.linspace(0, done.size - 1, min(6, done.size)).round().astype(int))]
    fig, axes = plt.subplots(1, len(picks), figsize=(3.2 * len(picks), 3.2), squeeze=False)
    for ax, i in zip(axes[0], picks):
        contours(ax, coord, d["plane"][i], label(d, i))
    fig.tight_layout()
    fig.savefig(f"{prefix}-contours.png", dpi=120)
    plt.close(fig)

    w = width if width is not None else int(d["width"].max())
    lrs, batches = np.unique(d["lr"]), np.unique(d["batch"])
    fig, axes = plt.subplots(batches.size, lrs.size, figsize=(2.8 * lrs.size, 2.8 * batches.size), squeeze=False)
    for r, b in enumerate(batches):
        for c, lr in enumerate(lrs):
            ax = axes[r][c]
            rows = np.flatnonzero((d["lr"] == lr) & (d["batch"] == b) & (d["width"] == w) & (d["status"] == DONE))
            if rows.size == 0:
                ax.set_axis_off()
                ax.set_title(f"lr {lr:g}, B {b}: none", fontsize=7)
                continue
            i = rows[np.argmin(d["seed"][rows])]
            contours(ax, coord, d["plane"][i], f"lr {lr:g}, B {b}")
    fig.suptitle(f"log10 training loss on the plane theta_final + s d1 + t d2, width {w}")
    fig.tight_layout()
    fig.savefig(f"{prefix}-montage.png", dpi=110)
    plt.close(fig)


def save_curves(fig, ax, curves, xlabel, ylabel, title, path):
    """Log loss axis, labels, a legend when there are few curves; writes and closes the figure."""
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if curves <= 12:
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def checkpoint_figure(d, done, alpha, coord, path):
    picks = done[np.unique(np.linspace(0, done.size - 1, min(4, done.size)).round().astype(int))]
    steps = d["checkpoint_step"]
    colours = plt.cm.viridis(np.linspace(0, 0.85, steps.size))
    fig, axes = plt.subplots(2, len(picks), figsize=(3.4 * len(picks), 6), squeeze=False)
    for col, i in enumerate(picks):
        top, bottom = axes[0][col], axes[1][col]
        for c, step in enumerate(steps):
            top.plot(alpha, d["checkpoint_line"][i, c], color=colours[c], label=f"step {step:g}")
            bottom.plot(coord, d["checkpoint_dir"][i, c], color=colours[c], label=f"step {step:g}")
        top.plot(alpha, d["line_train_loss"][i], "k--", lw=0.9, label="end")
        bottom.plot(coord, d["dir_train_loss"][i], "k--", lw=0.9, label="end")
        top.set_title(label(d, i), fontsize=7)
        top.set_xlabel("alpha: theta_0 (0) to the network at the step (1)", fontsize=7)
        bottom.set_xlabel("t: along d1 through the network at the step", fontsize=7)
        for ax in (top, bottom):
            ax.set_yscale("log")
            ax.tick_params(labelsize=6)
        top.legend(fontsize=6)
    axes[0][0].set_ylabel("training loss", fontsize=7)
    axes[1][0].set_ylabel("training loss", fontsize=7)
    fig.suptitle("Slices at the chosen checkpoints (checkpoint_steps) and at the end (dashed)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def contours(ax, coord, plane, title):
    z = log10(plane)
    if np.isfinite(z).sum() >= 4 and np.nanmax(z) > np.nanmin(z):
        cs = ax.contourf(coord, coord, z.T, levels=20, cmap="viridis")
        plt.colorbar(cs, ax=ax, fraction=0.046)
    ax.plot([0], [0], "r+")
    ax.set_xlabel("s (d1)", fontsize=7)
    ax.set_ylabel("t (d2)", fontsize=7)
    ax.set_title(title, fontsize=7)
    ax.tick_params(labelsize=6)


if __name__ == "__main__":
    args = sys.argv[1:]
    width = None
    if "--width" in args:
        i = args.index("--width")
        width = int(args[i + 1])
        del args[i:i + 2]
    if not 1 <= len(args) <= 2:
        sys.exit(__doc__)
    main(args[0], args[1] if len(args) == 2 else args[0].removesuffix(".h5"), width)
