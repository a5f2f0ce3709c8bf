#!/usr/bin/python3
"""Figures from the diffusion probe of a lsweep store ([probes.diffusion]):

  PREFIX-delta.png     Delta(tw, tw + t) against t for every waiting time tw (log-log), one panel per
                       chosen point: aging shows as curves that shift with tw
  PREFIX-aging.png     Delta at a fixed lag against tw, and ||theta(tw)|| against tw (is the weight
                       norm stationary?), one line per chosen point
  PREFIX-exponent.png  the diffusion exponent (largest tw) over (lr, batch), one panel per width
                       (mean over seeds)

and a table on stdout: per point, lr, batch, width, seed, status, the diffusion exponent with its
error and waiting time, the exponent of the distance from initialisation with its error, the
intercepts, and ||theta|| at the first and last waiting time.

Usage: /usr/bin/python3 tools/diffusion_figures.py STORE [PREFIX] [--points 0,3,5] [--lag L]
  PREFIX defaults to STORE without .h5; --points picks the panels (default: up to 6 done points,
  spread over the grid); --lag is the lag of the aging figure (default: the largest lag every
  waiting time reached).
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import argparse
import sys
import tomllib

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

D = "probes/diffusion/"
STATUS_DONE = 2  # /points/status enum value of "done"


def read(store):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"diffusion_figures.py: '{store}' is not a lsweep store")
        if D + "delta" not in f:
            sys.exit(f"diffusion_figures.py: '{store}' has no diffusion probe (its job has no [probes.diffusion])")
        d = {k: f["grid/" + k][()] for k in ("lr", "batch", "width", "seed")}
        d["status"] = f["points/status"][()].astype(int)
        for k in ("waiting_time", "lag", "delta", "msd", "param_norm", "final_exponent", "final_exponent_err",
                  "final_intercept", "final_waiting_time", "msd_exponent", "msd_exponent_err", "msd_intercept"):
            d[k] = f[D + k][()]
        d["title"] = f.attrs["job_name"].decode()
        d["weight_decay"] = tomllib.loads(f.attrs["job_toml"].decode())["train"].get("weight_decay", 0.0)
    return d


def label(d, i):
    return f"#{i}: lr {d['lr'][i]:g}, B {d['batch'][i]}, w {d['width'][i]}, s {d['seed'][i]}"


def chosen(d, points):
    if points:
        return points
    done = [i for i in range(len(d["lr"])) if d["status"][i] == STATUS_DONE]
    if len(done) <= 6:
        return done
    return [done[int(round(k))] for k in np.linspace(0, len(done) - 1, 6)]


def delta_panels(d, points, out):
    cols = min(3, max(1, len(points)))
    rows = (len(points) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 1, 3.6 * rows), squeeze=False, layout="constrained")
    colors = plt.cm.viridis(np.linspace(0, 1, len(d["waiting_time"])))
    for ax, i in zip(axes.flat, points):
        for j, tw in enumerate(d["waiting_time"]):
            y = d["delta"][i, j]
            ok = np.isfinite(y) & (y > 0)
            ax.plot(d["lag"][ok], y[ok], color=colors[j], lw=1)
        y = d["msd"][i]
        ok = np.isfinite(y) & (y > 0)
        ax.plot(d["lag"][ok], y[ok], "k--", lw=1, label="from init")
        ax.set(xscale="log", yscale="log", xlabel="lag t (steps)", ylabel="Delta(tw, tw + t)")
        ax.set_title(label(d, i) + f"\nc = {d['final_exponent'][i]:.3f} +- {d['final_exponent_err'][i]:.3f}",
                     fontsize=8)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(points):]:
        ax.axis("off")
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=matplotlib.colors.LogNorm(d["waiting_time"][0],
                                                                             d["waiting_time"][-1]))
    fig.colorbar(sm, ax=axes, label="waiting time tw (steps)", shrink=0.8)
    fig.suptitle(f"{d['title']} (weight decay {d['weight_decay']:g}): two-time displacement")
    fig.savefig(out, dpi=110)
    plt.close(fig)


def aging(d, points, lag, out):
    tw, lags = d["waiting_time"], d["lag"]
    if lag is None:
        reachable = lags[lags + tw[-1] <= d["lag"][-1]]
        lag = int(reachable[-1])
    if lag not in lags:
        sys.exit(f"diffusion_figures.py: --lag {lag} is not one of the probe's lags {list(lags)}")
    k = int(np.where(lags == lag)[0][0])
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for i in points:
        a.plot(tw, d["delta"][i, :, k], marker=".", label=label(d, i))
        b.plot(tw, d["param_norm"][i], marker=".", label=label(d, i))
    a.set(xscale="log", yscale="log", xlabel="waiting time tw", ylabel=f"Delta(tw, tw + {lag})",
          title="aging: displacement at a fixed lag")
    b.set(xscale="log", xlabel="waiting time tw", ylabel="||theta(tw)||", title="weight norm")
    a.legend(fontsize=6)
    fig.suptitle(f"{d['title']} (weight decay {d['weight_decay']:g})")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def exponent_maps(d, out):
    widths = sorted(set(d["width"].tolist()))
    lrs, batches = sorted(set(d["lr"].tolist())), sorted(set(d["batch"].tolist()))
    fig, axes = plt.subplots(1, len(widths), figsize=(4.5 * len(widths), 3.8), squeeze=False)
    for ax, w in zip(axes[0], widths):
        grid = np.full((len(batches), len(lrs)), np.nan)
        for bi, bv in enumerate(batches):
            for li, lv in enumerate(lrs):
                sel = ((d["width"] == w) & (d["lr"] == lv) & (d["batch"] == bv) & (d["status"] == STATUS_DONE))
                vals = d["final_exponent"][sel]
                vals = vals[np.isfinite(vals)]
                if len(vals):
                    grid[bi, li] = vals.mean()
        im = ax.imshow(grid, origin="lower", cmap="magma", aspect="auto")
        for bi in range(len(batches)):
            for li in range(len(lrs)):
                if np.isfinite(grid[bi, li]):
                    ax.text(li, bi, f"{grid[bi, li]:.2f}", ha="center", va="center", color="cyan", fontsize=8)
        ax.set_xticks(range(len(lrs)), [f"{v:g}" for v in lrs])
        ax.set_yticks(range(len(batches)), [str(v) for v in batches])
        ax.set(xlabel="learning rate", ylabel="batch", title=f"width {w}")
        fig.colorbar(im, ax=ax, label="diffusion exponent c")
    fig.suptitle(f"{d['title']} (weight decay {d['weight_decay']:g}): exponent at the largest tw")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def table(d):
    print("point,lr,batch,width,seed,status,diffusion_exponent,err,tw,intercept,msd_exponent,msd_err,"
          "msd_intercept,norm_first_tw,norm_last_tw")
    names = {0: "pending", 1: "running", 2: "done", 3: "failed", 4: "diverged", 5: "timed_out", 6: "unused"}
    for i in range(len(d["lr"])):
        print(f"{i},{d['lr'][i]:g},{d['batch'][i]},{d['width'][i]},{d['seed'][i]},{names.get(d['status'][i])},"
              f"{d['final_exponent'][i]:.4f},{d['final_exponent_err'][i]:.4f},{d['final_waiting_time'][i]:g},"
              f"{d['final_intercept'][i]:.3f},{d['msd_exponent'][i]:.4f},{d['msd_exponent_err'][i]:.4f},"
              f"{d['msd_intercept'][i]:.3f},{d['param_norm'][i][0]:.2f},{d['param_norm'][i][-1]:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store")
    p.add_argument("prefix", nargs="?")
    p.add_argument("--points", help="comma-separated point ids for the panels")
    p.add_argument("--lag", type=int, help="lag of the aging figure")
    a = p.parse_args()
    d = read(a.store)
    prefix = a.prefix or (a.store[:-3] if a.store.endswith(".h5") else a.store)
    n = len(d["lr"])
    points = []
    if a.points:
        try:
            points = [int(v) for v in a.points.split(",")]
        except ValueError:
            sys.exit(f"diffusion_figures.py: --points {a.points}: allowed: comma-separated point ids")
        bad = [v for v in points if not 0 <= v < n]
        if bad:
            sys.exit(f"diffusion_figures.py: --points {a.points}: {bad} not in 0..{n - 1}")
    points = chosen(d, points)
    if not points:
        sys.exit(f"diffusion_figures.py: '{a.store}' has no done point to plot")
    delta_panels(d, points, prefix + "-delta.png")
    aging(d, points, a.lag, prefix + "-aging.png")
    exponent_maps(d, prefix + "-exponent.png")
    table(d)
    print(f"wrote {prefix}-delta.png, {prefix}-aging.png, {prefix}-exponent.png", file=sys.stderr)


if __name__ == "__main__":
    main()
