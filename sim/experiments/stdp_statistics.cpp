#include "sim/experiments/stdp_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "sim/core/clock.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"

namespace ebsim {

namespace {

// What one trial gives: per dt bin the measured dW per pair, the pair count and the prediction
// from this trial's spike-triggered average; the average itself; statistics of the post state.
struct TrialCurves {
  std::vector<double> dw, pairs, predicted, sta;
  double state_mean = 0, state_var = 0, rho_mean = 0, outside = 0, post_rate_hz = 0, pre_rate_hz = 0;
};

// The geometry shared by every trial: dt bins of width `bin` over [-span, span), and the
// spike-triggered average in bins of the sampling step over [-reach, reach), reach = span + d + T
// (the offsets d - dt and d + T - dt of the prediction).
struct Geometry {
  double span, bin, step, d, T, reach;
  std::size_t n_bins, n_fine, per_bin, window_steps;
  Geometry(const StdpStatisticsExperiment& ex, double delay, double window)
      : span(ex.span_ms), bin(ex.bin_ms), step(ex.sample_ms), d(delay), T(window), reach(ex.span_ms + delay + window) {
    n_bins = std::size_t(std::llround(2 * span / bin));
    n_fine = std::size_t(std::llround(2 * reach / step));
    per_bin = std::size_t(std::llround(bin / step));
    window_steps = std::size_t(std::llround(T / step));
  }
  double bin_start(std::size_t b) const { return -span + double(b) * bin; }
  // The fine bin where u = d - dt starts for dt in dt bin b (u from d - start - bin to d - start).
  std::size_t fine_start(std::size_t b) const {
    return std::size_t(std::llround((d - bin_start(b) - bin + reach) / step));
  }
};

double mean_of(const std::vector<double>& v, std::size_t from, std::size_t count) {
  double s = 0;
  for (std::size_t k = from; k < from + count; ++k) s += v[k];
  return s / double(count);
}

TrialCurves run_trial(const Config& cfg, const StdpStatisticsExperiment& ex, std::size_t proj, const Geometry& geo,
                      std::uint32_t trial, const RunOptions& options) {
  Network net = build_network(cfg, options.stop);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const Projection& p = net.projections[proj];
  const std::uint32_t post = net.populations[p.target].offset;
  SpikingEngine engine(lower_engine_params(cfg), net);
  engine.set_stop_flag(options.stop);
  PlasticityRule rule(cfg, net);
  engine.set_plasticity(&rule);
  std::vector<StdpChange> log;
  engine.set_stdp_log(&log);
  engine.reset(trial);  // independent random streams per trial
  engine.record_spikes(p.target);
  engine.set_phase(drives[0]);
  rule.set_phase(0);
  const Plasticity& plasticity = rule.settings(proj);
  const bool rate = plasticity.post == Plasticity::Post::rate_derivative;
  const models::RateFunction& rho = cfg.model.rate;

  // The post state, exactly, on the sampling grid (the engine is exact between events); the STA
  // averages what the rule differentiates: s, or rho(s) for post: rate_derivative.
  const double h = ex.sample_ms;
  const std::size_t n = std::size_t(std::floor(ex.duration_ms / h + 1e-9)) + 1;
  std::vector<double> value(n);
  TrialCurves c;
  double count = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double t = double(k) * h;
    engine.advance_to(t);
    if ((k & 4095) == 0 && stop_requested(options.stop)) return c;
    const double s = engine.state_at(post, t);
    value[k] = rate ? rho.rho(s) : s;
    if (t >= ex.warmup_ms) {
      count += 1;
      c.state_mean += s, c.state_var += s * s, c.rho_mean += rho.rho(s);
      c.outside += (s < rho.beta1 || s > rho.beta2()) ? 1.0 : 0.0;
    }
  }
  engine.end_trial();
  c.state_mean /= count;
  c.state_var = c.state_var / count - c.state_mean * c.state_mean;
  c.rho_mean /= count, c.outside /= count;
  std::vector<Spike> spikes;
  engine.take_spikes(spikes);
  std::vector<double> t_post;
  for (const Spike& s : spikes)
    if (s.unit == post) t_post.push_back(s.time);
  const double seconds = ex.duration_ms / 1000.0;
  c.post_rate_hz = double(t_post.size()) / seconds;

  // Attribution: every weight change the engine made (one per presynaptic spike) goes to every
  // post spike within +-span of its presynaptic spike. Only pre spikes whose window closed after
  // its full length and whose +-span lies after the warm-up and inside the trial.
  c.dw.assign(geo.n_bins, 0.0);
  c.pairs.assign(geo.n_bins, 0.0);
  double pre_spikes = 0;
  for (const StdpChange& e : log) {
    if (e.projection != proj) continue;
    pre_spikes += 1;
    if (!e.full_window || e.t_pre - geo.span < ex.warmup_ms || e.t_pre + geo.span > ex.duration_ms) continue;
    for (auto it = std::lower_bound(t_post.begin(), t_post.end(), e.t_pre - geo.span);
         it != t_post.end() && *it < e.t_pre + geo.span; ++it) {
      const auto b = std::size_t(std::floor((*it - e.t_pre + geo.span) / geo.bin));
      if (b >= geo.n_bins) continue;
      c.dw[b] += e.dw;
      c.pairs[b] += 1;
    }
  }
  c.pre_rate_hz = pre_spikes / (double(net.populations[p.source].size) * seconds);
  for (std::size_t b = 0; b < geo.n_bins; ++b) c.dw[b] = c.pairs[b] > 0 ? c.dw[b] / c.pairs[b] : 0.0;

  // The spike-triggered average: sample k lies at offset k h - t_post, so for each post spike the
  // first sample at or after t_post - reach falls in fine bin 0 and the next ones in bins 1, 2, ...
  c.sta.assign(geo.n_fine, 0.0);
  double triggers = 0;
  for (const double tp : t_post) {
    if (tp - geo.reach < ex.warmup_ms) continue;
    const auto k0 = std::size_t(std::ceil((tp - geo.reach) / h));
    if (k0 + geo.n_fine > n) break;
    for (std::size_t j = 0; j < geo.n_fine; ++j) c.sta[j] += value[k0 + j];
    triggers += 1;
  }
  for (double& v : c.sta) v /= std::max(triggers, 1.0);

  // E[dW | dt] = lr / (r_max T) (STA(d + T - dt) - STA(d - dt)), both averaged over the dt bin.
  const double scale = plasticity.lr / (cfg.model.r_max_hz / 1000.0 * geo.T);
  c.predicted.assign(geo.n_bins, 0.0);
  for (std::size_t b = 0; b < geo.n_bins; ++b) {
    const std::size_t j0 = geo.fine_start(b), j1 = j0 + geo.window_steps;
    c.predicted[b] = scale * (mean_of(c.sta, j1, geo.per_bin) - mean_of(c.sta, j0, geo.per_bin));
  }
  return c;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  double ma = 0, mb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) ma += a[k] / n, mb += b[k] / n;
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    ab += (a[k] - ma) * (b[k] - mb), aa += (a[k] - ma) * (a[k] - ma), bb += (b[k] - mb) * (b[k] - mb);
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

// Least-squares slope of measured on predicted through the origin: the ratio of the amplitudes.
double ratio_of(const std::vector<double>& measured, const std::vector<double>& predicted) {
  double mp = 0, pp = 0;
  for (std::size_t k = 0; k < measured.size(); ++k) mp += measured[k] * predicted[k], pp += predicted[k] * predicted[k];
  return pp > 0 ? mp / pp : 0.0;
}

// Mean over trials of per-trial curves (leaving out trial `skip`, if any).
std::vector<double> trial_mean(const std::vector<std::vector<double>>& curves, std::size_t skip = SIZE_MAX) {
  std::vector<double> m(curves[0].size(), 0.0);
  double n = 0;
  for (std::size_t t = 0; t < curves.size(); ++t) {
    if (t == skip) continue;
    for (std::size_t k = 0; k < m.size(); ++k) m[k] += curves[t][k];
    n += 1;
  }
  for (double& v : m) v /= n;
  return m;
}

std::vector<double> trial_sem(const std::vector<std::vector<double>>& curves, const std::vector<double>& mean) {
  std::vector<double> sem(mean.size(), 0.0);
  const double n = double(curves.size());
  for (const auto& c : curves)
    for (std::size_t k = 0; k < mean.size(); ++k) sem[k] += (c[k] - mean[k]) * (c[k] - mean[k]);
  for (double& v : sem) v = std::sqrt(v / (n - 1) / n);
  return sem;
}

// A statistic of the trial means, its jackknife standard error over leave-one-trial-out means.
template <typename Statistic>
double jackknife_se(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
                    Statistic statistic) {
  const std::size_t n = a.size();
  std::vector<double> values;
  for (std::size_t t = 0; t < n; ++t) values.push_back(statistic(trial_mean(a, t), trial_mean(b, t)));
  double m = 0, ss = 0;
  for (double v : values) m += v / double(n);
  for (double v : values) ss += (v - m) * (v - m);
  return std::sqrt(ss * double(n - 1) / double(n));
}

StdpLobe fit_lobe(const StdpStatisticsResult& r, const std::vector<double>& sem, const Geometry& geo, bool potentiation,
                  double t95) {
  StdpLobe lobe;
  lobe.edge_ms = potentiation ? geo.d + geo.T : geo.d;
  std::vector<double> x, y, sigma;
  for (std::size_t b = 0; b < geo.n_bins; ++b) {
    const double start = geo.bin_start(b), end = start + geo.bin;
    if (potentiation ? start < lobe.edge_ms - 1e-9 : end > lobe.edge_ms + 1e-9) continue;
    x.push_back(r.dt_ms[b] - lobe.edge_ms), y.push_back(r.mean[b]), sigma.push_back(sem[b]);
  }
  lobe.fit = exponential_fit(x, y, sigma);
  lobe.amplitude_ci95 = t95 * lobe.fit.amplitude_se;
  lobe.tau_ci95 = t95 * lobe.fit.tau_se;
  return lobe;
}

}  // namespace

StdpStatisticsResult run_stdp_statistics(const Config& cfg, Sink& sink, const RunOptions& options) {
  const Stopwatch watch;
  const StdpStatisticsExperiment& ex = cfg.experiment_as<StdpStatisticsExperiment>();
  const std::size_t proj = cfg.projection_index(ex.projection);
  const ProjectionConfig& pc = cfg.projections[proj];
  const Geometry geo(ex, pc.delay_ms, pc.plasticity->window_ms);
  StdpStatisticsResult out;
  std::vector<TrialCurves> trials;
  for (std::uint32_t trial = 0; trial < ex.trials; ++trial) {
    trials.push_back(run_trial(cfg, ex, proj, geo, trial, options));
    if (stop_requested(options.stop)) return out;
    if (options.progress) options.progress(double(trial + 1) / ex.trials);
  }
  std::vector<std::vector<double>> measured, predicted, pairs, sta;
  for (const TrialCurves& c : trials) {
    measured.push_back(c.dw), predicted.push_back(c.predicted), pairs.push_back(c.pairs), sta.push_back(c.sta);
    const double n = double(trials.size());
    out.state_mean += c.state_mean / n, out.state_var += c.state_var / n, out.rho_mean += c.rho_mean / n;
    out.outside_fraction += c.outside / n, out.post_rate_hz += c.post_rate_hz / n, out.pre_rate_hz += c.pre_rate_hz / n;
  }
  const double t95 = t_quantile_95(double(ex.trials - 1));
  out.trials = ex.trials;
  for (std::size_t b = 0; b < geo.n_bins; ++b) out.dt_ms.push_back(geo.bin_start(b) + geo.bin / 2);
  out.mean = trial_mean(measured);
  const std::vector<double> sem = trial_sem(measured, out.mean);
  out.predicted = trial_mean(predicted);
  const std::vector<double> predicted_sem = trial_sem(predicted, out.predicted);
  for (std::size_t b = 0; b < geo.n_bins; ++b) {
    out.ci95.push_back(t95 * sem[b]);
    out.predicted_ci95.push_back(t95 * predicted_sem[b]);
    double p = 0;
    for (const auto& c : pairs) p += c[b];
    out.pairs.push_back(p);
  }
  out.sta = trial_mean(sta);
  for (std::size_t j = 0; j < geo.n_fine; ++j) out.sta_u_ms.push_back(-geo.reach + (double(j) + 0.5) * geo.step);
  // The closed form: STA(u) - mean = var(s) e^{-|u|/tau} / mean(rho), averaged over each dt bin.
  const double tau = cfg.model.tau_ms;
  const double scale = pc.plasticity->lr / (cfg.model.r_max_hz / 1000.0 * geo.T) * out.state_var / out.rho_mean;
  for (std::size_t b = 0; b < geo.n_bins; ++b) {
    double sum = 0;
    constexpr int kPoints = 32;
    for (int q = 0; q < kPoints; ++q) {
      const double dt = geo.bin_start(b) + (q + 0.5) * geo.bin / kPoints;
      sum += std::exp(-std::abs(geo.d + geo.T - dt) / tau) - std::exp(-std::abs(geo.d - dt) / tau);
    }
    out.closed_form.push_back(scale * sum / kPoints);
  }
  out.correlation = pearson(out.mean, out.predicted);
  out.correlation_ci95 = t95 * jackknife_se(measured, predicted, pearson);
  out.ratio = ratio_of(out.mean, out.predicted);
  out.ratio_ci95 = t95 * jackknife_se(measured, predicted, ratio_of);
  out.correlation_closed_form = pearson(out.mean, out.closed_form);
  std::vector<double> offsets;
  for (std::size_t t = 0; t < measured.size(); ++t) {
    double o = 0;
    for (std::size_t b = 0; b < geo.n_bins; ++b) o += (measured[t][b] - predicted[t][b]) / double(geo.n_bins);
    offsets.push_back(o);
  }
  for (double o : offsets) out.offset += o / double(offsets.size());
  double ss = 0;
  for (double o : offsets) ss += (o - out.offset) * (o - out.offset);
  out.offset_ci95 = t95 * std::sqrt(ss / double(offsets.size() - 1) / double(offsets.size()));
  out.potentiation = fit_lobe(out, sem, geo, true, t95);
  out.depression = fit_lobe(out, sem, geo, false, t95);

  const std::string g = "/analysis/stdp_statistics";
  const std::uint64_t nb = geo.n_bins, nt = ex.trials;
  auto flat = [](const std::vector<std::vector<double>>& rows) {
    std::vector<double> v;
    for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
    return v;
  };
  sink.write_array(g + "/dt_ms", out.dt_ms, {nb});
  sink.write_attribute(g + "/dt_ms", "units", std::string("ms"));
  sink.write_array(g + "/dw_per_pair", out.mean, {nb});
  sink.write_array(g + "/dw_per_pair_ci95", out.ci95, {nb});
  sink.write_array(g + "/dw_per_pair_trials", flat(measured), {nt, nb});
  sink.write_array(g + "/pairs", out.pairs, {nb});
  sink.write_array(g + "/predicted_sta", out.predicted, {nb});
  sink.write_array(g + "/predicted_sta_ci95", out.predicted_ci95, {nb});
  sink.write_array(g + "/predicted_sta_trials", flat(predicted), {nt, nb});
  sink.write_array(g + "/predicted_closed_form", out.closed_form, {nb});
  sink.write_array(g + "/sta_u_ms", out.sta_u_ms, {geo.n_fine});
  sink.write_attribute(g + "/sta_u_ms", "units", std::string("ms"));
  sink.write_array(g + "/sta", out.sta, {geo.n_fine});
  sink.write_attribute(g + "/sta", "quantity",
                       std::string(pc.plasticity->post == Plasticity::Post::rate_derivative ? "rho(s)" : "s"));
  const std::vector<std::pair<std::string, AttributeValue>> attributes{
      {"trials", std::int64_t(ex.trials)},
      {"duration_ms", ex.duration_ms},
      {"warmup_ms", ex.warmup_ms},
      {"span_ms", ex.span_ms},
      {"bin_ms", ex.bin_ms},
      {"sample_ms", ex.sample_ms},
      {"delay_ms", geo.d},
      {"window_ms", geo.T},
      {"tau_ms", tau},
      {"r_max_hz", cfg.model.r_max_hz},
      {"lr", pc.plasticity->lr},
      {"correlation", out.correlation},
      {"correlation_ci95", out.correlation_ci95},
      {"ratio", out.ratio},
      {"ratio_ci95", out.ratio_ci95},
      {"correlation_closed_form", out.correlation_closed_form},
      {"offset", out.offset},
      {"offset_ci95", out.offset_ci95},
      {"state_mean", out.state_mean},
      {"state_var", out.state_var},
      {"rho_mean", out.rho_mean},
      {"outside_fraction", out.outside_fraction},
      {"post_rate_hz", out.post_rate_hz},
      {"pre_rate_hz", out.pre_rate_hz},
  };
  for (const auto& [name, value] : attributes) sink.write_attribute(g, name, value);
  for (const auto& [name, lobe] :
       {std::pair{"potentiation", out.potentiation}, std::pair{"depression", out.depression}}) {
    const std::string l = g + "/" + name;
    sink.write_attribute(l, "fitted", std::int64_t(lobe.fit.fitted));
    sink.write_attribute(l, "edge_ms", lobe.edge_ms);
    sink.write_attribute(l, "amplitude", lobe.fit.amplitude);
    sink.write_attribute(l, "amplitude_se", lobe.fit.amplitude_se);
    sink.write_attribute(l, "amplitude_ci95", lobe.amplitude_ci95);
    sink.write_attribute(l, "tau_ms", lobe.fit.tau);
    sink.write_attribute(l, "tau_se_ms", lobe.fit.tau_se);
    sink.write_attribute(l, "tau_ci95_ms", lobe.tau_ci95);
    sink.write_attribute(l, "chi2_reduced", lobe.fit.chi2_reduced);
    sink.write_attribute(l, "points", std::int64_t(lobe.fit.points));
  }
  out.complete = true;
  out.wall_s = watch.seconds();
  return out;
}

std::string format_stdp_statistics_summary(const Config& cfg, const StdpStatisticsResult& r) {
  const StdpStatisticsExperiment& ex = cfg.experiment_as<StdpStatisticsExperiment>();
  std::ostringstream os;
  os << "ebsim STDP window from spike statistics (Eq. 26 as STDP events): " << ex.trials << " trials x "
     << ex.duration_ms / 1000.0 << " s, " << std::setprecision(3) << r.wall_s << " s"
     << (r.complete ? "" : "  [INTERRUPTED]") << "\n";
  if (!r.complete) return os.str();
  os << "  post state: mean " << r.state_mean << ", variance " << r.state_var << ", mean rho " << r.rho_mean
     << ", outside [beta1, beta2] " << r.outside_fraction << " of the time; post " << r.post_rate_hz << " Hz, pre "
     << r.pre_rate_hz << " Hz per unit\n";
  os << "    dt (ms)   dW per pair (95% CI, " << r.trials << " trials)   predicted from the STA   closed form\n";
  for (std::size_t k = 0; k < r.dt_ms.size(); ++k) {
    const double dt = r.dt_ms[k];
    if (std::fmod(std::abs(dt) + 1.0 + 1e-9, 10.0) > 1e-6 || std::abs(dt) > 61) continue;  // dt = +-1, 9, 19, ...
    os << "    " << std::setw(7) << dt << "   " << std::scientific << std::setprecision(3) << std::setw(10) << r.mean[k]
       << " +- " << r.ci95[k] << "   " << std::setw(10) << r.predicted[k] << "   " << std::setw(10) << r.closed_form[k]
       << std::defaultfloat << "\n";
  }
  auto lobe = [&](const char* name, const StdpLobe& l) {
    os << "  " << name << ": ";
    if (!l.fit.fitted) {
      os << "no fit\n";
      return;
    }
    os << std::setprecision(4) << "tau " << l.fit.tau << " +- " << l.tau_ci95 << " ms, amplitude at dt = " << l.edge_ms
       << " ms " << std::scientific << std::setprecision(3) << l.fit.amplitude << " +- " << l.amplitude_ci95
       << std::defaultfloat << std::setprecision(3) << " (95% CI, chi2/dof " << l.fit.chi2_reduced << ", "
       << l.fit.points << " bins)\n";
  };
  lobe("potentiation (post after pre, dt > d + T)", r.potentiation);
  lobe("depression (post before pre, dt < d)", r.depression);
  os << std::setprecision(4) << "  measured vs predicted from the spike-triggered average: correlation "
     << r.correlation << " +- " << r.correlation_ci95 << ", amplitude ratio " << r.ratio << " +- " << r.ratio_ci95
     << " (jackknife over trials, 95% CI); vs the closed form: correlation " << r.correlation_closed_form << "\n";
  os << "  offset (mean of measured - predicted over the bins): " << std::scientific << std::setprecision(3) << r.offset
     << " +- " << r.offset_ci95 << std::defaultfloat << " (95% CI; 0 when no weight change is biased)\n";
  os << "  Bi & Poo (1998): potentiation for dt > 0 (tau ~ 17 ms), depression for dt < 0 (tau ~ 34 ms); model tau "
     << cfg.model.tau_ms << " ms\n";
  return os.str();
}

}  // namespace ebsim
