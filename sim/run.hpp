#pragma once
// The protocol runner: builds the network, drives an engine through trials and phases, samples
// states on a regular grid, and hands everything to a Sink.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/sink.hpp"

namespace ebsim {

struct RunOptions {
  std::string command_line;
  std::function<void(double fraction_done)> progress;  // may be empty
  const std::atomic<bool>* stop = nullptr;             // set from a signal handler to interrupt
};

struct PhaseResult {
  std::string name;
  std::uint32_t trial = 0;
  bool settle = false, converged = false;
  double settle_time_ms = 0.0;  // when it converged (settle phases)
  double residual = 0.0;        // max_i |R_i - s_i| at the phase end (continuous engine)
  std::vector<BoundaryCounts> boundary;  // per population, at the phase end
};

struct PopulationSummary {
  std::string name;
  std::string role;
  std::uint32_t size = 0;
  double mean_state = 0.0, mean_rate = 0.0;  // at the end of the last trial; rate = r_max * rho(s)
};

struct RunResult {
  bool complete = false;
  std::vector<PhaseResult> phases;
  std::vector<PopulationSummary> populations;
  std::uint64_t synapses = 0;
  double wall_build_s = 0.0, wall_run_s = 0.0;
  std::uint64_t samples = 0;
  std::uint64_t synaptic_events = 0, spikes = 0;  // spiking engine
  std::uint64_t peak_rss_bytes = 0;               // of the whole process, at the end of the run
};

RunResult run_experiment(const Config& cfg, Sink& sink, const RunOptions& options);

// A short human summary of a run (what the CLI prints at the end).
std::string format_summary(const Config& cfg, const RunResult& result);

}  // namespace ebsim
