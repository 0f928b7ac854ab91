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
// events precede deliveries at equal times). own(t) is the kick's effect on the postsynaptic
// trajectory, in one of two forms chosen when the window closes:
//  - the unit's actual state stayed strictly inside (beta1, beta2) from before the kick's arrival
//    to t (the engine tracks when each unit was last on or outside a boundary: PostClosing): the
//    dynamics there are linear, so with and without the kick the trajectories differ by the kick's
//    exponential decay, kick e^(-(t - arrival)/tau), whatever the other events did. This holds
//    also when the unit's flow alone (its bias) would leave the range within T but the kicks of
//    its other inputs keep it inside, where the flow below would make own = 0 and leave a bias of
//    lr W e^(-T/tau) / (r_max^2 tau T) per pre spike. It is exact as long as the trajectory
//    without the kick stays inside too: it can leave only where the actual one comes within the
//    kick of a boundary, an error of second order in the kick.
//  - otherwise (the unit touched a boundary): the unit's deterministic flow (models::advance,
//    under the drive the window's opening saw) from its state at the kick's arrival with the kick,
//    minus the same without it. On a boundary that is what the boundary makes of the kick — a
//    unit held at beta2 that a positive kick lifts above falls back within the window, so
//    own(T) = 0 and a unit held by its drive sees D = 0 on average, as ds/dt = 0 there. (Other
//    spikes' kicks within the window are not in this counterfactual: their interaction with the
//    own kick at a boundary is of second order in the kicks, but a unit whose flow leaves the
//    range while its inputs bring it back keeps a bias of the order of the fraction of windows in
//    which it touches a boundary.)
//
// Opening and closing are events in the engine's queue (Event::stdp_open, Event::stdp_close), so
// they fall in the total event order.
//
// Shared weights. A weight that both directions use (a symmetric rule, or a projection that acts
// backward too) is read and moved from both of its units; in a partitioned network
// (sim/core/partitioned_engine.hpp) they may live in different partitions. Changes of such weights
// therefore wait (deferred()) and take effect at the next interval boundary k d_min (d_min: the
// shortest delay), in every layout, one partition included: before any event later than the
// boundary, all changes of closings up to it are applied in the order of (closing time, closing
// event, opening time, synapse), a key independent of where the units live. The bias against the
// continuous rule is a delay of at most d_min in a weight's effect, below the window's own lead. Open windows wait in a
// queue per (projection, direction); they close in the order they opened (one window length per projection).
// close_all() closes what is still open at the end of a trial, over the shortened window.
//
// Clamped postsynaptic units. A clamped unit holds its value and takes no kick, so D = 0 and its
// weights do not move. A window whose postsynaptic population is wholly clamped (in a learning
// experiment: a symmetric projection's input side, at every spike of the layer above) is "held":
// it reads no state and changes nothing, unless the clamps change before it closes (a new phase;
// the engine calls release_held first), when it takes what its opening saw and closes as usual.
// This is the same as adding each weight its change of 0, except that such an addition would
// clip a weight stored outside its bounds (a weight that any other change clips too) and turn a
// stored -0 into +0. Logged windows (set_log) are never held: the log lists every change.
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <tuple>
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

// A plastic weight's value after a change, for the copies other processes hold.
struct WeightValue {
  std::uint64_t synapse;
  double value;
  std::uint16_t projection;
};

// A change of a shared weight, waiting for the interval boundary (see above): 56 bytes. What its
// StdpChange would say, but the presynaptic spike's time (opened - the projection's delay, the
// window's own expression) and the change as applied.
struct DeferredChange {
  double closed, opened;  // the window's closing and opening times
  std::uint64_t tie;      // the closing event's Event::tie_key()
  std::uint64_t synapse;
  double dw;                // before the rule's gain and bounds
  std::uint32_t place;      // the synapse's place in the window's postsynaptic range
  std::uint32_t pre, post;  // global unit indices
  std::uint16_t projection;
  bool full_window;
  auto key() const { return std::make_tuple(closed, tie, opened, place); }
};
static_assert(sizeof(DeferredChange) == 56);

// A postsynaptic unit as a window's opening sees it: s(t) (exact) and its kick scale (a kick is
// kick_scale * W; 0: clamped).
struct PostOpening {
  double s;
  double kick_scale;
};
// ... and as its closing sees it: s(t), whether the state has been strictly inside (beta1, beta2)
// since before `since` (never touching a boundary since; a clamped unit: never), and the unit's
// flow between events now.
struct PostClosing {
  double s;
  bool inside;
  models::UnitDrive drive;
};

// What the estimator needs from the engine that runs it: one call per unit and window end (t >=
// the unit's last event).
class StdpHost {
 public:
  virtual PostOpening opening(std::uint32_t unit, double t) = 0;
  virtual PostClosing closing(std::uint32_t unit, double t, double since) = 0;
  virtual models::UnitDrive drive(std::uint32_t unit) const = 0;
  // Every unit of the population that the host owns is clamped (and it owns at least one). Until
  // the host calls release_held, their clamp values stay as they are.
  virtual bool holds_clamped(std::uint16_t population) const = 0;
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
  // The clamps of `population` are about to change (the host still answers as before): its held
  // windows take what their opening saw, and from then on the usual way.
  void release_held(std::uint16_t population, StdpHost& host);
  // The drives of the postsynaptic units are about to change (the host still answers as before):
  // the open windows keep them as their openings saw them (a window reads its units' drives when it
  // closes, from the host unless they changed since it opened).
  void keep_drives(StdpHost& host);

  // A partition's estimator sees only the postsynaptic units in [lo, hi) (sim/core/partitioned_engine.hpp).
  void own_units(std::uint32_t lo, std::uint32_t hi) { lo_ = lo, hi_ = hi; }
  // Whether a projection's weight changes wait for the interval boundary, and those waiting.
  bool deferred(std::size_t projection) const { return !deferred_.empty() && deferred_[projection]; }
  bool any_deferred() const { return any_deferred_; }
  std::vector<DeferredChange>& waiting() { return waiting_; }
  // Applies deferred changes (of one or several partitions) in their key's order; empties `changes`.
  void apply_deferred(std::vector<DeferredChange>& changes);
  // Over processes (each holding every weight): also keep the values of the changes made at once,
  // for the other processes' copies (set_values).
  void mirror() { mirror_ = true; }
  std::vector<WeightValue>& mirrored() { return mirrored_; }
  void set_values(std::span<const WeightValue> values);

 private:
  struct FanOut {
    std::uint16_t projection;
    std::uint8_t direction;  // 0: pre in the source (post: targets); 1: pre in the target (symmetric rule)
  };
  // A postsynaptic unit as a window's opening saw it: 16 bytes. The rest of what its closing needs
  // (the own kick's arrival, the state it lands on, whether the engine feels it, the value before)
  // follows from these, the projection and the unit's drive when the window opened: the same
  // doubles as if the opening had computed them. (Windows of a busy network are many and open for
  // T: at 56 bytes per unit those of configs/learn_digits_spiking.yaml outgrew the L2 cache.)
  struct Seen {
    double s;            // the state when the window opened, before this spike's kick
    double linear_kick;  // kick_scale * gain * W: what the kick adds where the unit is inside
  };
  struct Window {
    double spike, opened, closes;  // the presynaptic spike's emission, the window's opening and closing
    std::uint32_t unit;
    // Its postsynaptic units (this partition's) were all clamped when it opened and their clamps
    // have not changed since: each would change its weight by 0 (D = 0, no own kick), so `seen`
    // stays empty and it changes nothing (release_held fills it if the clamps change).
    bool held = false;
    std::vector<Seen> seen;
    // The units' drives when it opened, once they have changed (keep_drives); empty: the host's.
    std::vector<models::UnitDrive> drives;
  };
  // Fills w.seen as the window's opening saw it.
  void observe(Window& w, std::uint16_t projection, std::uint8_t direction, StdpHost& host) const;
  // own(t) for the unit `seen` of a window opened at `opened`, its own kick arriving at `arrival`;
  // `inside` when the unit's actual trajectory was strictly inside the linear range from before the
  // kick's arrival to t; `drive`: the unit's flow when the window opened.
  double own_effect(const Seen& seen, double arrival, double opened, double t, bool rate, bool inside,
                    const models::UnitDrive& drive) const;
  // own_effect's last decay e^{-(t - arrival)/tau}, with its t and arrival.
  mutable double decay_t_ = std::numeric_limits<double>::quiet_NaN(), decay_arrival_ = 0.0, decay_ = 1.0;
  // ... and the flow's decay expm1(-(t - arrival)/tau) (models::decay_over), with its t and arrival.
  mutable double flow_t_ = std::numeric_limits<double>::quiet_NaN(), flow_arrival_ = 0.0, flow_decay_ = 0.0;
  // `tie`: the closing event's Event::tie_key(), for the order of deferred changes.
  void apply(const Window& w, std::uint16_t projection, std::uint8_t direction, double t, std::uint64_t tie,
             StdpHost& host);

  const Network* net_;
  models::RateFunction rate_;
  models::UnitParams unit_;
  double r_max_per_ms_;
  PlasticityRule* rule_ = nullptr;
  std::vector<StdpChange>* log_ = nullptr;
  std::vector<std::vector<FanOut>> fan_out_;           // per population
  std::vector<std::vector<std::deque<Window>>> open_;  // [projection][direction]
  std::uint32_t lo_ = 0, hi_ = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint8_t> deferred_;  // per projection
  bool any_deferred_ = false;
  std::vector<DeferredChange> waiting_;
  bool mirror_ = false;
  std::vector<WeightValue> mirrored_;
};

}  // namespace ebsim
