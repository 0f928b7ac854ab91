#pragma once
// The spiking engine: discrete events, exact between events (DESIGN §2).
//
// - Each unit fires an inhomogeneous Poisson process of rate r_max rho(s_i(t)), generated exactly
//   by thinning: candidates at rate r_max, each accepted with probability rho(s_i) evaluated on the
//   exact trajectory at the candidate's time. Clamped inputs fire at r_max rho(x).
// - A spike of j reaches i after the projection's delay and kicks s_i += rho'(s_i) W_ij / (r_max tau)
//   (times (1 - beta) for a nudged output). In expectation: tau ds/dt = R(s) - s, the continuous
//   theory (Eq. 1, 8); the spiking noise plays the role of eta.
// - Between events tau ds/dt = rho'(s) A + C - s (A = (1 - beta) b, C = beta y*), solved in closed
//   form (models/unit_dynamics.hpp) and evaluated lazily, only when an event touches a unit.
//
// Hot-path representation. Within one piece of its trajectory (no boundary crossing) a unit follows
// s(t) = T + (s0 - T) e^{-(t - t0)/tau}. ebsim stores the offset in a frame shared by all units,
// u = (s - T) e^{(t - t_ref)/tau}, so that s(t) = T + u g(t) with g(t) = e^{-(t - t_ref)/tau}
// computed once per event, not once per synapse: delivering a spike to K targets costs K
// multiply-adds and no exponential. A piece ends at its next boundary crossing (valid_until); a unit
// touched after that is re-anchored with the exact piecewise solution. t_ref moves forward every
// 16 tau so that g never underflows.
#include <cstdint>
#include <vector>

#include "models/unit_dynamics.hpp"
#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/event_queue.hpp"
#include "sim/network.hpp"
#include "sim/random.hpp"

namespace ebsim {

class SpikingEngine final : public Engine {
 public:
  SpikingEngine(const Config& cfg, const Network& net);

  void reset(std::uint32_t trial) override;
  void set_phase(const PhaseDrive& drive) override;
  void advance_to(double t_ms) override;
  bool advance_until_settled(double t_cap_ms, double tol) override;
  void hold_until(double t_ms) override;
  double now() const override { return now_; }
  double residual() const override;
  void sample_states(std::span<double> out) override;
  std::vector<BoundaryCounts> boundary_counts() const override;
  void take_spikes(std::vector<Spike>& out) override;
  void record_spikes(std::uint32_t population) override;

  std::uint64_t synaptic_events() const override { return synaptic_events_; }
  std::uint64_t spike_count() const override { return spike_count_; }
  double state_at(std::uint32_t unit, double t);  // exact s_unit(t), t >= the unit's last event

 private:
  struct FanOut {
    std::uint16_t projection;
    std::uint8_t direction;  // 0: source -> target (CSR rows); 1: target -> source (transposed index)
  };

  void process(const Event& e);
  void fire_candidate(std::uint32_t unit, double t);
  void deliver(const Event& e);
  void kick(std::uint32_t unit, double t, double g, double g_inv, double dw);
  void anchor(std::uint32_t unit, double t, double s, double g_inv);
  double peek_state(std::uint32_t unit, double t) const;  // exact, without re-anchoring
  double slow_state(std::uint32_t unit, double t);
  void move_reference(double t);
  double g(double t) const;  // e^{-(t - t_ref)/tau}

  const Config& cfg_;
  const Network& net_;
  models::UnitParams params_;
  double tau_, r_max_per_ms_, b1_, b2_;

  // Per unit, structure of arrays.
  std::vector<double> offset_;       // u: s(t) = target + u g(t) while t <= valid_until
  std::vector<double> target_;       // T of the current piece
  std::vector<double> valid_until_;  // end of the current piece (next boundary crossing), or +inf
  std::vector<double> gated_, nudge_;  // A and C of tau ds/dt = rho'(s) A + C - s
  std::vector<double> kick_scale_;   // (1 - beta) / (r_max tau); 0 for clamped units
  std::vector<double> clamp_value_;
  std::vector<models::UnitRegime> regime_;
  std::vector<std::uint8_t> clamped_, stable_inside_;  // stable_inside: inside, no crossing ahead
  std::vector<std::uint8_t> record_;  // buffer this unit's spikes
  std::vector<std::uint16_t> population_;
  std::vector<Stream> streams_;
  std::vector<std::vector<FanOut>> fan_out_;  // per population

  EventQueue queue_;
  double now_ = 0.0, t_ref_ = 0.0;
  std::vector<Spike> spikes_;
  std::uint64_t synaptic_events_ = 0, spike_count_ = 0;
};

}  // namespace ebsim
