#!/usr/bin/env bash
# The output file of a sweep is the same whatever --jobs: runs a spiking sweep with trials (a
# two-key grid with replicates, tests/tools/sweeps/spiking.yaml), a plastic continuous sweep
# (sweeps/plastic.yaml) and a spiking sweep whose recordings fill several chunks, one run nearly
# all of its work (sweeps/chunks.yaml: encoded chunks, a run's trials split) with 1, 2 and 3 jobs
# and compares every dataset and attribute (tests/tools/h5_digest.py; only wall-clock provenance is
# not hashed).
#   tests/tools/jobs_identical.sh build/release/ebsim
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "$1")"
py=/usr/bin/python3
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
status=0
# "one-run": chunks.yaml's costly point alone, no sweep: its trials split over the threads, handed
# straight to the file's writer (through a recording that encodes the chunks on the workers).
for cfg in spiking plastic chunks one-run; do
  for jobs in 1 2 3; do
    if [[ $cfg == one-run ]]; then
      "$bin" run "$here/sweeps/chunks.yaml" -o "$work/$cfg-$jobs.h5" --quiet --jobs "$jobs" \
        --set 'sweep=null' --set 'model.r_max=6400 Hz'
    else
      "$bin" run "$here/sweeps/$cfg.yaml" -o "$work/$cfg-$jobs.h5" --quiet --jobs "$jobs"
    fi
    "$py" "$here/h5_digest.py" "$work/$cfg-$jobs.h5" --out "$work/$cfg-$jobs.digest"
  done
  for jobs in 2 3; do
    if "$py" "$here/h5_digest.py" --compare "$work/$cfg-1.digest" "$work/$cfg-$jobs.digest"; then
      echo "$cfg: --jobs $jobs identical to --jobs 1 ($(wc -l <"$work/$cfg-1.digest") objects)"
    else
      echo "$cfg: --jobs $jobs DIFFERS from --jobs 1"; status=1
    fi
  done
done
exit $status
