#!/usr/bin/env bash
# Runs every config in configs/ with the given ebsim binary (long ones shortened with --set) and
# writes one dataset digest per run into OUTDIR (tests/tools/h5_digest.py). Two OUTDIRs, from the
# binaries before and after a change, compare with:
#   tests/tools/digest_configs.sh --compare BEFORE AFTER
# which exits 1 on any difference. This is how a change that must not alter results proves it.
#   tests/tools/digest_configs.sh build/release/ebsim runs/digests-after
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py=/usr/bin/python3

if [[ "${1:-}" == "--compare" ]]; then
  a="$2"; b="$3"; status=0
  for f in "$a"/*.digest; do
    name="$(basename "$f")"
    if [[ ! -f "$b/$name" ]]; then echo "$name: missing in $b"; status=1; continue; fi
    if "$py" "$here/h5_digest.py" --compare "$f" "$b/$name" >/tmp/digest_diff.$$ ; then
      echo "$name: identical ($(wc -l <"$f") objects)"
    else
      echo "$name: DIFFERS"; sed 's/^/    /' /tmp/digest_diff.$$ | head -40; status=1
    fi
  done
  rm -f /tmp/digest_diff.$$
  exit $status
fi

bin="$(realpath "$1")"; out="$2"
mkdir -p "$out"; out="$(realpath "$out")"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$root"

# name | config | shortening --set options (runs that would take over a minute)
runs=(
  "relax|configs/relax.yaml|"
  "backprop_equivalence|configs/backprop_equivalence.yaml|--set experiment.spiking.branches=300"
  "theory_check|configs/theory_check.yaml|--set protocol.trials=2 --set protocol.phases.0.duration=200ms"
  "stdp_window|configs/stdp_window.yaml|"
  "stdp_statistics|configs/stdp_statistics.yaml|--set experiment.trials=4 --set experiment.duration=10s"
  "saturation|configs/saturation.yaml|"
  "learn_digits|configs/learn_digits.yaml|--set experiment.epochs=2"
  "learn_digits_spiking|configs/learn_digits_spiking.yaml|--set experiment.epochs=1 --set experiment.data.train_examples=200 --set experiment.data.test_examples=100"
  "random_10k|configs/bench/random_10k.yaml|--set protocol.phases.0.duration=200ms --set record.spikes.populations=[n]"
)
for entry in "${runs[@]}"; do
  IFS='|' read -r name config sets <<<"$entry"
  # shellcheck disable=SC2086
  "$bin" run "$config" -o "$work/$name.h5" --quiet $sets >"$work/$name.log" 2>&1 || {
    echo "$name: run failed"; cat "$work/$name.log"; exit 1; }
  "$py" "$here/h5_digest.py" "$work/$name.h5" --out "$out/$name.digest"
  echo "$name: $(wc -l <"$out/$name.digest") objects"
done
