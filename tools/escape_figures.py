#!/usr/bin/python3
"""Figures from the escape probe of a lsweep store ([probes.escape]):

  PREFIX-batch_over_lr.png   the mean escape time tau (log scale) against B / lr, SGD and GD + white noise
                             side by side, one colour per minimum (width, seed), with each point's
                             confidence interval and the least-squares line of ln tau per minimum;
                             points where no replica escaped are drawn at their lower bound (open
                             triangles) and left out of the fits
  PREFIX-sharpness.png       tau against 1 / lambda_max of the minimum, both dynamics, coloured by B / lr
  PREFIX-slopes.png          each minimum's slope d ln tau / d(B / lr) (with its standard error) against
                             its 1 / lambda_max, both dynamics: Xie et al.'s SGD slope grows with the
                             flatness 1 / lambda_max, white noise's does not

and on stdout the same fits as `lsweep report STORE --escape` (recomputed here from the store, so the
figure and the table agree), then one line per point.

Usage: /usr/bin/python3 tools/escape_figures.py STORE [PREFIX]   (PREFIX defaults to STORE without .h5)
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

E = "probes/escape/"
DONE = 2
DYNAMICS = (("sgd", "SGD"), ("white", "GD + white noise (same tr C)"))


def read(store):
    with h5py.File(store, "r") as f:
        if f.attrs.get("format", b"") != b"lsweep-store":
            sys.exit(f"escape_figures.py: '{store}' is not a lsweep store")
        if E + "sgd_tau" not in f:
            sys.exit(f"escape_figures.py: '{store}' has no escape probe (its job has no [probes.escape])")
        d = {k: f["grid/" + k][()].astype(float) for k in ("lr", "batch", "width", "seed")}
        d["done"] = f["points/status"][()].astype(int) == DONE
        for k in ("lambda_max", "minimum_loss"):
            d[k] = f[E + k][()]
        for dyn, _ in DYNAMICS:
            for k in ("tau", "tau_lower", "tau_upper", "escapes"):
                d[f"{dyn}_{k}"] = f[E + f"{dyn}_{k}"][()]
        d["title"] = f.attrs["job_name"].decode()
    d["x"] = d["batch"] / d["lr"]
    return d


def fit(x, tau):
    """ln tau = intercept + slope x by least squares over finite tau: slope, its error, intercept, its
    error, R^2, points (NaN below 3 points, as the report's least_squares)."""
    use = np.isfinite(tau) & np.isfinite(x)
    x, y = x[use], np.log(tau[use])
    n = len(y)
    if n < 3 or np.ptp(x) == 0:
        return dict(slope=np.nan, slope_err=np.nan, intercept=np.nan, intercept_err=np.nan, r2=np.nan, points=n)
    a = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    s2 = resid @ resid / (n - 2)
    err = np.sqrt(np.diag(s2 * np.linalg.inv(a.T @ a)))
    total = ((y - y.mean()) ** 2).sum()
    return dict(slope=coef[1], slope_err=err[1], intercept=coef[0], intercept_err=err[0],
                r2=1 - (resid @ resid) / total if total > 0 else np.nan, points=n)


def minima(d):
    seen = []
    for w, s in zip(d["width"], d["seed"]):
        if (w, s) not in seen:
            seen.append((w, s))
    return seen


def table(d):
    print("dynamics,predictor,minimum,lambda_max,points,censored_points,slope,slope_err,intercept,intercept_err,r2")
    for dyn, _ in DYNAMICS:
        tau = d[f"{dyn}_tau"]
        groups = [("batch_over_lr", "all", d["done"]), ("inverse_lambda_max", "all", d["done"])]
        groups += [("batch_over_lr", f"width {w:g} seed {s:g}", d["done"] & (d["width"] == w) & (d["seed"] == s))
                   for w, s in minima(d)]
        for predictor, name, mask in groups:
            x = d["x"] if predictor == "batch_over_lr" else 1.0 / d["lambda_max"]
            f = fit(x[mask], tau[mask])
            lam = "" if name == "all" else f"{d['lambda_max'][mask][0]:.6g}"
            censored = int(np.isinf(tau[mask]).sum())
            print(f"{dyn},{predictor},{name},{lam},{f['points']},{censored},{f['slope']:.6g},{f['slope_err']:.6g},"
                  f"{f['intercept']:.6g},{f['intercept_err']:.6g},{f['r2']:.6g}")
    print()
    print("lr,batch,width,seed,batch_over_lr,lambda_max,minimum_loss,sgd_tau,sgd_escapes,white_tau,white_escapes")
    for i in np.flatnonzero(d["done"]):
        print(f"{d['lr'][i]:g},{d['batch'][i]:g},{d['width'][i]:g},{d['seed'][i]:g},{d['x'][i]:g},"
              f"{d['lambda_max'][i]:.6g},{d['minimum_loss'][i]:.6g},{d['sgd_tau'][i]:.6g},"
              f"{d['sgd_escapes'][i]:g},{d['white_tau'][i]:.6g},{d['white_escapes'][i]:g}")


def plot_batch_over_lr(d, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (dyn, label) in zip(axes, DYNAMICS):
        for k, (w, s) in enumerate(minima(d)):
            m = d["done"] & (d["width"] == w) & (d["seed"] == s)
            c = colours[k % len(colours)]
            x, tau = d["x"][m], d[f"{dyn}_tau"][m]
            lo, hi = d[f"{dyn}_tau_lower"][m], d[f"{dyn}_tau_upper"][m]
            ok = np.isfinite(tau)
            lam = d["lambda_max"][m][0]
            ax.errorbar(x[ok], tau[ok], yerr=[tau[ok] - lo[ok], hi[ok] - tau[ok]], fmt="o", color=c, ms=4,
                        capsize=2, label=f"width {w:g}, seed {s:g} (lambda_max {lam:.3g})")
            ax.plot(x[~ok], lo[~ok], "^", mfc="none", color=c, ms=6)
            f = fit(x, tau)
            if np.isfinite(f["slope"]):
                xs = np.linspace(x[ok].min(), x[ok].max(), 50)
                ax.plot(xs, np.exp(f["intercept"] + f["slope"] * xs), "--", color=c, lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("B / lr")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean escape time tau (steps)")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{d['title']}: escape time against B / lr (open triangles: no escape, lower bound)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_sharpness(d, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    x = 1.0 / d["lambda_max"]
    cmap = plt.get_cmap("viridis")
    norm = matplotlib.colors.Normalize(d["x"].min(), d["x"].max())
    for ax, (dyn, label) in zip(axes, DYNAMICS):
        tau, lo = d[f"{dyn}_tau"], d[f"{dyn}_tau_lower"]
        ok = d["done"] & np.isfinite(tau)
        cens = d["done"] & np.isinf(tau)
        sc = ax.scatter(x[ok], tau[ok], c=d["x"][ok], cmap=cmap, norm=norm, s=22)
        ax.scatter(x[cens], lo[cens], marker="^", s=30, facecolors="none", edgecolors=cmap(norm(d["x"][cens])))
        ax.set_yscale("log")
        ax.set_xlabel("1 / lambda_max of the minimum")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    fig.colorbar(sc, ax=axes, label="B / lr")
    axes[0].set_ylabel("mean escape time tau (steps)")
    fig.suptitle(f"{d['title']}: escape time against the minimum's flatness (open triangles: no escape, lower bound)")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_slopes(d, path):
    fig, ax = plt.subplots(figsize=(6, 4.4))
    for (dyn, label), marker in zip(DYNAMICS, ("o", "s")):
        pts = []
        for w, s in minima(d):
            m = d["done"] & (d["width"] == w) & (d["seed"] == s)
            f = fit(d["x"][m], d[f"{dyn}_tau"][m])
            pts.append((1.0 / d["lambda_max"][m][0], f["slope"], f["slope_err"]))
        x, y, e = np.array(pts).T
        ax.errorbar(x, y, yerr=e, fmt=marker, capsize=3, label=label)
    ax.set_xlabel("1 / lambda_max of the minimum")
    ax.set_ylabel("slope of ln tau against B / lr")
    ax.set_title(f"{d['title']}: sensitivity to B / lr, per minimum")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(store, prefix):
    d = read(store)
    table(d)
    plot_batch_over_lr(d, prefix + "-batch_over_lr.png")
    plot_sharpness(d, prefix + "-sharpness.png")
    plot_slopes(d, prefix + "-slopes.png")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else sys.argv[1].removesuffix(".h5"))
