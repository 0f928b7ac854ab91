#!/usr/bin/env bash
# Mutation score of the test suite: how many small deliberate defects, of the kind real bugs are,
# the tests catch.
#
#   bash scripts/mutants.sh            # every mutant
#   bash scripts/mutants.sh 3 17       # only mutants 3 and 17 (numbers as printed)
#   bash scripts/mutants.sh --list     # print the list and exit
#   bash scripts/mutants.sh --check    # only check that every mutant still applies (exactly once)
#
# The working tree (tracked and untracked files, build directories excluded) is copied ONCE to a
# scratch directory and built there ONCE (Release, -j2); that build is kept as a pristine copy. Then,
# one mutant at a time: the one edit is applied (the original text must occur exactly once in its
# file, else the script stops: mutants must not rot silently), ebsim_tests (and ebsim, for mutants
# of the HDF5 writer) is rebuilt incrementally, the whole doctest suite runs (plus the pytest suite
# for the writer's mutants, which it exists to check), and the file and the build directory are put
# back exactly as they were (content and timestamps), so that the next mutant rebuilds only what its
# own edit touches. A mutant is caught when a test fails; one that does not compile is NOT caught
# (it is reported as a broken mutant, and the script fails).
#
# Environment: EBSIM_MUTANTS_DIR (scratch directory; default a fresh one under /tmp, removed at
# the end unless EBSIM_MUTANTS_KEEP=1), EBSIM_MUTANTS_TIMEOUT (seconds per test run, default 600).
# Exit status: 0 when every mutant is caught, 1 when one survives or does not compile, 2 when a
# mutant's original text is not found exactly once or the unmutated suite fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=${EBSIM_MUTANTS_TIMEOUT:-600}
python=/usr/bin/python3

MUT_FILE=() MUT_DESC=() MUT_FROM=() MUT_TO=()
# mutant FILE DESCRIPTION ORIGINAL REPLACEMENT
mutant() { MUT_FILE+=("$1"); MUT_DESC+=("$2"); MUT_FROM+=("$3"); MUT_TO+=("$4"); }

# ---- models/: the paper's mathematics -------------------------------------------------------
mutant models/unit_dynamics.cpp "a saturated unit relaxes toward its input (rho' = 0 ignored outside [beta1, beta2])" \
  'const double outside_target = drive.nudge;' \
  'const double outside_target = drive.gated_input + drive.nudge;'
mutant models/energy.cpp "the backward half of a block uses the forward gain (a directed projection acts both ways)" \
  'out[b.src_offset + j] += b.gain_backward * back;' \
  'out[b.src_offset + j] += b.gain_forward * back;'
mutant models/energy.cpp "Eq. 6: the pair term counted twice (the 1/2 and the two orderings do not cancel)" \
  'const double pair_gain = 0.5 * (b.gain_forward + b.gain_backward);' \
  'const double pair_gain = b.gain_forward + b.gain_backward;'

# ---- the spiking engine -----------------------------------------------------------------------
mutant sim/core/spiking_engine.cpp "a kick 10 % too large" \
  'static_cast<float>((1.0 - beta) / (params_.r_max_per_ms * params_.tau_ms))' \
  'static_cast<float>(1.1 * (1.0 - beta) / (params_.r_max_per_ms * params_.tau_ms))'
mutant sim/core/spiking_engine.cpp "a nudged output's kick is not scaled by (1 - beta)" \
  'kick_scale_[i] = kick_scale_for(beta);' \
  'kick_scale_[i] = kick_scale_for(0.0);'
mutant sim/core/spiking_engine.cpp "the nudge's beta sign flipped (spiking engine)" \
  'nudge_[i] = beta * drive.target[i];' \
  'nudge_[i] = -beta * drive.target[i];'
mutant sim/core/spiking_engine.cpp "a fixed delay off by one 0.1 ms step" \
  'd.time = t + p.delay_ms;' \
  'd.time = t + p.delay_ms + Projection::kDelayStepMs;'
mutant sim/core/spiking_engine.cpp "per-synapse delays off by one step" \
  'd.time = t + p.delay_ms + Projection::kDelayStepMs * step[g];' \
  'd.time = t + p.delay_ms + Projection::kDelayStepMs * (step[g] + 1);'
mutant sim/core/spiking_engine.cpp "rho' = 0 on a boundary: a unit held at beta1/beta2 ignores its input" \
  'if (s < b1_ || s > b2_) return;  // saturated' \
  'if (s <= b1_ || s >= b2_) return;  // saturated'
mutant sim/core/spiking_engine.cpp "a saturated unit relaxes toward its input (spiking engine's pieces)" \
  $'case models::UnitRegime::above: return nudge_[i];' \
  $'case models::UnitRegime::above: return gated_[i] + nudge_[i];'
mutant sim/core/spiking_engine.cpp "thinning judges a candidate on the state at the last sample time, not at the candidate's" \
  'const double s = state_at(j, t);' \
  'const double s = state_at(j, now_);'
mutant sim/core/spiking_engine.cpp "a unit's random stream keyed by processing order (one shared stream for acceptance)" \
  'uniform_01<double>()(streams_[j])' \
  'uniform_01<double>()(streams_[0])'
mutant sim/core/spiking_engine.cpp "window integrals forget the kicks" \
  'if (integrate_) integral_base_[i] += params_.tau_ms * step;' \
  'if (integrate_) integral_base_[i] += 0.0 * step;'
mutant sim/core/spiking_engine.cpp "the shared frame moved the wrong way (offsets divided by g instead of multiplied)" \
  'for (Piece& p : piece_) p.offset *= factor;' \
  'for (Piece& p : piece_) p.offset /= factor;'

# ---- the STDP estimator -----------------------------------------------------------------------
mutant sim/core/stdp_estimator.cpp "lr doubled in the STDP events" \
  'const double scale = rule.lr / ((t - w.opened) * r_max_per_ms_);' \
  'const double scale = 2.0 * rule.lr / ((t - w.opened) * r_max_per_ms_);'
mutant sim/core/stdp_estimator.cpp "the sign of s-dot flipped in the STDP estimator" \
  'scale * (value - w.before[n] - own_effect(w.own[n], t, rate, inside))' \
  'scale * (w.before[n] - value - own_effect(w.own[n], t, rate, inside))'
mutant sim/core/stdp_estimator.cpp "a time unit confused: r_max in Hz where per ms is meant" \
  'r_max_per_ms_(params.r_max_per_ms)' \
  'r_max_per_ms_(params.r_max_hz)'
mutant sim/core/stdp_estimator.cpp "the spike's own kick timed from the spike, not from its arrival after the delay" \
  'spike_time + p.delay_ms + (p.delay_step.empty()' \
  'spike_time + (p.delay_step.empty()'
mutant sim/core/stdp_estimator.cpp "the window closes on the state where it opened on the rate (post: rate_derivative)" \
  $'const bool rate = rule.post == Plasticity::Post::rate_derivative;\n  // lr * D / r_max' \
  $'const bool rate = rule.post != Plasticity::Post::rate_derivative;\n  // lr * D / r_max'
mutant sim/core/stdp_estimator.cpp "the own kick counted where the engine ignores it (rho' = 0 outside [beta1, beta2])" \
  'const bool felt = own.s_arrival >= b1 && own.s_arrival <= b2;' \
  'const bool felt = true;'
mutant sim/core/event_queue.hpp "STDP windows open after the spike's own kick has landed (the old order)" \
  'enum Kind : std::uint8_t { stdp_open = 0, delivery = 1, candidate = 2, stdp_close = 3 };' \
  'enum Kind : std::uint8_t { stdp_open = 1, delivery = 0, candidate = 2, stdp_close = 3 };'

# ---- the continuous engine --------------------------------------------------------------------
mutant sim/core/continuous_engine.cpp "Langevin sigma doubled" \
  'normal(0.0, params_.sigma);' \
  'normal(0.0, 2.0 * params_.sigma);'
mutant sim/core/continuous_engine.cpp "a unit's noise stream keyed by processing order (one shared stream)" \
  'noisy_[i] = s_[i] + normal(noise_[i]);' \
  'noisy_[i] = s_[i] + normal(noise_[0]);'
mutant sim/core/continuous_engine.cpp "the nudge's beta sign flipped (continuous engine)" \
  'const double outside = beta * drive_->target[i];' \
  'const double outside = -beta * drive_->target[i];'
mutant sim/core/continuous_engine.cpp "rho' = 0 on a boundary: a held unit is not projected back and chatters" \
  'if (project && old >= b1 && old <= b2) {' \
  'if (project && old > b1 && old < b2) {'
mutant sim/core/continuous_engine.cpp "rho' = 1 on a boundary: a unit held at beta2 is not flagged, so the backprop reference passes it gradient" \
  'held_[i] = kHeldHigh;' \
  'held_[i] = kFree;'
mutant sim/core/continuous_engine.cpp "advance_to takes one step too many (off by one)" \
  'while (step_ < target && !stop_requested()) step();' \
  'while (step_ <= target && !stop_requested()) step();'

# ---- plasticity (Eq. 26 in the continuous engine, weight storage) ----------------------------
mutant sim/core/plasticity.cpp "lr doubled in the continuous rule" \
  'const double lr = gain_ * r.config.lr;' \
  'const double lr = 2.0 * gain_ * r.config.lr;'
mutant sim/core/plasticity.cpp "symmetric update: the forward term counted twice instead of Delta W_ij + Delta W_ji" \
  'dw += models::weight_change(lr, post[src + j], pre_rate_[i]);' \
  'dw += models::weight_change(lr, post[i], pre_rate_[src + j]);'
mutant sim/core/plasticity.cpp "the presynaptic rate taken after the step instead of before" \
  'pre_rate_[i] = rate.rho(before[i]);' \
  'pre_rate_[i] = rate.rho(after[i]);'
mutant sim/core/plasticity.cpp "the upper weight bound applied as a lower one (std::max for std::min)" \
  'if (rule.w_max) v = std::min(v, *rule.w_max);' \
  'if (rule.w_max) v = std::max(v, *rule.w_max);'
mutant sim/core/plasticity.cpp "the rule's gain (learning's beta sign and lr schedule) ignored by STDP events" \
  'double v = old + gain_ * dw;' \
  'double v = old + dw;'

# ---- the network ------------------------------------------------------------------------------
mutant sim/core/network.cpp "the Glorot gain ignored" \
  'const double limit = w.a * std::sqrt(6.0 / (double(n_src) + double(n_tgt)));' \
  'const double limit = std::sqrt(6.0 / (double(n_src) + double(n_tgt)));'
mutant sim/core/network.cpp "fixed in-degree: one source too few (off by one in Floyd's sampling)" \
  'for (std::uint32_t r = pool - pc.indegree; r < pool; ++r) {' \
  'for (std::uint32_t r = pool - pc.indegree + 1; r < pool; ++r) {'
mutant sim/core/network.cpp "a symmetric recurrent projection keeps the self-pair (Eq. 6 sums over i != j)" \
  'one_per_pair ? pre < post : pre != post' \
  'one_per_pair ? pre <= post : pre != post'
mutant sim/core/network.cpp "Eq. 8 symmetrisation: an asymmetric projection acts with full weight both ways" \
  'p.gain_forward = p.gain_backward = 0.5;' \
  'p.gain_forward = p.gain_backward = 1.0;'

# ---- protocol, queue, lowered parameters ------------------------------------------------------
mutant sim/core/protocol.cpp "a nudge's beta carries over into the next phase" \
  'current.beta.assign(net.n_units, 0.0);' \
  'if (ph == 0) current.beta.assign(net.n_units, 0.0);'
mutant sim/core/event_queue.hpp "the tie-break order swapped: at equal times a candidate is judged before a spike arriving then" \
  'enum Kind : std::uint8_t { stdp_open = 0, delivery = 1, candidate = 2, stdp_close = 3 };' \
  'enum Kind : std::uint8_t { stdp_open = 0, delivery = 2, candidate = 1, stdp_close = 3 };'
mutant sim/core/engine_params.cpp "with_r_max leaves r_max per ms stale (the two units disagree)" \
  'p.r_max_per_ms = hz / 1000.0;' \
  'p.r_max_per_ms = r_max_per_ms;'

# ---- the statistical STDP window --------------------------------------------------------------
mutant sim/experiments/stdp_statistics.cpp "pairs binned by t_pre - t_post (the window mirrored)" \
  'std::floor((*it - e.t_pre + geo.span) / geo.bin)' \
  'std::floor((e.t_pre - *it + geo.span) / geo.bin)'

# ---- the runner and the writer ----------------------------------------------------------------
mutant sim/run/recorders.cpp "a time unit confused: binned rates in spikes per ms labelled Hz" \
  '/ bin_ms_ * 1000.0;  // Hz' \
  '/ bin_ms_;  // Hz'
mutant sim/run/recorders.cpp "window-averaged state: the integral since the trial start, not over the bin" \
  'state_[k][row + u] = (integral_[i] - prev_integral_[i]) / bin_ms_;' \
  'state_[k][row + u] = integral_[i] / bin_ms_;'
mutant sim/run/trials.cpp "every trial replays trial 0's random streams" \
  'engine.reset(trial);' \
  'engine.reset(0);'
mutant sim/run/trials.cpp "spike times not shifted by their trial's start" \
  'rec.spikes->drain(engine, t0);' \
  'rec.spikes->drain(engine, 0.0);'
mutant sim/io/hdf5_sink.cpp "an off-by-one in index_pointers" \
  'std::iota(index_pointers.begin(), index_pointers.end(), std::uint64_t{0});' \
  'std::iota(index_pointers.begin(), index_pointers.end(), std::uint64_t{1});'
mutant sim/io/hdf5_sink.cpp "weights written with pre and post swapped" \
  $'"pre", table.pre, {n});\n    write_dataset<std::uint64_t>(group, "post", table.post, {n});' \
  $'"pre", table.post, {n});\n    write_dataset<std::uint64_t>(group, "post", table.pre, {n});'
mutant sim/io/hdf5_sink.cpp "report mapping/time: stop one step short" \
  't_start_ms_ + static_cast<double>(rows_in_time_) * dt_ms_' \
  't_start_ms_ + static_cast<double>(rows_in_time_ - 1) * dt_ms_'

mutant sim/experiments/learning.cpp "resume: the baseline is not replayed to where the file's run stopped" \
  'if (baseline) train_baseline(order, std::pow(ex.lr_decay, double(epoch - 1)));' \
  '(void)order;'
mutant sim/io/projection_reader.cpp "weights from a file: the snapshot asked for is ignored (always the initial weights)" \
  'p.synapses = read_stored_weights(path, snapshot, stored_name);' \
  'p.synapses = read_stored_weights(path, "initial", stored_name);'
mutant sim/run/sweep_stats.cpp "convergence gate dropped: an unconverged run averaged into its point's statistics" \
  'if (runs[k].point != p || reported[k].unconverged) continue;' \
  'if (runs[k].point != p) continue;'
mutant sim/experiments/backprop.cpp "a held unit's margin measured from the wrong boundary" \
  'fp.margin[i] = fp.s[i] >= rate.beta2() ? input[i] - rate.beta2() : rate.beta1 - input[i];' \
  'fp.margin[i] = fp.s[i] >= rate.beta2() ? input[i] - rate.beta1 : rate.beta2() - input[i];'
mutant sim/run/theory.cpp "the trial-to-trial variance divided by n, not n - 1 (the noise/bias split biased)" \
  'v /= double(trials - 1);' \
  'v /= double(trials);'
mutant sim/experiments/learning.cpp "batch alignment: the summed update keeps only the last example's" \
  'for (std::size_t q = 0; q < w.size(); ++q) dw_sum[q] += dw[q], g_sum[q] += minus_g[q];' \
  'for (std::size_t q = 0; q < w.size(); ++q) dw_sum[q] = dw[q], g_sum[q] += minus_g[q];'
n_mutants=${#MUT_FILE[@]}

if [[ "${1:-}" == "--list" ]]; then
  for ((m = 0; m < n_mutants; ++m)); do printf '%3d  %-32s %s\n' $((m + 1)) "${MUT_FILE[m]}" "${MUT_DESC[m]}"; done
  exit 0
fi
check_only=0
if [[ "${1:-}" == "--check" ]]; then
  check_only=1
  shift
fi
selected=()
if (($# > 0)); then
  for a in "$@"; do
    [[ "$a" =~ ^[0-9]+$ ]] && ((a >= 1 && a <= n_mutants)) || { echo "mutants.sh: no mutant $a (1..$n_mutants)" >&2; exit 2; }
    selected+=($((a - 1)))
  done
else
  for ((m = 0; m < n_mutants; ++m)); do selected+=("$m"); done
fi

# Applies mutant m to the tree under $1 (or only checks that it would apply, with $2 = check).
apply_mutant() {
  "$python" - "$1/${MUT_FILE[$2]}" "${MUT_FROM[$2]}" "${MUT_TO[$2]}" "${3:-apply}" <<'EOF'
import sys
path, old, new, mode = sys.argv[1:5]
try:
    text = open(path, encoding="utf-8").read()
except OSError as e:
    sys.exit(f"{path}: {e.strerror}")
count = text.count(old)
if count != 1:
    sys.exit(f"{path}: the mutant's original text occurs {count} times (must be exactly once):\n  {old!r}")
if old == new:
    sys.exit(f"{path}: the replacement equals the original")
if mode == "apply":
    open(path, "w", encoding="utf-8").write(text.replace(old, new))
EOF
}

# The writer's mutants also run the pytest suite (it reads the files back with h5py).
needs_pytest() { [[ "${MUT_FILE[$1]}" == sim/io/hdf5_sink.cpp ]]; }

start=$SECONDS
# Mutants must not rot: every original text is checked against the working tree before anything runs.
for m in "${selected[@]}"; do
  apply_mutant "$root" "$m" check || { echo "mutants.sh: mutant $((m + 1)) (${MUT_DESC[m]}) no longer applies" >&2; exit 2; }
done
if [[ "$check_only" == 1 ]]; then
  echo "mutants.sh: all ${#selected[@]} mutants apply exactly once"
  exit 0
fi

scratch=${EBSIM_MUTANTS_DIR:-$(mktemp -d /tmp/ebsim-mutants.XXXXXX)}
cleanup() { [[ -n "${EBSIM_MUTANTS_KEEP:-}" || -n "${EBSIM_MUTANTS_DIR:-}" ]] || rm -rf "$scratch"; }
trap cleanup EXIT
src=$scratch/src build=$scratch/src/build/release pristine=$scratch/build-pristine logs=$scratch/logs
rm -rf "$src" "$pristine" "$logs"
mkdir -p "$src" "$logs"
# Tracked and untracked (not ignored) files as they are in the working tree: build dirs are ignored.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  if [[ -e "$f" ]]; then cp --parents -p "$f" "$src"; fi  # a tracked file deleted in the tree stays out
done)
echo "mutants.sh: $n_mutants mutants (running ${#selected[@]}); scratch copy in $scratch"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEBSIM_BUILD_TESTS=ON >"$logs/configure.log" 2>&1 ||
  { echo "mutants.sh: configure failed, see $logs/configure.log" >&2; exit 2; }
cmake --build "$build" -j2 --target ebsim_tests ebsim >"$logs/build.log" 2>&1 ||
  { echo "mutants.sh: the unmutated build failed, see $logs/build.log" >&2; exit 2; }
(cd "$src" && timeout "$timeout_s" "$build/ebsim_tests" --no-colors >"$logs/unmutated.log" 2>&1) ||
  { echo "mutants.sh: the unmutated doctest suite fails, see $logs/unmutated.log: a score would mean nothing" >&2; exit 2; }
(cd "$src" && EBSIM_BIN="$build/ebsim" timeout "$timeout_s" "$python" -m pytest -q -p no:cacheprovider analysis/tests \
  >"$logs/unmutated-pytest.log" 2>&1) ||
  { echo "mutants.sh: the unmutated pytest suite fails, see $logs/unmutated-pytest.log" >&2; exit 2; }
cp -a "$build" "$pristine"
echo "mutants.sh: unmutated build and suites pass ($((SECONDS - start)) s)"

caught=0 survived=() broken=()
for m in "${selected[@]}"; do
  t0=$SECONDS
  file=${MUT_FILE[m]} log=$logs/mutant-$((m + 1)).log
  saved=$scratch/saved-original
  cp -p "$src/$file" "$saved"
  apply_mutant "$src" "$m"
  targets=(ebsim_tests)
  needs_pytest "$m" && targets+=(ebsim)
  verdict="" failed=""
  if ! cmake --build "$build" -j2 --target "${targets[@]}" >"$log" 2>&1; then
    verdict="BROKEN (does not compile)"
    broken+=("$((m + 1))")
  else
    rc=0
    (cd "$src" && timeout "$timeout_s" "$build/ebsim_tests" --no-colors >>"$log" 2>&1) || rc=$?
    ((rc == 124)) && failed="timeout after $timeout_s s"
    # doctest heads every report (failures, but also MESSAGEs) with its test case: the names of the
    # test cases with an ERROR (a failed assertion, an exception, a crash), in order, once each.
    names=$(awk '/^TEST CASE:  / { name = substr($0, 13) }
                 /(^|: )(FATAL )?ERROR: / && name != "" && !seen[name]++ { print name }' "$log")
    # The golden test (a CRC of a whole run) catches most engine mutants by itself; the point is which
    # specific tests do, so they are listed first and the golden test only flagged.
    golden=$(printf '%s\n' "$names" | grep -c '^golden:' || true)
    names=$(printf '%s\n' "$names" | grep -v '^golden:' || true)
    n_names=$(printf '%s' "$names" | grep -c . || true)
    if ((n_names > 0)); then
      failed=$(printf '%s\n' "$names" | awk 'NR <= 3 { printf "%s\"%s\"", (NR > 1 ? "; " : ""), $0 }')
      ((n_names > 3)) && failed+=" (+$((n_names - 3)) more)"
      ((golden > 0)) && failed+=" + golden"
    elif ((golden > 0)); then
      failed="golden only"
    fi
    if needs_pytest "$m"; then
      prc=0
      (cd "$src" && EBSIM_BIN="$build/ebsim" timeout "$timeout_s" "$python" -m pytest -q -rf -p no:cacheprovider analysis/tests \
        >>"$log" 2>&1) || prc=$?
      if ((prc != 0)); then
        py=$(sed -n 's/^FAILED [^:]*::\([^ ]*\).*/\1/p' "$log" | awk 'NR <= 3 { printf "%s%s", (NR > 1 ? ", " : ""), $0 }')
        failed+="${failed:+; }pytest: ${py:-exit $prc}"
        ((rc == 0)) && rc=$prc
      fi
    fi
    ((rc != 0)) && [[ -z "$failed" ]] && failed="exit status $rc"
    if ((rc != 0)); then
      verdict="caught"
      caught=$((caught + 1))
    else
      verdict="SURVIVED"
      survived+=("$((m + 1))")
    fi
  fi
  # Back to the unmutated tree and build, timestamps included: the next mutant rebuilds only its own.
  cp -p "$saved" "$src/$file"
  rm -rf "$build"
  cp -a "$pristine" "$build"
  printf '%3d %-9s %-29s %s [%d s]%s\n' $((m + 1)) "$verdict" "$file" "${MUT_DESC[m]}" $((SECONDS - t0)) \
    "${failed:+  -- failed: $failed}"
done

elapsed=$((SECONDS - start))
echo "mutants: $caught/${#selected[@]} caught (elapsed $((elapsed / 60)) min $((elapsed % 60)) s)"
((${#survived[@]} == 0)) || echo "survived: ${survived[*]}"
((${#broken[@]} == 0)) || echo "do not compile (not counted as caught): ${broken[*]}"
[[ -n "${EBSIM_MUTANTS_KEEP:-}" || -n "${EBSIM_MUTANTS_DIR:-}" ]] && echo "logs: $logs"
((caught == ${#selected[@]})) || exit 1
