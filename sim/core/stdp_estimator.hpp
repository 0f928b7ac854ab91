#pragma once
// STDP events: the spiking engine's form of the synaptic rule (Eq. 26), dW_ij ∝ ds_i/dt rho(s_j).
//
// A presynaptic spike at t is a sample of rho(s_pre). The rate of change of each postsynaptic
// state is estimated over a window that opens at o = t + d (d: the projection's shortest delay)
// and lasts T:
//   D = (s(o + T) - s(o) - own(o + T)) / T     (or the same for rho(s), post: rate_derivative),
// and when it closes the weight moves by lr D / r_max. In expectation, pre spikes at rate
// r_max rho(s_pre) give dW/dt = lr rho(s_pre) <ds_post/dt over the window>: the continuous rule,
// with a lead of d + T/2 (a bias of order (d + T/2) s'').
//
// own(t) keeps the spike's own kick out of D (else every spike would add a Hebbian term
// lr rho' W / (r_max tau T) at its own synapse). The window opens before the kick lands (opening
// events precede deliveries at equal times), and own(t) is the kick's exact effect on the
// postsynaptic trajectory: the unit's deterministic flow (models::advance) from its state at the
// kick's arrival with the kick, minus the same without it. Inside the linear range this is the
// kick's exponential decay; on a boundary it is what the boundary makes of it — a unit held at
// beta2 that a positive kick lifts above falls back within the window, so own(T) = 0 and a unit
// held by its drive sees D = 0 on average, as ds/dt = 0 there. (Other spikes' kicks within the
// window are not in the counterfactual: their interaction with the own kick at a boundary is of
// second order in the kicks.)
//
// Opening and closing are events in the engine's queue (Event::stdp_open, Event::stdp_close), so
// they fall in the total event order. Open windows wait in a queue per (projection, direction);
// they close in the order they opened (one window length per projection). close_all() closes
// what is still open at the end of a trial, over the shortened window.
#include <cstdint>
#include <deque>
#include <vector>

#include "models/unit_dynamics.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/network.hpp"

namespace ebsim {

class PlasticityRule;

// One weight change made by an STDP event, as the rule applied it (after the weight bounds): for
// experiments that attribute the engine's own changes to spike pairs (the statistical STDP window).
struct StdpChange {
  double t_pre;             // when the presynaptic spike was emitted (ms)
  double dw;                // the change of the stored weight
  std::uint32_t pre, post;  // global unit indices
  std::uint16_t projection;
  bool full_window;  // closed after its full length T (false: shortened by the end of a trial)
};

// What the estimator needs from the engine that runs it.
class StdpHost {
 public:
  virtual double state_at(std::uint32_t unit, double t) = 0;      // exact s(t), t >= the unit's last event
  virtual double kick_scale(std::uint32_t unit) const = 0;        // a kick is kick_scale * W (0: clamped)
  virtual models::UnitDrive drive(std::uint32_t unit) const = 0;  // the unit's flow between events
  virtual void schedule(const Event& e) = 0;

 protected:
  ~StdpHost() = default;
};

class StdpEstimator {
 public:
  StdpEstimator(const Network& net, const EngineParams& params);
  // The rule whose plastic projections get STDP events (nullptr: none).
  void attach(PlasticityRule* rule);
  bool active() const { return rule_ != nullptr; }
  // Appends every weight change to *log from now on (nullptr: stop logging).
  void set_log(std::vector<StdpChange>* log) { log_ = log; }
  // Forgets every open window (a new trial).
  void clear();
  // A spike of `pre` (in population `population`) at t: schedules the opening of its windows.
  void on_spike(std::uint32_t pre, std::uint16_t population, double t, StdpHost& host);
  // Event::stdp_open: remember the postsynaptic values and the own kick; Event::stdp_close: move
  // the weights.
  void open(const Event& e, StdpHost& host);
  void close(const Event& e, StdpHost& host);
  // Closes every open window at t (the end of a trial), each over its length so far.
  void close_all(double t, StdpHost& host);

 private:
  struct FanOut {
    std::uint16_t projection;
    std::uint8_t direction;  // 0: pre in the source (post: targets); 1: pre in the target (symmetric rule)
  };
  // The spike's own kick on one postsynaptic unit: what it does to the unit's flow.
  struct OwnKick {
    double arrival;    // when it lands
    double s_arrival;  // the state it lands on (the flow from the opening's state)
    double kick;       // what it adds (0 where rho'(s_arrival) = 0 or the unit is clamped)
    models::UnitDrive drive;
  };
  struct Window {
    double spike, opened, closes;  // the presynaptic spike's emission, the window's opening and closing
    std::uint32_t unit;
    std::vector<double> before;  // postsynaptic values when the window opened
    std::vector<OwnKick> own;
  };
  double own_effect(const OwnKick& k, double t, bool rate) const;  // own(t) for one synapse
  void apply(const Window& w, std::uint16_t projection, std::uint8_t direction, double t, StdpHost& host);

  const Network* net_;
  models::RateFunction rate_;
  models::UnitParams unit_;
  double r_max_per_ms_;
  PlasticityRule* rule_ = nullptr;
  std::vector<StdpChange>* log_ = nullptr;
  std::vector<std::vector<FanOut>> fan_out_;           // per population
  std::vector<std::vector<std::deque<Window>>> open_;  // [projection][direction]
};

}  // namespace ebsim
