#!/usr/bin/env bash
# The output file of a sweep is the same whatever --jobs: runs a spiking sweep with trials (a
# two-key grid with replicates) and a plastic continuous sweep with 1, 2 and 3 jobs and compares
# every dataset and attribute (tests/tools/h5_digest.py; only wall-clock provenance is not hashed).
#   tests/tools/jobs_identical.sh build/release/ebsim
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "$1")"
py=/usr/bin/python3
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cat >"$work/spiking.yaml" <<'YAML'
seed: 3
model: {beta1: -0.5, tau: 10 ms, r_max: 400 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 4}
  h: {role: hidden, size: 6, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 3}
projections:
  - {from: x, to: h, weights: {glorot: 0.5}, symmetric: true, delay: {uniform: [1 ms, 2 ms]}}
  - {from: h, to: y, weights: {glorot: 0.5}, symmetric: true, delay: 1 ms}
protocol:
  trials: 4
  phases: [{name: on, duration: 60 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}]
record:
  rates: {populations: all, bin: 20 ms, theory: true, theory_dt: 0.1 ms}
  spikes: {populations: all}
  states: {populations: all, period: 1 ms}
sweep:
  grid: {model.r_max: [200 Hz, 800 Hz, 1600 Hz], model.tau: [10 ms, 20 ms]}
  replicates: 3
YAML
cat >"$work/plastic.yaml" <<'YAML'
seed: 4
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 0.5 ms, sigma: 0.05}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true, plasticity: {lr: 0.05, phases: [nudge]}}
protocol:
  trials: 2
  phases:
    - {name: free, duration: 50 ms, clamp: {x: {normal: [0, 0.3]}}}
    - {name: nudge, duration: 10 ms, nudge: {y: {target: [0.2, 0.6]}}}
record:
  states: {populations: all, period: 1 ms}
  weight_snapshots: true
sweep:
  zip: {engine.sigma: [0.02, 0.05, 0.1], model.tau: [10 ms, 15 ms, 20 ms]}
  seeds: [1, 2, 5, 8]
YAML
status=0
for cfg in spiking plastic; do
  for jobs in 1 2 3; do
    "$bin" run "$work/$cfg.yaml" -o "$work/$cfg-$jobs.h5" --quiet --jobs "$jobs"
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
