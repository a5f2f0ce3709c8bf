#!/usr/bin/python3
"""The PyTorch Python side of bench/curvature_bench.cpp's first line: one
gradient and one Hessian-vector product as PyHessian computes them for a
single batch (the gradient's graph built once, each product one
torch.autograd.grad through it), on the same network shape (Fashion-MNIST
sizes of jobs/edge-of-stability.toml: 1000 samples, 32 inputs, depth 2,
width 64, 10 outputs, MSE on one-hot labels), best of 5, single thread.
Usage: /usr/bin/python3 bench/curvature_bench.py"""
import json
import time

import torch


def best(f, reps=5):
    out = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t)
    return out


def measure(dtype):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10)).to(dtype)
    x = torch.randn(1000, 32, dtype=dtype)
    y = torch.nn.functional.one_hot(torch.randint(0, 10, (1000,)), 10).to(dtype)
    params = list(model.parameters())

    def loss():
        return 0.5 * ((model(x) - y) ** 2).sum(1).mean()

    grad_s = best(lambda: torch.autograd.grad(loss(), params))
    grads = torch.autograd.grad(loss(), params, create_graph=True)  # PyHessian: gradsH, once
    v = [torch.randn_like(p) for p in params]
    hvp_s = best(lambda: torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True))
    return grad_s, hvp_s


if __name__ == "__main__":
    torch.set_num_threads(1)
    g32, h32 = measure(torch.float32)
    g64, h64 = measure(torch.float64)
    print(json.dumps({"bench": "hvp", "impl": "pytorch", "torch": torch.__version__, "grad32_s": round(g32, 6),
                      "hvp32_s": round(h32, 6), "ratio32": round(h32 / g32, 3), "grad64_s": round(g64, 6),
                      "hvp64_s": round(h64, 6), "ratio64": round(h64 / g64, 3)}))
