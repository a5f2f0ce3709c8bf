#!/usr/bin/python3
"""Every figure a store's probes support, in one command (`lsweep plot` runs it):

  STEM-sweep.png                     training-loss curves and final test accuracy (every store)
  STEM-curvature-*.png, .txt         with [probes.curvature]  (tools/curvature_figures.py)
  STEM-diffusion-*.png, .txt         with [probes.diffusion]  (tools/diffusion_figures.py)
  STEM-escape-*.png, .txt            with [probes.escape]     (tools/escape_figures.py)
  STEM-jamming-*.png, .txt           with [probes.jamming]    (tools/jamming_figures.py)
  STEM-landscape-*.png, .txt         with [probes.landscape]  (tools/landscape_figures.py)
  STEM-noise_split-*.png, .txt       with [probes.noise_split] (tools/noise_split_figures.py)

STEM is the store's file name without .h5; the .txt files are the tables the
figure tools print. The paths of the files written are printed, one per line.
A store without a probe just gets fewer figures.

Usage: /usr/bin/python3 tools/lsweep_plot.py STORE OUT_DIR
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import os
import subprocess
import sys
import time

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")  # a store a sweep is still writing

import h5py  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
# (probe group, figure tool): run with PREFIX = OUT_DIR/STEM-probe; its stdout table kept as PREFIX.txt.
PROBE_FIGURES = [("curvature", "curvature_figures.py"), ("diffusion", "diffusion_figures.py"),
                 ("escape", "escape_figures.py"),
                 ("jamming", "jamming_figures.py"), ("landscape", "landscape_figures.py"),
                 ("noise_split", "noise_split_figures.py")]


def main(store, out_dir):
    try:
        with h5py.File(store, "r") as f:
            if f.attrs.get("format", b"") != b"lsweep-store":
                sys.exit(f"lsweep_plot.py: '{store}' is not an lsweep store")
            probes = set(f["probes"].keys()) if "probes" in f else set()
    except OSError as e:
        sys.exit(f"lsweep_plot.py: '{store}' cannot be read as an HDF5 file: {e}")
    stem = os.path.join(out_dir, os.path.basename(store).removesuffix(".h5"))
    runs = [(f"{stem}-sweep.png", ["plot_sweep.py", store, f"{stem}-sweep.png"], None)]
    for probe, tool in PROBE_FIGURES:
        if probe in probes:
            runs.append((f"{stem}-{probe}", [tool, store, f"{stem}-{probe}"], f"{stem}-{probe}.txt"))
    written, failed = [], []
    for prefix, (tool, *args), table in runs:
        started = time.time() - 1  # file times may be rounded to the second
        done = subprocess.run([sys.executable, os.path.join(TOOLS, tool), *args], capture_output=True, text=True)
        if done.returncode != 0:
            failed.append(f"{tool}: exit {done.returncode}: {done.stderr.strip()[-2000:]}")
            continue
        paths = sorted(os.path.join(out_dir, n) for n in os.listdir(out_dir) if n.endswith(".png"))
        written += [p for p in paths if p.startswith(prefix) and os.path.getmtime(p) >= started]
        if table is not None:
            with open(table, "w") as out:
                out.write(done.stdout)
            written.append(table)
    for path in written:
        print(path)
    if failed:
        sys.exit("lsweep_plot.py: " + "\n".join(failed))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
