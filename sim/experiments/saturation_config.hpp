#pragma once
// The saturation experiment's parameters (`experiment: {kind: saturation, ...}`) and their reader,
// which checks them against the network they run on.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// The saturation predictions (§4): pulses that saturate the postsynaptic unit, under several
// presynaptic drives, with both post: variants of the rule.
struct SaturationExperiment : ExperimentSpec {
  std::string pre, post, projection;  // pre: an input population; post: one unit
  std::vector<double> drives;         // clamp values of pre (its rates are r_max rho(drive))
  double pulse = 1.5;                 // the state jump (+pulse above beta2, -pulse below beta1)
  double settle_ms = 100.0;
  std::uint32_t trials = 20;
};

// Reads the `experiment:` section (its `kind` already read) for cfg.
std::shared_ptr<const ExperimentSpec> read_saturation_experiment(MapReader& m, const Config& cfg);

}  // namespace ebsim
