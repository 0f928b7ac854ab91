#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/core/spiking_engine.hpp"

// The spiking engine's answers about its state (sample, set, held units, integrals, spikes), over
// the units it owns.
namespace ebsim {

bool SpikingEngine::advance_until_settled(double, double) {
  throw std::logic_error("the spiking engine has no settle-to-tolerance (the config loader rejects it)");
}

void SpikingEngine::hold_until(double t_ms) { advance_to(t_ms); }

double SpikingEngine::residual() const { return std::numeric_limits<double>::quiet_NaN(); }

void SpikingEngine::sample_states(std::span<double> out) {
  for (std::uint32_t i = lo_; i < hi_; ++i) out[i] = state_at(i, now_);
}

void SpikingEngine::set_states(std::span<const double> states) {
  const double gt = g(now_), g_inv = 1.0 / gt;
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    if (cold(i).clamped) continue;
    state_at(i, now_);  // follows crossings: the integral bookkeeping is current at now
    anchor(i, now_, states[i], g_inv, integrate_ ? integral_now(i, now_, gt) : 0.0);
  }
}

models::UnitRegime SpikingEngine::regime_now(std::uint32_t i, double gt) const {
  Piece p = piece(i);
  follow_crossings(p, i, gt, nullptr);
  return p.regime;
}

void SpikingEngine::held_units(std::span<std::uint8_t> out) const {
  const double gt = g(now_);
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    const models::UnitRegime r = regime_now(i, gt);
    out[i] = !cold(i).clamped && (r == models::UnitRegime::held_at_beta1 || r == models::UnitRegime::held_at_beta2);
  }
}

std::vector<BoundaryCounts> SpikingEngine::boundary_counts() const {
  std::vector<BoundaryCounts> out(net_.populations.size());
  const double gt = g(now_);
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    if (cold(i).clamped) continue;
    const models::UnitRegime r = regime_now(i, gt);
    if (r == models::UnitRegime::held_at_beta1) ++out[population_[i - lo_]].held_low;
    if (r == models::UnitRegime::held_at_beta2) ++out[population_[i - lo_]].held_high;
  }
  return out;
}

void SpikingEngine::integrals(std::span<double> integral_s, std::span<double> counts) {
  const double gt = g(now_);
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    state_at(i, now_);  // follows crossings up to now
    integral_s[i] = integral_now(i, now_, gt);
    counts[i] = spike_counts_[i - lo_];
  }
}

void SpikingEngine::take_spikes(std::vector<Spike>& out) {
  out.clear();
  std::swap(out, spikes_);
}

void SpikingEngine::end_trial() {
  if (!stdp_.active()) return;
  stdp_.close_all(now_, *this);
  // The trial is over: deferred changes take effect now (a partitioned engine applies them itself).
  if (!partitioned_) stdp_.apply_deferred(stdp_.waiting());
}

std::size_t SpikingEngine::unit_state_bytes() const {
  return piece_.capacity() * sizeof(Piece) + cold_.capacity() * sizeof(Cold) +
         (integral_base_.capacity() + spike_counts_.capacity()) * sizeof(double) + record_.capacity() +
         population_.capacity() * sizeof(std::uint16_t) + streams_.capacity() * sizeof(Stream) + candidates_.bytes();
}

void SpikingEngine::record_spikes(std::uint32_t population) {
  const Population& p = net_.populations[population];
  for (std::uint32_t i = std::max(p.offset, lo_); i < std::min(p.offset + p.size, hi_); ++i) record_[i - lo_] = 1;
}

}  // namespace ebsim
