#include <algorithm>
#include <cmath>

#include "sim/core/spiking_engine.hpp"

// The spiking engine's exact solution between events: each unit's trajectory is a piece
// s(t) = target + offset g(t) in one regime, restarted (anchored) by a kick the fast path cannot
// take, and continued across the boundaries it reaches.
namespace ebsim {

// Inside, s relaxes toward A + C (Eq. 8 with rho' = 1); outside toward C (§2.3.1); held: stays.
double SpikingEngine::target_of(models::UnitRegime regime, std::uint32_t i) const {
  switch (regime) {
    case models::UnitRegime::inside: return cold(i).gated + cold(i).nudge;
    case models::UnitRegime::below:
    case models::UnitRegime::above: return cold(i).nudge;
    case models::UnitRegime::held_at_beta1: return b1_;
    case models::UnitRegime::held_at_beta2: return b2_;
  }
  return 0.0;
}

void SpikingEngine::anchor(std::uint32_t i, double t, double s, double g_inv, double integral) {
  const models::UnitRegime regime = models::unit_regime(s, {cold(i).gated, cold(i).nudge}, unit_params());
  Piece& p = piece(i);
  if (p.regime != models::UnitRegime::inside || regime != p.regime || s <= b1_ || s >= b2_)
    cold(i).last_outside = {t, 1.0};
  p.regime = regime;
  p.target = target_of(regime, i);
  p.offset = regime == models::UnitRegime::held_at_beta1 || regime == models::UnitRegime::held_at_beta2
                 ? 0.0
                 : (s - p.target) * g_inv;
  p.window = window_for(p);
  p.fast_kick = kick_scale_of(p, i);
  if (integrate_) integral_base_[i - lo_] = integral - p.target * t + p.offset * params_.tau_ms / g_inv;
}

void SpikingEngine::follow_crossings(Piece& p, std::uint32_t i, double gt, double* integral_base) const {
  using models::UnitRegime;
  for (int guard = 0; guard < 4; ++guard) {
    const double s = p.target + p.offset * gt;
    const Window& w = valid_[int(p.regime)];
    // A crossing needs the state out of its window AND the target beyond that boundary (a value a
    // rounding error outside the window of a piece whose target is inside is no crossing).
    double boundary;
    if (s > w.hi && p.target > w.hi) {
      boundary = w.hi;
    } else if (s < w.lo && p.target < w.lo) {
      boundary = w.lo;
    } else {
      return;
    }
    // The piece reached `boundary` where g = g_c; the next piece starts there exactly.
    const double g_c = (boundary - p.target) / p.offset;
    const UnitRegime next = models::unit_regime(boundary, {cold(i).gated, cold(i).nudge}, unit_params());
    const double next_target = target_of(next, i);
    const bool held = next == UnitRegime::held_at_beta1 || next == UnitRegime::held_at_beta2;
    const double next_offset = held ? 0.0 : (boundary - next_target) / g_c;
    if (integral_base) {  // int_0^V s is continuous at the crossing time V: g(V) = g_c
      const double tau = params_.tau_ms;
      const double v = t_ref_ - tau * std::log(g_c);
      const double at_v = *integral_base + p.target * v - p.offset * tau * g_c;
      *integral_base = at_v - next_target * v + next_offset * tau * g_c;
    }
    cold(i).last_outside = {t_ref_, g_c};  // on the boundary then: t_ref - tau log(g_c)
    p.regime = next;
    p.target = next_target;
    p.offset = next_offset;
    p.window = window_for(p);
    p.fast_kick = kick_scale_of(p, i);
  }
}

std::uint8_t SpikingEngine::window_for(const Piece& p) const {
  switch (p.regime) {
    case models::UnitRegime::above: return kAbove;
    case models::UnitRegime::below: return kBelow;
    case models::UnitRegime::inside: return p.target >= b1_ && p.target <= b2_ ? kStable : kSlow;
    default: return kSlow;  // held: a kick re-anchors
  }
}

float SpikingEngine::kick_scale_of(const Piece& p, std::uint32_t i) const {
  const bool inside_slow = p.window == kSlow && p.regime == models::UnitRegime::inside;
  return p.window == kStable || inside_slow ? static_cast<float>(cold(i).kick_scale) : 0.0f;
}

void SpikingEngine::kick_slow(std::uint32_t i, double t, double gt, double g_inv, double dw) {
  Piece& p = piece(i);
  if (p.window == kSlow && p.regime == models::UnitRegime::inside) {
    // Inside, with a crossing ahead (the target lies outside): where the state has not reached the
    // boundary yet and the kick keeps it strictly inside, the crossings, value and anchor below
    // come to this, the same doubles, without their calls: no crossing, s unclamped, the regime
    // and target unchanged, and no boundary touched (Cold::last_outside stays).
    const double s = p.target + p.offset * gt;
    const double next = s + double(p.fast_kick) * dw;  // fast_kick == Cold::kick_scale here
    if (s > b1_ && s < b2_ && next > b1_ && next < b2_) {
      const double integral = integrate_ ? integral_now(i, t, gt) : 0.0;
      p.offset = (next - p.target) * g_inv;
      if (integrate_) integral_base_[i - lo_] = integral - p.target * t + p.offset * params_.tau_ms / g_inv;
      return;
    }
  }
  if (cold(i).clamped) return;
  if (crossed(p, gt)) follow_crossings(p, i, gt, integrate_ ? &integral_base_[i - lo_] : nullptr);
  const double s = value(p, gt);
  if (s < b1_ || s > b2_) return;  // saturated: rho'(s) = 0, the input has no effect (§2.3.1)
  anchor(i, t, s + cold(i).kick_scale * dw, g_inv, integrate_ ? integral_now(i, t, gt) : 0.0);
}

}  // namespace ebsim
