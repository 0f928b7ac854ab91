#include "sim/experiments/stdp_window.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "sim/core/clock.hpp"
#include "sim/core/fit.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"

namespace ebsim {

namespace {

// Least squares of log|w| against |dt| over the points of one lobe.
LobeFit fit_lobe(const std::vector<double>& dt, const std::vector<double>& mean, const std::vector<double>& sem,
                 double sign) {
  std::vector<double> x, y;
  for (std::size_t k = 0; k < dt.size(); ++k)
    if (dt[k] * sign > 0 && mean[k] * sign > 0 && std::abs(mean[k]) > 2 * sem[k])
      x.push_back(std::abs(dt[k])), y.push_back(std::log(std::abs(mean[k])));
  LobeFit f;
  f.points = std::uint32_t(x.size());
  if (x.size() < 2) return f;
  const Line line = linear_fit(x, y);
  if (std::isnan(line.slope)) return f;
  f.fitted = true;
  f.tau_ms = -1.0 / line.slope;  // negative: the lobe grows with |dt| (no decay)
  f.amplitude = sign * std::exp(line.intercept);
  return f;
}

}  // namespace

StdpWindowResult run_stdp_window(const Config& cfg, Sink& sink, const RunOptions& options) {
  const Stopwatch watch;
  const StdpWindowExperiment& ex = cfg.experiment_as<StdpWindowExperiment>();
  StdpWindowResult out;
  const std::size_t proj = cfg.projection_index(ex.projection);
  const double lead = ex.spacing_ms / 2;  // the first pairing's reference time, after settling
  for (std::size_t o = 0; o < ex.offsets_ms.size(); ++o) {
    const double dt = ex.offsets_ms[o];
    double sum = 0, sum2 = 0;
    for (std::uint32_t trial = 0; trial < ex.trials; ++trial) {
      Network net = build_network(cfg, options.stop);
      const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
      const std::uint32_t pre = net.populations[net.projections[proj].source].offset;
      const std::uint32_t post = net.populations[net.projections[proj].target].offset;
      SpikingEngine engine(lower_engine_params(cfg), net);
      engine.set_stop_flag(options.stop);
      PlasticityRule rule(cfg, net);
      engine.set_plasticity(&rule);
      engine.reset(std::uint32_t(o * ex.trials + trial));  // independent streams per offset and trial
      engine.set_phase(drives[0]);
      rule.set_phase(0);
      const double w0 = net.projections[proj].weight[0];
      for (std::uint32_t p = 0; p < ex.pairings; ++p) {
        const double t_ref = lead + p * ex.spacing_ms, t_pre = t_ref, t_post = t_ref + dt;
        if (t_pre <= t_post) {
          engine.force_spike(pre, t_pre);
          engine.add_to_state(post, t_post, ex.pulse);
        } else {
          engine.add_to_state(post, t_post, ex.pulse);
          engine.force_spike(pre, t_pre);
        }
      }
      engine.advance_to(lead + ex.pairings * ex.spacing_ms);
      const double per_pairing = (double(net.projections[proj].weight[0]) - w0) / ex.pairings;
      sum += per_pairing;
      sum2 += per_pairing * per_pairing;
    }
    const double n = ex.trials, mean = sum / n, var = std::max(0.0, (sum2 / n - mean * mean) * n / (n - 1));
    out.dt_ms.push_back(dt);
    out.mean.push_back(mean);
    out.sem.push_back(std::sqrt(var / n));
    if (options.progress) options.progress(double(o + 1) / ex.offsets_ms.size());
    if (options.stop && options.stop->load()) return out;
  }
  out.potentiation = fit_lobe(out.dt_ms, out.mean, out.sem, +1.0);
  out.depression = fit_lobe(out.dt_ms, out.mean, out.sem, -1.0);
  const std::string g = "/analysis/stdp_window";
  const std::uint64_t n = out.dt_ms.size();
  sink.write_array(g + "/dt_ms", out.dt_ms, {n});
  sink.write_array(g + "/dw_per_pairing", out.mean, {n});
  sink.write_array(g + "/sem", out.sem, {n});
  std::vector<double> lo(n), hi(n);
  for (std::size_t k = 0; k < n; ++k) lo[k] = out.mean[k] - 1.96 * out.sem[k], hi[k] = out.mean[k] + 1.96 * out.sem[k];
  sink.write_array(g + "/ci95_low", lo, {n});
  sink.write_array(g + "/ci95_high", hi, {n});
  for (const auto& [name, f] : {std::pair{"potentiation", out.potentiation}, std::pair{"depression", out.depression}}) {
    sink.write_attribute(g + "/" + name, "fitted", std::int64_t(f.fitted));
    sink.write_attribute(g + "/" + name, "amplitude", f.amplitude);
    sink.write_attribute(g + "/" + name, "tau_ms", f.tau_ms);
    sink.write_attribute(g + "/" + name, "points", std::int64_t(f.points));
  }
  sink.write_attribute(g, "pairings", std::int64_t(ex.pairings));
  sink.write_attribute(g, "trials", std::int64_t(ex.trials));
  sink.write_attribute(g, "pulse", ex.pulse);
  sink.write_attribute(g, "window_ms", cfg.projections[proj].plasticity->window_ms);
  out.complete = true;
  out.wall_s = watch.seconds();
  return out;
}

std::string format_stdp_summary(const Config& cfg, const StdpWindowResult& r) {
  const StdpWindowExperiment& ex = cfg.experiment_as<StdpWindowExperiment>();
  std::ostringstream os;
  os << "ebsim STDP window (Eq. 26 as STDP events): " << ex.pairings << " pairings x " << ex.trials
     << " trials per offset, " << std::setprecision(3) << r.wall_s << " s" << (r.complete ? "" : "  [INTERRUPTED]")
     << "\n";
  os << "    dt (ms)   dW per pairing   95% CI\n";
  for (std::size_t k = 0; k < r.dt_ms.size(); ++k) {
    if (std::fmod(std::abs(r.dt_ms[k]) + 1e-9, 10.0) > 1e-6 && std::abs(r.dt_ms[k]) > 12.0)
      continue;  // every 10 ms, all near 0
    os << "    " << std::setw(7) << r.dt_ms[k] << "   " << std::setw(13) << std::scientific << std::setprecision(3)
       << r.mean[k] << "   +- " << 1.96 * r.sem[k] << std::defaultfloat << "\n";
  }
  auto lobe = [&](const char* name, const LobeFit& f) {
    os << "  " << name << ": ";
    if (!f.fitted)
      os << "no exponential fit (" << f.points << " significant points of that sign)\n";
    else if (f.tau_ms < 0)
      os << "grows with |dt| over " << f.points << " points (no decay), amplitude " << f.amplitude << "\n";
    else
      os << "amplitude " << f.amplitude << ", time constant " << f.tau_ms << " ms (" << f.points << " points)\n";
  };
  lobe("pre before post (dt > 0)", r.potentiation);
  lobe("post before pre (dt < 0)", r.depression);
  os << "  Bi & Poo (1998): potentiation for dt > 0 (tau ~ 17 ms), depression for dt < 0 (tau ~ 34 ms)\n";
  return os.str();
}

}  // namespace ebsim
