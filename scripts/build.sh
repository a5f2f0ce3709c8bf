#!/usr/bin/env bash
# Configures (once) and builds lsweep in build/. Incremental: quick when
# nothing changed. Extra arguments are make targets (default: everything).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LSWEEP_BUILD_DIR:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" --parallel "$(nproc)" ${1:+--target "$@"}
