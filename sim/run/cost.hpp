#pragma once
// A run's expected cost, to weigh it in a sweep's progress bar (and so its ETA). In units of about
// 0.1 us of one core, calibrated on configs/theory_check.yaml (2-core Xeon VM, g++ 12 -O3), where
// it predicts each run's wall time within about 20 % from r_max = 100 Hz to 6400 Hz:
//   spiking:    0.7 per candidate spike (r_max per unit: thinning) and per delivery (a synapse, for
//               about half of them), plus a per-unit cost of time itself (recording, exact
//               updates): 1.5 per unit-ms
//   continuous: per step, 0.015 per unit and per synapse (a vectorised loop)
//   theory:     the continuous reference's steps over one trial, at the same 0.015
//   write:      8 per recorded spike (about half of the candidates), which a sweep with several jobs
//               pays when the writer thread hands the run to the file
#include "sim/core/config.hpp"

namespace ebsim {

struct CostEstimate {
  double run = 0.0;     // the engine over every trial
  double theory = 0.0;  // the mean-field reference (record.rates.theory)
  double write = 0.0;   // the recorded spikes into the file
  double total() const { return run + theory + write; }
};

CostEstimate estimated_cost(const Config& cfg);

}  // namespace ebsim
