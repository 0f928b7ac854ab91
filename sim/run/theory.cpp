#include "sim/run/theory.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/core/continuous_engine.hpp"
#include "sim/run/trials.hpp"

namespace ebsim {

namespace {

double rmse(const std::vector<double>& a, const std::vector<double>& b, std::size_t offset = 0) {
  double sq = 0.0;
  for (std::size_t j = 0; j < b.size(); ++j) sq += (a[offset + j] - b[j]) * (a[offset + j] - b[j]);
  return b.empty() ? 0.0 : std::sqrt(sq / double(b.size()));
}

}  // namespace

std::optional<RateRecorder> theory_reference(const Config& cfg, const EngineParams& params, const Network& net,
                                             const std::vector<PhaseDrive>& drives, const std::atomic<bool>* stop,
                                             const std::function<void(double)>& progress) {
  Config tcfg = cfg;
  tcfg.engine.kind = EngineKind::continuous;
  tcfg.engine.sigma = 0.0;
  tcfg.engine.dt_ms = cfg.record.rates.theory_dt_ms;
  tcfg.protocol.trials = 1;
  ContinuousEngine engine(params.with_kind(EngineKind::continuous).with_sigma(0.0).with_dt(tcfg.engine.dt_ms), net);
  RateRecorder theory(tcfg, net, 1);
  Recorders rec;
  rec.rates = &theory;
  std::vector<PhaseResult> phases;
  std::vector<double> finals;
  RunOptions options;
  options.stop = stop;
  options.progress = progress;
  if (!run_trials(tcfg, drives, engine, rec, options, phases, finals, net.n_units)) return std::nullopt;
  return theory;
}

std::vector<TheoryError> write_theory(const Config& cfg, const RateRecorder& theory, const RateRecorder& spiking,
                                      Sink& sink) {
  theory.write(sink, "/theory");
  sink.write_attribute("/theory", "dt_ms", cfg.record.rates.theory_dt_ms);
  sink.write_attribute("/theory", "what",
                       std::string("continuous engine, sigma = 0: the mean-field prediction of the spiking run"));

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
    if (trials >= 2) {
      const std::vector<double>& single = spiking.states(k);
      const std::vector<double>& mean = spiking.mean_states(k);
      double variance = 0.0, bias2 = 0.0;
      for (std::size_t j = 0; j < t_state.size(); ++j) {
        double v = 0.0;
        for (std::uint32_t tr = 0; tr < trials; ++tr) v += std::pow(single[tr * t_state.size() + j] - mean[j], 2);
        v /= double(trials - 1);
        variance += v;
        bias2 += std::pow(mean[j] - t_state[j], 2) - v / double(trials);  // unbiased for bias^2
      }
      const double cells = double(std::max<std::size_t>(t_state.size(), 1));
      e.state_noise_sd = std::sqrt(variance / cells);
      e.state_bias_rmse = std::sqrt(std::max(bias2 / cells, 0.0));
    } else {
      e.state_noise_sd = e.state_bias_rmse = std::nan("");  // one trial: no split
    }
    const std::string g = "/analysis/theory_check/" + p.name;
    sink.write_array(g + "/state_rmse", std::vector<double>{e.state_rmse}, {});
    sink.write_array(g + "/rate_rmse_hz", std::vector<double>{e.rate_rmse}, {});
    sink.write_array(g + "/state_rmse_single_trial", std::vector<double>{e.state_rmse_single}, {});
    sink.write_array(g + "/rate_rmse_single_trial_hz", std::vector<double>{e.rate_rmse_single}, {});
    sink.write_array(g + "/state_noise_sd", std::vector<double>{e.state_noise_sd}, {});
    sink.write_array(g + "/state_bias_rmse", std::vector<double>{e.state_bias_rmse}, {});
    errors.push_back(e);
  }
  return errors;
}

}  // namespace ebsim
