#include "sim/run/sweep.hpp"

#include <cmath>
#include <string>

#include "sim/core/fit.hpp"
#include "sim/io/quantity.hpp"
#include "sim/run/run.hpp"

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

}  // namespace

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
  }
  if (n > 0) {
    e.state_rmse = std::sqrt(e.state_rmse / n);
    e.rate_rmse = std::sqrt(e.rate_rmse / n);
    e.state_rmse_single = std::sqrt(e.state_rmse_single / n);
    e.rate_rmse_single = std::sqrt(e.rate_rmse_single / n);
  }
  return e;
}

SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options) {
  SweepResult out;
  const std::size_t n = cfg.sweep_points.size();
  for (std::size_t k = 0; k < n; ++k) {
    RunOptions point_options = options;
    if (options.progress) point_options.progress = [&, k](double f) { options.progress((double(k) + f) / double(n)); };
    sink.set_scope("/sweep/" + std::to_string(k));
    sink.write_attribute("/", "value", cfg.sweep->values[k]);
    out.points.push_back(run_experiment(cfg.sweep_points[k], sink, point_options));
    out.values.push_back(sweep_number(cfg.sweep->values[k]));
    if (!out.points.back().complete) {
      sink.set_scope("");
      return out;
    }
  }
  sink.set_scope("");
  out.complete = true;
  std::vector<double> state_single, state_mean, rate_mean, rate_single, rho_mean;
  for (std::size_t k = 0; k < n; ++k) {
    const TheoryError e = pooled(out.points[k], cfg.sweep_points[k]);
    state_single.push_back(e.state_rmse_single);
    state_mean.push_back(e.state_rmse);
    rate_mean.push_back(e.rate_rmse);
    rate_single.push_back(e.rate_rmse_single);
    rho_mean.push_back(e.rate_rmse / cfg.sweep_points[k].model.r_max_hz);  // error in rho = rate / r_max
  }
  const bool have_theory = !out.points.front().theory.empty();
  const std::string g = "/analysis/sweep";
  sink.write_attribute(g, "key", cfg.sweep->key);
  sink.write_array(g + "/values", out.values, {n});
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
  }
  return out;
}

}  // namespace ebsim
