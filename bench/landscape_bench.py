"""The landscape probe's work in PyTorch Python, the way tomgoldstein/loss-landscape
does it: for every point of the line, the direction and the plane, set the
weights (a Python loop over the parameters) and evaluate the training and test
sets without gradients (loss and accuracy). Same network, data sizes, dtype
and thread count as the lsweep run it is compared with.
Usage: python3 landscape_bench.py --train P --test T --dim D --width W --depth L --classes C
         --evaluations E [--threads 1]
Prints JSON: seconds for the E evaluations (each of the training and the test set)."""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
for name in ("train", "test", "dim", "width", "depth", "classes", "evaluations"):
    p.add_argument("--" + name, type=int, required=True)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
layers, d = [], a.dim
for _ in range(a.depth):
    layers += [torch.nn.Linear(d, a.width), torch.nn.ReLU()]
    d = a.width
layers.append(torch.nn.Linear(d, a.classes))
net = torch.nn.Sequential(*layers)
binary = a.classes == 1  # lsweep's Gaussian data: labels +-1, one output, softplus(-y f)
labels = (lambda n: torch.randint(0, 2, (n,)).double().mul(2).sub(1).float()) if binary else \
    (lambda n: torch.randint(0, a.classes, (n,)))
x_train, y_train = torch.randn(a.train, a.dim), labels(a.train)
x_test, y_test = torch.randn(a.test, a.dim), labels(a.test)
trained = [q.detach().clone() for q in net.parameters()]
d1 = [torch.randn_like(q) for q in trained]
d2 = [torch.randn_like(q) for q in trained]


def evaluate(x, y):
    loss, correct = 0.0, 0
    for lo in range(0, x.shape[0], 8192):
        out, yc = net(x[lo:lo + 8192]), y[lo:lo + 8192]
        if binary:
            f = out[:, 0]
            loss += torch.nn.functional.softplus(-yc * f).mean().item() * out.shape[0]
            correct += (f * yc > 0).sum().item()
        else:
            loss += torch.nn.functional.cross_entropy(out, yc).item() * out.shape[0]
            correct += (out.argmax(1) == yc).sum().item()
    return loss / x.shape[0], correct / x.shape[0]


start = time.perf_counter()
with torch.no_grad():
    for k in range(a.evaluations):
        s, t = (k % 7) / 7.0, (k % 5) / 5.0
        for q, w, u, v in zip(net.parameters(), trained, d1, d2):
            q.copy_(w + s * u + t * v)
        evaluate(x_train, y_train)
        evaluate(x_test, y_test)
print(json.dumps({"impl": "pytorch-python", "evaluations": a.evaluations, "seconds": time.perf_counter() - start}))
