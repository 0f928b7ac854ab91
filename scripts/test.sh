#!/usr/bin/env bash
# README command 2 (and CI's): set up, build with AddressSanitizer + UBSan, run the whole test
# suite: the C++ doctest suite through ctest, then the Python (pytest) suite against that build,
# then 60 s of fuzzing the config loader (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBSIM_SANITIZE=ON -DEBSIM_BUILD_TESTS=ON -DEBSIM_MPI=ON >/dev/null
cmake --build build/asan -j2
ctest --test-dir build/asan --output-on-failure -j2
# Debian's python3 (with its h5py, numpy, neo), not whatever python3 comes first on PATH.
EBSIM_BIN="$PWD/build/asan/ebsim" /usr/bin/python3 -m pytest -q -p no:cacheprovider analysis/tests
bash scripts/fuzz.sh 60
