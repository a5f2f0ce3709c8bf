"""The escape probe's work in PyTorch Python: full-batch GD to the minimum, the
Hessian's top eigenvalue (Lanczos-free: power-free dense eigvalsh, the small
problem's natural choice) and per-sample gradients, then R replicas of SGD and
R replicas of GD plus white noise, each for `budget` steps with a full-set loss
check every `check_every` steps (the bench job lets no replica escape, so the
step counts are fixed). Two ways a Python user writes the replicas:
  batched: every replica's weights stacked, torch.bmm (the probe's algorithm);
  loop:    one nn.Sequential per replica, a Python loop over them.
Same sizes, dtype (float64) and thread count as the lsweep run it is compared with.
Usage: python3 escape_bench.py --train P --dim D --width W --batch B --replicas R --descent N
         --budget T --check-every C [--mode batched|loop] [--threads 1]
Prints JSON: seconds of the whole experiment."""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
for name in ("train", "dim", "width", "batch", "replicas", "descent", "budget", "check-every"):
    p.add_argument("--" + name, type=int, required=True)
p.add_argument("--mode", choices=("batched", "loop"), default="batched")
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
x = torch.randn(a.train, a.dim)
y = torch.randint(0, 2, (a.train,)).double().mul(2).sub(1)
R, lr = a.replicas, 0.1


def mse(out, target):  # lsweep's mse: mean 1/2 (f - y)^2, per model on the last axes
    return 0.5 * (out.squeeze(-1) - target).square().mean(-1)


def forward(params, inputs):  # params stacked [K, ...]; inputs [K, B, d]
    w1, b1, w2, b2 = params
    h = torch.relu(torch.baddbmm(b1.unsqueeze(1), inputs, w1.transpose(1, 2)))
    return torch.baddbmm(b2.unsqueeze(1), h, w2.transpose(1, 2))


start = time.perf_counter()
net = torch.nn.Sequential(torch.nn.Linear(a.dim, a.width), torch.nn.ReLU(), torch.nn.Linear(a.width, 1))
for _ in range(a.descent):  # GD to the minimum
    net.zero_grad()
    mse(net(x), y).backward()
    with torch.no_grad():
        for q in net.parameters():
            q -= 0.5 * q.grad
theta = [q.detach().clone() for q in net.parameters()]
flat = torch.cat([t.flatten() for t in theta])
D = flat.numel()


def unflatten(v):
    out, at = [], 0
    for t in theta:
        out.append(v[at:at + t.numel()].view_as(t))
        at += t.numel()
    return out


def full_loss(v):
    w1, b1, w2, b2 = unflatten(v)
    return mse(torch.relu(x @ w1.T + b1) @ w2.T + b2, y)


hessian = torch.autograd.functional.hessian(full_loss, flat)
lambda_max = torch.linalg.eigvalsh(hessian)[-1].item()
per_sample = []
for i in range(a.train):
    net.zero_grad()
    mse(net(x[i:i + 1]), y[i:i + 1]).backward()
    per_sample.append(torch.cat([q.grad.flatten() for q in net.parameters()]))
g = torch.stack(per_sample)
trace = ((g - g.mean(0)).square().sum() / (a.train - 1) * (a.train - a.batch) / (a.train * a.batch)).item()
std = (trace / D) ** 0.5
checks = 0

if a.mode == "batched":
    for white in (False, True):
        params = [t.unsqueeze(0).repeat(R, *([1] * t.dim())).requires_grad_(True) for t in theta]
        orders = [torch.randperm(a.train) for _ in range(R)]
        for t in range(1, a.budget + 1):
            if white:
                losses = mse(forward(params, x.expand(R, -1, -1)), y.expand(R, -1))
            else:
                at = (t - 1) * a.batch % (a.train - a.train % a.batch)
                idx = torch.stack([o[at:at + a.batch] for o in orders])
                losses = mse(forward(params, x[idx]), y[idx])
            grads = torch.autograd.grad(losses.sum(), params)
            with torch.no_grad():
                for q, d in zip(params, grads):
                    q -= lr * (d + std * torch.randn_like(d) if white else d)
            if t % a.check_every == 0:
                with torch.no_grad():
                    checks += int((mse(forward(params, x.expand(R, -1, -1)), y.expand(R, -1)) > 1e9).sum())
else:
    for white in (False, True):
        nets = []
        for _ in range(R):
            n = torch.nn.Sequential(torch.nn.Linear(a.dim, a.width), torch.nn.ReLU(), torch.nn.Linear(a.width, 1))
            with torch.no_grad():
                for q, t in zip(n.parameters(), theta):
                    q.copy_(t)
            nets.append(n)
        orders = [torch.randperm(a.train) for _ in range(R)]
        for t in range(1, a.budget + 1):
            at = (t - 1) * a.batch % (a.train - a.train % a.batch)
            for n, o in zip(nets, orders):
                n.zero_grad()
                if white:
                    mse(n(x), y).backward()
                else:
                    idx = o[at:at + a.batch]
                    mse(n(x[idx]), y[idx]).backward()
                with torch.no_grad():
                    for q in n.parameters():
                        q -= lr * (q.grad + std * torch.randn_like(q) if white else q.grad)
            if t % a.check_every == 0:
                with torch.no_grad():
                    checks += sum(int(mse(n(x), y).item() > 1e9) for n in nets)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "lambda_max": lambda_max, "noise_trace": trace, "escapes": checks}))
