#pragma once
// The statistical STDP window's parameters (`experiment: {kind: stdp_statistics, ...}`) and their
// reader, which checks them against the network they run on.
#include <cstdint>
#include <memory>
#include <string>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// Pre and post units spike stochastically (the first protocol phase's clamps set the inputs'
// rates), the rule runs as STDP events on the plastic pre -> post projection, and every weight
// change is attributed to all pre-post spike pairs within +-span, binned by dt = t_post - t_pre.
struct StdpStatisticsExperiment : ExperimentSpec {
  std::string pre, post, projection;  // pre: an input population; post: one hidden or output unit
  std::uint32_t trials = 20;          // independent: random streams keyed by the trial index
  double duration_ms = 50000.0;       // per trial
  double warmup_ms = 100.0;           // discarded: the post state reaches its stationary fluctuations
  double span_ms = 100.0;             // pairs with |dt| < span
  double bin_ms = 2.0;                // of dt
  double sample_ms = 0.25;            // the post state is sampled exactly on this grid (spike-triggered average)
};

// Reads the `experiment:` section (its `kind` already read) for cfg.
std::shared_ptr<const ExperimentSpec> read_stdp_statistics_experiment(MapReader& m, const Config& cfg);

}  // namespace ebsim
