#include "sim/run/trials.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "sim/core/plasticity.hpp"

namespace ebsim {

namespace {

constexpr double kTimeSlack = 1e-9;  // ms; grid times are compared with this slack

}  // namespace

bool run_trials(const Config& cfg, const std::vector<PhaseDrive>& drives, Engine& engine, const Recorders& rec,
                const RunOptions& options, std::vector<PhaseResult>& phases, std::vector<double>& final_states,
                std::uint32_t n_units, TrialRange range) {
  engine.set_stop_flag(options.stop);
  const std::uint32_t first = range.first, end = range.end ? range.end : cfg.protocol.trials;
  const bool record_states = rec.states && rec.states->active();
  const bool record_rates = rec.rates && rec.rates->active();
  if (record_rates) engine.enable_integrals();
  const double period = cfg.record.states.period_ms;
  const double trial_ms = cfg.protocol.total_duration_ms();
  const double total_ms = trial_ms * (end - first);
  const double chunk_ms = std::max(trial_ms / 200.0, cfg.engine.dt_ms);  // progress and interrupt granularity
  const std::size_t n_phases = cfg.protocol.phases.size();
  // The global state-sample index (t = next_tick * period): the first tick of trial `first` (a tick
  // at a trial boundary belongs to the later trial).
  std::uint64_t next_tick =
      record_states ? std::uint64_t(std::max(0.0, std::ceil((first * trial_ms - kTimeSlack) / period))) : 0;
  if (final_states.size() != std::size_t(cfg.protocol.trials) * n_units)
    final_states.assign(std::size_t(cfg.protocol.trials) * n_units, 0.0);

  for (std::uint32_t trial = first; trial < end; ++trial) {
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
        return record_rates && next_bin < rec.rates->bins() &&
               std::abs(rec.rates->next_edge(next_bin) - t) < kTimeSlack;
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
        if (options.progress) options.progress(((trial - first) * trial_ms + t) / total_ms);
        if (options.stop && options.stop->load()) return false;
      }
      if (pr.settle && !pr.converged) pr.settle_time_ms = phase.duration_ms;
      pr.residual = engine.residual();
      pr.boundary = engine.boundary_counts();
      phases.push_back(pr);
      if (last_phase) engine.end_trial();  // before the last snapshot: STDP windows still open close now
      if (rec.on_phase_end) rec.on_phase_end(trial, phase.name);
      phase_start = phase_end;
    }
    engine.sample_states(std::span<double>(final_states).subspan(std::size_t(trial) * n_units, n_units));
  }
  return true;
}

void write_phase_analysis(const Config& cfg, const Network& net, const std::vector<PhaseResult>& phases, Sink& sink) {
  const std::size_t n_phases = cfg.protocol.phases.size(), trials = cfg.protocol.trials,
                    n_pops = net.populations.size();
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
    // Columns follow the config's population order (not /populations' alphabetical listing).
    std::vector<std::string> names;
    for (const Population& p : net.populations) names.push_back(p.name);
    for (const char* counts : {"/held_low", "/held_high", "/chattering"}) {
      sink.write_attribute(g + counts, "dimensions", std::vector<std::string>{"trial", "population"});
      sink.write_attribute(g + counts, "populations", names);
    }
  }
}

}  // namespace ebsim
