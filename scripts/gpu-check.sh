#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU and PyTorch 2.x with CUDA but
# none of lsweep's Debian packages and no network, unpacks the .deb files that
# scripts/gpu-debs.sh downloaded (Open MPI, parallel HDF5, Boost, toml++,
# CLI11, GoogleTest, ...) into a private folder, configures lsweep against the
# wheel's LibTorch, builds it, runs the test suite, a small GPU sweep and the
# GPU benchmark. Nothing outside PREFIX, BUILD and OUT is written, except a
# link /usr/share/datasets/fashion-mnist when DEBS/data is there and that
# folder is not (root only).
#
# Usage: scripts/gpu-check.sh [DEBS=.debs] [OUT=$OUT or ./gpu-check-out]
# Environment: LSWEEP_GPU_STAGES (default "build sweep test bench": any
# subset, run in that order; "configure" alone only configures), LSWEEP_GPU_PREFIX (default /tmp/lsweep-gpu),
# LSWEEP_GPU_BUILD (default build-gpu), LSWEEP_GPU_TARGETS (build only
# these), LSWEEP_GPU_TESTS (ctest -R regex), LSWEEP_GPU_TEST_SECONDS (default 300),
# LSWEEP_GPU_CMAKE_ARGS (more -D options, last), LSWEEP_GPU_EXEC (a command run
# after the build, below), PYTHON (default python3:
# the one with PyTorch). Logs go to OUT; the summary
# is printed and written to OUT/summary.txt. Exit status: 0 when every stage
# asked for passed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
debs=$(realpath "${1:-$root/.debs}")
out=${2:-${OUT:-$root/gpu-check-out}}
stages=${LSWEEP_GPU_STAGES:-build sweep test bench}
prefix=${LSWEEP_GPU_PREFIX:-/tmp/lsweep-gpu}
build=${LSWEEP_GPU_BUILD:-$root/build-gpu}
python=${PYTHON:-python3}
jobs=$(nproc)
mkdir -p "$out"
summary=$out/summary.txt
: > "$summary"
failed=0

say() { echo "gpu-check $(date +%T): $*" | tee -a "$summary"; }
want() { [[ " $stages " == *" $1 "* ]]; }
die() {
  say "error: $*"
  exit 1
}

[ -d "$debs/core" ] || die "no $debs/core: run scripts/gpu-debs.sh on a Debian 12 machine and carry its folder here"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader |
  sed 's/^/gpu: /' | tee -a "$summary"
# The signals a launcher started us with blocked or ignored (one GPU machine:
# SIGCHLD blocked). The drain tests unblock SIGUSR1 and SIGTERM for mpirun.
grep -E '^(SigBlk|SigIgn)' /proc/$$/status | sed 's/^/signals of this shell: /' | tee -a "$summary"
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') ||
  die "$python has no PyTorch; set PYTHON to the interpreter that has it"
say "torch $("$python" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())')"

# 1. Unpack. core and data always; support only for the sonames this machine lacks.
unpack() {  # DEB DIR: dpkg-deb when there is one, else ar + tar
  if command -v dpkg-deb > /dev/null; then
    dpkg-deb -x "$1" "$2"
  else
    (cd "$2" && ar p "$1" "$(ar t "$1" | grep '^data.tar')" | tar -x --auto-compress -f - 2> /dev/null ||
      ar p "$1" data.tar.xz | tar -xJf -)
  fi
}
rm -rf "$prefix"
mkdir -p "$prefix/bin" "$prefix/lib"
for group in core support data; do
  [ -d "$debs/$group" ] || continue
  mkdir -p "$prefix/$group"
  for deb in "$debs/$group"/*.deb; do unpack "$deb" "$prefix/$group" || die "cannot unpack $deb"; done
done
usr=$prefix/core/usr
arch=$usr/lib/x86_64-linux-gnu
known=$(ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u)
missing=0
while IFS= read -r lib; do
  name=$(basename "$lib")
  grep -qxF "$name" <<< "$known" && continue
  ln -sf "$(realpath "$lib")" "$prefix/lib/$name"
  missing=$((missing + 1))
done < <(find "$prefix/support" \( -type f -o -type l \) -regex '.*/lib[^/]*\.so\.[0-9]+')
say "unpacked $(ls "$debs"/*/*.deb | wc -l) .deb files into $prefix; $missing support libraries used (this machine lacks them)"

# Debian's alternatives are not set up by unpacking: make the usual names.
for tool in mpiexec mpirun mpicc mpicxx mpic++; do
  [ -e "$usr/bin/$tool.openmpi" ] && ln -sf "$usr/bin/$tool.openmpi" "$prefix/bin/$tool"
done
# h5pcc is a script with /usr written into it; the libraries it adds for
# static linking (-lcurl, -lcrypto, -lsz: dev links this machine lacks) are
# DT_NEEDED entries of the shared libhdf5 anyway.
sed -e "s#^prefix=\"/usr\"#prefix=\"$usr\"#" -e 's#^H5BLD_LIBS=.*#H5BLD_LIBS="-ldl -lm"#' -e 's#^STATIC_AVAILABLE=.*#STATIC_AVAILABLE="no"#' \
  "$usr/bin/h5pcc.openmpi" > "$prefix/bin/h5pcc" && chmod +x "$prefix/bin/h5pcc"
# zlib1g-dev's libz.so points at zlib1g's file, which stays this machine's own.
system_libz=$(ldconfig -p | awk '$1 == "libz.so.1" { print $NF; exit }')
[ -n "$system_libz" ] && ln -sf "$system_libz" "$arch/libz.so"
if [ -d "$prefix/data/usr/share/datasets/fashion-mnist" ] && [ ! -e /usr/share/datasets/fashion-mnist ] &&
  [ "$(id -u)" -eq 0 ]; then
  mkdir -p /usr/share/datasets && ln -s "$prefix/data/usr/share/datasets/fashion-mnist" /usr/share/datasets/fashion-mnist
fi

export PATH=$prefix/bin:$usr/bin:$PATH
export LD_LIBRARY_PATH=$prefix/lib:$arch:$arch/openmpi/lib:$arch/hdf5/openmpi:$arch/pmix2/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OPAL_PREFIX=$usr                      # Open MPI finds its components and help files under it
export PMIX_PREFIX=$arch/pmix2 PMIX_PKGLIBDIR=$arch/pmix2/lib/pmix PMIX_PKGDATADIR=$arch/pmix2/share/pmix  # PMIx its own
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_mca_base_component_show_load_errors=0
export LSWEEP_PYTHON=$(command -v "$python")  # the tests' h5py and numpy
mpiexec --version | head -1 | tee -a "$summary"
mpiexec -n 2 true || die "mpiexec from the unpacked Open MPI does not start processes"

# 2. Configure and build against the wheel's LibTorch, without the precompiled
# header (LSWEEP_PCH): 16 cores build in about 70 s, and it has not been tried
# with the wheel's headers yet (LSWEEP_GPU_CMAKE_ARGS=-DLSWEEP_PCH=ON tries it).
if want build || want configure; then
  say "configuring $build (LibTorch at $torch_prefix)"
  generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$usr" -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu \
    -DMPI_C_COMPILER="$prefix/bin/mpicc" -DMPI_CXX_COMPILER="$prefix/bin/mpicxx" \
    -DMPIEXEC_EXECUTABLE="$prefix/bin/mpiexec" -DHDF5_C_COMPILER_EXECUTABLE="$prefix/bin/h5pcc" \
    -DLSWEEP_H5DUMP="$usr/bin/h5dump" -DLSWEEP_WITH_CUDA=ON -DLSWEEP_PCH=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=native -DTORCH_CUDA_ARCH_LIST=9.0 ${LSWEEP_GPU_CMAKE_ARGS:-} > "$out/configure.log" 2>&1 ||
    die "configure failed: $(tail -20 "$out/configure.log")"
  grep -E "lsweep [0-9]|CUDA" "$out/configure.log" | tail -3 | tee -a "$summary"
fi
if want build; then
  start=$SECONDS
  targets=()
  for t in ${LSWEEP_GPU_TARGETS:-}; do targets+=(--target "$t"); done
  if cmake --build "$build" -j "$jobs" "${targets[@]}" -- -k 0 > "$out/build.log" 2>&1; then
    say "build: ok in $((SECONDS - start)) s"
  else
    say "build: FAILED in $((SECONDS - start)) s; first errors:"
    grep -E "error|Error" "$out/build.log" | head -30 | tee -a "$summary"
    exit 1
  fi
fi

# LSWEEP_GPU_EXEC: one more command (a diagnosis), run from the repository root
# after the build with this script's environment; OUT, PYTHON and
# LSWEEP_GPU_BUILD are exported for it.
if [ -n "${LSWEEP_GPU_EXEC:-}" ]; then
  start=$SECONDS
  (cd "$root" && OUT=$out PYTHON=$python LSWEEP_GPU_BUILD=$build bash -c "$LSWEEP_GPU_EXEC") > "$out/exec.log" 2>&1
  say "exec: exit $? in $((SECONDS - start)) s (log: exec.log)"
fi

# 3. A small GPU sweep: 2 workers sharing GPU 0; one point cannot fit in GPU memory.
if want sweep; then
  rm -f "$build/gpu-sweep.h5"
  start=$SECONDS
  mpiexec --oversubscribe -n 3 "$build/src/lsweep" run "$root/jobs/gpu-smoke.toml" --store "$build/gpu-sweep.h5" \
    > "$out/sweep.log" 2>&1
  rc=$?
  say "sweep: exit $rc in $((SECONDS - start)) s"
  grep -E "point [0-9]+ |failed|graph" "$out/sweep.log" | head -20 | tee -a "$summary"
  "$build/src/lsweep" report "$build/gpu-sweep.h5" --csv > "$out/sweep.csv" 2>> "$out/sweep.log"
  [ $rc -eq 0 ] || failed=1
  # Every probe on the GPU, against the same float64 sweep on the CPU. Training
  # agrees to 1e-8 (H200); Lanczos' least converged estimates (lambda_min, the
  # spectral density) amplify rounding to about 1e-4.
  for device in cuda cpu; do
    rm -f "$build/gpu-probes-$device.h5"
    sed "s/^device = \"cuda\"/device = \"$device\"/" "$root/jobs/gpu-probes.toml" > "$build/gpu-probes-$device.toml"
    start=$SECONDS
    mpiexec --oversubscribe -n 3 "$build/src/lsweep" --log-level warn run "$build/gpu-probes-$device.toml" \
      --store "$build/gpu-probes-$device.h5" > "$out/probes-$device.log" 2>&1
    rc=$?
    say "probes sweep on $device: exit $rc in $((SECONDS - start)) s"
    [ $rc -eq 0 ] || failed=1
  done
  "$build/src/lsweep" report "$build/gpu-probes-cuda.h5" > "$out/probes-cuda.txt" 2>&1
  "$python" "$root/tests/e2e/compare_stores.py" --rtol 1e-3 --ignore-key device \
    "$build/gpu-probes-cuda.h5" "$build/gpu-probes-cpu.h5" 2>&1 | tee -a "$summary"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  # Both against an independent NumPy reference of full-batch training (its
  # data rebuilt by this python's torch), from each store's own initial
  # parameters: on an H100 (2026-11-27) to 7e-16, except the edge-of-stability
  # point (6e-8 on the GPU, 2e-8 on the CPU; docs/gpu.md).
  for device in cuda cpu; do
    "$python" "$root/tests/e2e/numpy_reference.py" "$build/gpu-probes-$device.h5" 2>&1 | sed "s/^/$device: /" |
      tee -a "$summary"
    [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  done
fi

# 4. The test suite (LSWEEP_GPU_TEST_SECONDS caps it; the SLURM test needs a SLURM
# install and skips itself).
if want test; then
  start=$SECONDS
  select=()
  [ -n "${LSWEEP_GPU_TESTS:-}" ] && select=(-R "$LSWEEP_GPU_TESTS")
  (cd "$build" && timeout "${LSWEEP_GPU_TEST_SECONDS:-300}" ctest "${select[@]}" --parallel "$jobs" --timeout 300 \
    --output-on-failure > "$out/ctest.log" 2>&1)
  rc=$?
  say "tests: exit $rc in $((SECONDS - start)) s"
  grep -E "tests passed|tests failed|Failed|\*\*\*|Not Run|Skipped" "$out/ctest.log" | tee -a "$summary"
  [ $rc -eq 0 ] || failed=1
fi

# 5. The benchmark, last (WIDTHS, BATCHES, PACKS narrow it: bench/run_gpu_bench.sh): lsweep's loop (eager, CUDA graphs) and PyTorch Python (loop, vmap packs).
if want bench; then
  start=$SECONDS
  PYTHON=$python "$root/bench/run_gpu_bench.sh" "$build" > "$out/bench.txt" 2> "$out/bench.err"
  rc=$?
  say "bench: exit $rc in $((SECONDS - start)) s"
  cat "$out/bench.txt" | tee -a "$summary"
  [ $rc -eq 0 ] || failed=1
fi
say "done: $([ $failed -eq 0 ] && echo all stages passed || echo some stage FAILED)"
exit $failed
