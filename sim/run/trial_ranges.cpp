#include "sim/run/trial_ranges.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "sim/core/engine_factory.hpp"
#include "sim/core/protocol.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/run/exchange.hpp"
#include "sim/run/range_outlet.hpp"

namespace ebsim {

namespace {

// One range of trials, run on an engine of its own into a buffer (compute_block), or by another
// process (from_part).
struct TrialBlock {
  TrialBlock(const Config& cfg, const Network& net, TrialRange r) : range(r), rates(cfg, net, cfg.protocol.trials) {}
  TrialRange range;
  RecordingSink buffer;
  RateRecorder rates;
  std::vector<PhaseResult> phases;
  std::uint64_t synaptic_events = 0, spikes = 0, samples = 0;
  bool complete = false;
  std::exception_ptr error;
  std::string packed;  // another process's: its bytes, unpacked when handed over (off the go-between)
};

// The block's trials on a new engine; their final states into their rows of final_states.
void compute_block(const Config& cfg, const EngineParams& params, const Network& net,
                   const std::vector<PhaseDrive>& drives, const RunOptions& options, TrialBlock& block,
                   std::vector<double>& final_states) {
  const std::unique_ptr<Engine> engine = make_engine(params, net);
  StateRecorder states(cfg, net, block.buffer);
  SpikeRecorder spikes(cfg, net, *engine, block.buffer);
  const Recorders rec{&states, &spikes, &block.rates, nullptr, {}};
  block.complete = run_trials(cfg, drives, *engine, rec, options, block.phases, final_states, net.n_units, block.range);
  block.synaptic_events = engine->synaptic_events();
  block.spikes = engine->spike_count();
  block.samples = states.samples();
}

// A block another process computed (pack_trial_part); its final states into final_states.
void from_part(const TrialPart& part, std::uint32_t n_units, TrialBlock& block, std::vector<double>& final_states) {
  block.complete = part.complete;
  if (!part.complete) return;  // stopped there (or never started): nothing of it is used
  const std::size_t rows = std::size_t(block.range.end - block.range.first) * n_units;
  if (part.final_states.size() != rows)
    throw std::runtime_error("a range of trials from another process holds " +
                             std::to_string(part.final_states.size()) + " final states where " + std::to_string(rows) +
                             " were expected");
  block.rates.set_trial_rows(block.range.first, block.range.end, part.rates);
  block.buffer.unpack(part.calls);
  std::copy(part.final_states.begin(), part.final_states.end(),
            final_states.begin() + std::ptrdiff_t(std::size_t(block.range.first) * n_units));
  block.phases = part.phases;
  block.synaptic_events = part.synaptic_events;
  block.spikes = part.spikes;
  block.samples = part.samples;
}

}  // namespace

bool run_trial_ranges(const Config& cfg, const EngineParams& params, const Network& net,
                      const std::vector<PhaseDrive>& drives, unsigned ranges, const Recorders& main,
                      const RunOptions& options, Sink& sink, RunResult& result, std::vector<double>& final_states,
                      const std::function<void(const std::atomic<bool>*)>& first) {
  const std::uint32_t trials = cfg.protocol.trials;
  auto range_of = [&](unsigned b) { return trial_range(trials, ranges, b); };
  final_states.assign(std::size_t(trials) * net.n_units, 0.0);  // every range writes its own rows
  std::vector<std::unique_ptr<TrialBlock>> blocks(ranges);
  std::vector<char> done(ranges, 0);
  std::vector<char> remote(ranges, 0);  // taken by another process (options.outlet)
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
    if (!block.packed.empty()) {
      try {
        from_part(unpack_trial_part(block.packed), net.n_units, block, final_states);
      } catch (...) {
        block.error = std::current_exception();
      }
      block.packed.clear();
    }
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
    result.synaptic_events += block.synaptic_events;
    result.spikes += block.spikes;
    result.samples += block.samples;
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
        std::unique_lock lock(mutex);
        if (halt.load() || handed >= ranges) return;
        if (next >= ranges) {
          // Nothing left to take: ranges other processes run may still come, and one of the
          // workers hands them over (a range that arrives goes no further by itself).
          if (!done[handed]) {
            changed.wait_for(lock, std::chrono::milliseconds(20));
            continue;
          }
          lock.unlock();
          hand_ready();
          lock.lock();
          if (handed < ranges && done[handed])
            changed.wait_for(lock, std::chrono::milliseconds(1));  // another hands over
          continue;
        }
        b = next++;
      }
      auto block = std::make_unique<TrialBlock>(cfg, net, range_of(b));
      try {
        compute_block(cfg, params, net, drives, options_of(b), *block, final_states);
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
  // Other processes take the next free range as they ask; what they computed arrives here.
  if (options.outlet)
    options.outlet->open({[&]() -> std::optional<unsigned> {
                            std::lock_guard lock(mutex);
                            if (halt.load() || next >= ranges) return std::nullopt;
                            remote[next] = 1;
                            return next++;
                          },
                          [&](unsigned b, std::string packed) {
                            {
                              std::lock_guard lock(mutex);
                              if (b >= ranges || !remote[b] || done[b]) return;  // not one given out
                            }
                            auto block = std::make_unique<TrialBlock>(cfg, net, range_of(b));
                            block->packed = std::move(packed);
                            {
                              std::lock_guard lock(mutex);
                              blocks[b] = std::move(block);
                              done[b] = 1;
                              fraction[b] = 1.0;
                            }
                            changed.notify_all();
                          }});
  struct CloseOutlet {  // before anything the hooks use goes
    RangeOutlet* outlet;
    ~CloseOutlet() {
      if (outlet) outlet->close();
    }
  } close_outlet{options.outlet};
  {
    std::vector<std::jthread> threads;
    for (unsigned j = 0; j < std::min(options.jobs, ranges); ++j) threads.emplace_back(worker);
    // However this scope ends (the file refusing a write included), the workers stop before they
    // are joined: ends them early if the run did not complete.
    struct HaltOnExit {
      std::atomic<bool>& halt;
      ~HaltOnExit() { halt = true; }
    } halt_on_exit{halt};
    std::unique_lock lock(mutex);
    // Until every range is handed over and `first` is done (leaving sets halt, which would stop it).
    while (handed < ranges || !first_done) {
      // Stopped with range `handed` never started, or another process's and not here: incomplete.
      if (halt.load() && handed < ranges && (next <= handed || (remote[handed] && !done[handed]))) {
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

std::string run_trial_part(const Config& cfg, TrialRange range, const RunOptions& options) {
  const Network net = build_network(cfg, options.stop);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const EngineParams params = lower_engine_params(cfg);
  TrialBlock block(cfg, net, range);
  std::vector<double> final_states;
  RunOptions o = options;
  o.progress = {};
  compute_block(cfg, params, net, drives, o, block, final_states);
  TrialPart part;
  part.complete = block.complete;
  part.phases = std::move(block.phases);
  part.synaptic_events = block.synaptic_events;
  part.spikes = block.spikes;
  part.samples = block.samples;
  part.final_states.assign(final_states.begin() + std::ptrdiff_t(std::size_t(range.first) * net.n_units),
                           final_states.begin() + std::ptrdiff_t(std::size_t(range.end) * net.n_units));
  part.rates = block.rates.trial_rows(range.first, range.end);
  part.calls = block.buffer.pack();
  return pack_trial_part(part);
}

}  // namespace ebsim
