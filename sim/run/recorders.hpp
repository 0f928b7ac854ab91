#pragma once
// What the protocol runner records while an engine runs: state samples on a regular grid, spikes,
// and binned rates. Each recorder declares its datasets in the sink when it is built.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/network.hpp"
#include "sim/io/sink.hpp"

namespace ebsim {

// Samples recorded populations on the global grid t = g * period (SONATA report).
class StateRecorder {
 public:
  StateRecorder(const Config& cfg, const Network& net, Sink& sink);
  bool active() const { return !pops_.empty(); }
  const std::vector<const Population*>& populations() const { return pops_; }  // declared in the sink
  void sample(Engine& engine);
  std::uint64_t samples() const { return samples_; }

 private:
  Sink& sink_;
  std::vector<const Population*> pops_;
  std::vector<double> buffer_;
  std::vector<float> row_;
  std::uint64_t samples_ = 0;
};

// Drains the engine's spike buffer into the sink, per population, with global times.
class SpikeRecorder {
 public:
  SpikeRecorder(const Config& cfg, const Network& net, Engine& engine, Sink& sink);
  const std::vector<const Population*>& populations() const { return pops_; }  // declared in the sink
  void drain(Engine& engine, double t0);

 private:
  struct Batch {
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
  };
  const Network& net_;
  Sink& sink_;
  bool active_ = false;
  std::vector<const Population*> pops_;
  std::vector<Spike> buffer_;
  std::vector<Batch> by_pop_;
};

// Binned rates (Hz) and window-averaged states, exact: differences of the engine's cumulative
// integrals at bin edges t = b * bin within each trial. Kept in memory (trials x bins x units).
class RateRecorder {
 public:
  RateRecorder(const Config& cfg, const Network& net, std::uint32_t trials);
  bool active() const { return !pops_.empty(); }
  double next_edge(std::uint64_t bin) const { return double(bin + 1) * bin_ms_; }  // end of `bin`
  std::uint64_t bins() const { return bins_; }

  void start_trial();
  void end_bin(Engine& engine, std::uint32_t trial, std::uint64_t bin);
  // Trials [first, end) as another recorder of the same run recorded them (a range run apart).
  void copy_trials(const RateRecorder& from, std::uint32_t first, std::uint32_t end);
  // Trials [first, end) as plain numbers (every population's states, then its rates) and back: a
  // range run by another process. set_trial_rows throws std::runtime_error if the count is wrong.
  std::vector<double> trial_rows(std::uint32_t first, std::uint32_t end) const;
  void set_trial_rows(std::uint32_t first, std::uint32_t end, const std::vector<double>& rows);

  // The recorded populations; k below indexes this list.
  const std::vector<const Population*>& populations() const { return pops_; }
  std::uint32_t trials() const { return trials_; }
  // Window-averaged states and rates (Hz) of population k: trials x bins x units.
  const std::vector<double>& states(std::size_t k) const { return state_[k]; }
  const std::vector<double>& rates(std::size_t k) const { return rate_[k]; }
  // Their means over trials: bins x units.
  std::vector<double> mean_states(std::size_t k) const { return trial_mean(state_[k], pops_[k]->size); }
  std::vector<double> mean_rates(std::size_t k) const { return trial_mean(rate_[k], pops_[k]->size); }

  // Writes <group>/<pop>/{rate_hz, mean_state} (trial means, bins x units) and, with several
  // trials, the per-trial arrays (trials x bins x units).
  void write(Sink& sink, const std::string& group) const;

 private:
  std::vector<double> trial_mean(const std::vector<double>& v, std::uint32_t size) const;

  std::vector<const Population*> pops_;
  double bin_ms_;
  std::uint64_t bins_;
  std::uint32_t trials_;
  std::vector<std::vector<double>> state_, rate_;  // per population: trials x bins x units
  std::vector<double> integral_, counts_, prev_integral_, prev_counts_;
};

}  // namespace ebsim
