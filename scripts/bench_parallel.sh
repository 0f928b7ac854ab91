#!/usr/bin/env bash
# Parallel runs, measured: wall times and speed-ups of configs/theory_check.yaml (a sweep of 4 r_max
# values, 16 trials each), of its costliest point alone (r_max 6400 Hz: its trials on threads), of
# the main experiment (configs/backprop_equivalence.yaml: its branches on threads, or continued on
# rank 1 from rank 0's free run) and of
# the backprop experiment over seeds (configs/backprop_seeds.yaml, 4 replicates) with --jobs 1,
# --jobs 2 and `mpirun -np 2 --jobs 1`, alternating the layouts over REPEATS rounds (median of
# each), all in this one run on this machine. Then a model of a cluster run from the measured
# per-point times: a 10,000-point grid of theory_check-like points on 64 ranks. Prints figures;
# asserts nothing (speed is measured here, never in a test).
#   bash scripts/bench_parallel.sh [REPEATS]      (default 2; about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${1:-2}"
bash scripts/install-deps.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=ON -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j2 --target ebsim >/dev/null
bin="$PWD/build/bench/ebsim"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mpirun=(mpirun --allow-run-as-root --oversubscribe)

# seconds of one run: wall_of OUT LAYOUT CONFIG [ebsim options...]
wall_of() {
  local out="$1" layout="$2" config="$3"; shift 3
  rm -f "$out"
  local start end
  start=$(date +%s%N)
  case "$layout" in
    jobs1) "$bin" run "$config" -o "$out" --quiet --jobs 1 "$@" ;;
    jobs2) "$bin" run "$config" -o "$out" --quiet --jobs 2 "$@" ;;
    mpi2) "${mpirun[@]}" -np 2 "$bin" run "$config" -o "$out" --quiet --jobs 1 "$@" ;;
  esac
  end=$(date +%s%N)
  awk -v ns="$((end - start))" 'BEGIN { printf "%.3f\n", ns / 1e9 }'

}

source scripts/bench_lib.sh  # median

echo "ebsim parallel benchmark: $(nproc) cores, $repeats rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-26s %10s %10s %10s %9s %9s\n' "case" "jobs 1 s" "jobs 2 s" "mpi 2x1 s" "jobs 2 x" "mpi 2 x"
for case in theory_check theory_check@6400Hz backprop_equivalence backprop_seeds; do
  config="configs/${case%@*}.yaml"
  extra=()
  [[ $case == theory_check@6400Hz ]] && extra=(--set 'sweep=null' --set 'model.r_max=6400 Hz')
  [[ $case == backprop_seeds ]] && extra=(--set 'sweep={replicates: 4}')
  declare -a t1=() t2=() tm=()
  for ((r = 0; r < repeats; r++)); do
    t1+=("$(wall_of "$work/a.h5" jobs1 "$config" "${extra[@]}")")
    t2+=("$(wall_of "$work/b.h5" jobs2 "$config" "${extra[@]}")")
    # theory_check's 6400 Hz point alone would split its 60-unit network over the ranks (one plain
    # spiking run): not the division measured here, so no MPI figure. backprop_equivalence's
    # branches are spread over the ranks (one run, not a sweep: sim/run/farm.hpp).
    [[ $case == *@* ]] && tm+=(nan) || tm+=("$(wall_of "$work/c.h5" mpi2 "$config" "${extra[@]}")")
  done
  m1=$(median "${t1[@]}"); m2=$(median "${t2[@]}"); mm=$(median "${tm[@]}")
  [[ $case == *@* ]] && mm=nan
  awk -v c="${case%@}" -v a="$m1" -v b="$m2" -v m="$mm" \
    'BEGIN { if (m == "nan") printf "%-26s %10.2f %10.2f %10s %8.2fx %9s\n", c, a, b, "-", a / b, "-";
             else printf "%-26s %10.2f %10.2f %10.2f %8.2fx %8.2fx\n", c, a, b, m, a / b, a / m }'
  unset t1 t2 tm
done

# The cluster model. Per-point wall times of theory_check (each point alone, --jobs 1, process
# start and file writing included), then: R ranks x J jobs take the points longest first, each to
# the least loaded rank (what ebsim does); the makespan is at least the longest point, unless
# that point is more than a rank's share of the sweep: then its trials are shared over the ranks
# (sim/run/shared_runs.hpp), and it is at least the point over its ranges (one per trial at most).
echo
echo "theory_check per point (one process, --jobs 1):"
times=()
for rmax in 100 400 1600 6400; do
  t=$(wall_of "$work/p.h5" jobs1 configs/theory_check.yaml --set 'sweep=null' --set "model.r_max=$rmax Hz")
  times+=("$t")
  printf '  r_max %5s Hz  %6.2f s\n' "$rmax" "$t"
done
/usr/bin/python3 - "${times[@]}" <<'PY'
import sys
point = [float(t) for t in sys.argv[1:]]
def makespan(costs, ranks):
    load = [0.0] * ranks
    for c in sorted(costs, reverse=True):
        i = load.index(min(load))
        load[i] += c
    return max(load)
grid = point * 2500                     # 10,000 points, the four r_max values 2,500 times each
total = sum(grid)
for ranks in (64,):
    span = makespan(grid, ranks)
    print(f"model: a 10,000-point grid of these points on {ranks} ranks x 1 job: {total / 3600:.1f} core-hours "
          f"in all, {span / 60:.1f} min of wall time (ideal {total / ranks / 60:.1f} min; the longest point, "
          f"{max(point):.2f} s, limits nothing until about {int(total / max(point))} ranks)")
trials = 16                             # theory_check's trials per point: at most 16 ranges of the longest
encode = 0.25                           # share of that point's time rank 0 spends encoding its output
#                                         (one-off trace, 2026-12-02: 0.067 s per 2-trial range)
one = max(max(point) / trials, sum(point) / 64) + encode * max(point)
print(f"model: theory_check itself (4 points) on 64 ranks: at least {one:.2f} s: its longest point's 16 trials "
      f"shared over the ranks ({max(point) / trials:.2f} s, one trial each), then rank 0 encoding that point's "
      f"whole output (about {encode:.0%} of it, {encode * max(point):.2f} s); {max(point):.2f} s if it ran on one rank")
PY
