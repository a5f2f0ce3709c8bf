#!/usr/bin/env bash
# Configures (once) and builds lsweep in build/. Incremental: quick when
# nothing changed. Extra arguments are make targets (default: everything).
# LSWEEP_CMAKE_ARGS: more -D options for the first configure.
# LSWEEP_BUILD_TYPE: default Release. Debug information (RelWithDebInfo) about
# doubles the time of each source that includes LibTorch's headers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LSWEEP_BUILD_DIR:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086  # word-split on purpose: several -D options
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${LSWEEP_BUILD_TYPE:-Release} ${LSWEEP_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" --parallel "$(nproc)" ${1:+--target "$@"}
