#pragma once
// The backprop experiment's noisy part (paper §3 with noise): trials of the early response to the
// nudge, branched along one free run of a noisy engine (spiking neurons, or the continuous engine
// with Langevin noise), measured two ways:
//  - paired: at each branch point the free run is copied twice (the same state and the same random
//    streams: common random numbers) and one copy is nudged; a trial is their difference;
//  - unpaired: nudged trials start at the even branch points, free trials at the odd ones, so no
//    two share a time interval or a random draw; a trial is its own change since it began, and
//    the estimate is the nudged trials' mean change minus the free trials'. One unpaired trial is
//    a nudged and a free continuation, as one paired trial is: the same simulated time.
// For each, how many trials a trial average needs for an expected cosine >= 0.9 with -delta_k
// (Detectability), from the per-trial mean and variance.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "sim/core/protocol.hpp"
#include "sim/experiments/backprop_config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

// Per-component sums of trial vectors and of their squares: the mean and the variances.
struct MomentSums {
  std::vector<double> sum, sum_sq;
  std::uint64_t n = 0;

  explicit MomentSums(std::size_t dim = 0) : sum(dim, 0.0), sum_sq(dim, 0.0) {}
  void add(std::span<const double> x);
  std::vector<double> mean() const;
  std::vector<double> variances() const;  // per component, divisor n - 1; NaN with fewer than 2 trials
  double variance_trace() const;          // their sum
};

// How detectable a mean response m is in the direction u (= -delta_k / |delta_k|) from N trials
// whose per-trial noise has covariance trace V. For the trial average x = m + e, e ~ (0, Sigma/N):
// E[x.u] = a = m.u and E[|x|^2] = b + V/N with b = |m|^2, so cos(x, u) concentrates at
// a / sqrt(b + V/N) (the ratio of expectations; its error is O(1/N) and shrinks with the dimension;
// tests/sim/experiments/test_backprop_branches.cpp checks it against drawn trials).
// a and b come from the paired trials, whose mean is the same m as the unpaired estimate's (both
// are E[nudged change] - E[free change] over the same stationary free run) and far less noisy:
// a = m^.u (unbiased), b = |m^|^2 - tr(Sigma)/n (unbiased), with b's standard error from the
// per-component variances (components taken as independent). V is the design's own.
struct Detectability {
  double a = std::nan(""), b = std::nan(""), b_se = std::nan("");
  double variance_per_trial = std::nan("");  // V
  // b is resolved: more than two standard errors above 0.
  bool resolved() const { return b > 2 * b_se; }
  // cos(m, u): what infinitely many trials give (NaN when not resolved).
  double cosine_of_mean() const { return resolved() ? a / std::sqrt(b) : std::nan(""); }
  double expected_cosine(double trials) const { return a / std::sqrt(b + variance_per_trial / trials); }
  // Trials for an expected cosine >= target: target^2 V / (a^2 - target^2 b), at least 1; +inf when
  // the mean's own cosine is <= target (no number of trials suffices); NaN when b is not resolved.
  double trials_needed(double target) const;
  // A lower bound that holds whether or not b is resolved (about 97.5 % one-sided): a^2 <= b, so
  // trials >= target^2 V / ((1 - target^2) b) >= the same with b's upper bound b + 2 se (and >= 1).
  double trials_at_least(double target) const;
};

// a, b and b's standard error from the paired trials `m` along `direction`; V from the caller.
Detectability detectability(const MomentSums& m, const std::vector<double>& direction, double variance_per_trial);

// A layer of the experiment: a population's units in the network's state vector.
struct BranchLayer {
  std::string name;
  std::uint32_t offset = 0, size = 0;
};

struct BranchSetup {
  const BackpropExperiment& ex;
  const std::vector<BranchLayer>& layers;
  const std::vector<std::vector<double>>& delta;  // delta_k per layer
  const PhaseDrive& free_drive;
  const PhaseDrive& nudge_drive;
  std::uint32_t n_units = 0;
};

struct BranchResult {
  bool complete = false;
  std::vector<double> cosine;                   // paired, at report_at, all branches, per layer
  std::vector<Detectability> paired, unpaired;  // at report_at, per layer
};

// Runs ex.branches trials on `base` (reset, free drive, settled for ex.spiking_settle_ms first) on
// options.jobs threads, writes them under `group` and returns their summary. `progress` gets the
// fraction of branches done. Engine: SpikingEngine or ContinuousEngine.
template <class Engine>
BranchResult run_branches(Engine& base, const BranchSetup& setup, const std::string& group, Sink& sink,
                          const RunOptions& options, const std::function<void(double)>& progress);

constexpr double kDetectableCosine = 0.9;  // the cosine the trials-needed figures are for

}  // namespace ebsim
