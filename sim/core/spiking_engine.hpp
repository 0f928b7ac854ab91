#pragma once
// The spiking engine: discrete events, exact between events.
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
// multiply-adds and no exponential. Each regime (below, inside, above, held) has a window of
// states; the trajectory is monotone within a piece, so a state outside its window means the piece
// crossed a boundary b at g_c = (b - T)/u, and the next piece follows without any exponential or
// logarithm: u' = (b - T') / g_c. t_ref moves forward every 16 tau so that g never underflows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "models/unit_dynamics.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/moment.hpp"
#include "sim/core/network.hpp"
#include "sim/core/random.hpp"
#include "sim/core/stdp_estimator.hpp"

namespace ebsim {

// Aligned to a cache line: the partitions of a PartitionedEngine sit side by side in one array, and
// one partition's counters must not share a line with the next one's hot fields (measured: 2
// partitions ran up to 15 % slower, depending on where the array happened to start).
class alignas(64) SpikingEngine final : public Engine, private StdpHost {
 public:
  // The whole network, or one partition of it (`own`, below).
  SpikingEngine(const EngineParams& params, const Network& net, UnitRange own = UnitRange{});

  void reset(std::uint32_t trial) override;
  void set_phase(const PhaseDrive& drive) override;
  void advance_to(double t_ms) override;
  bool advance_until_settled(double t_cap_ms, double tol) override;
  void hold_until(double t_ms) override;
  double now() const override { return now_; }
  double residual() const override;
  void sample_states(std::span<double> out) override;
  void set_states(std::span<const double> states) override;
  void held_units(std::span<std::uint8_t> out) const override;
  std::vector<BoundaryCounts> boundary_counts() const override;
  void take_spikes(std::vector<Spike>& out) override;
  void enable_integrals() override { integrate_ = true; }
  void set_plasticity(PlasticityRule* rule) override;
  void integrals(std::span<double> integral_s, std::span<double> counts) override;
  void record_spikes(std::uint32_t population) override;
  void end_trial() override;

  std::uint64_t synaptic_events() const override { return synaptic_events_; }
  std::uint64_t spike_count() const override { return spike_count_; }
  // Exact s_unit(t), t >= the unit's last event; a unit this engine owns (a partition: its block).
  double state_at(std::uint32_t unit, double t);
  // Experimental protocols (STDP pairing): advance to t, then emit a spike of `unit` now, or move
  // its state by `delta` (a brief input pulse, e.g. to evoke a postsynaptic response).
  void force_spike(std::uint32_t unit, double t);
  void add_to_state(std::uint32_t unit, double t, double delta);
  // Logs every weight change the STDP events make (the statistical STDP window); nullptr: none.
  void set_stdp_log(std::vector<StdpChange>* log) { stdp_.set_log(log); }

  // One partition of a network (sim/core/partitioned_engine.hpp), built with `own` = [lo, hi): this
  // engine owns these units only. It keeps their state (its per-unit arrays hold these units alone,
  // unit u at u - lo), draws their candidates and kicks only them; its units'
  // spikes go to outbox() instead of its own queue, and receive() schedules the deliveries and STDP
  // windows of spikes from every partition (its own included). Deferred weight changes wait in
  // deferred() for the partitioned engine, which applies them at interval boundaries.
  std::vector<Spike>& outbox() { return outbox_; }
  void receive(std::span<const Spike> spikes);
  std::vector<DeferredChange>& deferred() { return stdp_.waiting(); }
  void mirror_weight_changes() { stdp_.mirror(); }
  std::vector<WeightValue>& mirrored() { return stdp_.mirrored(); }
  void set_weight_values(std::span<const WeightValue> values) { stdp_.set_values(values); }
  void apply_deferred(std::vector<DeferredChange>& changes) { stdp_.apply_deferred(changes); }
  // The shortest delay: spikes emitted in an interval of this length reach no unit within it.
  double min_delay() const { return d_min_; }
  // Bytes of per-unit state held (the arrays indexed by unit, their capacity): what a partition
  // saves by holding its own units only.
  std::size_t unit_state_bytes() const;

  // The engine's state as bytes (sim/core/engine_state.cpp), and back into an engine made from the
  // same parameters and network: it then goes on exactly as the saved one would, bit for bit. The
  // backprop experiment's branches continue on other MPI ranks this way. Not with plasticity
  // (std::logic_error); load_state throws std::runtime_error for bytes that do not fit this engine,
  // after which the engine must be reset before it is used.
  std::string save_state() const;
  void load_state(const std::string& bytes);

 private:
  // The per-unit fields every synaptic event touches, together in one 24-byte record so that a kick
  // costs one cache line, not one line per field.
  struct Piece {
    double offset = 0.0;     // u: s(t) = target + u g(t) while the state is in the regime's window
    double target = 0.0;     // T: A + C inside, C outside (below/above), the boundary when held
    float fast_kick = 0.0f;  // Cold::kick_scale if kStable, or kSlow and inside (kick_slow's shortcut), else 0
    models::UnitRegime regime = models::UnitRegime::inside;
    std::uint8_t window = 0;  // fast-path window (below): where a kicked state may land
  };
  // A kick takes the fast path (one multiply-add, no branch on the unit's kind) when the kicked
  // state `next` stays in the piece's window:
  //   kStable: inside with its target inside, rho' = 1: next in [beta1, beta2];
  //   kAbove / kBelow: saturated, rho' = 0, the kick has no effect (§2.3.1; next = s): the piece
  //            stays current while s >= beta2 (s <= beta1);
  //   kSlow: inside with a crossing ahead, or held on a boundary: always the slow path (which
  //          re-anchors; inside, where the state stays strictly inside, without its calls);
  //   kAny: clamped (no kick, no crossing).
  // Spikes reach units in random order, so a branch on the kind would be mispredicted about half
  // the time; the window lookup is branch-free.
  static constexpr std::uint8_t kStable = 0, kAbove = 1, kBelow = 2, kSlow = 3, kAny = 4;
  struct Window {
    double lo, hi;
  };
  Window valid_[5];        // per regime: states where the piece is still the current one
  Window kick_window_[5];  // per fast-path window id
  std::uint8_t window_for(const Piece& p) const;
  float kick_scale_of(const Piece& p, std::uint32_t unit) const;  // Piece::fast_kick for its window

  struct FanOut {
    std::uint16_t projection;
    std::uint8_t direction;  // 0: source -> target (CSR rows); 1: target -> source (transposed index)
    std::uint8_t lane;       // the queue's lane for its deliveries: one per delay (EventQueue), or kNoLane
  };

  void process(const Event& e);
  void release_held_windows(const PhaseDrive& drive);  // set_phase, before it changes the clamps
  models::UnitDrive drive_in(const PhaseDrive& drive, std::uint32_t unit) const;  // unit's flow in the phase
  bool changes_drives(const PhaseDrive& drive) const;  // set_phase(drive) changes some unit's flow
  // StdpHost: what the STDP estimator asks of the engine.
  PostOpening opening(std::uint32_t unit, double t) override { return {state_at(unit, t), cold(unit).kick_scale}; }
  PostClosing closing(std::uint32_t unit, double t, double since) override {
    const double s = state_at(unit, t);  // follows crossings up to t
    return {s,
            !cold(unit).clamped && piece(unit).regime == models::UnitRegime::inside && s > b1_ && s < b2_ &&
                outside_before(unit, since),
            drive(unit)};
  }
  models::UnitDrive drive(std::uint32_t unit) const override { return {cold(unit).gated, cold(unit).nudge}; }
  // STDP windows: an opening lands with the spike's first kick (its projection's delivery lane), a
  // closing one window later (one lane for all closings; EventQueue sends what would unsort it to the heap).
  void schedule(const Event& e) override {
    queue_.push(e, e.kind() == Event::stdp_open ? open_lane_[e.projection] : EventQueue::kClosingLane);
  }
  bool holds_clamped(std::uint16_t population) const override { return all_clamped_[population] != 0; }
  void fire_candidate(std::uint32_t unit, double t);
  void emit_spike(std::uint32_t unit, double t);  // recording, counts, then send_spike (or the outbox)
  void send_spike(std::uint32_t unit, double t);  // its deliveries and STDP windows
  void deliver(const Event& e);
  void clip_to_own(models::IndexView index, const Population& population, std::uint64_t& begin,
                   std::uint64_t& end) const;
  // A partition's share of every row (or delay group) of each projection and direction, found once
  // by clip_to_own when the partition is set: offsets from the row's start. Empty where the
  // partition owns the whole reached population (nothing to clip).
  struct OwnShare {
    std::vector<std::uint32_t> from, to;
  };
  void own_units(UnitRange own);  // from the constructor: checks the range, finds the shares
  void find_own_shares();
  std::vector<std::array<OwnShare, 2>> own_share_;  // per projection, per direction
  void kick(Piece& p, std::uint32_t unit, double t, double g, double g_inv, double dw);
  void kick_slow(std::uint32_t unit, double t, double g, double g_inv, double dw);
  // Starts a new piece at time t from state s. `integral` is int_0^t s dt, carried over when
  // integrals are on (the state is continuous in it: kicks are jumps of s, not of its integral).
  void anchor(std::uint32_t unit, double t, double s, double g_inv, double integral = 0.0);
  // Moves piece p of `unit` across the boundaries its trajectory crossed before the time where
  // g = gt; with `integral_base`, keeps the integral bookkeeping exact across each crossing.
  // Records each crossing's time in Cold::last_outside (also when p is a copy: the unit crossed then).
  void follow_crossings(Piece& p, std::uint32_t unit, double gt, double* integral_base) const;
  // Whether p has crossed a boundary before the time where g = gt: follow_crossings's own first
  // test, inline, so that reading a unit whose piece is current (most reads) costs no call.
  bool crossed(const Piece& p, double gt) const {
    const double s = p.target + p.offset * gt;
    const Window& w = valid_[int(p.regime)];
    return (s > w.hi && p.target > w.hi) || (s < w.lo && p.target < w.lo);
  }
  models::UnitRegime regime_now(std::uint32_t unit, double gt) const;  // after crossings up to now
  double value(const Piece& p, double gt) const {                      // s on a current piece, kept in its window
    const Window& w = valid_[int(p.regime)];
    return std::clamp(p.target + p.offset * gt, w.lo, w.hi);
  }
  double integral_now(std::uint32_t unit, double t, double gt) const {  // on a current piece
    const Piece& p = piece(unit);
    return integral_base_[unit - lo_] + p.target * t - p.offset * params_.tau_ms * gt;
  }
  double kick_scale_for(double beta) const;
  models::UnitParams unit_params() const { return {params_.tau_ms, params_.rate.beta1}; }
  double target_of(models::UnitRegime regime, std::uint32_t unit) const;
  // The shared frame moves on a grid of 16 tau (t_ref = the last grid point before the next
  // event), whichever events trigger it: every partition then applies the same factors.
  void move_reference_before(double t);
  void move_reference(double t);
  double g(double t) const;  // e^{-(t - t_ref)/tau}
  // g, remembering its last argument, reference time and value: state_at's callers (STDP windows,
  // sampling) read many units' states at one time, one exponential for all of them (the same
  // double). Not in the hot paths, where every call has a new time (with every g remembered,
  // configs/bench/random_10k.yaml's loop was slower in two sets of alternating runs, even in a third).
  double g_remembered(double t) const;
  mutable double g_t_ = std::numeric_limits<double>::quiet_NaN(), g_ref_ = 0.0, g_value_ = 1.0;
  double current_state(std::uint32_t unit, double gt);  // state_at of a unit not clamped, g(t) given
  // Serial engine: the deferred weight changes of the last boundary k d_min before t (an event's
  // time), or at or before t (`on_boundary`: the end of an advance), take effect.
  void apply_deferred_at(double t, bool on_boundary);
  // Every field save_state carries, in order, to f (sim/core/engine_state.cpp).
  template <class F>
  void visit_state(F& f);

  EngineParams params_;
  const Network& net_;
  double b1_, b2_;  // params_.rate's boundaries, read on every slow-path kick

  // Per-unit state, for the owned units [lo_, hi_) only: unit u at index u - lo_ (size_unit_state).
  void size_unit_state();
  Piece& piece(std::uint32_t unit) { return piece_[unit - lo_]; }
  const Piece& piece(std::uint32_t unit) const { return piece_[unit - lo_]; }
  std::vector<Piece> piece_;
  // Colder per-unit fields, in one 64-byte line per unit: what a slow-path kick reads besides its
  // piece, one line to fetch instead of one per array (measured, with unit_regime made inline:
  // 2.5 % less loop time on configs/bench/random_10k.yaml, where 1 kick in 20 takes the slow path).
  struct alignas(64) Cold {
    double gated = 0.0, nudge = 0.0;  // A and C of tau ds/dt = rho'(s) A + C - s
    double kick_scale = 0.0;          // (1 - beta) / (r_max tau); 0 for clamped units
    // The last time the state was on or outside [beta1, beta2], as far as the events so far show
    // (anchor: a kick or phase that starts, ends or lands on a held or outside piece or on a
    // boundary; follow_crossings: a crossing); -inf before the first. For the STDP estimator. Kept
    // as the reference time and the growth factor of that moment: a crossing is known by its g,
    // and the logarithm (one per crossing, about 3 % of the loop on random_10k) is taken only when
    // the estimator asks. A time known as a time is stored with g = 1 (log 1 = 0: the same double).
    Moment last_outside{-std::numeric_limits<double>::infinity(), 1.0};
    double clamp_value = 0.0;
    std::uint8_t clamped = 0;
  };
  mutable std::vector<Cold> cold_;
  Cold& cold(std::uint32_t unit) const { return cold_[unit - lo_]; }
  // Whether the unit was last on or outside a boundary (Cold::last_outside) before t, mostly
  // without the logarithm (MomentComparer).
  bool outside_before(std::uint32_t unit, double t) const {
    return moment_comparer_.before(cold(unit).last_outside, params_.tau_ms, t);
  }
  MomentComparer moment_comparer_;
  // Window averages (enable_integrals): on a piece, int_0^t s = integral_base + T t - u tau g(t).
  // A kick changes u by step / g(t), so it adds tau * step to integral_base: no exponential.
  bool integrate_ = false;
  std::vector<double> integral_base_, spike_counts_;
  std::vector<std::uint8_t> record_;  // buffer this unit's spikes
  std::vector<std::uint16_t> population_;
  // Per population: every unit of it this engine owns is clamped (by the phase), so a kick changes
  // none of them and a delivery to it only counts its synaptic events.
  std::vector<char> all_clamped_;
  std::uint16_t population_index(std::uint32_t unit) const;  // any unit, owned or not
  std::vector<Stream> streams_;
  std::vector<std::vector<FanOut>> fan_out_;  // per population
  std::vector<std::uint8_t> open_lane_;       // per projection: its deliveries' lane, for STDP openings

  StdpEstimator stdp_;  // the rule's STDP events (Eq. 26)

  EventQueue queue_;          // deliveries and STDP windows
  CandidateTree candidates_;  // one thinning candidate per unit
  double now_ = 0.0, t_ref_ = 0.0;
  std::uint32_t lo_ = 0, hi_ = 0;  // the units this engine owns
  bool partitioned_ = false;
  std::vector<Spike> outbox_;
  double d_min_ = 0.0;               // the shortest delay
  std::uint64_t next_boundary_ = 1;  // deferred weight changes wait for t > next_boundary_ * d_min_
  std::vector<Spike> spikes_;
  std::uint64_t synaptic_events_ = 0, spike_count_ = 0;
};

}  // namespace ebsim
