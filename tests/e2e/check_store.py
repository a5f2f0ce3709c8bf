"""Reads a finished e2e store with h5py (another tool than lsweep) and checks
its layout and rows. Usage: /usr/bin/python3 check_store.py JOB STORE RANKS"""
import math
import sys

import h5py
import numpy as np

job_path, store_path, ranks = sys.argv[1], sys.argv[2], int(sys.argv[3])
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def attr_of(obj, name):
    v = obj.attrs[name]
    return v.decode() if isinstance(v, bytes) else v


with h5py.File(store_path, "r") as f:
    attr = lambda name: attr_of(f, name)
    expect(attr("format") == "lsweep-store", "format attribute")
    expect(int(f.attrs["schema_version"]) == 2, "schema_version")
    expect(attr("job_toml") == open(job_path).read(), "job_toml is the job file verbatim")
    expect(int(f.attrs["num_ranks"]) == ranks, f"num_ranks {f.attrs['num_ranks']} != {ranks}")
    for name in ["lsweep_version", "git_commit", "libtorch_version", "mpi_version", "hdf5_version",
                 "hosts", "start_time", "end_time"]:
        expect(len(attr(name)) > 0, f"attribute {name} is empty")
    expect(attr("libtorch_version").startswith(("1.", "2.")), "libtorch_version")
    expect("Open MPI" in attr("mpi_version"), "mpi_version")
    expect(attr("start_time") <= attr("end_time"), "start_time <= end_time")

    n = 8
    lr, batch, width, seed = (f["grid/" + c][()] for c in ["lr", "batch", "width", "seed"])
    # Row-major over (lr, batch, width, seed), seed fastest; "full" = P = 64.
    expect(list(lr) == [0.05] * 4 + [1e4] * 4, f"grid/lr {lr}")
    expect(list(batch) == [8, 8, 64, 64] * 2, f"grid/batch {batch}")
    expect(list(width) == [8, 16] * 4, f"grid/width {width}")
    expect(list(seed) == [3] * 8, f"grid/seed {seed}")

    status_type = h5py.check_enum_dtype(f["points/status"].dtype)
    expect(status_type is not None, "points/status is an HDF5 enum")
    names = {v: k for k, v in status_type.items()}
    status = [names[int(s)] for s in f["points/status"][()]]
    expect(status == ["done"] * 4 + ["diverged"] * 4, f"status {status}")

    steps = f["results/steps"][()]
    expect(all(s == 200 for s in steps[:4]), f"done points took all 200 steps: {steps}")
    expect(all(1 <= s < 200 for s in steps[4:]), f"diverged points stopped early: {steps}")
    errors = [e.decode() for e in f["points/error"][()]]
    expect(all(e == "" for e in errors[:4]), "no error text on done points")
    expect(all("at step" in e for e in errors[4:]), f"diverged points say where: {errors}")

    train_loss = f["results/final_train_loss"][()]
    acc = f["results/train_accuracy"][()]
    expect(all(0 < x < 1 for x in train_loss[:4]), f"final train losses {train_loss}")
    expect(all(0 <= a <= 1 for a in acc[:4]), "train accuracies in [0, 1]")
    expect(np.all(f["results/wall_seconds"][()] > 0), "wall seconds > 0")

    # Every dataset says what it holds (units and meaning attributes).
    datasets = []
    f.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
    for name in datasets:
        expect("units" in f[name].attrs and len(attr_of(f[name], "meaning")) > 10, f"{name} has units and meaning")
    expect("points/checksum" in datasets, "row checksums")
    expect(all(c != 0 for c in f["points/checksum"][()]), "every finished row has a checksum")

    # The weights probe (store_params = true) at the 9 checkpoints.
    w = f["probes/weights"]
    for name in ["param_norm", "distance_sq", "grad_norm", "momentum_norm"]:
        expect(w[name].shape == (n, 9), f"probes/weights/{name} is [N, K]")
    expect(np.all(w["distance_sq"][:4, 0] == 0), "distance from initialisation is 0 at step 0")
    expect(np.all(w["momentum_norm"][:4, 0] == 0), "no momentum before the first step")
    expect(np.all(w["param_norm"][:4, :] > 0), "parameter norms")
    expect(np.array_equal(w["final_param_norm"][:4], w["param_norm"][:4, -1]), "final = last checkpoint (done)")
    count, offset = w["param_count"][()], w["param_offset"][()]
    in_dim = 6  # pca
    expect(list(count) == [(in_dim + 1) * wd + (wd + 1) * wd + (wd + 1) for wd in width], f"param_count {count}")
    expect(list(offset) == list(np.concatenate([[0], np.cumsum(count)[:-1]])), "param_offset")
    expect(w["final_params"].shape == (int(count.sum()),), "packed final_params")
    init0 = w["initial_params"][offset[0]:offset[0] + count[0]]
    expect(abs(np.sqrt(np.sum(init0 ** 2)) - w["param_norm"][0, 0]) < 1e-12 * w["param_norm"][0, 0],
           "||initial_params|| = param_norm at step 0")

    k = f["series/step"].shape[0]
    expect(f["series/step"][0] == 0 and f["series/step"][-1] == 200, "series/step spans 0..200")
    expect(f["series/train_loss"].shape == (n, k), "series/train_loss shape")
    series = f["series/train_loss"][()]
    expect(np.array_equal(series[:4, -1], train_loss[:4]), "last checkpoint = final train loss")
    expect(all(math.isnan(row[-1]) for row in series[4:]), "diverged rows: NaN after the divergence")

if failures:
    print("check_store.py: FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"check_store.py: {store_path} OK")
