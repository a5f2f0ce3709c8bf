#!/usr/bin/env bash
# Downloads, on a Debian 12 machine with network (CI-like), the .deb files that
# scripts/gpu-check.sh unpacks on a GPU machine that has PyTorch 2.x with CUDA
# but none of our Debian packages and no network. Nothing is installed here.
#
# Usage: scripts/gpu-debs.sh [DIR=.debs]   (DIR is git-ignored by default)
#
# Two groups, kept apart because gpu-check.sh treats them differently:
#   DIR/core     Open MPI, parallel HDF5, Boost.Serialization, toml++, CLI11,
#                GoogleTest, zlib headers, h5dump: always used.
#   DIR/data     Fashion-MNIST (30 MB; the 64 MiB a device call carries
#                leaves room for it only just): optional.
#   DIR/support  shared libraries those link against (HDF5's curl and TLS
#                stack, the fabrics Open MPI can load): used only for the
#                sonames the GPU machine lacks, so its own newer ones win.
set -euo pipefail

dir=${1:-.debs}
core=(
  openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev
  libpmix2 libhwloc15 libevent-core-2.1-7 libevent-pthreads-2.1-7
  libhdf5-openmpi-103-1 libhdf5-openmpi-dev libhdf5-103-1 hdf5-tools libsz2 libaec0
  libboost1.74-dev libboost-serialization1.74.0 libboost-serialization1.74-dev libboost-serialization-dev
  libtomlplusplus3 libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev zlib1g-dev
)
data=(dataset-fashion-mnist)  # 30 MB: carry it only when the tests that read it must run
support=(
  libfabric1 libucx0 libibverbs1 librdmacm1 libpsm2-2 libpsm-infinipath1 libnl-3-200 libnl-route-3-200
  libnuma1 libltdl7 libmunge2 libudev1
  libcurl4 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libldap-2.5-0 libsasl2-2 libbrotli1
  libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1
  libidn2-0 libunistring2 libgnutls30 libhogweed6 libnettle8 libgmp10 libp11-kit0 libtasn1-6 libffi8
  libssl3 libzstd1
)

command -v apt-get > /dev/null || { echo "error: apt-get not found: run this on Debian 12" >&2; exit 1; }
. /etc/os-release
if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
  echo "error: this is ${PRETTY_NAME:-an unknown system}; the .deb set is for Debian 12 (bookworm)" >&2
  exit 1
fi

for group in core support data; do
  mkdir -p "$dir/$group"
  declare -n names=$group
  (cd "$dir/$group" && apt-get download -qq "${names[@]}")
done
du -sh "$dir/core" "$dir/support" "$dir/data" "$dir"
echo "gpu-debs: $(ls "$dir"/*/*.deb | wc -l) files in $dir; carry it to the GPU machine" \
  "and run scripts/gpu-check.sh $dir"
