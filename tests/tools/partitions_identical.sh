#!/usr/bin/env bash
# One network split over MPI ranks and threads writes the same file as the serial engine in one
# process, every dataset and attribute compared (tests/tools/h5_digest.py), with `mpirun -np R ebsim
# run ... --threads T` for (R, T) = (1, 2), (1, 4), (2, 1), (3, 1), (4, 1), (2, 2), on:
# tests/tools/partitions/static.yaml (static random network, trials, the theory),
# partitions/plastic.yaml (symmetric plastic projections changing at interval boundaries, a directed
# plastic one mirrored to the other ranks, weight snapshots) and partitions/divided.yaml (a static
# network of which each rank holds only its own units' synapses, the weights gathered on rank 0 to
# be written; the summary says so). Then
# configs/learn_digits_spiking.yaml's training over 2 ranks, and the backprop experiment's branches
# over 2 and 3 ranks (continued on the other ranks from rank 0's free run). Then: more partitions
# than units is refused by every rank; SIGTERM to mpirun stops every rank at the same interval (and
# the backprop experiment's ranks at the same round) and keeps the partial file. Every case must end
# within its timeout: nothing hangs.
#   tests/tools/partitions_identical.sh build/mpi/ebsim
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "$1")"
py=/usr/bin/python3
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
# As root (CI) Open MPI needs --allow-run-as-root; 3 ranks on 2 cores need --oversubscribe.
mpirun=(mpirun --allow-run-as-root --oversubscribe)
status=0
fail() { echo "FAIL: $*"; status=1; }
source "$here/mpi_lib.sh"  # same_file, sigterm_keeps_partial

for cfg in static plastic divided; do
  "$bin" run "$here/partitions/$cfg.yaml" -o "$work/$cfg.h5" --quiet --jobs 1
  for layout in "1 2" "1 4" "2 1" "3 1" "4 1" "2 2"; do
    read -r ranks threads <<<"$layout"
    out="$work/$cfg-np$ranks-t$threads.h5"
    if ((ranks == 1)); then
      timeout 300 "$bin" run "$here/partitions/$cfg.yaml" -o "$out" --quiet --jobs 1 --threads "$threads"
    else
      timeout 300 "${mpirun[@]}" -np "$ranks" "$bin" run "$here/partitions/$cfg.yaml" -o "$out" --quiet --jobs 1 \
        --threads "$threads"
    fi
    same_file "$work/$cfg.h5" "$out" "$cfg: $ranks rank(s) x $threads thread(s)" "the serial engine"
  done
done
# divided.yaml's ranks held only their own units' synapses: the summary says so, per rank.
out=$(timeout 300 "${mpirun[@]}" -np 2 "$bin" run "$here/partitions/divided.yaml" -o "$work/divided-summary.h5" --jobs 1)
grep -q "synapses divided over 2 ranks" <<<"$out" || fail "divided: the summary does not say the synapses were divided"
grep -q "bytes per synapse per rank: " <<<"$out" || fail "divided: no bytes per synapse per rank"
echo "divided: $(grep "bytes per synapse per rank:" <<<"$out" | sed 's/^ *//')"

# The learning experiment's training network over 2 ranks (20 training examples, one epoch): the
# same weights, accuracies and losses (Debian's python3-sklearn ships the digits).
learn=(--set experiment.epochs=1 --set experiment.data.train_examples=20 --set experiment.data.test_examples=10)
"$bin" run "$here/../../configs/learn_digits_spiking.yaml" -o "$work/learn.h5" --quiet --jobs 1 "${learn[@]}"
timeout 300 "${mpirun[@]}" -np 2 "$bin" run "$here/../../configs/learn_digits_spiking.yaml" -o "$work/learn2.h5" \
  --quiet --jobs 1 "${learn[@]}"
same_file "$work/learn.h5" "$work/learn2.h5" "learning: 2 ranks" "the serial engine"

# The backprop experiment's branches, spiking and Langevin, over 2 and 3 ranks and 2 ranks x 2
# threads (rank 0 advances the free run and sends its state at each branch point; the others
# continue the branches): the same means, cosines and detectability figures; every rank computes
# the experiment's deterministic parts too.
bp=(--set experiment.spiking.branches=12 --set "experiment.spiking.r_max=[1 kHz, 4 kHz]"
  --set "experiment.spiking.langevin_sigma=[0.1]")
"$bin" run "$here/../../configs/backprop_equivalence.yaml" -o "$work/bp.h5" --quiet --jobs 1 "${bp[@]}"
for layout in "2 1" "3 1" "2 2"; do
  read -r ranks threads <<<"$layout"
  timeout 300 "${mpirun[@]}" -np "$ranks" "$bin" run "$here/../../configs/backprop_equivalence.yaml" \
    -o "$work/bp-np$ranks-t$threads.h5" --quiet --jobs 2 --threads "$threads" "${bp[@]}"
  same_file "$work/bp.h5" "$work/bp-np$ranks-t$threads.h5" "backprop: $ranks rank(s) x $threads thread(s)" \
    "the serial engine"
done

# More partitions than units (3 ranks x 25 threads > 68 units): every rank refuses, rank 0 says why.
code=0
timeout 60 "${mpirun[@]}" -np 3 "$bin" run "$here/partitions/static.yaml" -o "$work/many.h5" --quiet \
  --threads 25 2>"$work/many.err" || code=$?
if [[ $code == 0 || $code == 124 ]]; then fail "too many partitions: exit $code (expected a refusal, not a hang)"; fi
grep -q "3 ranks x --threads 25: the network has 68 units; at most one partition per unit" "$work/many.err" ||
  fail "too many partitions: no message: $(head -3 "$work/many.err")"
[[ ! -e "$work/many.h5" && ! -e "$work/many.h5.partial" ]] || fail "too many partitions: a file was written"
echo "too many partitions: refused by every rank (exit $code), nothing written"

# SIGTERM to mpirun while 2 ranks share one network: every rank leaves at the same interval (no rank
# waits for ever in a collective), rank 0 keeps the partial file marked incomplete.
sigterm_keeps_partial "$here/partitions/long.yaml" term
# ... and while the backprop experiment's branches are spread over 2 ranks (4 s in: past its
# deterministic part, which takes half a second): every rank leaves at the same round.
sigterm_keeps_partial "$here/../../configs/backprop_equivalence.yaml" bp-term
exit $status
