#!/usr/bin/env bash
# ebsim beside Brian2 (Debian's python3-brian, cpp_standalone) on one core, on
# configs/bench/random_10k.yaml's network: alternating runs, loop times, events per second, the
# median ratio, and the check that both simulate the same model (scripts/bench_vs_brian2.py says
# how). Installs python3-brian with apt when it is missing; Brian2 compiles its generated C++ with
# g++ on the first run (about 15 s).
#   bash scripts/bench_vs_brian2.sh [ROUNDS]      (default 3; about 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
bash scripts/install-deps.sh
if ! /usr/bin/python3 -c 'import brian2' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-brian >/dev/null
fi
cmake -S . -B build/bench-serial -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=OFF -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench-serial -j2 --target ebsim >/dev/null
# Brian2's code generation warns about its own in-place update (several synapses onto one target in
# a step: the order of those kicks is Brian2's, not ebsim's); the figures are on stdout.
/usr/bin/python3 -W ignore scripts/bench_vs_brian2.py --ebsim build/bench-serial/ebsim --rounds "$rounds"
