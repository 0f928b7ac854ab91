#pragma once
// The STDP window from spike statistics (Bengio et al. 2015): presynaptic inputs and a
// postsynaptic unit spike stochastically, the rule (Eq. 26) runs as STDP events on the plastic
// synapses, and each weight change the engine makes is attributed to every pre-post spike pair
// within +-span, binned by dt = t_post - t_pre and averaged over pairs; intervals over independent
// trials. Beside it, the analytic prediction from the post state's spike-triggered average
// STA(u) = E[s(t_post + u)]: a pre spike at t_pre changes the weight by lr D / r_max with
// D = (s(t_pre + d + T) - s(t_pre + d)) / T less its own kick, so over pairs with t_post = t_pre + dt
//   E[dW | dt] = lr / (r_max T) (STA(d + T - dt) - STA(d - dt)),
// and, for a linear rho and shot-noise fluctuations C(u) = var(s) e^{-|u|/tau},
// STA(u) = mean(s) + C(u) / mean(rho(s)) (the closed form).
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/fit.hpp"
#include "sim/experiments/stdp_statistics_config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

// One lobe's fit dw = amplitude e^{-|dt - edge| / tau} over the bins beyond its edge (the
// depression lobe: dt < d; the potentiation lobe: dt > d + T).
struct StdpLobe {
  ExponentialFit fit;
  double edge_ms = 0.0;
  double amplitude_ci95 = 0.0, tau_ci95 = 0.0;  // half-widths: t(trials - 1) times the standard error
};

struct StdpStatisticsResult {
  bool complete = false;
  std::uint32_t trials = 0;
  std::vector<double> dt_ms;       // bin centres
  std::vector<double> mean, ci95;  // measured dW per pair, over trials (half-width, Student t)
  std::vector<double> pairs;       // pairs per bin, summed over trials
  std::vector<double> predicted;   // from each trial's spike-triggered average, mean over trials
  std::vector<double> predicted_ci95;
  std::vector<double> closed_form;                   // from var(s), mean rho(s) and tau
  std::vector<double> sta_u_ms, sta;                 // spike-triggered average of the post state (fine bins)
  double correlation = 0.0, correlation_ci95 = 0.0;  // measured vs predicted (jackknife over trials)
  double ratio = 0.0, ratio_ci95 = 0.0;              // least-squares slope of measured on predicted
  double correlation_closed_form = 0.0;
  // Mean over bins of measured - predicted (a constant offset, which the correlation cannot see:
  // e.g. a bias of every weight change whatever the post spikes), over trials, 95% half-width.
  double offset = 0.0, offset_ci95 = 0.0;
  double state_mean = 0.0, state_var = 0.0, rho_mean = 0.0, outside_fraction = 0.0;
  double post_rate_hz = 0.0, pre_rate_hz = 0.0;
  StdpLobe potentiation, depression;
  double wall_s = 0.0;
};

StdpStatisticsResult run_stdp_statistics(const Config& cfg, Sink& sink, const RunOptions& options);
std::string format_stdp_statistics_summary(const Config& cfg, const StdpStatisticsResult& result);

}  // namespace ebsim
