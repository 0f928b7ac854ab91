#!/usr/bin/env bash
# Spiking learning throughput against an earlier revision, side by side: training examples per
# second of configs/learn_digits_spiking.yaml (one epoch of 300 examples, 20 test examples, one
# thread), with this checkout's ebsim (B) and REV's (A), alternating A B A B ..., every run pinned to
# the same core. Prints each run's examples/s, the medians, the median of the rounds' ratios B/A and
# their mean with a 95 % Student t interval, and whether both give the same accuracies and loss.
# Revisions from 2bf01f9 (2026-12-01) on give the same results to the last digit (each change since
# was checked bitwise with tests/tools/digest_configs.sh); earlier ones give other results, because
# 2bf01f9 made the changes of shared (symmetric) weights wait for the next interval boundary: another
# trajectory of the same model. Prints figures; asserts nothing (speed is measured here, never in a
# test).
#   bash scripts/bench_learning.sh [ROUNDS] [--against REV]
#     ROUNDS  alternating rounds (default 5)
#     REV     the revision to compare with (default 374ca60: the engine when the single-core issue's
#             learning figure, 42 examples/s, was first measured); built in a git worktree under
#             build/, about 7 minutes on 2 cores the first time
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 rev=374ca60
while (($#)); do
  case "$1" in
    --against) rev="${2:?--against needs a revision}"; shift ;;
    *[!0-9]* | '' | 0) echo "usage: bash scripts/bench_learning.sh [ROUNDS] [--against REV]" >&2; exit 2 ;;
    *) rounds="$1" ;;
  esac
  shift
done
bash scripts/install-deps.sh
git rev-parse --verify -q "$rev^{commit}" >/dev/null || { echo "bench_learning: no revision $rev in this clone" >&2; exit 2; }
short=$(git rev-parse --short "$rev")
# Both builds as a user of one machine makes them (scripts/main.sh's: no MPI, no tests).
cmake -S . -B build/bench-serial -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=OFF -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench-serial -j2 --target ebsim >/dev/null
tree="$PWD/build/bench-learning-$short"
if [[ ! -x "$tree/build/ebsim" ]]; then
  echo "building $short's ebsim in $tree ..."
  git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
  git worktree add --detach -f "$tree" "$rev" >/dev/null 2>&1
  cmake -S "$tree" -B "$tree/build" -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=OFF -DEBSIM_BUILD_TESTS=OFF >/dev/null
  cmake --build "$tree/build" -j2 --target ebsim >/dev/null
fi
a="$tree/build/ebsim" b="$PWD/build/bench-serial/ebsim"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
source scripts/bench_lib.sh  # median
# One core for every run (the last one): the two sides see the same caches and frequency.
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "$(($(nproc) - 1))"); fi

# One run: prints the epoch line's columns (accuracies, loss, ..., examples/s last).
epoch_line() {
  rm -f "$work/learn.h5"
  "${pin[@]}" "$1" run configs/learn_digits_spiking.yaml -o "$work/learn.h5" --jobs 1 --set experiment.epochs=1 \
    --set experiment.data.train_examples=300 --set experiment.data.test_examples=20 | awk '$1 == "1"'
}

echo "ebsim learning benchmark: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $rounds rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  A: $short ($(git log -1 --format=%cs "$rev")), B: this checkout ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- sim models || echo ', with uncommitted changes'))"
echo "  configs/learn_digits_spiking.yaml, 1 epoch of 300 examples, 20 test examples, --jobs 1${pin:+, pinned: ${pin[*]}}"
declare -a xa=() xb=() ratios=()
for ((r = 0; r < rounds; r++)); do
  la=$(epoch_line "$a") lb=$(epoch_line "$b")
  ea=$(awk '{ print $NF }' <<<"$la") eb=$(awk '{ print $NF }' <<<"$lb")
  # Everything before the examples/s column: accuracies, loss, mean-field readout, baseline (the
  # same in every round: one config, one seed).
  results_a=$(awk '{ NF -= 1; print }' <<<"$la") results_b=$(awk '{ NF -= 1; print }' <<<"$lb")
  xa+=("$ea") xb+=("$eb") ratios+=("$(awk -v a="$ea" -v b="$eb" 'BEGIN { printf "%.3f", b / a }')")
  printf '  round %d: A %6s  B %6s examples/s  (B/A %s)\n' "$((r + 1))" "$ea" "$eb" "${ratios[-1]}"
done
if [[ "$results_a" == "$results_b" ]]; then
  echo "  results: the same (epoch, train acc, test acc, test loss, mean-field test, backprop): $results_b"
else
  echo "  results differ: A $results_a; B $results_b"
fi
echo "  median examples/s: A $(median "${xa[@]}"), B $(median "${xb[@]}"); median ratio B/A $(median "${ratios[@]}") (rounds ${ratios[*]})"
# The rounds are paired timings: the interval is of this machine's run-to-run swings.
echo "  ratio B/A, mean and 95 % Student t interval over the rounds: $(mean_ci "${ratios[@]}")"
