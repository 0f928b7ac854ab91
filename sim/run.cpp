#include "sim/run.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>

#include "sim/continuous_engine.hpp"
#include "sim/network.hpp"
#include "sim/protocol.hpp"
#include "sim/spiking_engine.hpp"
#include "sim/version.hpp"

namespace ebsim {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::unique_ptr<Engine> make_engine(const Config& cfg, const Network& net) {
  switch (cfg.engine.kind) {
    case EngineKind::continuous: return std::make_unique<ContinuousEngine>(cfg, net);
    case EngineKind::spiking: return std::make_unique<SpikingEngine>(cfg, net);
  }
  throw std::logic_error("unknown engine kind");
}

// Samples recorded populations on the global grid t = g * period.
class StateRecorder {
 public:
  StateRecorder(const Config& cfg, const Network& net, Sink& sink) : sink_(sink), buffer_(net.n_units) {
    for (const std::string& name : cfg.record.states.populations)
      for (const Population& p : net.populations)
        if (p.name == name) {
          pops_.push_back(&p);
          sink.declare_report(p.name, p.size, 0.0, cfg.record.states.period_ms);
        }
  }
  bool active() const { return !pops_.empty(); }
  void sample(Engine& engine) {
    engine.sample_states(buffer_);
    for (const Population* p : pops_) {
      row_.assign(buffer_.begin() + p->offset, buffer_.begin() + p->offset + p->size);
      sink_.append_report(p->name, row_);
    }
    ++samples_;
  }
  std::uint64_t samples() const { return samples_; }

 private:
  Sink& sink_;
  std::vector<const Population*> pops_;
  std::vector<double> buffer_;
  std::vector<float> row_;
  std::uint64_t samples_ = 0;
};

// Drains the engine's spike buffer into the sink, per population, with global times.
class SpikeRecorder {
 public:
  SpikeRecorder(const Config& cfg, const Network& net, Engine& engine, Sink& sink) : net_(net), sink_(sink) {
    by_pop_.resize(net.populations.size());
    for (const std::string& name : cfg.record.spikes)
      for (std::uint32_t k = 0; k < net.populations.size(); ++k)
        if (net.populations[k].name == name) {
          engine.record_spikes(k);
          sink.declare_spikes(name);
          active_ = true;
        }
  }
  void drain(Engine& engine, double t0) {
    if (!active_) return;
    engine.take_spikes(buffer_);
    for (auto& b : by_pop_) b.times.clear(), b.ids.clear();
    for (const Spike& s : buffer_) {
      const Population& p = net_.population_of(s.unit);
      Batch& b = by_pop_[&p - net_.populations.data()];
      b.times.push_back(t0 + s.time);
      b.ids.push_back(s.unit - p.offset);
    }
    for (std::size_t k = 0; k < by_pop_.size(); ++k)
      if (!by_pop_[k].times.empty()) sink_.append_spikes(net_.populations[k].name, by_pop_[k].times, by_pop_[k].ids);
  }

 private:
  struct Batch {
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
  };
  const Network& net_;
  Sink& sink_;
  bool active_ = false;
  std::vector<Spike> buffer_;
  std::vector<Batch> by_pop_;
};

void write_phase_analysis(const Config& cfg, const Network& net, const std::vector<PhaseResult>& phases, Sink& sink) {
  const std::size_t n_phases = cfg.protocol.phases.size(), trials = cfg.protocol.trials, n_pops = net.populations.size();
  for (std::size_t ph = 0; ph < n_phases; ++ph) {
    std::vector<double> converged, settle_time, residual, held_low, held_high, chattering;
    for (std::size_t tr = 0; tr < trials; ++tr) {
      const PhaseResult& r = phases[tr * n_phases + ph];
      converged.push_back(r.converged ? 1.0 : 0.0);
      settle_time.push_back(r.settle_time_ms);
      residual.push_back(r.residual);
      for (const BoundaryCounts& b : r.boundary) {
        held_low.push_back(b.held_low);
        held_high.push_back(b.held_high);
        chattering.push_back(b.chattering);
      }
    }
    const std::string g = "/analysis/phases/" + cfg.protocol.phases[ph].name;
    sink.write_attribute(g, "index", std::int64_t(ph));
    sink.write_attribute(g, "duration_ms", cfg.protocol.phases[ph].duration_ms);
    sink.write_attribute(g, "settle", std::int64_t(cfg.protocol.phases[ph].settle ? 1 : 0));
    if (cfg.protocol.phases[ph].settle) {
      sink.write_array(g + "/converged", converged, {trials});
      sink.write_array(g + "/settle_time_ms", settle_time, {trials});
    }
    sink.write_array(g + "/residual", residual, {trials});
    sink.write_array(g + "/held_low", held_low, {trials, n_pops});
    sink.write_array(g + "/held_high", held_high, {trials, n_pops});
    sink.write_array(g + "/chattering", chattering, {trials, n_pops});
  }
}

}  // namespace

RunResult run_experiment(const Config& cfg, Sink& sink, const RunOptions& options) {
  RunResult result;
  const auto t_build = Clock::now();
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  std::unique_ptr<Engine> engine = make_engine(cfg, net);
  result.wall_build_s = seconds_since(t_build);
  result.synapses = net.synapse_count();

  RunMetadata meta;
  meta.resolved_config = cfg.resolved_yaml;
  meta.seed = cfg.seed;
  meta.version = kVersion;
  meta.git_revision = kGitRevision;
  meta.command_line = options.command_line;
  meta.engine = cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous";
  for (const Population& p : net.populations) meta.populations.push_back({p.name, to_string(p.role), p.size});
  sink.begin_run(meta);
  sink.write_attribute("/", "weights_effective",
                       std::string(cfg.model.symmetrise ? "(W + W^T)/2 (Eq. 8): asymmetric projections act with half weight in both directions"
                                                        : "W as given (directed): asymmetric projections act forward only"));
  for (const Population& p : net.populations)
    sink.write_array("/populations/" + p.name + "/bias",
                     std::span<const double>(net.bias).subspan(p.offset, p.size), {p.size});
  if (cfg.record.weights)
    for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("initial", net.weight_table(k));

  StateRecorder recorder(cfg, net, sink);
  SpikeRecorder spike_recorder(cfg, net, *engine, sink);
  const double period = cfg.record.states.period_ms;
  const double trial_ms = cfg.protocol.total_duration_ms();
  const double total_ms = trial_ms * cfg.protocol.trials;
  const double chunk_ms = std::max(trial_ms / 200.0, cfg.engine.dt_ms);  // progress and interrupt granularity
  std::uint64_t next_tick = 0;  // global tick index: t = next_tick * period
  std::vector<double> final_states(std::size_t(cfg.protocol.trials) * net.n_units);
  const auto t_run = Clock::now();

  auto interrupted = [&] { return options.stop && options.stop->load(); };
  bool stopped = false;
  for (std::uint32_t trial = 0; trial < cfg.protocol.trials && !stopped; ++trial) {
    const double t0 = trial * trial_ms;  // global time of this trial's start
    engine->reset(trial);
    double phase_start = 0.0;
    for (std::size_t ph = 0; ph < cfg.protocol.phases.size() && !stopped; ++ph) {
      const PhaseConfig& phase = cfg.protocol.phases[ph];
      engine->set_phase(drives[ph]);
      const double phase_end = phase_start + phase.duration_ms;
      const bool last_phase_of_run = trial + 1 == cfg.protocol.trials && ph + 1 == cfg.protocol.phases.size();
      PhaseResult pr;
      pr.name = phase.name;
      pr.trial = trial;
      pr.settle = phase.settle.has_value();
      bool settled = false;
      // The tick at a trial boundary belongs to the next trial's start, except at the run's end.
      auto tick_due = [&](double t_local) {
        const double t_tick = double(next_tick) * period - t0;
        return recorder.active() && t_tick <= t_local + 1e-9 &&
               (t_tick < phase_end - 1e-9 || ph + 1 < cfg.protocol.phases.size() || last_phase_of_run);
      };
      double t = engine->now();
      while (true) {
        if (tick_due(t) && std::abs(double(next_tick) * period - t0 - t) < 1e-9) {
          recorder.sample(*engine);
          ++next_tick;
          continue;
        }
        if (t >= phase_end - 1e-9) break;
        double t_next = std::min(phase_end, t + chunk_ms);
        if (recorder.active()) t_next = std::min(t_next, double(next_tick) * period - t0);
        if (settled) {
          engine->hold_until(t_next);
        } else if (phase.settle) {
          if (engine->advance_until_settled(t_next, phase.settle->tol)) {
            settled = true;
            pr.converged = true;
            pr.settle_time_ms = engine->now() - phase_start;
            engine->hold_until(t_next);
          }
        } else {
          engine->advance_to(t_next);
        }
        t = t_next;
        spike_recorder.drain(*engine, t0);
        if (options.progress) options.progress((t0 + t) / total_ms);
        if (interrupted()) {
          stopped = true;
          break;
        }
      }
      if (pr.settle && !pr.converged) pr.settle_time_ms = phase.duration_ms;
      pr.residual = engine->residual();
      pr.boundary = engine->boundary_counts();
      result.phases.push_back(pr);
      phase_start = phase_end;
    }
    engine->sample_states(std::span<double>(final_states).subspan(std::size_t(trial) * net.n_units, net.n_units));
  }
  result.wall_run_s = seconds_since(t_run);
  result.synaptic_events = engine->synaptic_events();
  result.spikes = engine->spike_count();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) result.peak_rss_bytes = std::uint64_t(usage.ru_maxrss) * 1024;  // KiB on Linux
  result.samples = recorder.samples();
  result.complete = !stopped;

  if (result.complete) {
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
    if (cfg.record.weights)
      for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("final", net.weight_table(k));
    sink.write_attribute("/", "trial_duration_ms", trial_ms);
    sink.write_attribute("/", "trials", std::int64_t(cfg.protocol.trials));
  }
  sink.end_run(result.complete);
  return result;
}

std::string format_summary(const Config& cfg, const RunResult& r) {
  std::ostringstream os;
  os << std::setprecision(4);
  os << "ebsim " << (cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous") << " run: "
     << cfg.populations.size() << " populations, " << r.synapses << " synapses, " << cfg.protocol.trials
     << " trial(s) of " << cfg.protocol.total_duration_ms() << " ms"
     << (r.complete ? "" : "  [INTERRUPTED]") << "\n";
  os << "  build " << r.wall_build_s << " s, simulation " << r.wall_run_s << " s, " << r.samples << " samples recorded\n";
  if (cfg.engine.kind == EngineKind::spiking) {
    os << "  spikes: " << r.spikes << ", synaptic events delivered: " << r.synaptic_events << "\n";
    os << "  wall time: network construction " << r.wall_build_s << " s, simulation loop " << r.wall_run_s << " s\n";
    os << std::setprecision(6);
    os << "  synaptic events per second: " << (r.wall_run_s > 0 ? double(r.synaptic_events) / r.wall_run_s : 0.0) << "\n";
    if (r.synapses > 0) os << "  bytes per synapse: " << double(r.peak_rss_bytes) / double(r.synapses) << " (peak resident memory " << double(r.peak_rss_bytes) / (1 << 20) << " MiB over " << r.synapses << " synapses)\n";
    os << std::setprecision(4);
  }
  for (std::size_t k = 0; k < r.phases.size(); ++k) {
    const PhaseResult& p = r.phases[k];
    // With several trials, the first and the last tell the story.
    if (cfg.protocol.trials > 1 && p.trial != 0 && p.trial != cfg.protocol.trials - 1) continue;
    os << "  phase " << std::left << std::setw(10) << p.name << std::right;
    if (cfg.protocol.trials > 1) os << " (trial " << p.trial << ")";
    if (p.settle)
      os << (p.converged ? " settled in " : " NOT settled within ") << p.settle_time_ms << " ms,";
    os << " residual max|R-s| = " << std::scientific << p.residual << std::defaultfloat;
    std::uint32_t low = 0, high = 0, chatter = 0;
    for (const auto& b : p.boundary) low += b.held_low, high += b.held_high, chatter += b.chattering;
    if (low + high) os << ", " << low << " unit(s) held at beta1, " << high << " at beta2 (rho' = 0 for gradients)";
    if (chatter) os << ", WARNING " << chatter << " unit(s) chattering across a boundary";
    os << "\n";
  }
  if (!r.populations.empty()) {
    os << "  final state   population  role     size  mean s     mean rate (Hz)\n";
    for (const auto& p : r.populations)
      os << "                " << std::left << std::setw(11) << p.name << " " << std::setw(8) << p.role << std::right
         << std::setw(5) << p.size << "  " << std::setw(9) << p.mean_state << "  " << std::setw(9) << p.mean_rate << "\n";
  }
  return os.str();
}

}  // namespace ebsim
