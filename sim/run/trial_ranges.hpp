#pragma once
// A run's trials in ranges, each on an engine of its own: on --jobs threads of this process
// (run_trial_ranges), and, for a sweep's run that the writer shares with other processes
// (sim/run/range_outlet.hpp), on those processes too (run_trial_part). Each trial starts from
// reset(trial), its randomness keyed by the trial, so the output is the same as one engine running
// every trial, wherever each range ran. run_experiment (sim/run/run.hpp) calls it.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/results.hpp"
#include "sim/run/trials.hpp"

namespace ebsim {

// The trials in `ranges` contiguous ranges, options.jobs at once on worker threads, each on an
// engine of its own into a buffer; finished ranges go to the sink and the recorders in trial order
// while later ones run. The same output as one engine running every trial: each trial starts from
// reset(trial), its randomness keyed by the trial. The worker that finishes the range next in order
// hands it over, so the work of handing over spreads over the workers: into a recording sink
// (a sweep's run), which encodes the datasets' chunks as they fill; and for a sink that stores
// chunks (an HDF5 file, which gets its calls from the calling thread only) into a recording that
// encodes them likewise, which the calling thread replays into the file as it fills.
// `first` (if set), work of the run's own that needs none of the trials (the mean-field reference),
// is taken by the first worker before any range, with the workers' stop flag: the costliest piece
// first, so that it does not run alone after them.
// With options.outlet, other processes take ranges too (the next free one as they ask); what they
// computed arrives packed and is unpacked by the worker that hands it over.
bool run_trial_ranges(const Config& cfg, const EngineParams& params, const Network& net,
                      const std::vector<PhaseDrive>& drives, unsigned ranges, const Recorders& main,
                      const RunOptions& options, Sink& sink, RunResult& result, std::vector<double>& final_states,
                      const std::function<void(const std::atomic<bool>*)>& first);

// Trials `range` of a plain run whose other trials run elsewhere (sim/run/range_outlet.hpp), on an
// engine of its own: what they record and give, packed (pack_trial_part) for the run's process.
std::string run_trial_part(const Config& cfg, TrialRange range, const RunOptions& options);

}  // namespace ebsim
