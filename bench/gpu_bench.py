#!/usr/bin/env python3
"""The GPU reference for bench/run_gpu_bench.sh: training steps per second of
lsweep's worker loop written in PyTorch Python on one GPU, as a per-model loop
and as packs of K models trained together with torch.func.vmap (stacked
weights, per-model minibatches and learning rates), the way users would
batch small models today. One JSON line per configuration.

Run with a python3 that has PyTorch with CUDA (on a GPU machine, not Debian's).
"""
import argparse
import copy
import json
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from train_bench import make_mlp  # bench/train_bench.py: the same network


def timed(step, warmup, steps):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def loop_rate(args, x_train, y_train, width, batch):
    """One model: the worker's loop (reads every loss, as it checks divergence)."""
    dev = x_train.device
    model = make_mlp(args.input_dim, width, args.depth, args.classes).to(dev)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    n = x_train.shape[0]
    state = {"order": None, "pos": n}

    def step():
        if state["pos"] + batch > n:
            state["order"], state["pos"] = torch.randperm(n).to(dev), 0
        idx = state["order"][state["pos"]:state["pos"] + batch]
        state["pos"] += batch
        x, y = x_train.index_select(0, idx), y_train.index_select(0, idx)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return args.steps / timed(step, args.warmup, args.steps)


def vmap_rate(args, x_train, y_train, width, batch, k):
    """K models as one: torch.func.vmap over stacked parameters; model-steps/s."""
    dev = x_train.device
    models = [make_mlp(args.input_dim, width, args.depth, args.classes).to(dev) for _ in range(k)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    momentum = {name: torch.zeros_like(p) for name, p in params.items()}
    lrs = torch.linspace(0.005, 0.02, k, device=dev)  # every model its own learning rate
    n = x_train.shape[0]
    state = {"order": None, "pos": n}

    def forward(p, b, x):
        return functional_call(base, (p, b), (x,))

    batched = vmap(forward)

    def step():
        if state["pos"] + batch > n:  # every model its own permutation
            state["order"], state["pos"] = torch.argsort(torch.rand(k, n, device=dev), dim=1), 0
        idx = state["order"][:, state["pos"]:state["pos"] + batch]
        state["pos"] += batch
        x, y = x_train[idx], y_train[idx]  # [K, B, d], [K, B]
        out = batched(params, buffers, x)
        losses = F.cross_entropy(out.reshape(k * batch, -1), y.reshape(-1), reduction="none").view(k, batch).mean(1)
        losses.sum().backward()
        with torch.no_grad():
            for name, p in params.items():
                buf = momentum[name].mul_(0.9).add_(p.grad)
                p.sub_(lrs.view(-1, *([1] * (p.dim() - 1))) * buf)
                p.grad = None
        return losses.detach().cpu()  # every model's loss, as a worker checks each

    return k * args.steps / timed(step, args.warmup, args.steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--widths", default="64,256,1024")
    parser.add_argument("--batches", default="32,128")
    parser.add_argument("--packs", default="8,64,256")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=4096)
    parser.add_argument("--input-dim", type=int, default=784)
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("error: this PyTorch sees no CUDA device")

    torch.manual_seed(0)
    dev = torch.device("cuda", 0)
    x_train = torch.randn(args.train_size, args.input_dim, device=dev)
    y_train = torch.randint(0, args.classes, (args.train_size,), device=dev)
    for width in map(int, args.widths.split(",")):
        for batch in map(int, args.batches.split(",")):
            runs = [("pytorch-loop", 1, lambda: loop_rate(args, x_train, y_train, width, batch))]
            runs += [("pytorch-vmap", k, lambda k=k: vmap_rate(args, x_train, y_train, width, batch, k))
                     for k in map(int, args.packs.split(","))]
            for impl, k, run in runs:
                line = {"impl": impl, "width": width, "batch": batch, "k": k}
                try:
                    line["model_steps_per_second"] = round(run(), 1)
                except Exception as e:  # one failed configuration must not hide the others
                    line["error"] = str(e).splitlines()[0]
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
