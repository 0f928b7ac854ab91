#pragma once
// The STDP-window experiment's parameters (`experiment: {kind: stdp_window, ...}`) and their
// reader, which checks them against the network they run on.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// The STDP-window pairing protocol: a presynaptic spike at t_pre and a pulse to the postsynaptic
// state at t_pre + dt, repeated; the weight change of the pre -> post synapse per pairing against dt.
struct StdpWindowExperiment : ExperimentSpec {
  std::string pre, post, projection;  // one unit each; pre is an input clamped below beta1
  std::vector<double> offsets_ms;     // dt = t_post - t_pre
  std::uint32_t pairings = 10, trials = 10;
  double spacing_ms = 300.0;  // between pairings (the post state relaxes back)
  double pulse = 1.0;         // the jump of the postsynaptic state
};

// Reads the `experiment:` section (its `kind` already read) for cfg.
std::shared_ptr<const ExperimentSpec> read_stdp_window_experiment(MapReader& m, const Config& cfg);

}  // namespace ebsim
