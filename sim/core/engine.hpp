#pragma once
// The contract every engine keeps: the protocol runner (sim/run/) owns time, phases, trials and
// recording; an engine only advances its state and answers questions about it.
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/interrupt.hpp"
#include "sim/core/protocol.hpp"

namespace ebsim {

// Units held at a saturation boundary by a drive beyond it (Filippov sliding modes), and units
// that crossed a boundary back and forth recently (chattering, only possible with the literal map).
struct BoundaryCounts {
  std::uint32_t held_low = 0, held_high = 0, chattering = 0;
};

class PlasticityRule;

struct Spike {
  double time = 0.0;       // ms since the trial started
  std::uint32_t unit = 0;  // global unit index
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Back to t = 0 with the initial state, random streams keyed by `trial`.
  virtual void reset(std::uint32_t trial) = 0;
  virtual void set_phase(const PhaseDrive& drive) = 0;
  // Advance to time t (ms since the trial started).
  virtual void advance_to(double t_ms) = 0;
  // Advance until the state is a fixed point to within tol (max_i |R_i - s_i|), or to t_cap.
  // Returns true when it converged (then now() is the time it did).
  virtual bool advance_until_settled(double t_cap_ms, double tol) = 0;
  // Time passes with the state frozen (after a settle phase converged: the state is a fixed point
  // to within tol, so the recorded samples hold it until the phase's nominal end).
  virtual void hold_until(double t_ms) = 0;
  virtual double now() const = 0;
  // The residual max_i |R_i(s) - s_i| of the last step (continuous engine), or NaN.
  virtual double residual() const = 0;
  // States of all units at now().
  virtual void sample_states(std::span<double> out) = 0;
  // Sets every unit's state at now(), e.g. to start a trial from a remembered state (the learning
  // experiment's persistent states); the next set_phase() clamps what it clamps.
  virtual void set_states(std::span<const double> states) = 0;
  // 1 for units held on a boundary by a drive beyond it (their effective rho' is 0), else 0.
  virtual void held_units(std::span<std::uint8_t> out) const = 0;
  // Per population.
  virtual std::vector<BoundaryCounts> boundary_counts() const = 0;
  // Moves the spikes emitted since the last call (in time order) to `out`; engines without spikes
  // leave it empty. Only units of populations passed to record_spikes() are buffered.
  virtual void take_spikes(std::vector<Spike>& out) { out.clear(); }
  virtual void record_spikes(std::uint32_t /*population*/) {}
  // Window averages. enable_integrals() turns on the accumulation, per unit and from the trial's
  // start, of the integral of s dt (ms) and of the spike count: actual spikes (spiking engine) or
  // the expected count, the integral of r_max rho(s) dt (continuous engine). integrals() reads
  // both at now(); differences between two reads give exact window averages.
  virtual void enable_integrals() = 0;
  virtual void integrals(std::span<double> integral_s, std::span<double> counts) = 0;
  // Plastic weights (Eq. 26): the engine applies the rule as it advances. Engines without
  // plasticity support reject configs that ask for it at load time.
  virtual void set_plasticity(PlasticityRule* /*rule*/) {}
  // The trial is over at now(): the engine finishes what is still open (the spiking engine's STDP
  // windows close over their length so far). The next call must be reset().
  virtual void end_trial() {}
  // Work done so far, for benchmarks: synaptic events delivered and spikes emitted (spiking).
  virtual std::uint64_t synaptic_events() const { return 0; }
  virtual std::uint64_t spike_count() const { return 0; }

  // Once *stop is set, advance_to, advance_until_settled and hold_until return within a few
  // milliseconds of wall time, short of the time asked for; the caller then abandons the run
  // (the state is no longer a trajectory of the protocol). Null: never stopped.
  virtual void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

 protected:
  bool stop_requested() const { return ebsim::stop_requested(stop_); }

 private:
  const std::atomic<bool>* stop_ = nullptr;
};

}  // namespace ebsim
