#include "sim/run/run.hpp"

#include <sys/resource.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "sim/core/clock.hpp"
#include "sim/core/engine_factory.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/weight_gather.hpp"
#include "sim/io/version.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/range_outlet.hpp"
#include "sim/run/recorders.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/theory.hpp"
#include "sim/run/trial_ranges.hpp"
#include "sim/run/trials.hpp"

namespace ebsim {

RunMetadata make_metadata(const Config& cfg, const std::string& command_line) {
  RunMetadata meta;
  meta.resolved_config = cfg.resolved_yaml;
  meta.seed = cfg.seed;
  meta.version = kVersion;
  meta.git_revision = kGitRevision;
  meta.command_line = command_line;
  meta.engine = cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous";
  for (const PopulationConfig& p : cfg.populations) meta.populations.push_back({p.name, to_string(p.role), p.size});
  return meta;
}

RunResult run_experiment(const Config& cfg, Sink& sink, const RunOptions& options) {
  RunResult result;
  const Stopwatch build_watch;
  // Over MPI ranks, a run that reads no weight whole on every rank (network_divides) holds only its
  // own units' synapses on each; the weights it writes are gathered on rank 0.
  const bool divided = options.comm && options.comm->size() > 1 && network_divides(cfg);
  EngineParams params = lower_engine_params(cfg);
  UnitRange part;
  if (divided) {
    std::uint32_t units = 0;
    for (const PopulationConfig& p : cfg.populations) units += p.size;
    part = PartitionedEngine::block(params, units, options.threads, options.comm);
  }
  Network net = build_network(cfg, options.stop, part);  // not const: plastic weights change
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  params.partitions = options.threads;
  params.comm = options.comm;
  std::unique_ptr<Engine> engine = make_engine(params, net);
  PlasticityRule plasticity(cfg, net);
  if (plasticity.any()) engine->set_plasticity(&plasticity);
  result.wall_build_s = build_watch.seconds();
  result.synapses = net.synapse_count();
  result.connectivity_bytes = net.connectivity_bytes();

  sink.write_attribute(
      "/", "weights_effective",
      std::string(cfg.model.symmetrise
                      ? "(W + W^T)/2 (Eq. 8): asymmetric projections act with half weight in both directions"
                      : "W as given (directed): asymmetric projections act forward only"));
  for (const Population& p : net.populations)
    sink.write_array("/populations/" + p.name + "/bias", std::span<const double>(net.bias).subspan(p.offset, p.size),
                     {p.size});
  if (cfg.record.weights)
    for (std::size_t k = 0; k < net.projections.size(); ++k)
      sink.write_weights("initial", gathered_weight_table(net, k, options.comm));

  StateRecorder states(cfg, net, sink);
  SpikeRecorder spikes(cfg, net, *engine, sink);
  RateRecorder rates(cfg, net, cfg.protocol.trials);
  std::vector<double> final_states;
  const Stopwatch run_watch;
  Recorders recorders{&states, &spikes, &rates, plasticity.any() ? &plasticity : nullptr, {}};
  if (cfg.record.weight_snapshots)
    recorders.on_phase_end = [&](std::uint32_t trial, const std::string& phase) {
      for (std::size_t k = 0; k < net.projections.size(); ++k)
        sink.write_weights("trial" + std::to_string(trial) + "_" + phase, gathered_weight_table(net, k, options.comm));
    };
  // The trials' share of the run's progress; the theory reference takes the rest. The two may run
  // at once (below), on two threads: each reports its own fraction, the sum goes out.
  const CostEstimate cost = estimated_cost(cfg);
  const double share = cost.theory > 0 ? (cost.run + cost.write) / cost.total() : 1.0;
  std::mutex progress_mutex;
  double trials_done = 0.0, theory_done = 0.0;
  auto progress_of = [&](double& part) -> std::function<void(double)> {
    if (!options.progress || cost.theory <= 0) return {};
    return [&, &part = part](double f) {
      std::lock_guard lock(progress_mutex);
      part = f;
      options.progress(share * trials_done + (1.0 - share) * theory_done);
    };
  };
  RunOptions trial_options = options;
  if (cost.theory > 0) trial_options.progress = progress_of(trials_done);
  const bool theory = rates.active() && cfg.record.rates.theory;
  std::optional<RateRecorder> reference;
  // Over processes, every engine call is a collective: the trials run in order on one engine.
  const unsigned ranges = options.comm     ? 1
                          : options.outlet ? options.outlet->ranges()
                                           : trial_ranges(cfg, options.jobs);
  if (ranges > 1) {
    // The reference needs none of the trials: one worker computes it first, beside them.
    std::function<void(const std::atomic<bool>*)> first;
    if (theory)
      first = [&](const std::atomic<bool>* stop) {
        reference = theory_reference(cfg, params, net, drives, stop, progress_of(theory_done));
      };
    run_trial_ranges(cfg, params, net, drives, ranges, recorders, trial_options, sink, result, final_states, first);
    if (theory && !reference) result.complete = false;  // stopped before the reference was done
  } else {
    result.complete =
        run_trials(cfg, drives, *engine, recorders, trial_options, result.phases, final_states, net.n_units);
    result.synaptic_events = engine->synaptic_events();
    result.spikes = engine->spike_count();
  }
  {
    std::lock_guard lock(progress_mutex);
    trials_done = 1.0;  // the reference, if it still runs, counts from here
  }
  result.wall_run_s = run_watch.seconds();
  result.samples += states.samples();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    result.peak_rss_bytes = std::uint64_t(usage.ru_maxrss) * 1024;  // KiB on Linux
  if (divided) {  // every rank's memory; the whole network's synapses, each counted by its target's rank
    const RunResult::RankMemory mine{result.synapses, result.connectivity_bytes, result.peak_rss_bytes};
    result.ranks = options.comm->all_gather_values<RunResult::RankMemory>(std::span(&mine, 1));
    const std::uint64_t onto = net.synapses_onto(part);
    result.synapses = 0;
    for (std::uint64_t n : options.comm->all_gather_values<std::uint64_t>(std::span(&onto, 1))) result.synapses += n;
  }
  if (!result.complete) return result;

  write_phase_analysis(cfg, net, result.phases, sink);
  const std::uint64_t trials = cfg.protocol.trials;
  for (const Population& p : net.populations) {
    std::vector<double> block;
    for (std::uint64_t tr = 0; tr < trials; ++tr)
      block.insert(block.end(), final_states.begin() + tr * net.n_units + p.offset,
                   final_states.begin() + tr * net.n_units + p.offset + p.size);
    sink.write_array("/analysis/final_state/" + p.name, block, {trials, p.size});
    PopulationSummary ps{p.name, to_string(p.role), p.size, 0.0, 0.0};
    const std::size_t last = (trials - 1) * net.n_units + p.offset;
    for (std::uint32_t u = 0; u < p.size; ++u) {
      ps.mean_state += final_states[last + u] / p.size;
      ps.mean_rate += cfg.model.r_max_hz * cfg.model.rate.rho(final_states[last + u]) / p.size;
    }
    result.populations.push_back(ps);
  }
  if (rates.active()) {
    rates.write(sink, "/rates");
    if (theory) {
      if (!reference) {
        reference = theory_reference(cfg, params, net, drives, options.stop, progress_of(theory_done));
        if (!reference) {
          result.complete = false;
          return result;
        }
      }
      result.theory = write_theory(cfg, *reference, rates, sink);
    }
  }
  if (cfg.record.weights)
    for (std::size_t k = 0; k < net.projections.size(); ++k)
      sink.write_weights("final", gathered_weight_table(net, k, options.comm));
  sink.write_attribute("/", "trial_duration_ms", cfg.protocol.total_duration_ms());
  sink.write_attribute("/", "trials", std::int64_t(cfg.protocol.trials));
  // Trials run back to back on one clock: trial k spans [trial_start_ms[k], + trial_duration_ms).
  std::vector<double> trial_start_ms;
  for (std::uint64_t tr = 0; tr < trials; ++tr) trial_start_ms.push_back(double(tr) * cfg.protocol.total_duration_ms());
  sink.write_array("/trial_start_ms", trial_start_ms, {trials});
  return result;
}

}  // namespace ebsim
