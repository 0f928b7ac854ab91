#!/usr/bin/env bash
# README command 1: set up, build (Release) and run ebsim's main experiment, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j2
mkdir -p runs
build/release/ebsim run configs/relax.yaml -o runs/relax.h5 --force
