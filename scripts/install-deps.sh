#!/usr/bin/env bash
# Installs what ebsim needs from Debian 12's packages (run as root). Does nothing when all is there.
set -euo pipefail
packages=(
  g++ cmake make git pkg-config clang-14 libclang-rt-14-dev
  libboost-dev libboost-program-options-dev libboost-iostreams-dev libboost-serialization-dev
  libyaml-cpp-dev libhdf5-dev zlib1g-dev doctest-dev
  libopenmpi-dev openmpi-bin  # sweeps over MPI ranks (-DEBSIM_MPI=ON; the test command builds and tests it)
  python3 python3-h5py python3-numpy python3-matplotlib python3-neo python3-pytest python3-sklearn
  python3-scipy  # Student t quantiles in analysis/tests (the sweep statistics re-derived)
  python3-bmtk  # a real SONATA reader for analysis/tests/test_sonata.py
  python3-yaml  # scripts/partition_balance.py rewrites a config's recording
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ebsim: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
