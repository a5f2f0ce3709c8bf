#!/usr/bin/python3
"""The weights probe's work in PyTorch Python: the same training loop as
lsweep's worker (SGD with momentum, per-epoch permutation, whole-training-set
evaluation at the job's checkpoints), with and without the probe's
measurements at each checkpoint (||theta||, ||theta - theta_0||^2, the whole
training set's gradient norm from a backward pass over it, the momentum
buffer's norm). Mirror of bench/probe_bench.cpp; Debian's /usr/bin/python3.
Usage: probe_bench.py JOB [REPS]; prints one JSON line."""
import gzip
import json
import math
import sys
import time
import tomllib

import numpy as np
import torch
import torch.nn.functional as F


def fashion(folder, count):
    with gzip.open(f"{folder}/train-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(16 + 784 * count), dtype=np.uint8, offset=16).reshape(count, 784)
    with gzip.open(f"{folder}/train-labels-idx1-ubyte.gz", "rb") as f:
        y = np.frombuffer(f.read(8 + count), dtype=np.uint8, offset=8)
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def checkpoints(steps, count):
    out = {0, steps}
    for i in range(count):
        t = i / (count - 1) if count > 1 else 0.0
        out.add(round(math.exp(t * math.log(steps))))
    return sorted(out)


def run(job, x, y, probe):
    g, t = job["grid"], job["train"]
    width, batch, lr = g["width"][0], g["batch"][0], g["lr"][0]
    depth = job.get("model", {}).get("depth", 2)
    torch.manual_seed(0)
    layers, fan_in = [], 784
    for _ in range(depth):
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
        fan_in = width
    model = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=t.get("momentum", 0.0))
    theta0 = torch.cat([p.detach().flatten().double() for p in model.parameters()])
    schedule = set(checkpoints(t["steps"], t.get("checkpoints", 20)))
    start = time.perf_counter()

    def checkpoint():
        with torch.enable_grad() if probe else torch.no_grad():
            out = model(x)
            loss = F.cross_entropy(out, y)
            _ = (out.argmax(1) == y).sum().item(), loss.item()
            if probe:
                params = list(model.parameters())
                grads = torch.autograd.grad(loss, params)
                theta = torch.cat([p.detach().flatten().double() for p in params])
                _ = theta.norm().item(), (theta - theta0).square().sum().item()
                _ = torch.cat([gr.flatten().double() for gr in grads]).norm().item()
                bufs = [opt.state[p]["momentum_buffer"] for p in params if "momentum_buffer" in opt.state[p]]
                _ = torch.cat([b.flatten().double() for b in bufs]).norm().item() if bufs else 0.0

    checkpoint()
    sgd_steps(model, opt, x, y, batch, t["steps"], lambda s: checkpoint() if s in schedule else None)
    return time.perf_counter() - start


def sgd_steps(model, opt, x, y, batch, steps, after_step):
    """lsweep's minibatch loop: a fresh permutation each epoch, a last partial
    batch dropped; after_step(s) after step s."""
    order, pos, n = None, len(x), len(x)
    for s in range(1, steps + 1):
        if pos + batch > n:
            order, pos = torch.randperm(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        opt.zero_grad()
        loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
        loss.backward()
        opt.step()
        loss.item()
        after_step(s)


def main():
    torch.set_num_threads(1)
    job = tomllib.load(open(sys.argv[1], "rb"))
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    x, y = fashion(job["data"].get("path", "/usr/share/datasets/fashion-mnist"), job["data"]["train_size"])
    off = min(run(job, x, y, False) for _ in range(reps))
    on = min(run(job, x, y, True) for _ in range(reps))
    print(json.dumps({"impl": "pytorch", "probes_off_s": round(off, 4), "probes_on_s": round(on, 4),
                      "cost": round((on - off) / off, 4)}))


if __name__ == "__main__":
    main()
