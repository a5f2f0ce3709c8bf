#!/usr/bin/python3
"""Figures from the curvature probe of a lsweep store ([probes.curvature]):

  PREFIX-sharpness_vs_loss.png  lambda_max against the training loss along every run
  PREFIX-eos.png                lambda_max * lr / (2 + 2 momentum) against the step, with the line at 1
  PREFIX-density.png            the spectral density (SLQ) at the end of training
  PREFIX-heatmap.png            final lambda_max over (lr, batch), one panel per width

and a table on stdout: per point, lr, batch, width, seed, the final lambda_max, 2 (1 + momentum) / lr and
the mean of eos_ratio over the last third of the checkpoints.

Usage: /usr/bin/python3 tools/curvature_figures.py STORE [PREFIX]   (PREFIX defaults to STORE without .h5)
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

C = "probes/curvature/"


def read(store):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"curvature_figures.py: '{store}' is not a lsweep store")
        if C + "lambda_max" not in f:
            sys.exit(f"curvature_figures.py: '{store}' has no curvature probe (its job has no [probes.curvature])")
        d = {k: f["grid/" + k][()] for k in ("lr", "batch", "width", "seed")}
        d["step"] = f["series/step"][()]
        d["loss"] = f["series/train_loss"][()]
        for k in ("lambda_max", "eos_ratio", "final_lambda_max"):
            d[k] = f[C + k][()]
        if C + "density" in f:
            d["density"] = f[C + "density"][()]
            d["density_lo"], d["density_hi"] = f[C + "density_lo"][()], f[C + "density_hi"][()]
        d["title"] = f.attrs["job_name"].decode()
    return d


def label(d, i):
    return f"lr {d['lr'][i]:g}, B {d['batch'][i]}, w {d['width'][i]}, s {d['seed'][i]}"


def last_third_mean(d):
    k = d["eos_ratio"].shape[1]
    return np.nanmean(d["eos_ratio"][:, k - k // 3:], axis=1)


def sharpness_vs_loss(d, out):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for i in range(len(d["lr"])):
        ax.plot(d["loss"][i], d["lambda_max"][i], marker=".", label=label(d, i))
    ax.set(xscale="log", yscale="log", xlabel="training loss", ylabel="lambda_max (Hessian)",
           title=f"{d['title']}: sharpness along training")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def eos(d, out):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    x = np.maximum(d["step"], 0.5)
    for i in range(len(d["lr"])):
        ax.plot(x, d["eos_ratio"][i], marker=".", label=label(d, i))
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.set(xscale="log", xlabel="step", ylabel="lambda_max lr / (2 + 2 momentum)",
           title=f"{d['title']}: edge of stability at 1")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def density(d, out):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    rho = d["density"]
    if rho.ndim == 3:  # every checkpoint: the last one
        rho, lo, hi = rho[:, -1], d["density_lo"][:, -1], d["density_hi"][:, -1]
    else:
        lo, hi = d["density_lo"], d["density_hi"]
    for i in range(len(d["lr"])):
        if np.isfinite(lo[i]):
            ax.plot(np.linspace(lo[i], hi[i], rho.shape[-1]), np.maximum(rho[i], 1e-12), label=label(d, i))
    ax.set(yscale="log", ylim=(1e-6, None), xlabel="eigenvalue", ylabel="density (SLQ)",
           title=f"{d['title']}: Hessian spectrum at the end")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def heatmap(d, out):
    widths = np.unique(d["width"])
    lrs, batches = np.unique(d["lr"]), np.unique(d["batch"])
    fig, axes = plt.subplots(1, len(widths), figsize=(4.5 * len(widths), 4), squeeze=False)
    for ax, w in zip(axes[0], widths):
        grid = np.full((len(batches), len(lrs)), np.nan)
        for b_i, b in enumerate(batches):
            for l_i, lr in enumerate(lrs):
                sel = (d["width"] == w) & (d["batch"] == b) & (d["lr"] == lr)
                if sel.any():
                    grid[b_i, l_i] = np.nanmean(d["final_lambda_max"][sel])  # mean over seeds
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(lrs)), [f"{x:g}" for x in lrs], rotation=45)
        ax.set_yticks(range(len(batches)), [str(b) for b in batches])
        ax.set(xlabel="lr", ylabel="batch", title=f"final lambda_max, width {w}")
        fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main(store, prefix):
    d = read(store)
    sharpness_vs_loss(d, prefix + "-sharpness_vs_loss.png")
    eos(d, prefix + "-eos.png")
    if "density" in d:
        density(d, prefix + "-density.png")
    heatmap(d, prefix + "-heatmap.png")
    print("point  lr        batch  width  seed  final_lambda_max  eos_ratio_last_third")
    means = last_third_mean(d)
    for i in range(len(d["lr"])):
        print(f"{i:5d}  {d['lr'][i]:<8g}  {d['batch'][i]:5d}  {d['width'][i]:5d}  {d['seed'][i]:4d}  "
              f"{d['final_lambda_max'][i]:16.6g}  {means[i]:20.4f}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else sys.argv[1].removesuffix(".h5"))
