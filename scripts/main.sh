#!/usr/bin/env bash
# README command 1: set up, build (Release) and run ebsim's main experiment, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j2
mkdir -p runs
build/release/ebsim run configs/backprop_equivalence.yaml -o runs/backprop_equivalence.h5 --force
# The independent numpy re-derivation of the errors, and the figures.
/usr/bin/python3 analysis/backprop_figures.py runs/backprop_equivalence.h5 -o runs/figures
