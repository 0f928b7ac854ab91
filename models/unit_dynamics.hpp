#pragma once
// The exact trajectory of one unit between events, for the hard sigmoid (Eq. 7).
//
// Between events a unit obeys  tau ds/dt = rho'(s) A + C - s  with A, C constant (Eq. 1 without
// noise, drive of Eq. 8 with the synaptic input frozen): a free unit has A = b + I_ext, C = 0; a
// nudged output has A = (1 - beta)(b + I_ext), C = beta y_target. With rho' = 1 on [beta1, beta2]
// and 0 outside, the field is piecewise linear: inside, s relaxes toward A + C; outside, toward C
// (for a free unit toward 0, which lies inside since beta1 < 0 < beta2: §2.3.1). Each piece is
// solved in closed form, region changes at analytic crossing times, and a state driven onto a
// boundary from both sides is held there exactly (Filippov sliding mode: no chattering, no drift).
//
// Boundary convention (one rule). The boundary points belong to the interval (rho' = 1 on the
// closed [beta1, beta2]), so a state exactly on beta1 or beta2 follows the INSIDE field, except in
// the sliding case: the inside field points outward and the outside field points back (or is 0).
//   at beta2:  A + C > beta2 and C <= beta2  -> held at beta2 (rho = 1);
//              A + C > beta2 and C >  beta2  -> both fields point outward: leaves above beta2;
//              A + C <= beta2                 -> inside field: moves inward (or rests if equal),
//                                                also when C > beta2 (repelling boundary);
//   at beta1:  mirror image (A + C < beta1 and C >= beta1 -> held at beta1, rho = 0; and so on).
// A trajectory that reaches a boundary lands exactly on it (bitwise) and continues by this rule.
//
// Only the hard sigmoid has these regions; this file does not cover the logistic rate function.
#include <cmath>

namespace ebsim::models {

// The constants of  tau ds/dt = rho'(s) gated_input + nudge - s  over one inter-event interval.
struct UnitDrive {
  double gated_input = 0.0;  // A: felt only where rho'(s) = 1 (bias, external and synaptic input)
  double nudge = 0.0;        // C: felt everywhere (the beta y_target pull of a nudged output)
};

// Eq. 1-2, 8 for a free unit: A = b + I_ext, C = 0.
inline UnitDrive free_unit_drive(double bias_plus_input) { return {bias_plus_input, 0.0}; }

// Nudged output: tau dy/dt = (1 - beta) R_y + beta y_target - y; beta = 1 is Eq. 12.
inline UnitDrive nudged_unit_drive(double bias_plus_input, double beta, double y_target) {
  return {(1.0 - beta) * bias_plus_input, beta * y_target};
}

// Lowered once by the caller: tau > 0 (the time unit of dt), beta1 < 0 (Eq. 7); beta2 = beta1 + 1,
// computed exactly as RateFunction::beta2() so that a held state equals it bitwise.
struct UnitParams {
  double tau = 1.0;
  double beta1 = -0.5;

  double beta2() const { return beta1 + 1.0; }
};

// Where a state sits, with the boundary convention above applied to states exactly on a boundary.
enum class UnitRegime : unsigned char {
  below,          // s < beta1, or leaving beta1 downward: relaxes toward C, rho = 0
  inside,         // beta1 <= s <= beta2, inside field: relaxes toward A + C, rho = s - beta1
  above,          // s > beta2, or leaving beta2 upward: relaxes toward C, rho = 1
  held_at_beta1,  // sliding mode at beta1: s == beta1 for all time, rho = 0
  held_at_beta2,  // sliding mode at beta2: s == beta2 for all time, rho = 1
};

// Inline: the spiking engine asks on every slow-path kick and crossing.
inline UnitRegime unit_regime(double s, UnitDrive drive, const UnitParams& params) {
  const double b1 = params.beta1;
  const double b2 = params.beta2();
  if (s > b2) return UnitRegime::above;
  if (s < b1) return UnitRegime::below;
  const double inside_target = drive.gated_input + drive.nudge;
  // Filippov: on a boundary whose inside field points out while the outside field points back (or
  // vanishes) the only solution stays on it. If both point out, the state leaves outward; in every
  // other case rho'(b) = 1 (closed interval) makes the inside field the one that acts.
  if (s == b2 && inside_target > b2) return drive.nudge <= b2 ? UnitRegime::held_at_beta2 : UnitRegime::above;
  if (s == b1 && inside_target < b1) return drive.nudge >= b1 ? UnitRegime::held_at_beta1 : UnitRegime::below;
  return UnitRegime::inside;
}

// s(dt) from s(0) = s0, exact; dt >= 0. dt = 0 returns s0 unchanged.
double advance(double s0, double dt, UnitDrive drive, const UnitParams& params);
// expm1(-dt/tau): the relaxation's decay over dt (s(dt) = s0 + (s0 - T) decay_over(dt) on a piece).
inline double decay_over(double dt, const UnitParams& params) { return std::expm1(-dt / params.tau); }
// The same, bitwise, with dt_decay = decay_over(dt, params) given: callers that advance many
// states over one dt (the STDP estimator's own kicks) compute it once.
double advance(double s0, double dt, UnitDrive drive, const UnitParams& params, double dt_decay);

struct Integrals {
  double s_end = 0.0;         // s(dt)
  double integral_s = 0.0;    // int_0^dt s(t) dt
  double integral_rho = 0.0;  // int_0^dt rho(s(t)) dt (Eq. 7)
};

// As advance(), plus the exact integrals of s and rho(s) along the trajectory (closed form per
// segment). s_end is bitwise equal to advance(s0, dt, drive, params).
Integrals advance_with_integrals(double s0, double dt, UnitDrive drive, const UnitParams& params);

// Time until the state reaches beta1 or beta2 from s0 (where its regime, and the form of rho(s(t)),
// changes); +infinity if it never does (held, or relaxing toward a target in its own region).
// advance(s0, next_boundary_crossing(...)) is exactly the boundary value.
double next_boundary_crossing(double s0, UnitDrive drive, const UnitParams& params);

}  // namespace ebsim::models
