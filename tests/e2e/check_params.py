"""The weights probe's stored parameters rebuild the trained networks: for
every done point of a float64 store, the final (and initial) parameter
vectors, loaded with h5py into a PyTorch model of the same shape (Debian's
python3-torch), reproduce the stored training loss to 1e-12 relative. This is
the recipe docs/store.md gives users.
Usage: /usr/bin/python3 check_params.py STORE [FASHION_MNIST_FOLDER]"""
import gzip
import sys

import h5py
import numpy as np
import torch

store = sys.argv[1]
folder = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"


def images(path, count):
    with gzip.open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(data.reshape(-1, 784)[:count].astype(np.float64) / 255.0)


def labels(path, count):
    with gzip.open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(data[:count].astype(np.int64))


def model(width, depth, d_in=784, d_out=10):
    layers, fan_in = [], d_in
    for _ in range(depth):
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, d_out))
    return torch.nn.Sequential(*layers).double()


def load(net, flat):
    """Copies a flat vector into the parameters, in parameters() order."""
    at = 0
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(flat[at:at + p.numel()]).view_as(p))
            at += p.numel()
    assert at == len(flat), (at, len(flat))


failures, checked = [], 0
with h5py.File(store, "r") as f:
    import tomllib
    job = tomllib.loads(f.attrs["job_toml"].decode() if isinstance(f.attrs["job_toml"], bytes) else f.attrs["job_toml"])
    assert job["train"]["dtype"] == "float64" and job["train"]["loss"] == "cross_entropy"
    p_train = job["data"]["train_size"]
    depth = job.get("model", {}).get("depth", 2)
    x = images(f"{folder}/train-images-idx3-ubyte.gz", p_train)
    y = labels(f"{folder}/train-labels-idx1-ubyte.gz", p_train)
    names = {v: k for k, v in h5py.check_enum_dtype(f["points/status"].dtype).items()}
    w = f["probes/weights"]
    for i, s in enumerate(f["points/status"][()]):
        if names[int(s)] != "done":
            continue
        offset, count = int(w["param_offset"][i]), int(w["param_count"][i])
        net = model(int(f["grid/width"][i]), depth)
        for name, want in (("final_params", f["results/final_train_loss"][i]),
                           ("initial_params", f["series/train_loss"][i, 0])):
            load(net, w[name][offset:offset + count])
            with torch.no_grad():
                got = torch.nn.functional.cross_entropy(net(x), y).item()
            if abs(got - want) > 1e-12 * abs(want):
                failures.append(f"point {i} {name}: PyTorch loss {got!r}, stored {want!r}")
        checked += 1

if failures or checked == 0:
    print("check_params.py: FAILED:\n  " + "\n  ".join(failures or ["no done point"]))
    sys.exit(1)
print(f"check_params.py: {checked} points rebuilt from their stored parameters, losses equal to 1e-12")
