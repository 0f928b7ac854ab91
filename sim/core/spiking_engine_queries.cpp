#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/core/spiking_engine.hpp"

// The spiking engine's answers about its state (sample, set, held units, integrals, spikes) and the
// phases that change its drive, over the units it owns.
namespace ebsim {

void SpikingEngine::set_phase(const PhaseDrive& drive) {
  if (!partitioned_) net_.require_whole("the serial spiking engine");
  release_held_windows(drive);
  if (stdp_.active() && changes_drives(drive)) stdp_.keep_drives(*this);
  const double gt = g(now_), g_inv = 1.0 / gt;
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    const double s = state_at(i, now_);  // follows crossings: the piece is current at now
    const double integral = integral_now(i, now_, gt);
    if (drive.clamped[i]) {
      // A clamped unit ignores its input and holds x: a constant piece, T = x, u = 0.
      cold(i).clamped = 1;
      cold(i).clamp_value = drive.clamp_value[i];
      cold(i).kick_scale = 0.0;
      Piece& p = piece(i);
      p = Piece{0.0, drive.clamp_value[i], 0.0f, models::UnitRegime::inside, kAny};
      integral_base_[i - lo_] = integral - p.target * now_;
      continue;
    }
    cold(i).clamped = 0;
    const models::UnitDrive d = drive_in(drive, i);
    cold(i).gated = d.gated_input;
    cold(i).nudge = d.nudge;
    cold(i).kick_scale = kick_scale_for(drive.beta[i]);
    anchor(i, now_, s, g_inv, integral);
  }
  for (std::size_t k = 0; k < net_.populations.size(); ++k) {
    const Population& pop = net_.populations[k];
    const std::uint32_t first = std::max(pop.offset, lo_), last = std::min(pop.offset + pop.size, hi_);
    bool all = first < last;
    for (std::uint32_t i = first; all && i < last; ++i) all = cold(i).clamped != 0;
    all_clamped_[k] = all;
  }
}

models::UnitDrive SpikingEngine::drive_in(const PhaseDrive& drive, std::uint32_t i) const {
  const double beta = drive.beta[i];
  return {(1.0 - beta) * net_.bias[i],  // A: felt where rho' = 1
          beta * drive.target[i]};      // C: the nudge, felt everywhere (Eq. 12)
}

// Whether set_phase(drive) changes the flow of a unit that is not clamped by it (a clamped unit keeps
// its fields), to the bit.
bool SpikingEngine::changes_drives(const PhaseDrive& drive) const {
  const auto same = [](double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
  };
  for (std::uint32_t i = lo_; i < hi_; ++i) {
    if (drive.clamped[i]) continue;
    const models::UnitDrive d = drive_in(drive, i);
    if (!same(d.gated_input, cold(i).gated) || !same(d.nudge, cold(i).nudge)) return true;
  }
  return false;
}

// Before the clamps change: STDP windows held on a wholly clamped population whose clamps this
// drive changes (a unit let go, or another value) take what their opening saw, while the units
// still hold it.
void SpikingEngine::release_held_windows(const PhaseDrive& drive) {
  if (!stdp_.active()) return;
  for (std::size_t k = 0; k < net_.populations.size(); ++k) {
    if (!all_clamped_[k]) continue;
    const Population& pop = net_.populations[k];
    bool same = true;
    for (std::uint32_t i = std::max(pop.offset, lo_); same && i < std::min(pop.offset + pop.size, hi_); ++i)
      same = drive.clamped[i] &&
             std::bit_cast<std::uint64_t>(drive.clamp_value[i]) == std::bit_cast<std::uint64_t>(cold(i).clamp_value);
    if (!same) stdp_.release_held(static_cast<std::uint16_t>(k), *this);
  }
}

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
