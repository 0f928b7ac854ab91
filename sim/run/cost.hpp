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
#include <cstddef>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

struct CostEstimate {
  double run = 0.0;     // the engine over every trial
  double theory = 0.0;  // the mean-field reference (record.rates.theory)
  double write = 0.0;   // the recorded spikes into the file
  double total() const { return run + theory + write; }
};

CostEstimate estimated_cost(const Config& cfg);

// The threads each run of a sweep gets for its trials, from the runs' estimated costs: ceil(cost /
// fair share) where the fair share is the total over jobs x processes, between 1 and jobs.
std::vector<unsigned> threads_per_run(const std::vector<double>& cost, unsigned jobs, unsigned processes);

// What follows a sweep's last run on one thread: the per-point statistics, closing the file, the
// process's exit. Measured with scripts/eta_check.py (the time from the last redraw at 100 % to
// the process's end): 0.04-0.07 s for theory_check's 4 runs, 0.21 s for theory_check_grid's 64;
// with the last run's own end, which its estimate prices low, ETAs near the end ran 0.06-0.09 s
// short on theory_check: 0.09 s plus 0.0019 s per run, here 900,000 + 19,000 per run.
double sweep_tail_cost(std::size_t runs);

}  // namespace ebsim
