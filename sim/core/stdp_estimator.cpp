#include "sim/core/stdp_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/plasticity.hpp"

namespace ebsim {

namespace {
// The postsynaptic units of a plastic (projection, direction) for presynaptic unit `pre`: a range
// of the CSR rows (direction 0) or of the transposed index (direction 1).
struct PostRange {
  models::IndexView index;
  std::uint64_t begin, end;
  std::uint32_t offset;
};
PostRange post_range(const Network& net, const Projection& p, std::uint8_t direction, std::uint32_t pre) {
  const std::uint32_t src = net.populations[p.source].offset, tgt = net.populations[p.target].offset;
  if (direction == 0) return {p.tgt_index.view(), p.row_ptr[pre - src], p.row_ptr[pre - src + 1], tgt};
  return {p.src_index.view(), p.col_ptr[pre - tgt], p.col_ptr[pre - tgt + 1], src};
}
// When the spike's own kick lands on the unit of `synapse` (the window opened at the shortest delay).
double arrival_of(double spike, const Projection& p, std::uint64_t synapse) {
  return spike + p.delay_ms + (p.delay_step.empty() ? 0.0 : Projection::kDelayStepMs * p.delay_step[synapse]);
}
}  // namespace

StdpEstimator::StdpEstimator(const Network& net, const EngineParams& params)
    : net_(&net), rate_(params.rate), unit_{params.tau_ms, params.rate.beta1}, r_max_per_ms_(params.r_max_per_ms) {}

void StdpEstimator::attach(PlasticityRule* rule) {
  rule_ = rule;
  fan_out_.assign(net_->populations.size(), {});
  open_.assign(net_->projections.size(), std::vector<std::deque<Window>>(2));
  deferred_.assign(net_->projections.size(), 0);
  any_deferred_ = false;
  waiting_.clear();
  if (!rule) return;
  for (std::size_t p = 0; p < net_->projections.size(); ++p) {
    if (!rule->plastic(p)) continue;
    const Projection& proj = net_->projections[p];
    fan_out_[proj.source].push_back({static_cast<std::uint16_t>(p), 0});
    deferred_[p] = rule->settings(p).symmetric || proj.gain_backward != 0.0;
    any_deferred_ = any_deferred_ || deferred_[p];
    if (rule->settings(p).symmetric) {
      if (proj.col_ptr.empty())
        throw std::logic_error("projection `" + proj.name + "` has symmetric plasticity but no transposed index");
      fan_out_[proj.target].push_back({static_cast<std::uint16_t>(p), 1});
    }
  }
}

void StdpEstimator::clear() {
  for (auto& per_projection : open_)
    for (auto& fifo : per_projection) fifo.clear();
  waiting_.clear();
  mirrored_.clear();
}

void StdpEstimator::set_values(std::span<const WeightValue> values) {
  for (const WeightValue& v : values) rule_->set_weight(v.projection, v.synapse, v.value);
}

void StdpEstimator::apply_deferred(std::vector<DeferredChange>& changes) {
  // Keys are unique (a window's closing event and a place in it), so the order is the same however
  // it is reached. One engine's changes arrive in key order already (windows close in event order):
  // checking that is linear, where sorting was 8 % of configs/learn_digits_spiking.yaml's profile.
  const auto by_key = [](const DeferredChange& a, const DeferredChange& b) { return a.key() < b.key(); };
  if (!std::is_sorted(changes.begin(), changes.end(), by_key)) std::sort(changes.begin(), changes.end(), by_key);
  for (const DeferredChange& c : changes) {
    const double dw = rule_->add(c.projection, c.synapse, c.dw);
    if (log_) {
      const double spike = c.opened - net_->projections[c.projection].delay_ms;  // Window::spike, bitwise
      log_->push_back({spike, dw, c.pre, c.post, c.projection, c.full_window});
    }
  }
  changes.clear();
}

void StdpEstimator::on_spike(std::uint32_t pre, std::uint16_t population, double t, StdpHost& host) {
  for (const FanOut& f : fan_out_[population]) {
    if (!rule_->learning(f.projection)) continue;
    Event e;
    e.time = t + net_->projections[f.projection].delay_ms;  // the first of the spike's kicks lands now
    e.unit = pre;
    e.projection = f.projection;
    e.flags = Event::pack(Event::stdp_open, f.direction);
    host.schedule(e);
  }
}

double StdpEstimator::own_effect(const Seen& seen, double arrival, double opened, double t, bool rate, bool inside,
                                 const models::UnitDrive& drive) const {
  if (t <= arrival) return 0.0;
  // Linearity: where the unit stayed inside, with the kick and (to first order in the kick)
  // without it, the two trajectories differ by the kick's decay whatever the other events did, and
  // rho = s - beta1 there, so the rate's difference is the same.
  if (inside) {  // every kick of a window arrives at once (without per-synapse delays): one exponential
    if (t != decay_t_ || arrival != decay_arrival_)
      decay_t_ = t, decay_arrival_ = arrival, decay_ = std::exp(-(t - arrival) / unit_.tau);
    return seen.linear_kick * decay_;
  }
  // The state the kick lands on: the flow from the opening's state. The engine kicks where
  // rho'(s) = 1 (the closed interval), by kick_scale * W.
  const double s_arrival = arrival > opened ? models::advance(seen.s, arrival - opened, drive, unit_) : seen.s;
  const bool felt = s_arrival >= rate_.beta1 && s_arrival <= rate_.beta2();
  const double kick = felt ? seen.linear_kick : 0.0;
  if (kick == 0.0) return 0.0;
  if (t != flow_t_ || arrival != flow_arrival_)  // as above: one decay for the window's units
    flow_t_ = t, flow_arrival_ = arrival, flow_decay_ = models::decay_over(t - arrival, unit_);
  const double with = models::advance(s_arrival + kick, t - arrival, drive, unit_, flow_decay_);
  const double without = models::advance(s_arrival, t - arrival, drive, unit_, flow_decay_);
  return rate ? rate_.rho(with) - rate_.rho(without) : with - without;
}

void StdpEstimator::open(const Event& e, StdpHost& host) {
  const Projection& p = net_->projections[e.projection];
  Window w{e.time - p.delay_ms, e.time, e.time + rule_->settings(e.projection).window_ms, e.unit, false, {}, {}};
  // Logged changes are reported one by one, also the zero ones of a held window.
  w.held = !log_ && host.holds_clamped(e.direction() == 0 ? p.target : p.source);
  if (!w.held) observe(w, e.projection, e.direction(), host);
  Event closing = e;
  closing.time = w.closes;
  closing.flags = Event::pack(Event::stdp_close, e.direction());
  open_[e.projection][e.direction()].push_back(std::move(w));
  host.schedule(closing);
}

void StdpEstimator::observe(Window& w, std::uint16_t projection, std::uint8_t direction, StdpHost& host) const {
  const Projection& p = net_->projections[projection];
  const PostRange r = post_range(*net_, p, direction, w.unit);
  w.seen.reserve(r.end - r.begin);
  const double gain = direction == 0 ? p.gain_forward : p.gain_backward;
  for (std::uint64_t k = r.begin; k < r.end; ++k) {
    const std::uint32_t post = r.offset + r.index[k];
    if (post < lo_ || post >= hi_) continue;  // another partition's
    const std::uint64_t synapse = direction == 0 ? k : p.position[k];
    const PostOpening at = host.opening(post, w.opened);  // before this spike's kick (it lands now or later)
    w.seen.push_back({at.s, gain * double(p.weight[synapse]) * at.kick_scale});
  }
}

void StdpEstimator::release_held(std::uint16_t population, StdpHost& host) {
  for (std::size_t p = 0; p < open_.size(); ++p)
    for (std::uint8_t d = 0; d < 2; ++d) {
      const Projection& proj = net_->projections[p];
      if ((d == 0 ? proj.target : proj.source) != population) continue;
      for (Window& w : open_[p][d])
        if (w.held) observe(w, static_cast<std::uint16_t>(p), d, host), w.held = false;
    }
}

void StdpEstimator::keep_drives(StdpHost& host) {
  for (std::size_t p = 0; p < open_.size(); ++p)
    for (std::uint8_t d = 0; d < 2; ++d)
      for (Window& w : open_[p][d]) {
        if (w.held || !w.drives.empty()) continue;  // held: no unit's drive matters (see Window::held)
        const PostRange r = post_range(*net_, net_->projections[p], d, w.unit);
        for (std::uint64_t k = r.begin; k < r.end; ++k) {
          const std::uint32_t post = r.offset + r.index[k];
          if (post >= lo_ && post < hi_) w.drives.push_back(host.drive(post));
        }
      }
}

void StdpEstimator::apply(const Window& w, std::uint16_t projection, std::uint8_t direction, double t,
                          std::uint64_t tie, StdpHost& host) {
  if (w.held) return;  // every change would be 0 (see Window::held)
  const Projection& p = net_->projections[projection];
  const Plasticity& rule = rule_->settings(projection);
  const PostRange r = post_range(*net_, p, direction, w.unit);
  const bool rate = rule.post == Plasticity::Post::rate_derivative;
  // lr * D / r_max, D = (value(t) - value(opened) - own(t)) / (t - opened); r_max per ms to match D per ms.
  const double scale = rule.lr / ((t - w.opened) * r_max_per_ms_);
  const bool defer = deferred_[projection] != 0;
  std::size_t n = 0;  // the place among this partition's postsynaptic units
  for (std::uint64_t k = r.begin; k < r.end; ++k) {
    const std::uint64_t synapse = direction == 0 ? k : p.position[k];
    const std::uint32_t post = r.offset + r.index[k];
    if (post < lo_ || post >= hi_) continue;
    const Seen& seen = w.seen[n];
    const double arrival = arrival_of(w.spike, p, synapse);
    const PostClosing at = host.closing(post, t, arrival);
    const double value = rate ? rate_.rho(at.s) : at.s, before = rate ? rate_.rho(seen.s) : seen.s;
    const models::UnitDrive& drive = w.drives.empty() ? at.drive : w.drives[n];
    const double change = scale * (value - before - own_effect(seen, arrival, w.opened, t, rate, at.inside, drive));
    ++n;
    if (defer) {
      waiting_.push_back(
          {t, w.opened, tie, synapse, change, std::uint32_t(k - r.begin), w.unit, post, projection, t == w.closes});
      continue;
    }
    const double dw = rule_->add(projection, synapse, change);
    if (mirror_) mirrored_.push_back({synapse, rule_->weights(projection)[synapse], projection});
    if (log_) log_->push_back({w.spike, dw, w.unit, post, projection, t == w.closes});
  }
}

void StdpEstimator::close(const Event& e, StdpHost& host) {
  auto& fifo = open_[e.projection][e.direction()];
  // Windows close in the order they opened, except when two closing times round to the same value
  // (then the queue orders them by unit): find this unit's window, normally the first.
  auto it = fifo.begin();
  while (it != fifo.end() && !(it->unit == e.unit && it->closes == e.time)) ++it;
  if (it == fifo.end())
    throw std::logic_error("STDP window without its opening (projection " + net_->projections[e.projection].name + ")");
  apply(*it, e.projection, e.direction(), e.time, e.tie_key(), host);
  fifo.erase(it);
}

void StdpEstimator::close_all(double t, StdpHost& host) {
  for (std::size_t p = 0; p < open_.size(); ++p)
    for (std::uint8_t d = 0; d < 2; ++d) {
      for (const Window& w : open_[p][d]) {
        if (!(t > w.opened)) continue;
        Event closing;  // the key its closing event would have had
        closing.unit = w.unit;
        closing.projection = static_cast<std::uint16_t>(p);
        closing.flags = Event::pack(Event::stdp_close, d);
        apply(w, closing.projection, d, t, closing.tie_key(), host);
      }
      open_[p][d].clear();
    }
}

}  // namespace ebsim
