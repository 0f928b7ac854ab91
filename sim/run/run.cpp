#include "sim/run/run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "sim/core/clock.hpp"
#include "sim/core/engine_factory.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/weight_gather.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/io/version.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/recorders.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/theory.hpp"
#include "sim/run/trials.hpp"

namespace ebsim {

namespace {

// One range of trials on its own engine, recording into a buffer.
struct TrialBlock {
  TrialBlock(const Config& cfg, const EngineParams& params, const Network& net, TrialRange r)
      : range(r),
        engine(make_engine(params, net)),
        states(cfg, net, buffer),
        spikes(cfg, net, *engine, buffer),
        rates(cfg, net, cfg.protocol.trials) {}
  TrialRange range;
  std::unique_ptr<Engine> engine;
  RecordingSink buffer;
  StateRecorder states;
  SpikeRecorder spikes;
  RateRecorder rates;
  std::vector<PhaseResult> phases;
  bool complete = false;
  std::exception_ptr error;
};

// The trials in `ranges` contiguous ranges, options.jobs at once on worker threads, each on an
// engine of its own into a buffer; finished ranges go to the sink and the recorders in trial order
// while later ones run. The same output as one engine running every trial: each trial starts from
// reset(trial), its randomness keyed by the trial. The worker that finishes the range next in order
// hands it over, so the work of handing over spreads over the workers: into a recording sink
// (a sweep's run), which encodes the datasets' chunks as they fill; and for a sink that stores
// chunks (an HDF5 file, which gets its calls from the calling thread only) into a recording that
// encodes them likewise, which the calling thread replays into the file as it fills.
// `first` (if set), work of the run's own that needs none of the trials (the mean-field reference),
// is taken by the first worker before any range, with the workers' stop flag: the costliest piece
// first, so that it does not run alone after them.
bool run_trial_ranges(const Config& cfg, const EngineParams& params, const Network& net,
                      const std::vector<PhaseDrive>& drives, unsigned ranges, const Recorders& main,
                      const RunOptions& options, Sink& sink, RunResult& result, std::vector<double>& final_states,
                      const std::function<void(const std::atomic<bool>*)>& first) {
  const std::uint32_t trials = cfg.protocol.trials;
  auto range_of = [&](unsigned b) {
    return TrialRange{std::uint32_t(std::uint64_t(trials) * b / ranges),
                      std::uint32_t(std::uint64_t(trials) * (b + 1) / ranges)};
  };
  final_states.assign(std::size_t(trials) * net.n_units, 0.0);  // every range writes its own rows
  std::vector<std::unique_ptr<TrialBlock>> blocks(ranges);
  std::vector<char> done(ranges, 0);
  std::vector<double> fraction(ranges, 0.0);
  std::mutex mutex;
  std::condition_variable changed;
  unsigned next = 0;
  std::atomic<bool> halt{false};  // the workers' stop: a signal (relayed), an interrupted range, a failure
  RunOptions range_options = options;
  range_options.stop = &halt;
  auto options_of = [&](unsigned b) {
    RunOptions o = range_options;
    if (options.progress)
      o.progress = [&, b](double f) {
        std::lock_guard lock(mutex);
        fraction[b] = f;
        double sum = 0.0;
        for (unsigned i = 0; i < ranges; ++i) sum += fraction[i] * (range_of(i).end - range_of(i).first);
        options.progress(sum / trials);
      };
    return o;
  };
  std::optional<RecordingSink> staging;
  if (sink.stores_chunks()) {
    staging.emplace(true);
    if (main.states)
      for (const Population* p : main.states->populations()) staging->encode_declared_report(p->name, p->size);
    if (main.spikes)
      for (const Population* p : main.spikes->populations()) staging->encode_declared_spikes(p->name);
  }
  Sink& target = staging ? static_cast<Sink&>(*staging) : sink;
  std::mutex hand_mutex;  // one hand-over at a time, in order
  unsigned handed = 0;    // ranges handed over (or given up: handing ends at a failure)
  std::exception_ptr failure;
  result.complete = true;
  // Range `b`, finished, to the sink and the recorders; false once no more ranges go (hand_mutex).
  auto hand = [&](TrialBlock& block) {
    if (block.error) {
      failure = block.error;
      result.complete = false;
      return false;
    }
    result.complete = block.complete;
    if (!block.complete) return false;
    block.buffer.replay_without_declarations(target);
    if (main.rates && main.rates->active()) main.rates->copy_trials(block.rates, block.range.first, block.range.end);
    result.phases.insert(result.phases.end(), block.phases.begin(), block.phases.end());
    result.synaptic_events += block.engine->synaptic_events();
    result.spikes += block.engine->spike_count();
    result.samples += block.states.samples();
    return true;
  };
  // The ranges that are next in order and finished, handed over by this thread (a worker), unless
  // another is handing over: that one takes this range too (it looks again after letting go, and
  // this range was marked done before), and this thread goes on to compute the next.
  auto hand_ready = [&] {
    for (;;) {
      {
        std::unique_lock hand_lock(hand_mutex, std::try_to_lock);
        if (!hand_lock.owns_lock()) return;
        for (;;) {
          std::unique_ptr<TrialBlock> block;
          {
            std::lock_guard lock(mutex);
            if (handed >= ranges || !done[handed]) break;
            block = std::move(blocks[handed]);
          }
          bool go_on = false;
          try {  // a sink that refuses the data (a worker's exception would end the process)
            go_on = hand(*block);
          } catch (...) {
            failure = std::current_exception();
            result.complete = false;
          }
          {
            std::lock_guard lock(mutex);
            handed = go_on ? handed + 1 : ranges;
            if (!go_on) halt = true;
          }
          changed.notify_all();
        }
      }
      std::lock_guard lock(mutex);
      if (handed >= ranges || !done[handed]) return;  // nothing finished while this thread held it
    }
  };
  std::atomic<bool> first_taken{!first};
  bool first_done = !first;        // under `mutex`: the calling thread waits for it too
  std::exception_ptr first_error;  // from `first`, rethrown once the workers have ended
  auto worker = [&] {
    if (!first_taken.exchange(true)) {
      try {
        first(&halt);
      } catch (...) {
        first_error = std::current_exception();
        halt = true;
      }
      {
        std::lock_guard lock(mutex);
        first_done = true;
      }
      changed.notify_all();
    }
    for (;;) {
      unsigned b = 0;
      {
        std::lock_guard lock(mutex);
        if (halt.load() || next >= ranges) return;
        b = next++;
      }
      auto block = std::make_unique<TrialBlock>(cfg, params, net, range_of(b));
      try {
        const Recorders rec{&block->states, &block->spikes, &block->rates, nullptr, {}};
        block->complete = run_trials(cfg, drives, *block->engine, rec, options_of(b), block->phases, final_states,
                                     net.n_units, block->range);
      } catch (...) {
        block->error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        blocks[b] = std::move(block);
        done[b] = 1;
      }
      changed.notify_all();
      hand_ready();
    }
  };
  {
    std::vector<std::jthread> threads;
    for (unsigned j = 0; j < std::min(options.jobs, ranges); ++j) threads.emplace_back(worker);
    // However this scope ends (the file refusing a write included), the workers stop before they
    // are joined: ends them early if the run did not complete.
    struct HaltOnExit {
      std::atomic<bool>& halt;
      ~HaltOnExit() { halt = true; }
    } halt_on_exit{halt};
    // Stopped with range b never started (the workers saw the stop first): the run is incomplete.
    std::unique_lock lock(mutex);
    // Until every range is handed over and `first` is done (leaving sets halt, which would stop it).
    while (handed < ranges || !first_done) {
      if (halt.load() && next <= handed && handed < ranges) {
        result.complete = false;
        break;
      }
      changed.wait_for(lock, std::chrono::milliseconds(20));
      if (options.stop && options.stop->load()) halt = true;
      if (staging) {  // what the workers handed over so far, into the file
        lock.unlock();
        staging->replay_without_declarations(sink);
        lock.lock();
      }
    }
  }  // joins
  if (staging) {
    staging->finish_chunks();  // the rows after the datasets' last whole chunks
    staging->replay_without_declarations(sink);
  }
  if (failure) std::rethrow_exception(failure);
  if (first_error) std::rethrow_exception(first_error);
  return result.complete;
}

}  // namespace

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
  if (const unsigned ranges = options.comm ? 1 : trial_ranges(cfg, options.jobs); ranges > 1) {
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
