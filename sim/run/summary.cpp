#include "sim/run/summary.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace ebsim {

std::string format_summary(const Config& cfg, const RunResult& r) {
  std::ostringstream os;
  os << std::setprecision(4);
  os << "ebsim " << (cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous")
     << " run: " << cfg.populations.size() << " populations, " << r.synapses << " synapses, " << cfg.protocol.trials
     << " trial(s) of " << cfg.protocol.total_duration_ms() << " ms" << (r.complete ? "" : "  [INTERRUPTED]") << "\n";
  os << "  build " << r.wall_build_s << " s, simulation " << r.wall_run_s << " s, " << r.samples
     << " samples recorded\n";
  if (cfg.engine.kind == EngineKind::spiking) {
    os << "  spikes: " << r.spikes << ", synaptic events delivered: " << r.synaptic_events << "\n";
    os << "  wall time: network construction " << r.wall_build_s << " s, simulation loop " << r.wall_run_s << " s\n";
    os << std::setprecision(6);
    os << "  synaptic events per second: " << (r.wall_run_s > 0 ? double(r.synaptic_events) / r.wall_run_s : 0.0)
       << "\n";
    if (!r.ranks.empty()) {  // divided over ranks: the rank that needs the most per synapse it holds
      std::size_t worst = 0;
      const auto per = [&](std::size_t k, std::uint64_t bytes) {
        return r.ranks[k].synapses ? double(bytes) / double(r.ranks[k].synapses) : 0.0;
      };
      for (std::size_t k = 1; k < r.ranks.size(); ++k)
        if (per(k, r.ranks[k].peak_rss_bytes) > per(worst, r.ranks[worst].peak_rss_bytes)) worst = k;
      const RunResult::RankMemory& w = r.ranks[worst];
      os << "  synapses divided over " << r.ranks.size() << " ranks: each holds those onto its units (and, where a "
         << "projection acts backward, from them)\n";
      os << "  bytes per synapse per rank: " << per(worst, w.peak_rss_bytes) << " at most (rank " << worst
         << ": peak resident memory " << double(w.peak_rss_bytes) / (1 << 20) << " MiB over the " << w.synapses
         << " synapses it holds)\n";
      os << "  bytes per synapse per rank, connectivity alone: " << per(worst, w.connectivity_bytes) << " (rank "
         << worst << ")\n";
    } else if (r.synapses > 0) {
      os << "  bytes per synapse: " << double(r.peak_rss_bytes) / double(r.synapses) << " (peak resident memory "
         << double(r.peak_rss_bytes) / (1 << 20) << " MiB over " << r.synapses << " synapses)\n";
      os << "  bytes per synapse, connectivity alone: " << double(r.connectivity_bytes) / double(r.synapses)
         << " (the synapse arrays, " << double(r.connectivity_bytes) / (1 << 20) << " MiB)\n";
    }
    os << std::setprecision(4);
  }
  for (const PhaseResult& p : r.phases) {
    // With several trials, the first and the last tell the story.
    if (cfg.protocol.trials > 1 && p.trial != 0 && p.trial != cfg.protocol.trials - 1) continue;
    os << "  phase " << std::left << std::setw(10) << p.name << std::right;
    if (cfg.protocol.trials > 1) os << " (trial " << p.trial << ")";
    if (p.settle) os << (p.converged ? " settled in " : " NOT settled within ") << p.settle_time_ms << " ms,";
    if (!std::isnan(p.residual))
      os << " residual max|R-s| = " << std::scientific << p.residual << std::defaultfloat << ",";
    std::uint32_t low = 0, high = 0, chatter = 0;
    for (const auto& b : p.boundary) low += b.held_low, high += b.held_high, chatter += b.chattering;
    os << " " << low << " unit(s) held at beta1, " << high << " at beta2";
    if (low + high) os << " (rho' = 0 for gradients)";
    if (chatter) os << ", WARNING " << chatter << " unit(s) chattering across a boundary";
    os << "\n";
  }
  if (!r.populations.empty()) {
    os << "  final state   population  role     size  mean s     mean rate r_max*rho(s) (Hz)\n";
    for (const auto& p : r.populations)
      os << "                " << std::left << std::setw(11) << p.name << " " << std::setw(8) << p.role << std::right
         << std::setw(5) << p.size << "  " << std::setw(9) << p.mean_state << "  " << std::setw(9) << p.mean_rate
         << "\n";
  }
  if (!r.theory.empty()) {
    os << "  spiking vs continuous theory (RMSE over bins and units; trial-averaged | single trial):\n";
    os << "    population  state             rate (Hz)\n";
    for (const TheoryError& e : r.theory)
      os << "    " << std::left << std::setw(11) << e.population << std::right << " " << std::setw(7) << e.state_rmse
         << " | " << std::setw(7) << e.state_rmse_single << "  " << std::setw(7) << e.rate_rmse << " | " << std::setw(7)
         << e.rate_rmse_single << "\n";
  }
  return os.str();
}

namespace {

// mean ± half-width (n), or what is known of it.
std::string plus_minus(const SampleStats& s) {
  std::ostringstream os;
  os << std::setprecision(4);
  if (s.n == 0) return "(no finite value)";
  os << s.mean;
  if (s.n >= 2) os << " ± " << std::setprecision(2) << s.half_width;
  os << " (" << s.n << ")";
  return os.str();
}

std::string format_statistics(const Config& cfg, const SweepResult& r) {
  const Sweep& sweep = *cfg.sweep;
  const std::size_t points = sweep.point_count();
  std::ostringstream os;
  os << std::setprecision(4);
  std::size_t keys = sweep.axes.size();
  os << "ebsim sweep: " << points << " point(s)";
  if (keys) {
    os << " (" << (sweep.form == Sweep::Form::zip ? "zip" : "grid") << " over";
    for (const SweepAxis& a : sweep.axes) os << " " << a.key;
    os << ")";
  }
  os << " x " << sweep.replicates() << " replicate(s): " << cfg.sweep_points.size() << " runs"
     << (r.complete ? "" : "  [INTERRUPTED]") << "\n";
  if (!r.complete) return os.str();
  for (std::size_t p = 0; p < points && p < r.stats.unconverged.size(); ++p)
    if (r.stats.unconverged[p])
      os << "  " << (keys ? sweep.label(p) : std::string("the config")) << ": " << r.stats.unconverged[p] << " of "
         << r.stats.runs[p] << " runs did NOT converge to a fixed point: left out of the statistics below\n";
  os << "  mean ± 95 % half-width (Student t, n - 1 degrees of freedom) (n) over the converged replicates:\n";
  std::size_t more = 0;
  for (const auto& [path, ps] : r.stats.paths) {
    const std::size_t m = points ? ps.stats.size() / points : 0;
    bool any = false;
    for (const SampleStats& st : ps.stats) any = any || st.n > 0;
    if (!any) continue;
    // Per-trial bookkeeping (phases, final states) and long arrays stay in the file only.
    if (m > 8 || path.rfind("/analysis/phases/", 0) == 0 || path.rfind("/analysis/final_state/", 0) == 0) {
      ++more;
      continue;
    }
    for (std::size_t e = 0; e < m; ++e) {
      os << "  " << path;
      if (m > 1) os << "[" << e << "]";
      os << "\n";
      for (std::size_t p = 0; p < points; ++p)
        os << "    " << std::left << std::setw(40) << (keys ? sweep.label(p) : "the config") << std::right << "  "
           << plus_minus(ps.stats[p * m + e]) << "\n";
    }
  }
  if (more) os << "  (and " << more << " more arrays, per trial or longer: /analysis/sweep/stats in the file)\n";
  return os.str();
}

}  // namespace

std::string format_sweep_summary(const Config& cfg, const SweepResult& r) {
  if (!cfg.sweep->legacy() || cfg.experiment) return format_statistics(cfg, r);
  std::ostringstream os;
  os << std::setprecision(4);
  os << "ebsim sweep over " << cfg.sweep->axes.front().key << ": " << r.points.size() << " of "
     << cfg.sweep_points.size() << " runs" << (r.complete ? "" : "  [INTERRUPTED]") << "\n";
  double wall = 0;
  for (const RunResult& p : r.points) wall += p.wall_build_s + p.wall_run_s;
  os << "  wall time " << wall << " s\n";
  if (r.complete && !r.points.front().theory.empty()) {
    os << "  spiking vs continuous theory, pooled over compared populations (RMSE over bins and units; the\n"
          "  trial-averaged error split: (trial mean)^2 = bias^2 + noise sd^2 / trials):\n";
    os << "    " << std::left << std::setw(14) << cfg.sweep->axes.front().key << std::right
       << "  state (1 trial)  state (trial mean)  its bias  noise sd  rate Hz (1 trial)  rate Hz (trial mean)  "
          "rate/r_max (trial mean)\n";
    for (std::size_t k = 0; k < r.points.size(); ++k) {
      const TheoryError e = pooled(r.points[k], cfg.sweep_points[k]);
      os << "    " << std::left << std::setw(14) << cfg.sweep->axes.front().values[k] << std::right << "  "
         << std::setw(15) << e.state_rmse_single << "  " << std::setw(18) << e.state_rmse << "  " << std::setw(8)
         << e.state_bias_rmse << "  " << std::setw(8) << e.state_noise_sd << "  " << std::setw(17) << e.rate_rmse_single
         << "  " << std::setw(20) << e.rate_rmse << "  " << std::setw(23)
         << e.rate_rmse / cfg.sweep_points[k].model.r_max_hz << "\n";
    }
    if (std::isnan(r.slope_state_single)) {
      os << "  no log-log slope: the swept values are not all positive numbers\n";
    } else {
      const bool r_max = cfg.sweep->axes.front().key == "model.r_max";
      os << "  log-log slope against " << cfg.sweep->axes.front().key << ": single-trial state error "
         << r.slope_state_single << (r_max ? " (theory: -1/2, spiking noise)" : "") << ", trial-averaged state error "
         << r.slope_state_mean << " (its bias " << r.slope_state_bias << ", the trial-to-trial noise "
         << r.slope_state_noise << "), trial-averaged rate/r_max error " << r.slope_rho_mean << "\n";
    }
  }
  return os.str();
}

}  // namespace ebsim
