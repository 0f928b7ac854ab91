#include "sim/core/stdp_estimator.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/core/plasticity.hpp"

namespace ebsim {

namespace {
// The postsynaptic units of a plastic (projection, direction) for presynaptic unit `pre`: a range
// of the CSR rows (direction 0) or of the transposed index (direction 1).
struct PostRange {
  const std::uint32_t* index;
  std::uint64_t begin, end;
  std::uint32_t offset;
};
PostRange post_range(const Network& net, const Projection& p, std::uint8_t direction, std::uint32_t pre) {
  const std::uint32_t src = net.populations[p.source].offset, tgt = net.populations[p.target].offset;
  if (direction == 0) return {p.tgt_index.data(), p.row_ptr[pre - src], p.row_ptr[pre - src + 1], tgt};
  return {p.src_index.data(), p.col_ptr[pre - tgt], p.col_ptr[pre - tgt + 1], src};
}
}  // namespace

StdpEstimator::StdpEstimator(const Network& net, const EngineParams& params)
    : net_(&net), rate_(params.rate), tau_ms_(params.tau_ms), r_max_per_ms_(params.r_max_per_ms) {}

void StdpEstimator::attach(PlasticityRule* rule) {
  rule_ = rule;
  fan_out_.assign(net_->populations.size(), {});
  open_.assign(net_->projections.size(), std::vector<std::deque<Window>>(2));
  if (!rule) return;
  for (std::size_t p = 0; p < net_->projections.size(); ++p) {
    if (!rule->plastic(p)) continue;
    const Projection& proj = net_->projections[p];
    fan_out_[proj.source].push_back({static_cast<std::uint16_t>(p), 0});
    if (rule->settings(p).symmetric) {
      if (proj.col_ptr.empty()) throw std::logic_error("projection `" + proj.name + "` has symmetric plasticity but no transposed index");
      fan_out_[proj.target].push_back({static_cast<std::uint16_t>(p), 1});
    }
  }
}

void StdpEstimator::clear() {
  for (auto& per_projection : open_)
    for (auto& fifo : per_projection) fifo.clear();
}

// The window opens at t + d (d: the projection's longest delay), when the spike's own kick has
// reached every postsynaptic unit, so that D measures the rest of the input and not the spike's own
// effect (which would add a Hebbian term lr rho' W / (r_max tau T)).
void StdpEstimator::on_spike(std::uint32_t pre, std::uint16_t population, double t, StdpHost& host) {
  for (const FanOut& f : fan_out_[population]) {
    if (!rule_->learning(f.projection)) continue;
    Event e;
    e.time = t + net_->projections[f.projection].longest_delay_ms();
    e.unit = pre;
    e.projection = f.projection;
    e.group = kOpen;
    e.flags = Event::pack(Event::plasticity, f.direction);
    host.schedule(e);
  }
}

void StdpEstimator::on_event(const Event& e, StdpHost& host) {
  if (e.group == kOpen)
    open(e, host);
  else
    close(e, host);
}

void StdpEstimator::open(const Event& e, StdpHost& host) {
  const Projection& p = net_->projections[e.projection];
  const Plasticity& rule = rule_->settings(e.projection);
  const PostRange r = post_range(*net_, p, e.direction(), e.unit);
  const bool rate = rule.post == Plasticity::Post::rate_derivative;
  const double b1 = rate_.beta1, b2 = rate_.beta2();
  // Remember the postsynaptic values; the window closes T later.
  Window w{e.time + rule.window_ms, e.unit, {}, {}};
  w.before.reserve(r.end - r.begin);
  const double spike_time = e.time - p.longest_delay_ms();
  const double gain = e.direction() == 0 ? p.gain_forward : p.gain_backward;
  const double settle = 1.0 - std::exp(-rule.window_ms / tau_ms_);
  for (std::uint64_t k = r.begin; k < r.end; ++k) {
    // The spike's own kick landed before the window opened; over the window it decays by
    // kick (1 - e^{-T/tau}) e^{-(open - arrival)/tau} (inside the linear range). Counting that
    // decay back in keeps the spike's own effect out of D (else: a decay term -lr W ... per spike).
    const std::uint32_t post = r.offset + r.index[k];
    const std::uint64_t synapse = e.direction() == 0 ? k : p.position[k];
    const double arrival = spike_time + p.delay_ms + (p.delay_step.empty() ? 0.0 : Projection::kDelayStepMs * p.delay_step[synapse]);
    const double own = gain * double(p.weight[synapse]) * host.kick_scale(post);
    const double s = host.state_at(post, e.time);
    const bool felt = !host.clamped(post) && s - own >= b1 && s - own <= b2 && s >= b1 && s <= b2;
    w.before.push_back(rate ? rate_.rho(s) : s);
    w.own_decay.push_back(felt ? own * settle * std::exp(-(e.time - arrival) / tau_ms_) : 0.0);
  }
  Event closing = e;
  closing.time = w.closes;
  closing.group = kClose;
  open_[e.projection][e.direction()].push_back(std::move(w));
  host.schedule(closing);
}

void StdpEstimator::close(const Event& e, StdpHost& host) {
  const Projection& p = net_->projections[e.projection];
  const Plasticity& rule = rule_->settings(e.projection);
  auto& fifo = open_[e.projection][e.direction()];
  const PostRange r = post_range(*net_, p, e.direction(), e.unit);
  const bool rate = rule.post == Plasticity::Post::rate_derivative;
  // Windows close in the order they opened, except when two closing times round to the same value
  // (then the queue orders them by unit): find this unit's window, normally the first.
  auto it = fifo.begin();
  while (it != fifo.end() && !(it->unit == e.unit && it->closes == e.time)) ++it;
  if (it == fifo.end()) throw std::logic_error("STDP window without its opening (projection " + p.name + ")");
  const std::vector<double> before = std::move(it->before), own_decay = std::move(it->own_decay);
  fifo.erase(it);
  // lr * D / r_max, D = (value(t + T) - value(t)) / T; r_max per ms to match D per ms.
  const double scale = rule.lr / (rule.window_ms * r_max_per_ms_);
  for (std::uint64_t k = r.begin; k < r.end; ++k) {
    const std::uint64_t synapse = e.direction() == 0 ? k : p.position[k];
    const double s = host.state_at(r.offset + r.index[k], e.time);
    const double value = rate ? rate_.rho(s) : s;
    rule_->add(e.projection, synapse, scale * (value - before[k - r.begin] + own_decay[k - r.begin]));
  }
}

}  // namespace ebsim
