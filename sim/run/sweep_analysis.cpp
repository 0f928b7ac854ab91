#include "sim/run/sweep_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/core/fit.hpp"
#include "sim/io/quantity.hpp"

namespace ebsim {

namespace {

// A swept value as a number in ebsim's units: plain, or a rate (Hz), or a time (ms).
double sweep_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  for (Dimension d : {Dimension::rate, Dimension::time})
    if (const auto q = parse_quantity(text, d); q.value) return *q.value;
  return std::nan("");
}

// The units of a swept key's values as sweep_number gives them: Hz for rates, ms for times, and
// "1" for plain numbers (and for values that are not numbers, stored as NaN).
std::string sweep_units(const std::vector<std::string>& texts) {
  for (Dimension d : {Dimension::rate, Dimension::time})
    if (std::all_of(texts.begin(), texts.end(), [d](const std::string& t) { return parse_quantity(t, d).value; }))
      return d == Dimension::rate ? "Hz" : "ms";
  return "1";
}

}  // namespace

void write_run_attributes(const Config& cfg, std::size_t k, Sink& sink) {
  const Sweep& sweep = *cfg.sweep;
  const SweepRun& run = cfg.sweep_runs[k];
  if (sweep.legacy()) {
    sink.write_attribute("/", "value", sweep.axes.front().values[k]);
    return;
  }
  sink.write_attribute("/", "point", std::int64_t(run.point));
  sink.write_attribute("/", "replicate", std::int64_t(run.replicate));
  sink.write_attribute("/", "seed", std::int64_t(run.seed));
  sink.write_attribute("/", "assignment", sweep.axes.empty() ? std::string() : sweep.label(run.point));
}

void write_legacy_analysis(const Config& cfg, SweepResult& out, Sink& sink) {
  const std::size_t n = cfg.sweep_points.size();
  std::vector<double> state_single, state_mean, rate_mean, rate_single, rho_mean, noise, bias;
  for (std::size_t k = 0; k < n; ++k) {
    out.values.push_back(sweep_number(cfg.sweep->axes.front().values[k]));
    const TheoryError e = pooled(out.points[k], cfg.sweep_points[k]);
    state_single.push_back(e.state_rmse_single);
    state_mean.push_back(e.state_rmse);
    rate_mean.push_back(e.rate_rmse);
    rate_single.push_back(e.rate_rmse_single);
    rho_mean.push_back(e.rate_rmse / cfg.sweep_points[k].model.r_max_hz);  // error in rho = rate / r_max
    noise.push_back(e.state_noise_sd);
    bias.push_back(e.state_bias_rmse);
  }
  const bool have_theory = !out.points.front().theory.empty();
  const std::string g = "/analysis/sweep";
  sink.write_attribute(g, "key", cfg.sweep->axes.front().key);
  sink.write_array(g + "/values", out.values, {n});
  sink.write_attribute(g + "/values", "units", sweep_units(cfg.sweep->axes.front().values));
  if (have_theory) {
    sink.write_array(g + "/state_rmse_single_trial", state_single, {n});
    sink.write_array(g + "/state_rmse", state_mean, {n});
    sink.write_array(g + "/rate_rmse_hz", rate_mean, {n});
    sink.write_array(g + "/rate_rmse_single_trial_hz", rate_single, {n});
    sink.write_array(g + "/rho_rmse", rho_mean, {n});
    out.slope_state_single = loglog_slope(out.values, state_single);
    out.slope_state_mean = loglog_slope(out.values, state_mean);
    out.slope_rho_mean = loglog_slope(out.values, rho_mean);
    sink.write_array(g + "/slope_state_rmse_single_trial", std::vector<double>{out.slope_state_single}, {});
    sink.write_array(g + "/slope_state_rmse", std::vector<double>{out.slope_state_mean}, {});
    sink.write_array(g + "/slope_rho_rmse", std::vector<double>{out.slope_rho_mean}, {});
    sink.write_array(g + "/state_noise_sd", noise, {n});
    sink.write_array(g + "/state_bias_rmse", bias, {n});
    out.slope_state_noise = loglog_slope(out.values, noise);
    out.slope_state_bias = loglog_slope(out.values, bias);
    sink.write_array(g + "/slope_state_noise_sd", std::vector<double>{out.slope_state_noise}, {});
    sink.write_array(g + "/slope_state_bias_rmse", std::vector<double>{out.slope_state_bias}, {});
  }
}

void write_statistics(const Config& cfg, const std::vector<Reported>& reported, SweepResult& out, Sink& sink) {
  const Sweep& sweep = *cfg.sweep;
  const std::size_t points = sweep.point_count();
  const std::string g = "/analysis/sweep";
  const char* form = sweep.form == Sweep::Form::zip ? "zip" : sweep.form == Sweep::Form::grid ? "grid" : "single";
  sink.write_attribute(g, "form", std::string(form));
  std::string keys, labels, seeds;
  for (const SweepAxis& a : sweep.axes) {
    if (!keys.empty()) keys += '\n';
    keys += a.key;
  }
  for (std::size_t p = 0; p < points; ++p) {
    if (p) labels += '\n';
    if (!sweep.axes.empty()) labels += sweep.label(p);
  }
  for (std::size_t r = 0; r < sweep.seeds.size(); ++r) {
    if (r) seeds += ' ';
    seeds += std::to_string(sweep.seeds[r]);
  }
  sink.write_attribute(g, "keys", keys);
  sink.write_attribute(g, "point_labels", labels);
  sink.write_attribute(g, "replicates", std::int64_t(sweep.replicates()));
  sink.write_attribute(g, "replicate_seeds", seeds);
  sink.write_attribute(g, "interval",
                       std::string("95 % confidence interval of the mean over the replicates, Student t with n - 1 "
                                   "degrees of freedom: mean +- t_{0.975, n-1} sd / sqrt(n)"));
  for (std::size_t k = 0; k < sweep.axes.size(); ++k) {
    std::vector<double> v;
    for (std::size_t p = 0; p < points; ++p) v.push_back(sweep_number(sweep.axes[k].values[sweep.indices(p)[k]]));
    sink.write_array(g + "/values/" + sweep.axes[k].key, v, {points});
    sink.write_attribute(g + "/values/" + sweep.axes[k].key, "units", sweep_units(sweep.axes[k].values));
  }
  out.stats = sweep_statistics(reported, cfg.sweep_runs, points);
  write_sweep_statistics(sink, g, out.stats, points);
}

TheoryError pooled(const RunResult& r, const Config& cfg) {
  TheoryError e;
  double n = 0;
  for (const TheoryError& t : r.theory) {
    const double size = cfg.find_population(t.population)->size;
    n += size;
    e.state_rmse += size * t.state_rmse * t.state_rmse;
    e.rate_rmse += size * t.rate_rmse * t.rate_rmse;
    e.state_rmse_single += size * t.state_rmse_single * t.state_rmse_single;
    e.rate_rmse_single += size * t.rate_rmse_single * t.rate_rmse_single;
    e.state_noise_sd += size * t.state_noise_sd * t.state_noise_sd;
    e.state_bias_rmse += size * t.state_bias_rmse * t.state_bias_rmse;
  }
  if (n > 0) {
    e.state_rmse = std::sqrt(e.state_rmse / n);
    e.rate_rmse = std::sqrt(e.rate_rmse / n);
    e.state_rmse_single = std::sqrt(e.state_rmse_single / n);
    e.rate_rmse_single = std::sqrt(e.rate_rmse_single / n);
    e.state_noise_sd = std::sqrt(e.state_noise_sd / n);
    e.state_bias_rmse = std::sqrt(e.state_bias_rmse / n);
  }
  return e;
}

}  // namespace ebsim
