#pragma once
// STDP events: the spiking engine's form of the synaptic rule (Eq. 26), dW_ij ∝ ds_i/dt rho(s_j).
//
// A presynaptic spike at t is a sample of rho(s_pre). The rate of change of each postsynaptic
// state is estimated over a window that opens at t + d (d: the projection's longest delay, so that
// the spike's own kick has landed everywhere) and lasts T:
//   D = (s(t + d + T) - s(t + d)) / T     (or the same for rho(s), post: rate_derivative);
// when it closes the weight moves by lr D / r_max. In expectation, pre spikes at rate
// r_max rho(s_pre) give dW/dt = lr rho(s_pre) <ds_post/dt over the window>: the continuous rule,
// with a lead of d + T/2 (a bias of order (d + T/2) s''). The spike's own kick decays over the
// window and would add a Hebbian term; that decay is counted back in (exact inside the linear
// range only).
//
// Opening and closing are events in the engine's queue (Event::plasticity, with Event::group
// kOpen or kClose), so that they fall in the total event order. Open windows wait in a queue per
// (projection, direction); they close in the order they opened (one window length per projection).
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/core/engine_params.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/network.hpp"

namespace ebsim {

class PlasticityRule;

// What the estimator needs from the engine that runs it.
class StdpHost {
 public:
  virtual double state_at(std::uint32_t unit, double t) = 0;  // exact s(t), t >= the unit's last event
  virtual bool clamped(std::uint32_t unit) const = 0;
  virtual double kick_scale(std::uint32_t unit) const = 0;    // a kick is kick_scale * W
  virtual void schedule(const Event& e) = 0;

 protected:
  ~StdpHost() = default;
};

class StdpEstimator {
 public:
  // Event::group of a plasticity event.
  static constexpr std::uint8_t kOpen = 0, kClose = 1;

  StdpEstimator(const Network& net, const EngineParams& params);
  // The rule whose plastic projections get STDP events (nullptr: none).
  void attach(PlasticityRule* rule);
  bool active() const { return rule_ != nullptr; }
  // Forgets every open window (a new trial).
  void clear();
  // A spike of `pre` (in population `population`) at t: schedules the opening of its windows.
  void on_spike(std::uint32_t pre, std::uint16_t population, double t, StdpHost& host);
  // An Event::plasticity from the queue: opens a window (remembers the postsynaptic values) or
  // closes one (moves the weights).
  void on_event(const Event& e, StdpHost& host);

 private:
  struct FanOut {
    std::uint16_t projection;
    std::uint8_t direction;  // 0: pre in the source (post: targets); 1: pre in the target (symmetric rule)
  };
  struct Window {
    double closes;
    std::uint32_t unit;
    std::vector<double> before;     // postsynaptic values when the window opened
    std::vector<double> own_decay;  // how much the spike's own kick decays over the window
  };
  void open(const Event& e, StdpHost& host);
  void close(const Event& e, StdpHost& host);

  const Network* net_;
  models::RateFunction rate_;
  double tau_ms_, r_max_per_ms_;
  PlasticityRule* rule_ = nullptr;
  std::vector<std::vector<FanOut>> fan_out_;            // per population
  std::vector<std::vector<std::deque<Window>>> open_;  // [projection][direction]
};

}  // namespace ebsim
