#include "sim/run/run.hpp"

#include <sys/resource.h>

#include <cmath>
#include <memory>

#include "sim/core/clock.hpp"
#include "sim/core/continuous_engine.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/io/version.hpp"
#include "sim/run/recorders.hpp"

namespace ebsim {

namespace {

constexpr double kTimeSlack = 1e-9;  // ms; grid times are compared with this slack

std::unique_ptr<Engine> make_engine(const Config& cfg, const Network& net) {
  switch (cfg.engine.kind) {
    case EngineKind::continuous: return std::make_unique<ContinuousEngine>(cfg, net);
    case EngineKind::spiking: return std::make_unique<SpikingEngine>(cfg, net);
  }
  throw std::logic_error("unknown engine kind");
}

struct Recorders {
  StateRecorder* states = nullptr;
  SpikeRecorder* spikes = nullptr;
  RateRecorder* rates = nullptr;
  PlasticityRule* plasticity = nullptr;
  std::function<void(std::uint32_t trial, const std::string& phase)> on_phase_end;
};

// Runs every trial of the protocol on `engine`, feeding the recorders. Returns false if stopped.
bool run_trials(const Config& cfg, const std::vector<PhaseDrive>& drives, Engine& engine, const Recorders& rec,
                const RunOptions& options, std::vector<PhaseResult>& phases, std::vector<double>& final_states,
                std::uint32_t n_units) {
  const bool record_states = rec.states && rec.states->active();
  const bool record_rates = rec.rates && rec.rates->active();
  if (record_rates) engine.enable_integrals();
  const double period = cfg.record.states.period_ms;
  const double trial_ms = cfg.protocol.total_duration_ms();
  const double total_ms = trial_ms * cfg.protocol.trials;
  const double chunk_ms = std::max(trial_ms / 200.0, cfg.engine.dt_ms);  // progress and interrupt granularity
  const std::size_t n_phases = cfg.protocol.phases.size();
  std::uint64_t next_tick = 0;  // global state-sample index: t = next_tick * period
  final_states.assign(std::size_t(cfg.protocol.trials) * n_units, 0.0);

  for (std::uint32_t trial = 0; trial < cfg.protocol.trials; ++trial) {
    const double t0 = trial * trial_ms;  // global time of this trial's start
    const bool last_trial = trial + 1 == cfg.protocol.trials;
    engine.reset(trial);
    if (record_rates) rec.rates->start_trial();
    std::uint64_t next_bin = 0;
    double phase_start = 0.0;
    for (std::size_t ph = 0; ph < n_phases; ++ph) {
      const PhaseConfig& phase = cfg.protocol.phases[ph];
      engine.set_phase(drives[ph]);
      if (rec.plasticity) rec.plasticity->set_phase(ph);
      const double phase_end = phase_start + phase.duration_ms;
      const bool last_phase = ph + 1 == n_phases;
      PhaseResult pr;
      pr.name = phase.name;
      pr.trial = trial;
      pr.settle = phase.settle.has_value();
      bool settled = false;
      // A state sample at a trial boundary belongs to the next trial's start, except at the end.
      auto tick_time = [&] { return double(next_tick) * period - t0; };
      auto tick_due = [&](double t) {
        return record_states && std::abs(tick_time() - t) < kTimeSlack &&
               (t < phase_end - kTimeSlack || !last_phase || last_trial);
      };
      auto bin_due = [&](double t) {
        return record_rates && next_bin < rec.rates->bins() && std::abs(rec.rates->next_edge(next_bin) - t) < kTimeSlack;
      };
      double t = engine.now();
      while (true) {
        if (tick_due(t)) {
          rec.states->sample(engine);
          ++next_tick;
          continue;
        }
        if (bin_due(t)) {
          rec.rates->end_bin(engine, trial, next_bin++);
          continue;
        }
        if (t >= phase_end - kTimeSlack) break;
        double t_next = std::min(phase_end, t + chunk_ms);
        if (record_states) t_next = std::min(t_next, tick_time());
        if (record_rates && next_bin < rec.rates->bins()) t_next = std::min(t_next, rec.rates->next_edge(next_bin));
        if (settled) {
          engine.hold_until(t_next);
        } else if (phase.settle) {
          if (engine.advance_until_settled(t_next, phase.settle->tol)) {
            settled = true;
            pr.converged = true;
            pr.settle_time_ms = engine.now() - phase_start;
            engine.hold_until(t_next);
          }
        } else {
          engine.advance_to(t_next);
        }
        t = t_next;
        if (rec.spikes) rec.spikes->drain(engine, t0);
        if (options.progress) options.progress((t0 + t) / total_ms);
        if (options.stop && options.stop->load()) return false;
      }
      if (pr.settle && !pr.converged) pr.settle_time_ms = phase.duration_ms;
      pr.residual = engine.residual();
      pr.boundary = engine.boundary_counts();
      phases.push_back(pr);
      if (rec.on_phase_end) rec.on_phase_end(trial, phase.name);
      phase_start = phase_end;
    }
    engine.sample_states(std::span<double>(final_states).subspan(std::size_t(trial) * n_units, n_units));
  }
  return true;
}

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

double rmse(const std::vector<double>& a, const std::vector<double>& b, std::size_t offset = 0) {
  double sq = 0.0;
  for (std::size_t j = 0; j < b.size(); ++j) sq += (a[offset + j] - b[j]) * (a[offset + j] - b[j]);
  return b.empty() ? 0.0 : std::sqrt(sq / double(b.size()));
}

// The continuous engine's prediction for the same protocol (sigma = 0, dt = theory_dt), binned as
// the spiking run was, under /theory; errors under /analysis/theory_check.
std::vector<TheoryError> run_theory(const Config& cfg, const Network& net, const std::vector<PhaseDrive>& drives,
                                    const RateRecorder& spiking, Sink& sink) {
  Config tcfg = cfg;
  tcfg.engine.kind = EngineKind::continuous;
  tcfg.engine.sigma = 0.0;
  tcfg.engine.dt_ms = cfg.record.rates.theory_dt_ms;
  tcfg.protocol.trials = 1;
  ContinuousEngine engine(tcfg, net);
  RateRecorder theory(tcfg, net, 1);
  Recorders rec;
  rec.rates = &theory;
  std::vector<PhaseResult> phases;
  std::vector<double> finals;
  run_trials(tcfg, drives, engine, rec, RunOptions{}, phases, finals, net.n_units);
  theory.write(sink, "/theory");
  sink.write_attribute("/theory", "dt_ms", tcfg.engine.dt_ms);
  sink.write_attribute("/theory", "what", std::string("continuous engine, sigma = 0: the mean-field prediction of the spiking run"));

  std::vector<TheoryError> errors;
  for (std::size_t k = 0; k < spiking.populations().size(); ++k) {
    const Population& p = *spiking.populations()[k];
    if (p.role == Role::input) continue;  // clamped: nothing to compare
    TheoryError e;
    e.population = p.name;
    const std::vector<double>& t_state = theory.states(k);  // one trial: bins x units
    const std::vector<double>& t_rate = theory.rates(k);
    e.state_rmse = rmse(spiking.mean_states(k), t_state);
    e.rate_rmse = rmse(spiking.mean_rates(k), t_rate);
    const std::uint32_t trials = spiking.trials();
    double s2 = 0.0, r2 = 0.0;
    for (std::uint32_t tr = 0; tr < trials; ++tr) {
      s2 += std::pow(rmse(spiking.states(k), t_state, tr * t_state.size()), 2) / trials;
      r2 += std::pow(rmse(spiking.rates(k), t_rate, tr * t_rate.size()), 2) / trials;
    }
    e.state_rmse_single = std::sqrt(s2);
    e.rate_rmse_single = std::sqrt(r2);
    const std::string g = "/analysis/theory_check/" + p.name;
    sink.write_array(g + "/state_rmse", std::vector<double>{e.state_rmse}, {});
    sink.write_array(g + "/rate_rmse_hz", std::vector<double>{e.rate_rmse}, {});
    sink.write_array(g + "/state_rmse_single_trial", std::vector<double>{e.state_rmse_single}, {});
    sink.write_array(g + "/rate_rmse_single_trial_hz", std::vector<double>{e.rate_rmse_single}, {});
    errors.push_back(e);
  }
  return errors;
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
  Network net = build_network(cfg);  // not const: plastic weights change
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  std::unique_ptr<Engine> engine = make_engine(cfg, net);
  PlasticityRule plasticity(cfg, net);
  if (plasticity.any()) engine->set_plasticity(&plasticity);
  result.wall_build_s = build_watch.seconds();
  result.synapses = net.synapse_count();

  sink.write_attribute("/", "weights_effective",
                       std::string(cfg.model.symmetrise ? "(W + W^T)/2 (Eq. 8): asymmetric projections act with half weight in both directions"
                                                        : "W as given (directed): asymmetric projections act forward only"));
  for (const Population& p : net.populations)
    sink.write_array("/populations/" + p.name + "/bias", std::span<const double>(net.bias).subspan(p.offset, p.size), {p.size});
  if (cfg.record.weights)
    for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("initial", net.weight_table(k));

  StateRecorder states(cfg, net, sink);
  SpikeRecorder spikes(cfg, net, *engine, sink);
  RateRecorder rates(cfg, net, cfg.protocol.trials);
  std::vector<double> final_states;
  const Stopwatch run_watch;
  Recorders recorders{&states, &spikes, &rates, plasticity.any() ? &plasticity : nullptr, {}};
  if (cfg.record.weight_snapshots)
    recorders.on_phase_end = [&](std::uint32_t trial, const std::string& phase) {
      for (std::size_t k = 0; k < net.projections.size(); ++k)
        sink.write_weights("trial" + std::to_string(trial) + "_" + phase, net.weight_table(k));
    };
  result.complete = run_trials(cfg, drives, *engine, recorders, options, result.phases, final_states, net.n_units);
  result.wall_run_s = run_watch.seconds();
  result.synaptic_events = engine->synaptic_events();
  result.spikes = engine->spike_count();
  result.samples = states.samples();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) result.peak_rss_bytes = std::uint64_t(usage.ru_maxrss) * 1024;  // KiB on Linux
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
    if (cfg.record.rates.theory) result.theory = run_theory(cfg, net, drives, rates, sink);
  }
  if (cfg.record.weights)
    for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("final", net.weight_table(k));
  sink.write_attribute("/", "trial_duration_ms", cfg.protocol.total_duration_ms());
  sink.write_attribute("/", "trials", std::int64_t(cfg.protocol.trials));
  return result;
}

}  // namespace ebsim
