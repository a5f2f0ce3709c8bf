#!/usr/bin/python3
"""Figures from the jamming probe of a lsweep store ([probes.jamming]):

  PREFIX-fitted.png      the fraction of seeds that fitted (no Delta above the probe's tolerance), as
                         heatmaps over width x lr for each batch and over width x batch for each lr
  PREFIX-ndelta.png      N_Delta / N against N / P, one marker per point (dead networks hollow)
  PREFIX-test_error.png  the test error against N, one line per (lr, batch): the cusp at N* where
                         the data show one
  PREFIX-phase.png       the phase diagram: N* (from `lsweep report --transitions`) over (lr, batch)

and the N* table on stdout (the same as `lsweep report STORE --transitions --csv`, recomputed here
from the store so the figure and the table agree).

Usage: /usr/bin/python3 tools/jamming_figures.py STORE [PREFIX]   (PREFIX defaults to STORE without .h5)
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import sys
import tomllib

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

J = "probes/jamming/"
DONE = 2
TRAINED = (2, 4, 5)  # done, diverged, timed_out


def read(store):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"jamming_figures.py: '{store}' is not a lsweep store")
        if J + "fitted" not in f:
            sys.exit(f"jamming_figures.py: '{store}' has no jamming probe (its job has no [probes.jamming])")
        d = {k: f["grid/" + k][()] for k in ("lr", "batch", "width", "seed")}
        d["status"] = f["points/status"][()].astype(int)
        for k in ("weight_count", "fitted", "dead_network", "n_delta_over_n"):
            d[k] = f[J + k][()]
        d["test_error"] = 1.0 - f["results/test_accuracy"][()]
        d["P"] = tomllib.loads(f.attrs["job_toml"].decode())["data"]["train_size"]  # required by every job
        d["title"] = f.attrs["job_name"].decode()
    return d


def transitions(d):
    """N* per (lr, batch): the smallest width where at least half of the trained seeds fitted (as
    `lsweep report --transitions`: diverged and timed-out points did not fit; failed ones are left out)."""
    trained = np.isin(d["status"], TRAINED)
    fitted = np.where(d["status"] == DONE, d["fitted"], 0.0)
    out = []
    for lr in sorted(set(d["lr"][trained])):
        for b in sorted(set(d["batch"][trained & (d["lr"] == lr)])):
            line = trained & (d["lr"] == lr) & (d["batch"] == b)
            prev, row = None, None
            for w in sorted(set(d["width"][line])):
                cell = line & (d["width"] == w)
                frac = fitted[cell].mean()
                if frac >= 0.5:
                    row = (lr, b, d["weight_count"][cell][0], prev, w, frac)
                    break
                prev = w
            out.append(row if row else (lr, b, np.nan, prev, np.nan, np.nan))
    return out


def heatmaps(d, out):
    done = d["status"] == DONE
    lrs, batches, widths = sorted(set(d["lr"])), sorted(set(d["batch"])), sorted(set(d["width"][done]))
    panels = [("batch", b, "lr", lrs) for b in batches] + [("lr", lr, "batch", batches) for lr in lrs]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False, layout="constrained")
    for ax, (fixed, value, axis, values) in zip(axes[0], panels):
        grid = np.full((len(values), len(widths)), np.nan)
        for i, v in enumerate(values):
            for j, w in enumerate(widths):
                cell = done & (d[fixed] == value) & (d[axis] == v) & (d["width"] == w)
                if cell.any():
                    grid[i, j] = d["fitted"][cell].mean()
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(widths)), [str(w) for w in widths])
        ax.set_yticks(range(len(values)), [f"{v:g}" for v in values])
        ax.set(xlabel="width", ylabel=axis, title=f"{fixed} {value:g}")
    fig.colorbar(im, ax=axes, label="fraction of seeds fitted")
    fig.suptitle(f"{d['title']}: who fits")
    fig.savefig(out, dpi=110)
    plt.close(fig)


def ndelta(d, out):
    done = d["status"] == DONE
    fig, ax = plt.subplots(figsize=(5.5, 4))
    x = d["weight_count"] / d["P"]
    live, dead = done & (d["dead_network"] == 0), done & (d["dead_network"] == 1)
    ax.scatter(x[live], d["n_delta_over_n"][live], s=14, label="points")
    ax.scatter(x[dead], d["n_delta_over_n"][dead], s=14, facecolors="none", edgecolors="r", label="dead network")
    ax.set(xscale="log", xlabel="N / P", ylabel="N_Delta / N", title=f"{d['title']}: unsatisfied constraints")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def test_error(d, out):
    done = d["status"] == DONE
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for lr in sorted(set(d["lr"])):
        for b in sorted(set(d["batch"])):
            line = done & (d["lr"] == lr) & (d["batch"] == b)
            ws = sorted(set(d["weight_count"][line]))
            if ws:
                ax.plot(ws, [d["test_error"][line & (d["weight_count"] == w)].mean() for w in ws], marker=".",
                        label=f"lr {lr:g}, B {b}")
    for row in transitions(d):
        if np.isfinite(row[2]):
            ax.axvline(row[2], color="grey", lw=0.5, ls=":")
    ax.set(xscale="log", xlabel="N (weights)", ylabel="test error", title=f"{d['title']}: test error (N* dotted)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def phase(d, rows, out):
    lrs, batches = sorted(set(d["lr"])), sorted(set(d["batch"]))
    grid = np.full((len(batches), len(lrs)), np.nan)
    for lr, b, n_star, *_ in rows:
        grid[batches.index(b), lrs.index(lr)] = n_star
    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="plasma")
    for i in range(len(batches)):
        for j in range(len(lrs)):
            ax.text(j, i, "never" if np.isnan(grid[i, j]) else f"{grid[i, j]:.0f}", ha="center", va="center",
                    color="w", fontsize=8)
    ax.set_xticks(range(len(lrs)), [f"{v:g}" for v in lrs])
    ax.set_yticks(range(len(batches)), [str(v) for v in batches])
    ax.set(xlabel="learning rate", ylabel="batch", title=f"{d['title']}: N* (weights)")
    fig.colorbar(im, ax=ax, label="N*")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    store = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) == 3 else (store[:-3] if store.endswith(".h5") else store)
    d = read(store)
    if not (d["status"] == DONE).any():
        sys.exit(f"jamming_figures.py: '{store}' has no done point")
    rows = transitions(d)
    heatmaps(d, prefix + "-fitted.png")
    ndelta(d, prefix + "-ndelta.png")
    test_error(d, prefix + "-test_error.png")
    phase(d, rows, prefix + "-phase.png")
    print("lr,batch,n_star,width_low,width_high,fraction_high,p_over_n_star")
    for lr, b, n_star, low, high, frac in rows:
        print(f"{lr:g},{b},{n_star:g},{low},{high},{frac:g},{d['P'] / n_star:g}")
    print(f"wrote {prefix}-fitted.png, {prefix}-ndelta.png, {prefix}-test_error.png, {prefix}-phase.png",
          file=sys.stderr)


if __name__ == "__main__":
    main()
