#!/usr/bin/env bash
# Installs what is needed, builds everything and runs the whole test suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# The benchmarks (bench/) are not built here: no test runs them, and CI's
# build + tests must stay well under 30 minutes. scripts/build.sh on a fresh
# build folder includes them (or: cmake -DLSWEEP_BUILD_BENCH=ON build).
LSWEEP_CMAKE_ARGS=${LSWEEP_CMAKE_ARGS:--DLSWEEP_BUILD_BENCH=OFF} "$root/scripts/build.sh"
source "$root/scripts/mpi_env.sh"
cd "${LSWEEP_BUILD_DIR:-$root/build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
