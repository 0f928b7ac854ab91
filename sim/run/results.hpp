#pragma once
// What the protocol runner is given (RunOptions) and what it returns: per phase, per population,
// and the spiking run's distance from the mean-field theory.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/partition_comm.hpp"

namespace ebsim {

class RangeOutlet;

struct RunOptions {
  std::string command_line;
  std::function<void(double fraction_done)> progress;  // may be empty
  // What is running now, for the progress bar ("model.r_max=1600 Hz, replicate 3/8"); may be empty.
  std::function<void(const std::string& what)> progress_note;
  const std::atomic<bool>* stop = nullptr;  // set from a signal handler to interrupt
  unsigned jobs = 1;                        // threads for independent units of work (--jobs)
  // Partitions of one spiking network, one thread each (--threads; sim/core/partitioned_engine.hpp):
  // plain runs and the learning experiment. The output is the same for any number.
  unsigned threads = 1;
  // The processes (MPI ranks) that share each network of a run that is not a sweep (null: none).
  PartitionComm* comm = nullptr;
  // A sweep's run whose trial ranges other processes share (sim/run/range_outlet.hpp; null: none):
  // the run takes its ranges through it, as many as it says.
  RangeOutlet* outlet = nullptr;
};

struct PhaseResult {
  std::string name;
  std::uint32_t trial = 0;
  bool settle = false, converged = false;
  double settle_time_ms = 0.0;           // when it converged (settle phases)
  double residual = 0.0;                 // max_i |R_i - s_i| at the phase end (continuous engine)
  std::vector<BoundaryCounts> boundary;  // per population, at the phase end
};

struct PopulationSummary {
  std::string name;
  std::string role;
  std::uint32_t size = 0;
  double mean_state = 0.0, mean_rate = 0.0;  // at the end of the last trial; rate = r_max * rho(s)
};

// Spiking against the continuous theory, per population (record.rates.theory).
struct TheoryError {
  std::string population;
  double state_rmse = 0.0, rate_rmse = 0.0;                // trial-averaged bins
  double state_rmse_single = 0.0, rate_rmse_single = 0.0;  // single-trial bins (RMS over trials)
  // The trial-averaged state error split: state_rmse^2 = state_bias_rmse^2 + state_noise_sd^2 / trials
  // (per unit and bin: (mean - theory)^2 = bias^2 + variance / trials, the variance over trials
  // with n - 1). Noise: the RMS trial-to-trial standard deviation; bias: what averaging keeps.
  double state_noise_sd = 0.0, state_bias_rmse = 0.0;
};

struct RunResult {
  bool complete = false;
  std::vector<PhaseResult> phases;
  std::vector<PopulationSummary> populations;
  std::vector<TheoryError> theory;
  std::uint64_t synapses = 0;
  std::uint64_t connectivity_bytes = 0;  // the network's synapse arrays (Network::connectivity_bytes)
  double wall_build_s = 0.0, wall_run_s = 0.0;
  std::uint64_t samples = 0;
  std::uint64_t synaptic_events = 0, spikes = 0;  // spiking engine
  std::uint64_t peak_rss_bytes = 0;               // of the whole process, at the end of the run
  // A network divided over MPI ranks (network_divides): what each rank held, in rank order; the
  // fields above are rank 0's but `synapses`, the whole network's.
  struct RankMemory {
    std::uint64_t synapses = 0, connectivity_bytes = 0, peak_rss_bytes = 0;
  };
  std::vector<RankMemory> ranks;
};

}  // namespace ebsim
