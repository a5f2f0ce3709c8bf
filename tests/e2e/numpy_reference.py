"""An independent float64 NumPy reference of lsweep's full-batch training:
for every finished full-batch point of a store, trains the same network from
the point's stored initial parameters (probes.weights store_params = true) with
hand-written backpropagation, and compares the result with the stored final
parameters and losses.
Supported: data.kind "gaussian" (rebuilt with the same torch generator calls
as lsweep's dataset.cpp, so the python's torch must be the same version as
lsweep's LibTorch), no normalize or pca; loss "quadratic_hinge" or "mse";
optimizer "sgd" with momentum and weight decay, no lr_decay; dtype float64.
Usage: python3 numpy_reference.py [--rtol R] STORE
Exit 0 when every such point's final parameters agree to R (default 1e-6)
relative to the largest parameter (most points agree to 1e-15; one of
reference_job.toml's, lr 0.1 at width 8, trains at the edge of stability,
lr * lambda_max = 3.7 against momentum's bound 2 (1 + 0.9) = 3.8, and grows
rounding to 9e-11 with Debian's OpenBLAS, 2e-8 with the PyTorch wheel's CPU
build and 6e-8 on an H100); prints the data's fingerprint, so that two
machines' runs can be compared."""
import sys
import tomllib

import h5py
import numpy as np
import torch

argv = sys.argv[1:]
rtol = 1e-6
if "--rtol" in argv:
    i = argv.index("--rtol")
    rtol = float(argv[i + 1])
    del argv[i:i + 2]
if len(argv) != 1:
    sys.exit(__doc__)


def fail(message):
    sys.exit(f"numpy_reference.py: {message}")


store = h5py.File(argv[0], "r")
job_text = store.attrs["job_toml"]
job = tomllib.loads(job_text.decode() if isinstance(job_text, bytes) else str(job_text))
data, model, train = job.get("data", {}), job.get("model", {}), job.get("train", {})
if data.get("kind") != "gaussian" or data.get("normalize", False) or data.get("pca", 0):
    fail("only plain gaussian data (no normalize, no pca) is supported")
loss_kind = train.get("loss")
if loss_kind not in ("quadratic_hinge", "mse"):
    fail(f"train.loss = {loss_kind!r}: only 'quadratic_hinge' and 'mse' are supported")
if train.get("optimizer", "sgd") != "sgd" or "lr_decay" in train or train.get("dtype") != "float64":
    fail("only float64 SGD without lr_decay is supported")
if not job.get("probes", {}).get("weights", {}).get("store_params", False):
    fail("the store has no parameters: the job needs [probes.weights] store_params = true")
momentum, weight_decay = float(train.get("momentum", 0.0)), float(train.get("weight_decay", 0.0))
depth, dim = int(model.get("depth", 1)), int(data["dim"])

# The data, as lsweep's gaussian_dataset() draws it.
gen = torch.Generator().manual_seed(int(data.get("seed", 0)))
f64 = torch.float64
x_train = torch.randn((int(data["train_size"]), dim), generator=gen, dtype=f64)
y_train = torch.randint(0, 2, (int(data["train_size"]),), generator=gen, dtype=f64).mul_(2.0).sub_(1.0)
x_test = torch.randn((int(data["test_size"]), dim), generator=gen, dtype=f64)
y_test = torch.randint(0, 2, (int(data["test_size"]),), generator=gen, dtype=f64).mul_(2.0).sub_(1.0)
x_train, y_train, x_test, y_test = (t.numpy() for t in (x_train, y_train, x_test, y_test))
print(f"numpy_reference.py: torch {torch.__version__}; data fingerprint: sum(x_train) = {x_train.sum():.17g}, "
      f"sum(y_train) = {y_train.sum():g}")


def shapes(width):  # make_mlp: Linear(dim, width), ReLU, (Linear(width, width), ReLU) * (depth - 1), Linear(width, 1)
    dims = [dim] + [width] * depth + [1]
    return [s for i in range(depth + 1) for s in ((dims[i + 1], dims[i]), (dims[i + 1],))]


def unpack(flat, width):
    out, i = [], 0
    for s in shapes(width):
        n = int(np.prod(s))
        out.append(flat[i:i + n].reshape(s).copy())
        i += n
    if i != flat.size:
        fail(f"{flat.size} stored parameters, the model has {i}")
    return out


def loss_and_gradient(params, x, y):
    acts, pre = [x], []
    for k in range(depth):
        pre.append(acts[-1] @ params[2 * k].T + params[2 * k + 1])
        acts.append(np.maximum(pre[-1], 0.0))
    f = (acts[-1] @ params[-2].T + params[-1])[:, 0]
    n = x.shape[0]
    if loss_kind == "quadratic_hinge":
        margin = np.maximum(1.0 - y * f, 0.0)
        loss, df = 0.5 * np.mean(margin * margin), -y * margin / n
    else:
        loss, df = 0.5 * np.mean((f - y) ** 2), (f - y) / n
    grads = [None] * len(params)
    delta = df[:, None]
    for k in range(depth, -1, -1):
        grads[2 * k], grads[2 * k + 1] = delta.T @ acts[k], delta.sum(0)
        if k > 0:
            delta = (delta @ params[2 * k]) * (pre[k - 1] > 0)
    return loss, grads


grid = {name: store[f"grid/{name}"][()] for name in ("lr", "batch", "width")}
status = store["points/status"][()]
offset, count = store["probes/weights/param_offset"][()], store["probes/weights/param_count"][()]
steps_taken = store["results/steps"][()]
checked, worst = 0, 0.0
for point in range(status.size):
    if status[point] != 2 or int(grid["batch"][point]) != x_train.shape[0]:  # done, full batch
        continue
    width = int(grid["width"][point])
    flat = lambda which: store[f"probes/weights/{which}_params"][offset[point]:offset[point] + count[point]]
    params = unpack(flat("initial"), width)
    lr, buffers = float(grid["lr"][point]), None
    for _ in range(int(steps_taken[point])):
        _, grads = loss_and_gradient(params, x_train, y_train)
        d = [g + weight_decay * p for g, p in zip(grads, params)]
        buffers = ([di.copy() for di in d] if buffers is None else [momentum * b + di for b, di in zip(buffers, d)]) \
            if momentum != 0.0 else d
        params = [p - lr * b for p, b in zip(params, buffers)]
    ours = np.concatenate([p.ravel() for p in params])
    theirs = flat("final")
    difference = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    train_loss = loss_and_gradient(params, x_train, y_train)[0]
    stored = float(store["results/final_train_loss"][point])
    print(f"numpy_reference.py: point {point} (lr {lr:g}, width {width}, {int(steps_taken[point])} full-batch steps): "
          f"final train loss {train_loss:.12g}, lsweep {stored:.12g}; parameters differ by {difference:.2e}")
    worst = max(worst, difference)
    checked += 1
if checked == 0:
    fail("no finished full-batch point to check")
if worst > rtol:
    fail(f"FAILED: lsweep's final parameters differ from the reference by up to {worst:.2e} (allowed {rtol:g})")
print(f"numpy_reference.py: {checked} full-batch point(s) agree with the reference to {worst:.2e}")
