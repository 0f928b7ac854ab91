#pragma once
// The STDP window of the rule Delta W ∝ ds_post/dt rho(s_pre) (Eq. 26) in spiking neurons:
// a presynaptic spike at t_pre, a brief input pulse to the postsynaptic unit at
// t_post = t_pre + dt, repeated; the weight change per pairing against dt, with confidence
// intervals and exponential fits of the two lobes, to compare with Bi & Poo (1998).
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/experiments/stdp_window_config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

struct LobeFit {
  bool fitted = false;
  double amplitude = 0.0, tau_ms = 0.0;  // dw ~ amplitude exp(-|dt| / tau)
  std::uint32_t points = 0;              // offsets used (sign of the lobe, |mean| > 2 SEM)
};

struct StdpWindowResult {
  bool complete = false;
  std::vector<double> dt_ms, mean, sem;  // per offset: weight change per pairing
  LobeFit potentiation, depression;      // dt > 0 (pre before post), dt < 0 (post before pre)
  double wall_s = 0.0;
};

StdpWindowResult run_stdp_window(const Config& cfg, Sink& sink, const RunOptions& options);
std::string format_stdp_summary(const Config& cfg, const StdpWindowResult& result);

}  // namespace ebsim
