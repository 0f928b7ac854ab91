#pragma once
// The protocol runner: builds the network, drives an engine through trials and phases, samples
// states on a regular grid, bins rates, runs the mean-field reference, and hands everything to a
// Sink. The caller owns the sink's lifecycle (begin_run / end_run), so one file can hold a sweep
// (sim/run/sweep.hpp); sim/run/summary.hpp prints the results.
#include <string>

#include "sim/core/config.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/results.hpp"

namespace ebsim {

RunMetadata make_metadata(const Config& cfg, const std::string& command_line);

// One experiment, all its trials, written into the sink's current scope. With options.outlet, its
// trials go into that many ranges, some of which other processes run (sim/run/trial_ranges.hpp).
RunResult run_experiment(const Config& cfg, Sink& sink, const RunOptions& options);

}  // namespace ebsim
