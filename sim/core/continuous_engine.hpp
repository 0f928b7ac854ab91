#pragma once
// The continuous (theory) engine: the paper's discrete map (Eq. 1-2)
//   s <- s + eps (R(s + eta) - s),   eta ~ N(0, sigma^2),   eps = dt / tau,
// with clamped inputs held at x and nudged outputs following (1 - beta) R_y + beta y* (Eq. 12).
//
// Boundaries (hard sigmoid): taken literally the map chatters around beta1/beta2 whenever a unit's
// drive lies beyond them. By default a unit that starts a step inside [beta1, beta2] and would
// leave it is held on the boundary when the dynamics outside point back (a Filippov sliding mode,
// as the exact continuous-time dynamics do); a unit outside decays as (1 - eps) s (toward its
// nudge target if nudged) until it re-enters. `boundary: literal` keeps the raw map.
#include <string>
#include <vector>

#include "models/coupling.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/random.hpp"

namespace ebsim {

class ContinuousEngine final : public Engine {
 public:
  ContinuousEngine(const EngineParams& params, const Network& net);

  void reset(std::uint32_t trial) override;
  void set_phase(const PhaseDrive& drive) override;
  void advance_to(double t_ms) override;
  bool advance_until_settled(double t_cap_ms, double tol) override;
  void hold_until(double t_ms) override;
  double now() const override { return double(step_) * params_.dt_ms; }
  double residual() const override { return residual_; }
  void sample_states(std::span<double> out) override;
  void set_states(std::span<const double> states) override;
  void held_units(std::span<std::uint8_t> out) const override;
  std::vector<BoundaryCounts> boundary_counts() const override;
  void enable_integrals() override { integrate_ = true; }
  void set_plasticity(PlasticityRule* rule) override { plasticity_ = rule; }
  void integrals(std::span<double> integral_s, std::span<double> counts) override;

  // One step of the map; exposed for experiments that work step by step (backprop's Delta h_k).
  void step();
  std::span<const double> state() const { return s_; }
  std::span<double> mutable_state() { return s_; }
  double eps() const { return params_.dt_ms / params_.tau_ms; }
  // Held on a boundary by a drive beyond it after the last step (its effective rho' is 0).
  bool held(std::uint32_t unit) const { return held_[unit] != kFree; }

  // The engine's state as bytes (sim/core/engine_state.cpp), and back into an engine made from the
  // same parameters and network, in the phase `drive` (the saved engine's): it then goes on
  // exactly as the saved one would. Not with plasticity (std::logic_error); load_state throws
  // std::runtime_error for bytes that do not fit this engine, after which the engine must be reset
  // before it is used.
  std::string save_state() const;
  void load_state(const std::string& bytes, const PhaseDrive& drive);

 private:
  enum : std::uint8_t { kFree = 0, kHeldLow = 1, kHeldHigh = 2 };

  EngineParams params_;
  const Network& net_;
  std::vector<models::CouplingBlock> coupling_;

  std::vector<double> s_, noisy_, rates_, input_;
  const PhaseDrive* drive_ = nullptr;
  std::vector<Stream> noise_;                                 // one stream per unit, keyed by (trial, unit)
  std::vector<std::uint8_t> held_;                            // kFree / kHeldLow / kHeldHigh after the last step
  std::vector<std::uint64_t> last_crossing_, prev_crossing_;  // steps of the last two region changes
  std::uint64_t step_ = 0;
  double residual_;
  bool integrate_ = false;
  PlasticityRule* plasticity_ = nullptr;
  std::vector<double> before_;                       // the state before the step, for the plasticity rule
  std::vector<double> integral_s_, expected_count_;  // the state is constant over each step
  template <class F>
  void visit_state(F& f);
};

}  // namespace ebsim
