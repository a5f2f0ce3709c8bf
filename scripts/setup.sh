#!/usr/bin/env bash
# Installs, from Debian 12 packages only, everything lsweep's build, tests,
# benchmark and quickstart need. Does nothing (and needs no network) when all
# of it is already installed. Uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake git pkg-config
  libtorch-dev python3-torch
  libopenblas0-pthread libopenblas-pthread-dev
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libboost-serialization-dev libtomlplusplus-dev libcli11-dev zlib1g-dev
  libgtest-dev libgmock-dev
  dataset-fashion-mnist
  python3-h5py python3-numpy python3-matplotlib python3-xarray
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# LibTorch must get OpenBLAS through libblas.so.3: the reference BLAS makes
# training about 18x slower.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *)
    echo "setup: libblas.so.3 is $blas; switching it to OpenBLAS"
    $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu \
      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
    ;;
esac
echo "setup: all ${#packages[@]} packages present; BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
