#include "models/unit_dynamics.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace ebsim::models {

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// One linear piece of the trajectory: the regime, the fixed point its field relaxes toward, and the
// boundary it reaches (if any) with the time to reach it.
struct Piece {
  UnitRegime regime;
  double target;            // inside: A + C (Eq. 8, rho' = 1); outside: C (§2.3.1); held: boundary
  double boundary;          // the boundary ahead, or the holding boundary
  double time_to_boundary;  // kNever when the target lies in the piece's own (closed) region
};

// Region exit: s(t) = T + (s0 - T) e^{-t/tau} = b  =>  t = tau ln((s0 - T)/(b - T))
//                                                      = tau log1p((s0 - b)/(b - T)),
// the log1p form keeping its accuracy when s0 is close to b. s0 and T lie strictly on opposite
// sides of b, so the argument is positive.
double crossing_time(double s0, double boundary, double target, double tau) {
  return tau * std::log1p((s0 - boundary) / (boundary - target));
}

// Eq. 1 in continuous time with a constant target T: tau ds/dt = T - s
//   =>  s(t) = T + (s0 - T) e^{-t/tau} = s0 + (s0 - T) expm1(-t/tau)
// (the expm1 form returns s0 bitwise at t = 0 and is accurate for t << tau).
// `decay` is expm1(-t/tau), given where the caller already has it.
double relax(double s0, double target, double decay) { return s0 + (s0 - target) * decay; }

Piece current_piece(double s, UnitDrive drive, const UnitParams& params) {
  const double b1 = params.beta1;
  const double b2 = params.beta2();
  const double inside_target = drive.gated_input + drive.nudge;
  const double outside_target = drive.nudge;
  const double tau = params.tau;
  const UnitRegime regime = unit_regime(s, drive, params);
  switch (regime) {
    case UnitRegime::held_at_beta1: return {regime, b1, b1, kNever};
    case UnitRegime::held_at_beta2: return {regime, b2, b2, kNever};
    case UnitRegime::below: {
      const double t = outside_target > b1 ? crossing_time(s, b1, outside_target, tau) : kNever;
      return {regime, outside_target, b1, t};
    }
    case UnitRegime::above: {
      const double t = outside_target < b2 ? crossing_time(s, b2, outside_target, tau) : kNever;
      return {regime, outside_target, b2, t};
    }
    case UnitRegime::inside:
      if (inside_target > b2) return {regime, inside_target, b2, crossing_time(s, b2, inside_target, tau)};
      if (inside_target < b1) return {regime, inside_target, b1, crossing_time(s, b1, inside_target, tau)};
      return {regime, inside_target, b2, kNever};
  }
  return {regime, s, s, kNever};  // unreachable
}

// Keeps a rounded closed-form value on its own side of the boundary, so that the next call sees
// the regime the exact trajectory is in (on the boundary at worst, where the convention applies).
double clamp_to_region(double s, UnitRegime regime, const UnitParams& params) {
  switch (regime) {
    case UnitRegime::below: return std::min(s, params.beta1);
    case UnitRegime::above: return std::max(s, params.beta2());
    case UnitRegime::inside: return std::clamp(s, params.beta1, params.beta2());
    case UnitRegime::held_at_beta1: return params.beta1;
    case UnitRegime::held_at_beta2: return params.beta2();
  }
  return s;  // unreachable
}

// `dt_decay`: expm1(-dt/tau) if the caller has it, else NaN.
template <bool kWithIntegrals>
Integrals advance_piecewise(double s, double dt, UnitDrive drive, const UnitParams& params, double dt_decay) {
  assert(params.tau > 0.0);
  assert(dt >= 0.0);
  Integrals out;
  double remaining = dt;
  // Each boundary is reached at most once (outside -> inside -> the other side or held), so a
  // trajectory has at most three pieces.
  for (int piece_count = 1;; ++piece_count) {
    assert(piece_count <= 3);
    const Piece piece = current_piece(s, drive, params);
    const bool reaches_boundary = piece.time_to_boundary <= remaining;
    const double h = reaches_boundary ? piece.time_to_boundary : remaining;

    if constexpr (kWithIntegrals) {
      const bool held = piece.regime == UnitRegime::held_at_beta1 || piece.regime == UnitRegime::held_at_beta2;
      if (held) {
        // Sliding mode: s = b, rho(b) = 1 at beta2 and 0 at beta1 (Eq. 7).
        out.integral_s += piece.boundary * h;
        if (piece.regime == UnitRegime::held_at_beta2) out.integral_rho += h;
      } else {
        // int_0^h [T + (s0 - T) e^{-t/tau}] dt = T h + (s0 - T) tau (1 - e^{-h/tau})
        const double decayed = -params.tau * std::expm1(-h / params.tau);
        out.integral_s += piece.target * h + (s - piece.target) * decayed;
        // Eq. 7: rho = s - beta1 inside (same integral shifted by beta1), 1 above, 0 below.
        if (piece.regime == UnitRegime::inside)
          out.integral_rho += (piece.target - params.beta1) * h + (s - piece.target) * decayed;
        else if (piece.regime == UnitRegime::above)
          out.integral_rho += h;
      }
    }

    if (!reaches_boundary) {
      // h == dt on the first piece: the caller's decay, the same double as expm1(-h/tau).
      const double decay = piece_count == 1 && !std::isnan(dt_decay) ? dt_decay : decay_over(h, params);
      s = clamp_to_region(relax(s, piece.target, decay), piece.regime, params);
      break;
    }
    s = piece.boundary;  // land exactly on the boundary, then continue by the boundary convention
    remaining -= h;
  }
  out.s_end = s;
  return out;
}

}  // namespace

double advance(double s0, double dt, UnitDrive drive, const UnitParams& params) {
  return advance_piecewise<false>(s0, dt, drive, params, std::numeric_limits<double>::quiet_NaN()).s_end;
}

double advance(double s0, double dt, UnitDrive drive, const UnitParams& params, double dt_decay) {
  return advance_piecewise<false>(s0, dt, drive, params, dt_decay).s_end;
}

Integrals advance_with_integrals(double s0, double dt, UnitDrive drive, const UnitParams& params) {
  return advance_piecewise<true>(s0, dt, drive, params, std::numeric_limits<double>::quiet_NaN());
}

double next_boundary_crossing(double s0, UnitDrive drive, const UnitParams& params) {
  return current_piece(s0, drive, params).time_to_boundary;
}

}  // namespace ebsim::models
