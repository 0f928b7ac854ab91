#include "sim/core/spiking_engine.hpp"

#include <algorithm>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/core/plasticity.hpp"

namespace ebsim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
// The shared frame moves every 16 tau: g stays above e^-16 ~ 1e-7 and 1/g below 1e7, far from
// under- and overflow, so u g(t) keeps full double precision.
constexpr double kReferenceSpan = 16.0;
// The stop flag is read after this many events or synaptic events, whichever comes first: a few
// milliseconds of work at most, and a cost far below the heap operation of each event.
constexpr std::uint32_t kEventsPerStopCheck = 4096;
constexpr std::uint64_t kSynapticEventsPerStopCheck = 1u << 20;
}  // namespace

SpikingEngine::SpikingEngine(const EngineParams& params, const Network& net, UnitRange own)
    : params_(params), net_(net), b1_(params.rate.beta1), b2_(params.rate.beta2()), stdp_(net, params) {
  if (!params.rate.has_boundaries())
    throw std::invalid_argument("the spiking engine needs the hard-sigmoid rate function");
  if (net.projections.size() > 65535)
    throw std::invalid_argument("the spiking engine handles at most 65535 projections");
  static_assert(sizeof(Piece) == 24);
  using models::UnitRegime;
  valid_[int(UnitRegime::below)] = {-kInf, b1_};
  valid_[int(UnitRegime::inside)] = {b1_, b2_};
  valid_[int(UnitRegime::above)] = {b2_, kInf};
  valid_[int(UnitRegime::held_at_beta1)] = {b1_, b1_};
  valid_[int(UnitRegime::held_at_beta2)] = {b2_, b2_};
  kick_window_[kStable] = {b1_, b2_};
  kick_window_[kAbove] = {b2_, kInf};
  kick_window_[kBelow] = {-kInf, b1_};
  kick_window_[kSlow] = {kInf, -kInf};  // empty
  kick_window_[kAny] = {-kInf, kInf};
  hi_ = net.n_units;
  if (!own.whole()) own_units(own);
  d_min_ = kInf;
  for (const Projection& proj : net.projections) d_min_ = std::min(d_min_, proj.delay_ms);
  size_unit_state();
  fan_out_.resize(net.populations.size());
  std::vector<double> lane_delays;  // a lane per delay of projections with one delay, while lanes last
  for (std::size_t p = 0; p < net.projections.size(); ++p) {
    const Projection& proj = net.projections[p];
    std::uint8_t lane = EventQueue::kNoLane;
    if (proj.delay_step.empty()) {
      const auto found = std::find(lane_delays.begin(), lane_delays.end(), proj.delay_ms);
      if (found != lane_delays.end())
        lane = std::uint8_t(found - lane_delays.begin());
      else if (lane_delays.size() < EventQueue::kDeliveryLanes)
        lane = std::uint8_t(lane_delays.size()), lane_delays.push_back(proj.delay_ms);
    }
    open_lane_.push_back(lane);
    if (proj.gain_forward != 0.0) fan_out_[proj.source].push_back({static_cast<std::uint16_t>(p), 0, lane});
    if (proj.gain_backward != 0.0) {
      if (proj.col_ptr.empty())
        throw std::logic_error("projection `" + proj.name + "` acts backward but has no transposed index");
      fan_out_[proj.target].push_back({static_cast<std::uint16_t>(p), 1, lane});
    }
  }
  reset(0);
}

// (1 - beta) / (r_max tau), rounded to float once: the fast path stores it as a float, and both
// paths must kick by the same amount (the rounding, ~6e-8 relative, is far below the spiking noise).
double SpikingEngine::kick_scale_for(double beta) const {
  return static_cast<double>(static_cast<float>((1.0 - beta) / (params_.r_max_per_ms * params_.tau_ms)));
}

// Fresh arrays for the units [lo_, hi_): a partition holds the state of its own units only.
void SpikingEngine::size_unit_state() {
  const std::uint32_t n = hi_ - lo_;
  piece_ = std::vector<Piece>(n);
  cold_ = std::vector<Cold>(n);
  integral_base_ = std::vector<double>(n, 0.0);
  spike_counts_ = std::vector<double>(n, 0.0);
  record_ = std::vector<std::uint8_t>(n, 0);
  population_ = std::vector<std::uint16_t>(n, 0);
  streams_ = std::vector<Stream>(n);
  for (std::size_t k = 0; k < net_.populations.size(); ++k) {
    const Population& p = net_.populations[k];
    for (std::uint32_t i = std::max(p.offset, lo_); i < std::min(p.offset + p.size, hi_); ++i)
      population_[i - lo_] = static_cast<std::uint16_t>(k);
  }
}

std::uint16_t SpikingEngine::population_index(std::uint32_t unit) const {
  if (unit - lo_ < hi_ - lo_) return population_[unit - lo_];  // unsigned: also false below lo_
  return static_cast<std::uint16_t>(&net_.population_of(unit) - net_.populations.data());
}

double SpikingEngine::g(double t) const { return std::exp(-(t - t_ref_) / params_.tau_ms); }

double SpikingEngine::g_remembered(double t) const {
  if (t != g_t_ || t_ref_ != g_ref_) g_t_ = t, g_ref_ = t_ref_, g_value_ = g(t);
  return g_value_;
}

void SpikingEngine::set_plasticity(PlasticityRule* rule) { stdp_.attach(rule); }

void SpikingEngine::reset(std::uint32_t trial) {
  queue_.clear();
  stdp_.clear();
  spikes_.clear();
  outbox_.clear();
  now_ = 0.0;
  t_ref_ = 0.0;
  next_boundary_ = 1;
  for (std::uint32_t i = lo_; i < hi_; ++i) streams_[i - lo_] = make_stream(params_.seed, Purpose::spikes, trial, i);
  // Free dynamics with the bias until the first phase sets clamps and nudges.
  std::fill(spike_counts_.begin(), spike_counts_.end(), 0.0);
  for (Cold& c : cold_) c.clamped = 0, c.last_outside = Moment{-kInf, 1.0};
  all_clamped_.assign(net_.populations.size(), 0);
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    cold(i).gated = net_.bias[i];
    cold(i).nudge = 0.0;
    cold(i).kick_scale = kick_scale_for(0.0);
    anchor(i, 0.0, params_.initial_state[i], 1.0, 0.0);
  }
  boost::random::exponential_distribution<double> interval(params_.r_max_per_ms);
  candidates_.reset(lo_, hi_);
  for (std::uint32_t i = lo_; i < hi_; ++i) candidates_.set(i, interval(streams_[i - lo_]));
}

double SpikingEngine::state_at(std::uint32_t i, double t) {
  return cold(i).clamped ? cold(i).clamp_value : current_state(i, g_remembered(t));
}

double SpikingEngine::current_state(std::uint32_t i, double gt) {
  if (crossed(piece(i), gt)) follow_crossings(piece(i), i, gt, integrate_ ? &integral_base_[i - lo_] : nullptr);
  return value(piece(i), gt);
}

void SpikingEngine::move_reference_before(double t) {
  const double span = kReferenceSpan * params_.tau_ms;
  while (t - t_ref_ > span) move_reference(t_ref_ + span);
}

void SpikingEngine::move_reference(double t) {
  const double factor = g(t);
  for (Piece& p : piece_) p.offset *= factor;
  t_ref_ = t;
}

void SpikingEngine::apply_deferred_at(double t, bool on_boundary) {
  const auto before = [&](double boundary) { return on_boundary ? boundary <= t : boundary < t; };
  if (!before(double(next_boundary_) * d_min_)) return;
  // Every waiting change comes from a closing at or before the boundary: an earlier event past it
  // would have applied them already.
  stdp_.apply_deferred(stdp_.waiting());
  next_boundary_ = std::max<std::uint64_t>(next_boundary_ + 1, std::uint64_t(t / d_min_));
  while (before(double(next_boundary_) * d_min_)) ++next_boundary_;
}

void SpikingEngine::advance_to(double t_ms) {
  std::uint32_t events_to_check = kEventsPerStopCheck;
  std::uint64_t synaptic_check_at = synaptic_events_ + kSynapticEventsPerStopCheck;
  for (;;) {
    // The earlier of the heap's top and the candidates' root, in the queue's total order.
    const bool from_heap = !queue_.empty() && !EventLater()(queue_.top(), candidates_.top());
    const Event e = from_heap ? queue_.top() : candidates_.top();
    if (!(e.time <= t_ms)) break;
    if (from_heap) queue_.pop();  // a candidate stays until fire_candidate sets the unit's next one
    move_reference_before(e.time);
    if (!partitioned_ && stdp_.any_deferred()) apply_deferred_at(e.time, false);
    process(e);
    if (--events_to_check == 0 || synaptic_events_ >= synaptic_check_at) {
      if (stop_requested()) {
        now_ = std::max(now_, e.time);  // every event up to here is processed
        return;
      }
      events_to_check = kEventsPerStopCheck;
      synaptic_check_at = synaptic_events_ + kSynapticEventsPerStopCheck;
    }
  }
  now_ = std::max(now_, t_ms);
  // Also after a long stretch without events: g(now) must not underflow for sampling or phases.
  move_reference_before(now_);
  // On or past a boundary, its deferred changes take effect now, before anything reads the
  // weights (as a partitioned engine applies them at the end of the interval that ends there).
  if (!partitioned_ && stdp_.any_deferred()) apply_deferred_at(now_, true);
}

void SpikingEngine::process(const Event& e) {
  switch (e.kind()) {
    case Event::delivery: deliver(e); break;
    case Event::candidate: fire_candidate(e.unit, e.time); break;
    case Event::stdp_open: stdp_.open(e, *this); break;
    case Event::stdp_close: stdp_.close(e, *this); break;
  }
}

void SpikingEngine::fire_candidate(std::uint32_t j, double t) {
  // Thinning: accept the rate-r_max candidate with probability rho(s_j(t)). The uniform is drawn
  // even when rho is 0 or 1, so a unit's stream stays aligned across paired continuations.
  const double s = cold(j).clamped ? cold(j).clamp_value : current_state(j, g(t));  // t: new each time
  const double u = boost::random::uniform_01<double>()(streams_[j - lo_]);
  if (u < params_.rate.rho(s)) emit_spike(j, t);
  candidates_.set(j, t + boost::random::exponential_distribution<double>(params_.r_max_per_ms)(streams_[j - lo_]));
}

void SpikingEngine::force_spike(std::uint32_t j, double t) {
  advance_to(t);
  emit_spike(j, t);
}

void SpikingEngine::add_to_state(std::uint32_t i, double t, double delta) {
  advance_to(t);
  if (cold(i).clamped) return;
  const double gt = g(t);
  const double s = state_at(i, t);
  anchor(i, t, s + delta, 1.0 / gt, integrate_ ? integral_now(i, t, gt) : 0.0);
}

void SpikingEngine::emit_spike(std::uint32_t j, double t) {
  ++spike_count_;
  if (record_[j - lo_]) spikes_.push_back({t, j});
  if (integrate_) spike_counts_[j - lo_] += 1.0;
  if (partitioned_) {
    outbox_.push_back({t, j});
    return;
  }
  send_spike(j, t);
}

void SpikingEngine::send_spike(std::uint32_t j, double t) {
  const std::uint16_t population = population_index(j);  // j: any partition's unit
  if (stdp_.active()) stdp_.on_spike(j, population, t, *this);
  for (const FanOut& f : fan_out_[population]) {
    const Projection& p = net_.projections[f.projection];
    const Population& reached = net_.populations[f.direction == 0 ? p.target : p.source];
    if (reached.offset >= hi_ || reached.offset + reached.size <= lo_) continue;  // no unit of this partition
    Event d;
    d.time = t + p.delay_ms;
    d.unit = j;
    d.projection = f.projection;
    d.flags = Event::pack(Event::delivery, f.direction);
    // A partition receives the spikes of an interval at its end: conservative synchronisation rests
    // on every delivery landing after it (impossible from a config: the interval is the shortest delay).
    if (partitioned_ && !(d.time > now_))
      throw std::logic_error("projection `" + p.name + "`: a spike would land at or before the time already run, " +
                             "a delay below the interval");
    if (p.delay_step.empty()) {
      queue_.push(d, f.lane);
      continue;
    }
    // Per-synapse delays: one delivery per delay group of this unit's row (or column).
    const Population& own = net_.populations[f.direction == 0 ? p.source : p.target];
    const auto& ptr = f.direction == 0 ? p.group_ptr : p.col_group_ptr;
    const auto& step = f.direction == 0 ? p.group_step : p.col_group_step;
    const std::uint32_t row = j - own.offset;
    for (std::uint64_t g = ptr[row]; g < ptr[row + 1]; ++g) {
      d.time = t + p.delay_ms + Projection::kDelayStepMs * step[g];
      d.group = static_cast<std::uint8_t>(g - ptr[row]);
      queue_.push(d);
    }
  }
}

// s_i += rho'(s_i) (1 - beta) W_ij / (r_max tau), with W_ij = gain * w.
inline void SpikingEngine::kick(Piece& p, std::uint32_t i, double t, double gt, double g_inv, double dw) {
  const double step = double(p.fast_kick) * dw;  // 0 in kAbove, kBelow (kSlow never takes this path)
  const double next = p.target + p.offset * gt + step;
  const Window& w = kick_window_[p.window];
  if ((next < w.lo) | (next > w.hi)) {
    kick_slow(i, t, gt, g_inv, dw);
    return;
  }
  p.offset += step * g_inv;
  if (integrate_) integral_base_[i - lo_] += params_.tau_ms * step;
}

namespace {

// [begin, end), row or group r, cut to the partition's share found by find_own_shares.
inline void clip_to_share(const auto& share, std::uint64_t r, std::uint64_t& begin, std::uint64_t& end) {
  if (share.from.empty()) return;
  end = begin + share.to[r];
  begin += share.from[r];
}

}  // namespace

void SpikingEngine::deliver(const Event& e) {
  const Projection& p = net_.projections[e.projection];
  const std::uint32_t src_off = net_.populations[p.source].offset, tgt_off = net_.populations[p.target].offset;
  // Raw pointers: kick() writes through piece_, and the compiler cannot otherwise tell that the
  // projection's arrays are not among what it writes. A unit u's piece is pieces[u - lo].
  Piece* const pieces = piece_.data();
  const std::uint32_t lo = lo_;
  const models::weight_t* const weight = p.weight.data();
  if (e.direction() == 0) {
    const std::uint32_t j = e.unit - src_off;
    std::uint64_t r = j, begin = p.row_ptr[j], end = p.row_ptr[j + 1];
    if (!p.delay_step.empty()) {
      r = p.group_ptr[j] + e.group;
      begin = p.group_begin[r], end = p.group_begin[r + 1];
    }
    if (partitioned_) clip_to_share(own_share_[e.projection][0], r, begin, end);
    synaptic_events_ += end - begin;
    if (all_clamped_[p.target]) return;  // kicks that change nothing
    const double gt = g(e.time), g_inv = 1.0 / gt;
    const double gain = p.gain_forward;
    p.tgt_index.view().visit([&](auto tgt) {  // the loop compiled for the targets' width
      for (std::uint64_t k = begin; k < end; ++k) {
        // Targets are scattered over the unit array: ask for the piece 8 synapses ahead (measured:
        // +10 % synaptic events per second on configs/bench/random_10k.yaml).
        if (k + 8 < end) __builtin_prefetch(&pieces[tgt_off + tgt[k + 8] - lo], 1);
        const std::uint32_t i = tgt_off + tgt[k];
        kick(pieces[i - lo], i, e.time, gt, g_inv, gain * weight[k]);
      }
    });
  } else {
    const std::uint32_t i = e.unit - tgt_off;
    std::uint64_t r = i, begin = p.col_ptr[i], end = p.col_ptr[i + 1];
    if (!p.delay_step.empty()) {
      r = p.col_group_ptr[i] + e.group;
      begin = p.col_group_begin[r], end = p.col_group_begin[r + 1];
    }
    if (partitioned_) clip_to_share(own_share_[e.projection][1], r, begin, end);
    synaptic_events_ += end - begin;
    if (all_clamped_[p.source]) return;
    const double gt = g(e.time), g_inv = 1.0 / gt;
    const std::uint32_t* const pos = p.position.data();
    const double gain = p.gain_backward;
    p.src_index.view().visit([&](auto src) {
      for (std::uint64_t k = begin; k < end; ++k) {
        const std::uint32_t u = src_off + src[k];
        kick(pieces[u - lo], u, e.time, gt, g_inv, gain * weight[pos[k]]);
      }
    });
  }
}

}  // namespace ebsim
