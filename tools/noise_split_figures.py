#!/usr/bin/python3
"""Figures from the noise_split probe of a lsweep store ([probes.noise_split], seed 004's tanh regression):

  PREFIX-terms.png  the traces of the intrinsic term (sigma^2 mean ||grad h||^2, solid) and of the
                    exploration term (mean Delta^2 ||grad h||^2, dashed) against the step, one panel per
                    (width, lr, batch), one colour per seed
  PREFIX-share.png  the intrinsic share, intrinsic / (intrinsic + exploration), against the step, same panels
  PREFIX-fits.png   the fitted functions h(x) at the end against the teacher (black), same panels; the
                    ticks at the bottom are the model's centres b_i (model.kind = "tanh")

and a table on stdout: per point, lr, batch, width, seed, status, the final training loss, the squared
distance from the teacher (teacher_mse), both terms and the share at the end, and the largest relative
residual of total = realised_intrinsic + exploration + cross over the checkpoints.

Usage: /usr/bin/python3 tools/noise_split_figures.py STORE [PREFIX]
  PREFIX defaults to STORE without .h5.
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import os
import sys
import tomllib

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import h5py  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

G = "probes/noise_split/"
SERIES = ("intrinsic", "exploration", "realised_intrinsic", "cross", "total", "intrinsic_share", "teacher_mse")


def read(store):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"noise_split_figures.py: '{store}' is not a lsweep store")
        if G + "intrinsic" not in f:
            sys.exit(f"noise_split_figures.py: '{store}' has no [probes.noise_split]")
        d = {k: f["grid/" + k][()] for k in ("lr", "batch", "width", "seed")}
        d["status"] = f["points/status"][()].astype(int)
        d["status_names"] = {v: k for k, v in h5py.check_enum_dtype(f["points/status"].dtype).items()}
        d["step"] = f["series/step"][()]
        d["final_train_loss"] = f["results/final_train_loss"][()]
        for k in SERIES + ("grid_x", "teacher", "fit"):
            d[k] = f[G + k][()]
        job = tomllib.loads(f.attrs["job_toml"].decode())
        d["title"] = f.attrs["job_name"].decode()
    d["sigma"] = job["data"].get("noise", 0.0)
    d["tanh"] = job.get("model", {}).get("kind", "mlp") == "tanh"
    d["projected"] = job.get("model", {}).get("variable_projection", False)
    d["x_range"] = (job["data"].get("x_min", -1.0), job["data"].get("x_max", 1.0))
    return d


def panels(d):
    """(width, lr, batch) of each panel, rows by width, and the points of each."""
    widths, runs = np.unique(d["width"]), sorted({(lr, b) for lr, b in zip(d["lr"].tolist(), d["batch"].tolist())})
    cells = [[(w, lr, b) for lr, b in runs] for w in widths]
    return cells, {c: np.flatnonzero((d["width"] == c[0]) & (d["lr"] == c[1]) & (d["batch"] == c[2]))
                   for row in cells for c in row}


def grid_figure(d, draw, ylabel, title, path, log_x=True):
    cells, members = panels(d)
    rows, cols = len(cells), len(cells[0])
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.7 * rows), squeeze=False, sharex=True)
    seeds = np.unique(d["seed"])
    colours = {s: plt.cm.tab10(k % 10) for k, s in enumerate(seeds)}
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            ax = axes[r][c]
            for i in members[cell]:
                draw(ax, i, colours[d["seed"][i]])
            w, lr, b = cell
            ax.set_title(f"width {w}, lr {lr:g}, B {b}", fontsize=8)
            ax.tick_params(labelsize=7)
            if log_x:
                ax.set_xscale("symlog", linthresh=1)
        axes[r][0].set_ylabel(ylabel, fontsize=8)
    handles = [plt.Line2D([], [], color=colours[s], label=f"seed {s}") for s in seeds]
    fig.legend(handles=handles, loc="upper right", fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def positive(y):
    return np.where(y > 0, y, np.nan)


def main(store, prefix):
    d = read(store)
    step = d["step"]

    print(f"{d['title']}: noise sigma = {d['sigma']:g}" + (", variable projection" if d["projected"] else ""))
    print("point  lr      batch  width  seed  status    train_loss  teacher_mse  intrinsic   exploration "
          "share   identity")
    for i in range(d["lr"].size):
        total = d["total"][i]
        parts = d["realised_intrinsic"][i] + d["exploration"][i] + d["cross"][i]
        with np.errstate(invalid="ignore", divide="ignore"):
            residual = np.nanmax(np.abs(total - parts) / total) if np.isfinite(total).any() else np.nan
        last = np.flatnonzero(np.isfinite(d["intrinsic"][i]))
        k = last[-1] if last.size else 0
        print(f"{i:<6} {d['lr'][i]:<7g} {d['batch'][i]:<6} {d['width'][i]:<6} {d['seed'][i]:<5} "
              f"{d['status_names'][d['status'][i]]:<9} {d['final_train_loss'][i]:<11.4g} "
              f"{d['teacher_mse'][i, k]:<12.4g} {d['intrinsic'][i, k]:<11.4g} {d['exploration'][i, k]:<11.4g} "
              f"{d['intrinsic_share'][i, k]:<7.3f} {residual:.1e}")

    def terms(ax, i, colour):
        ax.plot(step, positive(d["intrinsic"][i]), color=colour, lw=1.2)
        ax.plot(step, positive(d["exploration"][i]), color=colour, lw=1.2, ls="--")
        ax.set_yscale("log")

    grid_figure(d, terms, "trace", f"{d['title']}: intrinsic (solid) and exploration (dashed) noise terms",
                f"{prefix}-terms.png")

    def share(ax, i, colour):
        ax.plot(step, d["intrinsic_share"][i], color=colour, lw=1.2)
        ax.set_ylim(0, 1)

    grid_figure(d, share, "intrinsic share", f"{d['title']}: intrinsic / (intrinsic + exploration)",
                f"{prefix}-share.png")

    def fits(ax, i, colour):
        if not ax.lines:
            ax.plot(d["grid_x"], d["teacher"], color="black", lw=2.2, label="teacher")
            if d["tanh"]:
                lo, hi = d["x_range"]
                n = d["width"][i]
                centres = lo + (np.arange(n) + 0.5) * (hi - lo) / n
                ax.plot(centres, np.full(n, 0.0), "|", color="grey", ms=8, transform=ax.get_xaxis_transform())
        ax.plot(d["grid_x"], d["fit"][i], color=colour, lw=1.1)

    grid_figure(d, fits, "h(x)", f"{d['title']}: fitted functions at the end and the teacher (black)",
                f"{prefix}-fits.png", log_x=False)


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else sys.argv[1].removesuffix(".h5"))
