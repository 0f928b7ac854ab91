#!/usr/bin/env bash
# The spiking engine on one core, measured: events per second against the delivery loop's ceiling,
# what recording every spike costs, memory per synapse at 10^7 and 10^8 synapses, and how the cost
# scales with the network's size. Prints figures; asserts nothing (speed is measured here, never in
# a test). Every figure is from this one run on this machine.
#   bash scripts/bench_engine.sh [ROUNDS] [--figure]   (default 3 rounds; about 8 minutes on 2 cores)
#     ROUNDS    alternating rounds for the recording comparison (median of each side)
#     --figure  also draw the scaling figure, docs/figures/engine_scaling.png
# Sections:
#   1. the ceiling: ebsim_kick_limit (tests/bench/kick_limit.cpp), kicks streamed to random targets
#      with no queue, on random_10k's statistics; ebsim's loop as a fraction of it;
#   2. recording: configs/bench/random_10k.yaml with no recording and with every unit's spikes
#      written to the file, alternating; the loop times and their ratio;
#   3. memory: bytes per synapse, whole process (peak resident) and connectivity alone, on
#      random_10k (5 x 10^6 synapses) and configs/bench/random_100k.yaml (10^8 synapses);
#   4. scaling: N = 10^3, 10^4, 10^5 units with K = 500 synapses per unit (probability K/N), the same
#      weights (W ~ N(0, 1/K)) and rates, so each synaptic event does the same work: events per
#      second against N, where only the unit array's size changes (24 bytes a unit: 24 kB, 240 kB,
#      2.4 MB against the caches);
#   5. learning: training examples per second of configs/learn_digits_spiking.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 figure=0
for arg in "$@"; do
  case "$arg" in
    --figure) figure=1 ;;
    *[!0-9]* | '') echo "usage: bash scripts/bench_engine.sh [ROUNDS] [--figure]" >&2; exit 2 ;;
    *) rounds="$arg" ;;
  esac
done
bash scripts/install-deps.sh
# The build a user of one machine makes (scripts/main.sh's: no MPI, whose libraries add about
# 1.5 MB to every process), in its own directory.
cmake -S . -B build/bench-serial -DCMAKE_BUILD_TYPE=Release -DEBSIM_MPI=OFF -DEBSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench-serial -j2 --target ebsim ebsim_kick_limit >/dev/null
bin="$PWD/build/bench-serial/ebsim"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# One run's summary figures: "loop_s events_per_s bytes_per_synapse connectivity_bytes_per_synapse"
figures_of() {
  local out="$work/run.h5"
  rm -f "$out"
  "$bin" run "$@" -o "$out" --jobs 1 --force | awk '
    /simulation loop/ { for (i = 1; i <= NF; i++) if ($i == "loop") loop = $(i + 1) }
    /synaptic events per second/ { eps = $NF }
    /^  bytes per synapse:/ { bps = $4 }
    /bytes per synapse, connectivity alone/ { cps = $6 }
    END { print loop, eps, bps, cps }'
}
source scripts/bench_lib.sh  # median

echo "ebsim engine benchmark: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $rounds rounds, $(date -u +%Y-%m-%dT%H:%MZ)"

echo
echo "1-2. configs/bench/random_10k.yaml: no recording (A) and every unit's spikes recorded (B), alternating"
declare -a la=() lb=() ea=() eb=()
for ((r = 0; r < rounds; r++)); do
  read -r l e _ _ < <(figures_of configs/bench/random_10k.yaml)
  la+=("$l"); ea+=("$e")
  read -r l e _ _ < <(figures_of configs/bench/random_10k.yaml --set record.spikes.populations=all)
  lb+=("$l"); eb+=("$e")
  printf '  round %d: loop A %.3f s (%.4g events/s), B %.3f s (%.4g events/s)\n' $((r + 1)) "${la[-1]}" "${ea[-1]}" "${lb[-1]}" "${eb[-1]}"
done
ma=$(median "${la[@]}"); mb=$(median "${lb[@]}")
mea=$(median "${ea[@]}")
# The cost from each round's pair (B / A, run back to back), whose median a slow spell of the
# machine that hits both runs of a round does not move.
declare -a ratio=()
for ((r = 0; r < rounds; r++)); do ratio+=("$(awk -v a="${la[r]}" -v b="${lb[r]}" 'BEGIN { print b / a }')"); done
mr=$(median "${ratio[@]}")
awk -v a="$ma" -v b="$mb" -v r="$mr" 'BEGIN { printf "  median loop: %.3f s without recording, %.3f s with every spike; median of the rounds'"'"' ratios: recording costs %+.1f %% (target <= 10 %%)\n", a, b, 100 * (r - 1) }'
limit=$(build/bench-serial/ebsim_kick_limit 10000 500 200000000 5)
echo "$limit" | sed 's/^/  /'
fast=$(echo "$limit" | awk '/fast-path/ { print $(NF - 2) }')
scatter=$(echo "$limit" | awk '/scatter/ { print $(NF - 2) }')
awk -v e="$mea" -v f="$fast" -v s="$scatter" 'BEGIN { printf "  ebsim loop (median %.4g events/s): %.0f %% of the fast-path ceiling, %.0f %% of the bare scatter\n", e, 100 * e / f, 100 * e / s }'

echo
echo "3. memory per synapse (peak resident memory of the whole process, and the synapse arrays alone)"
printf '  %-32s %14s %12s %14s %18s\n' config synapses "events/s" "B/syn process" "B/syn connectivity"
for config in configs/bench/random_10k.yaml configs/bench/random_100k.yaml; do
  read -r l e b c < <(figures_of "$config")
  syn=$(awk -v c="$config" 'BEGIN { print (c ~ /100k/) ? "1.0e8" : "5.0e6" }')
  printf '  %-32s %14s %12.4g %14.2f %18.2f\n' "$config" "$syn" "$e" "$b" "$c"
done

echo
echo "4. scaling: K = 500 synapses per unit, W ~ N(0, 1/K), the same rates; events per second against N"
printf '  %8s %10s %12s %12s   (median of the rounds)\n' N duration events/s "B/syn process"
scaling="$work/scaling.txt"
: > "$scaling"
for n in 1000 10000 100000; do
  p=$(awk -v n="$n" 'BEGIN { printf "%.6g", 500 / n }')
  duration=$([[ $n == 100000 ]] && echo "200 ms" || echo "1 s")
  declare -a es=()
  for ((r = 0; r < rounds; r++)); do
    read -r l e b _ < <(figures_of configs/bench/random_10k.yaml --set "populations.n.size=$n" \
      --set "projections.0.connectivity.random=$p" --set "protocol.phases.0.duration=$duration")
    es+=("$e")
  done
  e=$(median "${es[@]}")
  printf '  %8d %10s %12.4g %12.2f   (rounds: %s)\n' "$n" "$duration" "$e" "$b" "${es[*]}"
  unset es
  echo "$n $e" >> "$scaling"
done

echo
echo "5. learning: configs/learn_digits_spiking.yaml, training examples per second (400 examples, one epoch, one thread)"
declare -a xs=()
for ((r = 0; r < rounds; r++)); do
  rm -f "$work/learn.h5"
  x=$("$bin" run configs/learn_digits_spiking.yaml -o "$work/learn.h5" --jobs 1 --set experiment.epochs=1 \
    --set experiment.data.train_examples=400 --set experiment.data.test_examples=50 | awk '$1 == "1" { print $NF }')
  xs+=("$x")
done
echo "  examples/s per round: ${xs[*]}; median $(median "${xs[@]}")"
if [[ $figure == 1 ]]; then
  /usr/bin/python3 - "$scaling" <<'PY'
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
n, e = zip(*[(float(a), float(b)) for a, b in (line.split() for line in open(sys.argv[1]))])
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(n, e, "o-", label="ebsim, one core")
ax.set_xlabel("units N (K = 500 synapses per unit)")
ax.set_ylabel("synaptic events per second")
ax.set_ylim(min(e) / 3, max(e) * 3)
ax.grid(True, which="both", alpha=0.3)
ax.set_title("Cost per synaptic event against network size")
ax.legend()
fig.tight_layout()
fig.savefig("docs/figures/engine_scaling.png", dpi=120)
print("  figure: docs/figures/engine_scaling.png")
PY
fi
