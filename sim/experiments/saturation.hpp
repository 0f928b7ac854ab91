#pragma once
// The paper's saturation predictions (§4), measured in spiking neurons.
// A pulse drives a postsynaptic unit beyond beta2 (or below beta1) while its presynaptic inputs
// fire at different rates, then:
//   (a) while saturated its state ignores the synaptic input (rho' = 0, Eq. 8) and decays with the
//       leak time constant tau toward 0, back into the sensitive range; its rate meanwhile is r_max
//       (above) or 0 (below), then returns toward baseline;
//   (b) the weight change at synapses onto it under each `post:` variant of Eq. 26, in two regimes:
//       returning (the state put beyond the range decays back: for Eq. 26 as written ds/dt != 0)
//       and held (a drive beyond the range holds the unit on the boundary, the saturation the model
//       produces itself: ds/dt = 0, so Eq. 26 predicts no change for either variant).
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/experiments/saturation_config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

struct SaturationSide {
  std::string side;               // "above beta2" or "below beta1"
  double start_state = 0.0;       // right after the pulse
  double saturated_ms = 0.0;      // predicted time to re-enter: tau ln(s0 / boundary)
  double max_input_effect = 0.0;  // max |s(t; drive a) - s(t; drive b)| while saturated, over drives
  double fitted_tau_ms = 0.0;     // from the decay while saturated
  double rate_hz = 0.0;           // measured firing rate while saturated (all drives, all trials)
  double runs = 0.0;              // how many saturated intervals it pooled
  double dw_state = 0.0;          // mean Delta W per synapse over the saturated interval, post: state_derivative
  double dw_rate = 0.0;           // ... post: rate_derivative
  double dw_state_sem = 0.0, dw_rate_sem = 0.0;
  // Held regime: the drive (bias + mean input) lies held_beyond past the boundary, the unit starts
  // on it, the inputs fire for held_ms.
  double held_beyond = 0.0, held_ms = 0.0;
  double held_dw_state = 0.0, held_dw_state_sem = 0.0, held_dw_rate = 0.0, held_dw_rate_sem = 0.0;
  double held_runs = 0.0;  // how many held runs each held figure averages
};

struct SaturationResult {
  bool complete = false;
  std::vector<SaturationSide> sides;
};

SaturationResult run_saturation(const Config& cfg, Sink& sink, const RunOptions& options);
std::string format_saturation_summary(const Config& cfg, const SaturationResult& result);

}  // namespace ebsim
