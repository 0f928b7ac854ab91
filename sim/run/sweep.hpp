#pragma once
// One experiment at each value of a swept config key, written into one file, and how the spiking
// run's distance from the theory scales with the swept value.
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/results.hpp"

namespace ebsim {

struct SweepResult {
  bool complete = false;
  std::vector<double> values;  // the swept quantity, in ebsim's units (ms, Hz) or plain
  std::vector<RunResult> points;
  double slope_state_single = 0.0;  // log-log slope of the pooled single-trial state RMSE
  double slope_state_mean = 0.0;    // ... of the trial-averaged state RMSE
  double slope_rho_mean = 0.0;      // ... of the trial-averaged rate RMSE over r_max
};

// cfg.sweep_points in turn, each under /sweep/<k>; the table and slopes under /analysis/sweep.
SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options);

// Errors pooled over the compared populations (RMS, weighted by size).
TheoryError pooled(const RunResult& r, const Config& cfg);

}  // namespace ebsim
