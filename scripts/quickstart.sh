#!/usr/bin/env bash
# Installs what is needed, builds lsweep, runs jobs/quickstart.toml on this
# machine (one master + one worker per core) and writes a report.
# Each run writes a new store under out/; nothing is overwritten.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" lsweep
source "$root/scripts/mpi_env.sh"
lsweep=${LSWEEP_BUILD_DIR:-$root/build}/src/lsweep
mkdir -p "$root/out"
stamp=$(date -u +%Y%m%d-%H%M%S)
store=$root/out/quickstart-$stamp.h5
report=$root/out/quickstart-$stamp.txt
ranks=$(( $(nproc) + 1 ))
"$lsweep" validate "$root/jobs/quickstart.toml"
echo "quickstart: mpirun -np $ranks lsweep run jobs/quickstart.toml --store $store"
mpirun -np "$ranks" "$lsweep" run "$root/jobs/quickstart.toml" --store "$store"
"$lsweep" report "$store" > "$report"
"$lsweep" report --csv "$store" > "${report%.txt}.csv"
/usr/bin/python3 "$root/tools/plot_sweep.py" "$store" "${report%.txt}.png" > /dev/null
cat "$report"
echo
echo "quickstart: results  $store"
echo "quickstart: report   $report (CSV: ${report%.txt}.csv, figure: ${report%.txt}.png)"
