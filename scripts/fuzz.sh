#!/usr/bin/env bash
# Fuzzes the config loader and --set overrides for SECONDS seconds (default 60): builds
# ebsim_fuzz_config with clang (libFuzzer, ASan, UBSan) in build/fuzz, starts from configs/ and
# tests/fuzz/seeds, keeps what it learns in build/fuzz/corpus, and writes any crash, hang or
# sanitizer report to tests/fuzz/regressions/ (replayed by ctest from then on). Exits non-zero if
# it found one. Longer runs: `bash scripts/fuzz.sh 3600`. Further arguments go to libFuzzer (for
# example `-timeout=30` on a loaded machine, where a slow moment is not a hang: replay a "timeout"
# input with `build/fuzz/ebsim_fuzz_config FILE` to tell).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBSIM_FUZZ=ON \
  -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz -j2 --target ebsim_fuzz_config
mkdir -p build/fuzz/corpus tests/fuzz/regressions
# -timeout: an input that takes seconds to load is a hang; -rss_limit_mb: one that needs 2 GB leaks
# or grows without bound.
status=0
build/fuzz/ebsim_fuzz_config build/fuzz/corpus configs tests/fuzz/seeds \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -artifact_prefix=tests/fuzz/regressions/ -print_final_stats=1 "$@" >build/fuzz/last_run.log 2>&1 || status=$?
grep -E "^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|SUMMARY|Test unit written)" build/fuzz/last_run.log || true
if ((status != 0)); then
  echo "ebsim fuzz: the fuzzer found a problem (input kept in tests/fuzz/regressions/):" >&2
  tail -n 40 build/fuzz/last_run.log >&2
fi
exit "$status"
