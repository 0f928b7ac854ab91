#pragma once
// The backprop-equivalence experiment's parameters (`experiment: {kind: backprop, ...}`) and their
// reader, which checks them against the network and protocol they run on.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// The backprop-equivalence experiment (paper §3, Eq. 12-25): settle with the first phase's clamps,
// nudge with the second phase's target, compare early perturbations with back-propagated errors.
struct BackpropExperiment : ExperimentSpec {
  std::vector<std::string> layers;       // the nudged output first, then hidden layers inward
  std::vector<double> eps;               // eps sweep of the discrete map (dimensionless)
  bool logistic = true;                  // also run the smooth rate function
  double ct_eps = 0.001;                 // continuous-time limit: small eps ...
  std::uint32_t ct_steps = 300;          // ... and steps (t = steps * eps * tau)
  std::vector<double> spiking_r_max_hz;  // empty: no spiking part
  std::vector<double> langevin_sigma;    // the same trials with the continuous engine and this noise (may be empty)
  std::uint32_t branches = 1000;         // paired continuations per r_max
  double spiking_settle_ms = 100.0;      // free run before the first branch point
  double spacing_ms = 20.0;              // between branch points along the free run
  double window_ms = 10.0;               // length of each paired continuation
  double sample_ms = 0.5;                // sampling step within a continuation
  double report_at_ms = 5.0;             // time after the nudge starts for the summary table
};

// Reads the `experiment:` section (its `kind` already read) for cfg.
std::shared_ptr<const ExperimentSpec> read_backprop_experiment(MapReader& m, const Config& cfg);

}  // namespace ebsim
