#pragma once
// The trial loop: every trial and phase of the protocol on one engine, stopping at each state
// sample tick and rate bin edge to feed the recorders.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/recorders.hpp"
#include "sim/run/results.hpp"

namespace ebsim {

struct Recorders {
  StateRecorder* states = nullptr;
  SpikeRecorder* spikes = nullptr;
  RateRecorder* rates = nullptr;
  PlasticityRule* plasticity = nullptr;
  std::function<void(std::uint32_t trial, const std::string& phase)> on_phase_end;
};

// Trials [first, end) of the protocol; end = 0: to the last.
struct TrialRange {
  std::uint32_t first = 0, end = 0;
};

// Range b of `trials` trials cut into `ranges` contiguous ranges of nearly equal size.
inline TrialRange trial_range(std::uint32_t trials, unsigned ranges, unsigned b) {
  return {std::uint32_t(std::uint64_t(trials) * b / ranges), std::uint32_t(std::uint64_t(trials) * (b + 1) / ranges)};
}

// Runs the trials of the protocol (all, or a range) on `engine`, feeding the recorders, and puts
// each trial's final states in its row of final_states (trials x units; sized here when it is not).
// Progress is the fraction of the range done. Returns false if stopped. Trials are independent
// (each starts from reset(trial), its random streams keyed by the trial) unless weights change, so
// ranges of one run can go to separate engines (sim/run/run.cpp).
bool run_trials(const Config& cfg, const std::vector<PhaseDrive>& drives, Engine& engine, const Recorders& rec,
                const RunOptions& options, std::vector<PhaseResult>& phases, std::vector<double>& final_states,
                std::uint32_t n_units, TrialRange range = {});

// Per phase, over trials: convergence, settle time, residual and boundary counts, under
// /analysis/phases/<phase>.
void write_phase_analysis(const Config& cfg, const Network& net, const std::vector<PhaseResult>& phases, Sink& sink);

}  // namespace ebsim
