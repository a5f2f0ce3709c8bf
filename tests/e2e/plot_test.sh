#!/usr/bin/env bash
# `lsweep plot`: on a store with every probe, every figure tool's PNG files,
# valid images (read back with matplotlib), and their tables, each path
# printed; on a store without probes, the base figure only. A file that is not
# a store is refused (exit 3) and a bad --out (exit 2), with nothing written.
set -euo pipefail
lsweep=$1 here=$2 mpiexec=$3 jobs=$4
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^device = "cuda"/device = "cpu"/' "$jobs/gpu-probes.toml" > "$tmp/all.toml"
grep -q '^device = "cpu"' "$tmp/all.toml"
sed '/^\[probes.weights\]/,$d' "$here/reference_job.toml" > "$tmp/base.toml"
# The tanh model's noise_split probe (tanh_teacher data only): a short run of its job.
sed 's/^steps = .*/steps = 50/; s/^seed = \[0, 1, 2\]/seed = [0]/' "$jobs/tanh-regression.toml" > "$tmp/tanh.toml"
grep -q '^steps = 50' "$tmp/tanh.toml"
! grep -q probes "$tmp/base.toml"
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/all.toml" --store "$tmp/all.h5" > /dev/null
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/base.toml" --store "$tmp/base.h5" > /dev/null
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/tanh.toml" --store "$tmp/tanh.h5" > /dev/null

"$lsweep" plot "$tmp/all.h5" --out "$tmp/figs" > "$tmp/all.txt"
"$lsweep" plot "$tmp/base.h5" > "$tmp/base.txt"  # default: the store's folder
"$lsweep" plot "$tmp/tanh.h5" --out "$tmp/tanh_figs" > "$tmp/tanh.txt"
"$py" - "$tmp" <<'PY'
import os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as image
tmp = sys.argv[1]
want = {"all": ["sweep.png"] + [f"curvature-{n}.png" for n in ("density", "eos", "heatmap", "sharpness_vs_loss")]
        + [f"diffusion-{n}.png" for n in ("aging", "delta", "exponent")]
        + [f"jamming-{n}.png" for n in ("fitted", "ndelta", "phase", "test_error")]
        + [f"landscape-{n}.png" for n in ("line", "direction", "contours", "montage", "checkpoints")]
        + ["curvature.txt", "diffusion.txt", "jamming.txt", "landscape.txt"],
        "base": ["sweep.png"],
        "tanh": ["sweep.png"] + [f"noise_split-{n}.png" for n in ("fits", "share", "terms")] + ["noise_split.txt"]}
folder = {"all": os.path.join(tmp, "figs"), "base": tmp, "tanh": os.path.join(tmp, "tanh_figs")}
for store, names in want.items():
    printed = open(os.path.join(tmp, f"{store}.txt")).read().split()
    expected = sorted(os.path.join(folder[store], f"{store}-{n}") for n in names)
    if sorted(printed) != expected:
        sys.exit(f"plot_test: {store}: printed {sorted(printed)}, want {expected}")
    on_disk = sorted(os.path.join(folder[store], n) for n in os.listdir(folder[store]) if n.startswith(f"{store}-"))
    if on_disk != expected:
        sys.exit(f"plot_test: {store}: wrote {on_disk}, want {expected}")
    for path in expected:
        if path.endswith(".png"):
            pixels = image.imread(path)
            if pixels.ndim != 3 or pixels.shape[0] < 100 or pixels.shape[1] < 100:
                sys.exit(f"plot_test: {path}: not a figure ({pixels.shape})")
        elif os.path.getsize(path) == 0:
            sys.exit(f"plot_test: {path}: empty table")
print(f"plot_test: {len(want['all'])} files for the store with every probe, 1 for the base store, "
      f"{len(want['tanh'])} for the tanh store, every PNG read back")
PY
rc=0; "$lsweep" plot "$here/reference_job.toml" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q 'not a lsweep store' "$tmp/err" || { echo "FAILED: a job file as the store: exit $rc"; cat "$tmp/err"; exit 1; }
rc=0; "$lsweep" plot "$tmp/base.h5" --out "$tmp/missing/figs" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "folder '$tmp/missing' does not exist" "$tmp/err" && [ ! -e "$tmp/missing" ] ||
  { echo "FAILED: --out in a missing folder: exit $rc"; cat "$tmp/err"; exit 1; }
echo "plot_test.sh: all checks passed"
