#pragma once
// The paper's main result as an experiment (§3, Eq. 12-25): early inference after a
// nudge of the outputs carries back-propagated errors.
//
// Settle to the fixed point s^ with x clamped; with C = 1/2 |y^ - y*|^2 the back-propagated errors
// are delta_y = y^ - y* and delta_{h_k} = J_k^T delta_{h_{k-1}}, J_k = diag(rho') W diag(rho') at s^
// (held units: rho' = 0). The nudged continuation minus the un-nudged one from the same state
// (paired) gives Delta h_k, which for a layered network and the hard sigmoid equals
// -eps^(k+1) delta_{h_k} exactly at step k+1 (Eq. 18-25); in continuous time
// Delta h_k(t) ~ -((t/tau)^(k+1) / (k+1)!) delta_{h_k}.
#include <string>
#include <utility>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/experiments/backprop_branches.hpp"
#include "sim/experiments/backprop_config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

struct LayerCheck {
  std::string layer;
  double cosine = 0.0;          // Delta h_k vs -delta_{h_k}, discrete map at the reference eps
  double relative_error = 0.0;  // |Delta h_k + eps^(k+1) delta_{h_k}| / |eps^(k+1) delta_{h_k}|
  double exponent = 0.0;        // fitted d log|Delta h_k| / d log eps (theory: k + 1)
  double ct_slope = 0.0;        // fitted d log|Delta h_k(t)| / d log t at early t (theory: k + 1)
  double logistic_error_small = 0.0, logistic_error_large = 0.0;  // smallest / largest eps
  double spiking_cosine = 0.0;                                    // at report_at, largest r_max, all branches
  std::uint32_t held = 0;   // units held on a boundary at the fixed point (no gradient)
  double min_margin = 0.0;  // the smallest distance of a held unit's drive beyond its boundary (NaN: none held)
};

// The trials of one noisy engine (backprop_branches.hpp), per layer at report_at.
struct NoisyBranches {
  double r_max_hz = 0.0;       // spiking (NaN for the continuous engine)
  double sigma = 0.0;          // the continuous engine's Langevin noise (NaN for spiking)
  std::vector<double> cosine;  // paired, all branches
  std::vector<Detectability> paired, unpaired;
};

struct BackpropResult {
  bool complete = false;
  bool converged = false;
  bool layered = true;         // no connection inside a layer and none skipping a layer
  std::string structure_note;  // what makes it non-layered
  double reference_eps = 0.0;
  std::vector<LayerCheck> layers;
  std::vector<NoisyBranches> noisy;                              // spiking r_max first, then Langevin sigma
  std::vector<std::pair<std::string, double>> weight_alignment;  // "post <- pre", cosine (Eq. 26 vs gradient)
  double wall_s = 0.0;
};

BackpropResult run_backprop(const Config& cfg, Sink& sink, const RunOptions& options);
std::string format_backprop_summary(const Config& cfg, const BackpropResult& result);

}  // namespace ebsim
