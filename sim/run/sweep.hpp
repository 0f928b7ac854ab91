#pragma once
// A sweep: one run per point and replicate (Config::sweep_points), each written under
// /sweep/<k> of one file, with --jobs of them at once. The original one-key form keeps its error
// table and slopes under /analysis/sweep; the grid, zip and replicate forms (and any sweep of an
// experiment kind) get per-point statistics of everything the runs report (sim/run/sweep_stats.hpp).
//
// Threads: with jobs > 1 each run goes into its own RecordingSink on a worker thread, and the
// calling thread replays them into `sink` in run order (k = 0, 1, ...), so the file is the same
// for any number of jobs and only the calling thread touches `sink`. Each run's randomness is
// keyed by its own seed, so nothing depends on which thread ran it or when. Processes (MPI ranks,
// sim/run/exchange.hpp) add nothing new: a run computed elsewhere arrives as the same record.
#include <functional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/exchange.hpp"
#include "sim/run/results.hpp"
#include "sim/run/sweep_stats.hpp"

namespace ebsim {

// Runs one config into the sink's current scope (plain runs: run_experiment; the CLI passes one
// that dispatches to the experiment kinds too).
using UnitRunner = std::function<UnitOutcome(const Config& cfg, Sink& sink, const RunOptions& options)>;

struct SweepResult {
  bool complete = false;
  std::vector<double> values;       // legacy form: the swept quantity, in ebsim's units (ms, Hz) or plain
  std::vector<RunResult> points;    // every finished run, in run order
  double slope_state_single = 0.0;  // log-log slope of the pooled single-trial state RMSE
  double slope_state_mean = 0.0;    // ... of the trial-averaged state RMSE
  double slope_rho_mean = 0.0;      // ... of the trial-averaged rate RMSE over r_max
  double slope_state_noise = 0.0;   // ... of the trial-to-trial state noise (sd)
  double slope_state_bias = 0.0;    // ... of the state bias that trial averaging keeps
  SweepStats stats;                 // per point (statistics forms)
};

// The runner for plain protocol runs.
UnitOutcome run_plain(const Config& cfg, Sink& sink, const RunOptions& options);

// cfg.sweep_points in turn (options.jobs at once), each under /sweep/<k>; the analysis under
// /analysis/sweep. With an exchange (MPI ranks), this process computes only its own runs: the
// writer replays every run into `sink` in run order, fetching the others' from their processes;
// any other process sends its runs when the writer asks and writes nothing to `sink` (its result
// is complete when the writer ended the sweep and none of its runs failed).
SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options, const UnitRunner& runner = run_plain,
                      RunExchange* exchange = nullptr);

// Errors pooled over the compared populations (RMS, weighted by size).
TheoryError pooled(const RunResult& r, const Config& cfg);

}  // namespace ebsim
