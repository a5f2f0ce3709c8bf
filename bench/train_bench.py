#!/usr/bin/python3
"""Training steps per second of the lsweep worker's loop written in PyTorch Python.

Mirror of bench/train_bench.cpp; run with Debian's /usr/bin/python3 (python3-torch).
Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn


def make_mlp(in_dim, width, depth, out_dim):
    layers, fan_in = [], in_dim
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, out_dim))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=4096)
    parser.add_argument("--input-dim", type=int, default=784)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--adam", type=int, default=0, help="1: Adam at lr 1e-3 instead of SGD with momentum 0.9")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x_train = torch.randn(args.train_size, args.input_dim)
    y_train = torch.randint(0, args.classes, (args.train_size,))
    model = make_mlp(args.input_dim, args.width, args.depth, args.classes)
    if args.adam:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    # Per-epoch permutation cut into full batches, last partial batch dropped (as BatchSampler).
    order, pos = None, args.train_size

    def step():
        nonlocal order, pos
        if pos + args.batch > args.train_size:
            order, pos = torch.randperm(args.train_size), 0
        idx = order[pos:pos + args.batch]
        pos += args.batch
        x, y = x_train.index_select(0, idx), y_train.index_select(0, idx)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()  # the worker reads every loss to detect divergence

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "pytorch", "width": args.width, "batch": args.batch,
                      "steps_per_second": round(args.steps / seconds, 3)}))


if __name__ == "__main__":
    main()
