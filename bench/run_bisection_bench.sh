#!/usr/bin/env bash
# grid.bisect against a fixed width list: the points each needs to bracket N*
# between adjacent widths, on the same job. The listed sweep is the bisected
# job with every integer width from its first to its last and no bisect line.
# Both run at the same rank count on the same machine, one after the other.
# Usage: bench/run_bisection_bench.sh [LSWEEP=./build/lsweep] [JOB=jobs/jamming-adam.toml] [RANKS=3]
set -euo pipefail
lsweep=${1:-./build/lsweep}
job=${2:-jobs/jamming-adam.toml}
ranks=${3:-3}
py=${LSWEEP_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The listed job: width = [lo, lo + 1, ..., hi], no bisect.
"$py" - "$job" "$tmp/listed.toml" <<'PY'
import re
import sys
import tomllib

src, dst = sys.argv[1:]
text = open(src).read()
grid = tomllib.loads(text)["grid"]
lo, hi = min(grid["width"]), max(grid["width"])
text = re.sub(r"(?m)^width = .*$", "width = [" + ", ".join(str(w) for w in range(lo, hi + 1)) + "]", text)
text = re.sub(r"(?m)^bisect = .*\n", "", text)
text = re.sub(r'(?m)^name = "(.*)"', r'name = "\1-listed"', text)
open(dst, "w").write(text)
PY
run() {  # job store -> seconds
  local start=$SECONDS
  mpiexec --oversubscribe -n "$ranks" "$lsweep" --log-level warn run "$1" --store "$2" > /dev/null
  echo $((SECONDS - start))
}
t_bis=$(run "$job" "$tmp/bisected.h5")
t_list=$(run "$tmp/listed.toml" "$tmp/listed.h5")
"$lsweep" report --transitions --csv "$tmp/bisected.h5" > "$tmp/bisected.csv"
"$lsweep" report --transitions --csv "$tmp/listed.h5" > "$tmp/listed.csv"
"$py" - "$tmp" "$t_bis" "$t_list" <<'PY'
import csv
import sys

import h5py
import numpy as np

tmp, t_bis, t_list = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
for name, seconds in (("bisected", t_bis), ("listed", t_list)):
    with h5py.File(f"{tmp}/{name}.h5", "r") as f:
        status = f["points/status"][()]
        trained = int(np.sum((status != 0) & (status != 6)))
        widths = sorted(set(f["grid/width"][()][(status != 0) & (status != 6)]))
    for row in csv.DictReader(open(f"{tmp}/{name}.csv")):
        print(f"{name:8s} lr {row['lr']} batch {row['batch']}: {row['outcome']}, N* between widths "
              f"{row['width_low']} and {row['width_high']} (N {row['n_star_low']} to {row['n_star_high']}); "
              f"{trained} points trained at widths {[int(w) for w in widths]} in {seconds:.0f} s")
PY
