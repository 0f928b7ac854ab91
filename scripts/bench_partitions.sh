#!/usr/bin/env bash
# One network over threads (sim/core/partitioned_engine.hpp), measured: strong scaling of
# configs/bench/random_10k.yaml (5 x 10^6 synapses, 1 s) and configs/bench/random_100k.yaml
# (10^8 synapses, 0.2 s) with the serial engine, 1 partition and 2 partitions (threads), each
# network built once and the layouts alternating in every round (ebsim_partition_bench,
# tests/bench/partition_bench.cpp). Prints figures; asserts nothing but that every layout computes
# the same spikes. Targets (issue 15): 2 partitions >= 1.7x the serial engine; 1 partition within
# 5 % of it. Then the machine's own ceiling for two threads of this work: two independent serial
# runs at once (two ebsim processes) against one alone, as throughput, 2 x alone / the slower of the
# pair (the same memory system and caches shared, no synchronisation at all). Then the network over
# 2 MPI ranks (`mpirun -np 2 ebsim run CFG --threads 1`, an MPI build in build/bench-mpi) against
# the serial engine of the same binary, alternating: the simulation loop's wall time on rank 0.
# Last, the exchange between 2 ranks timed (ebsim_allgather_bench) and the model of larger runs
# (scripts/scaling_model.py: N = 10^6, K = 10^4, 10 Hz on 16, 256 and 1,024 ranks) from the costs
# measured here.
#   bash scripts/bench_partitions.sh [ROUNDS]     (default 3; about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/bench_partitions.sh [ROUNDS]" >&2; exit 2; }
bash scripts/install-deps.sh
cmake -S . -B build/bench-serial -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=OFF -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench-serial -j2 --target ebsim ebsim_partition_bench >/dev/null
bench="$PWD/build/bench-serial/ebsim_partition_bench"
bin="$PWD/build/bench-serial/ebsim"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
source scripts/bench_lib.sh  # median
cmake -S . -B build/bench-mpi -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=ON -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench-mpi -j2 --target ebsim >/dev/null
mpibin="$PWD/build/bench-mpi/ebsim"
mpiloop_of() {  # as loop_of, with the MPI build over $3 ranks (1: no mpirun)
  local cmd=("$mpibin")
  (($3 > 1)) && cmd=(mpirun --allow-run-as-root --oversubscribe -np "$3" "$mpibin")
  "${cmd[@]}" run "$1" -o "$2" --jobs 1 --force | awk '/simulation loop/ { for (i = 1; i <= NF; i++) if ($i == "loop") print $(i + 1) }'
}
loop_of() {  # the simulation loop's wall time of one serial run of config $1 into file $2
  "$bin" run "$1" -o "$2" --jobs 1 --force | awk '/simulation loop/ { for (i = 1; i <= NF; i++) if ($i == "loop") print $(i + 1) }'
}
echo "ebsim partition benchmark: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $rounds rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
declare -A per_event per_spike speedup
for cfg in configs/bench/random_10k.yaml configs/bench/random_100k.yaml; do
  echo
  "$bench" "$cfg" "$rounds" 1 2 | tee "$work/bench.txt"
  name=$(basename "$cfg" .yaml)
  per_event[$name]=$(awk '/^per synaptic event/ { print $(NF - 1) }' "$work/bench.txt")
  per_spike[$name]=$(awk '/^per spike/ { print $(NF - 1) }' "$work/bench.txt")
  speedup[$name]=$(awk '$1 == "2" && $2 == "partitions" { sub("x", "", $5); print $5 }' "$work/bench.txt")
  declare -a ratios=()
  for ((r = 0; r < rounds; r++)); do
    alone=$(loop_of "$cfg" "$work/a.h5")
    loop_of "$cfg" "$work/b.h5" >"$work/b.txt" &
    c=$(loop_of "$cfg" "$work/c.h5")
    wait
    b=$(cat "$work/b.txt")
    ratio=$(awk -v a="$alone" -v b="$b" -v c="$c" 'BEGIN { m = b > c ? b : c; printf "%.2f", 2 * a / m }')
    echo "  two serial processes at once, round $((r + 1)): alone $alone s, together $b s and $c s: throughput ${ratio}x"
    ratios+=("$ratio")
  done
  echo "machine ceiling for 2 threads (median of $rounds rounds): $(median "${ratios[@]}")x"
  declare -a serial=() ranks=()
  for ((r = 0; r < rounds; r++)); do
    serial+=("$(mpiloop_of "$cfg" "$work/s.h5" 1)")
    ranks+=("$(mpiloop_of "$cfg" "$work/r.h5" 2)")
  done
  ms=$(median "${serial[@]}") mr=$(median "${ranks[@]}")
  echo "2 MPI ranks x 1 thread: serial loop ${serial[*]} s, 2 ranks ${ranks[*]} s; medians $ms s and $mr s:" \
    "speed-up $(awk -v a="$ms" -v b="$mr" 'BEGIN { printf "%.2f", a / b }')x"
done

# The per-interval exchange between 2 ranks on this machine (an interval of random_10k: about 500
# spikes of 16 bytes from the two ranks together), then the model of larger runs
# (scripts/scaling_model.py) from random_100k's measured costs, checked against both networks'
# measured 2-partition speed-ups, each from its own costs (random_10k: N = 10^4, K = 500, 50 Hz;
# random_100k: N = 10^5, K = 1,000, 10 Hz).
echo
cmake --build build/bench-mpi -j2 --target ebsim_allgather_bench >/dev/null
mpirun --allow-run-as-root --oversubscribe -np 2 build/bench-mpi/ebsim_allgather_bench 4016
echo
/usr/bin/python3 scripts/scaling_model.py --per-event-ns "${per_event[random_100k]}" \
  --per-spike-ns "${per_spike[random_100k]}" \
  --check "random_10k:1e4:500:50:${speedup[random_10k]}:${per_event[random_10k]}:${per_spike[random_10k]}" \
  "random_100k:1e5:1000:10:${speedup[random_100k]}"
