#!/usr/bin/python3
"""The diffusion probe's work in PyTorch Python: the same training loop as
lsweep's worker (SGD with momentum, per-epoch permutation, whole-training-set
evaluation at the job's checkpoints), without (off) or with (memory) the
probe's measurements: float32 snapshots of the flattened parameters at the
waiting times, and at every reached tw + t the float64 Delta and fourth
moment against each snapshot (numpy), then the log-log fits. Mirror of
bench/diffusion_bench.cpp; Debian's /usr/bin/python3.
Usage: diffusion_bench.py JOB off|memory; prints one JSON line."""
import json
import resource
import sys
import time
import tomllib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, __import__("os").path.dirname(__file__))
from probe_bench import checkpoints, fashion, sgd_steps  # noqa: E402


def distinct_log(lo, hi, n):
    return sorted({int(v) for v in np.clip(np.round(np.geomspace(lo, hi, n)), lo, hi)})


def run(job, x, y, probe):
    g, t, d = job["grid"], job["train"], job["probes"]["diffusion"]
    width, batch, lr, steps = g["width"][0], g["batch"][0], g["lr"][0], t["steps"]
    tws = distinct_log(d.get("tw_min", 10), d.get("tw_max", steps // 2), d.get("waiting_times", 20))
    lags = distinct_log(1, steps, d.get("lags", 30))
    origins = [0] + tws
    events = {}
    for o, origin in enumerate(origins):
        for j, lag in enumerate(lags):
            if origin + lag <= steps:
                events.setdefault(origin + lag, []).append((o, j))
    wanted = set(origins) | set(events)
    torch.manual_seed(0)
    layers, fan_in = [], 784
    for _ in range(job.get("model", {}).get("depth", 2)):
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
        fan_in = width
    model = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=t.get("momentum", 0.0))
    schedule = set(checkpoints(steps, t.get("checkpoints", 20)))
    delta = np.full((len(origins), len(lags)), np.nan)
    ratio = np.full_like(delta, np.nan)
    snaps = {}
    probe_s = 0.0

    def observe(s):
        nonlocal probe_s
        t0 = time.perf_counter()
        theta = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy().copy()
        wide = theta.astype(np.float64)
        for o, j in events.get(s, []):
            diff = wide - snaps[o].astype(np.float64)
            d2 = diff * diff
            delta[o, j] = d2.sum() / len(diff)
            ratio[o, j] = (d2 * d2).sum() / len(diff) / delta[o, j] ** 2
        if s in origins:
            snaps[origins.index(s)] = theta
        probe_s += time.perf_counter() - t0

    def evaluate():
        with torch.no_grad():
            out = model(x)
            _ = F.cross_entropy(out, y).item(), (out.argmax(1) == y).sum().item()

    start = time.perf_counter()
    evaluate()
    if probe:
        observe(0)

    def after_step(s):
        if probe and s in wanted:
            observe(s)
        if s in schedule:
            evaluate()

    sgd_steps(model, opt, x, y, batch, steps, after_step)
    if probe:
        t0 = time.perf_counter()
        row = delta[-1]
        ok = np.isfinite(row) & (row > 0)
        lx, ly = np.log(np.array(lags, float)[ok]), np.log(row[ok])
        k = int(np.floor(len(lx) / 3 + 1e-9))
        exponent = np.polyfit(lx[k:], ly[k:], 1)[0]
        probe_s += time.perf_counter() - t0
    else:
        exponent = float("nan")
    return time.perf_counter() - start, probe_s, len(tws), exponent


def main():
    torch.set_num_threads(1)
    job = tomllib.load(open(sys.argv[1], "rb"))
    mode = sys.argv[2]
    x, y = fashion(job["data"].get("path", "/usr/share/datasets/fashion-mnist"), job["data"]["train_size"])
    seconds, probe_s, tws, exponent = run(job, x, y, mode == "memory")
    w, depth = job["grid"]["width"][0], job.get("model", {}).get("depth", 2)
    params = 784 * w + w + (depth - 1) * (w * w + w) + 10 * w + 10
    print(json.dumps({"impl": "pytorch", "mode": mode, "params": params, "waiting_times": tws,
                      "run_s": round(seconds, 3), "probe_s": round(probe_s, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "exponent": round(float(exponent), 6)}))


if __name__ == "__main__":
    main()
