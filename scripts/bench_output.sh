#!/usr/bin/env bash
# Where a network over MPI ranks should write its spikes: gathered to rank 0, which writes (what
# ebsim does), or parallel HDF5, every rank writing its part with collective I/O. Builds
# tests/bench/phdf5_bench.cpp against Debian's parallel HDF5 (libhdf5-openmpi-dev, installed with
# apt when missing; the project itself keeps linking the serial HDF5, which CMake still finds) and
# runs it on 1 and 2 ranks, batches of 50,000 and 500,000 spikes per rank, alternating the two ways
# within each run. Prints times and spikes per second; exits 1 if the two files differ.
#   bash scripts/bench_output.sh [SPIKES_PER_RANK]     (default 2,000,000; about 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
spikes="${1:-2000000}"
[[ "$spikes" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/bench_output.sh [SPIKES_PER_RANK]" >&2; exit 2; }
bash scripts/install-deps.sh
if ! pkg-config --exists hdf5-openmpi; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhdf5-openmpi-dev >/dev/null
fi
mkdir -p build/bench-phdf5
mpicxx -std=c++20 -O2 -Wall -Wextra tests/bench/phdf5_bench.cpp $(pkg-config --cflags --libs hdf5-openmpi) \
  -o build/bench-phdf5/phdf5_bench
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
echo "ebsim output benchmark: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(df -h "$work" | awk 'NR == 2 { print $1 }') for $work, $(date -u +%Y-%m-%dT%H:%MZ)"
for batch in 50000 500000; do
  for ranks in 1 2; do
    mpirun --allow-run-as-root --oversubscribe -np "$ranks" build/bench-phdf5/phdf5_bench "$work" "$spikes" "$batch"
  done
done
