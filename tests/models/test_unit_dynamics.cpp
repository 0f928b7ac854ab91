// Exact one-unit trajectories of tau ds/dt = rho'(s) A + C - s (models/unit_dynamics.hpp).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "models/rate_function.hpp"
#include "models/unit_dynamics.hpp"

using ebsim::models::advance;
using ebsim::models::advance_with_integrals;
using ebsim::models::decay_over;
using ebsim::models::free_unit_drive;
using ebsim::models::Integrals;
using ebsim::models::next_boundary_crossing;
using ebsim::models::nudged_unit_drive;
using ebsim::models::RateFunction;
using ebsim::models::unit_regime;
using ebsim::models::UnitDrive;
using ebsim::models::UnitParams;
using ebsim::models::UnitRegime;

namespace {

// tau != 1 so that a missing 1/tau shows; beta2 = 0.6.
const UnitParams kParams{10.0, -0.4};
const double kTau = kParams.tau;
const double kB1 = kParams.beta1;
const double kB2 = kParams.beta2();

// s(t) = T + (s0 - T) e^{-t/tau}, written independently of the library's expm1 form.
double closed_form(double s0, double target, double t) { return target + (s0 - target) * std::exp(-t / kTau); }

double rho(double s, const UnitParams& p) { return RateFunction{.beta1 = p.beta1}.rho(s); }

struct Case {
  double s0;
  UnitDrive drive;
  double dt;
  UnitParams params;
};

// Scale of a case: bounds |s0 - T|, |A| and the distances to the boundaries (|beta| <= 1).
double scale(const Case& c) { return 1.0 + std::abs(c.s0) + std::abs(c.drive.gated_input) + std::abs(c.drive.nudge); }

Case random_case(std::mt19937_64& rng, double max_dt_over_tau) {
  std::uniform_real_distribution<double> state(-3.0, 3.0);
  std::uniform_real_distribution<double> gated(-3.0, 3.0);
  std::uniform_real_distribution<double> nudge(-1.5, 1.5);
  std::uniform_real_distribution<double> beta1(-0.9, -0.1);
  std::uniform_real_distribution<double> tau(0.5, 20.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Case c;
  c.s0 = state(rng);
  c.drive = {gated(rng), unit(rng) < 0.5 ? 0.0 : nudge(rng)};  // half free units (C = 0)
  c.params = {tau(rng), beta1(rng)};
  c.dt = max_dt_over_tau * c.params.tau * unit(rng);
  return c;
}

// Forward Euler on the raw ODE with the project's rho' (closed interval) and trapezoidal sums of
// s and rho(s), step h <= 1e-6 tau: an independent reference for the piecewise closed forms.
Integrals euler_reference(const Case& c) {
  const RateFunction rate{.beta1 = c.params.beta1};
  const auto n = static_cast<std::int64_t>(std::ceil(c.dt / (1e-6 * c.params.tau)));
  const double h = c.dt / static_cast<double>(n);
  Integrals out;
  double s = c.s0;
  for (std::int64_t k = 0; k < n; ++k) {
    const double next = s + (h / c.params.tau) * (rate.rho_prime(s) * c.drive.gated_input + c.drive.nudge - s);
    out.integral_s += 0.5 * h * (s + next);
    out.integral_rho += 0.5 * h * (rate.rho(s) + rate.rho(next));
    s = next;
  }
  out.s_end = s;
  return out;
}

}  // namespace

TEST_CASE("dt = 0 returns the initial state bitwise and zero integrals") {
  for (double s0 : {-3.0, kB1, 0.1, kB2, 3.0}) {
    for (UnitDrive d : {free_unit_drive(2.0), free_unit_drive(-2.0), UnitDrive{0.5, 1.0}}) {
      CHECK(advance(s0, 0.0, d, kParams) == s0);
      const Integrals in = advance_with_integrals(s0, 0.0, d, kParams);
      CHECK(in.s_end == s0);
      CHECK(in.integral_s == 0.0);
      CHECK(in.integral_rho == 0.0);
    }
  }
}

TEST_CASE("below beta1 the state relaxes toward C in closed form (rho' = 0, §2.3.1)") {
  // Target C = -2 lies below beta1 too: the state never leaves the region.
  const UnitDrive d{5.0, -2.0};
  CHECK(unit_regime(-3.0, d, kParams) == UnitRegime::below);
  CHECK(next_boundary_crossing(-3.0, d, kParams) == std::numeric_limits<double>::infinity());
  for (double t : {1e-9, 0.3, 7.0, 25.0, 200.0})
    CHECK(advance(-3.0, t, d, kParams) == doctest::Approx(closed_form(-3.0, -2.0, t)).epsilon(1e-14));
  // Free unit (C = 0) before it reaches beta1 at tau ln(3 / 0.4): decay toward 0, input ignored.
  for (double t : {0.1, 5.0, 19.0})
    CHECK(advance(-3.0, t, free_unit_drive(7.0), kParams) == doctest::Approx(closed_form(-3.0, 0.0, t)).epsilon(1e-14));
}

TEST_CASE("inside [beta1, beta2] the state relaxes toward A + C in closed form (Eq. 1, 8)") {
  const UnitDrive d{0.3, 0.05};
  CHECK(unit_regime(0.1, d, kParams) == UnitRegime::inside);
  for (double t : {1e-9, 0.3, 7.0, 25.0, 200.0})
    CHECK(advance(0.1, t, d, kParams) == doctest::Approx(closed_form(0.1, 0.35, t)).epsilon(1e-14));
  for (double t : {0.3, 7.0, 200.0})
    CHECK(advance(kB2, t, free_unit_drive(-0.2), kParams) == doctest::Approx(closed_form(kB2, -0.2, t)).epsilon(1e-14));
}

TEST_CASE("above beta2 the state relaxes toward C in closed form (rho' = 0, §2.3.1)") {
  const UnitDrive d = nudged_unit_drive(-4.0, 0.5, 4.0);  // A = -2, C = 2 > beta2
  CHECK(d.gated_input == -2.0);
  CHECK(d.nudge == 2.0);
  CHECK(unit_regime(3.0, d, kParams) == UnitRegime::above);
  for (double t : {1e-9, 0.3, 7.0, 25.0, 200.0})
    CHECK(advance(3.0, t, d, kParams) == doctest::Approx(closed_form(3.0, 2.0, t)).epsilon(1e-14));
  for (double t : {0.1, 5.0, 15.0})  // free unit before reaching beta2 at tau ln 5
    CHECK(advance(3.0, t, free_unit_drive(-9.0), kParams) == doctest::Approx(closed_form(3.0, 0.0, t)).epsilon(1e-14));
}

TEST_CASE("a saturated unit above beta2 decays to beta2 at the analytic time, then relaxes inside") {
  // Free unit, A = 0.2: above, s = 3 e^{-t/tau} reaches 0.6 at t1 = tau ln 5; then s -> 0.2.
  const UnitDrive d = free_unit_drive(0.2);
  const double t1 = kTau * std::log(3.0 / 0.6);
  CHECK(next_boundary_crossing(3.0, d, kParams) == doctest::Approx(t1).epsilon(1e-14));
  CHECK(advance(3.0, next_boundary_crossing(3.0, d, kParams), d, kParams) == kB2);  // lands exactly
  CHECK(advance(3.0, std::nextafter(t1, 0.0), d, kParams) >= kB2);                  // stays on its side before
  for (double t : {0.5 * t1, 0.999 * t1})
    CHECK(advance(3.0, t, d, kParams) == doctest::Approx(closed_form(3.0, 0.0, t)).epsilon(1e-13));
  for (double t : {1.001 * t1, t1 + 3.0, t1 + 50.0, t1 + 1000.0})
    CHECK(advance(3.0, t, d, kParams) == doctest::Approx(closed_form(kB2, 0.2, t - t1)).epsilon(1e-13));
}

TEST_CASE("a unit below beta1 rises to beta1 at the analytic time, then relaxes inside") {
  // Free unit, A = -0.1: below, s = -3 e^{-t/tau} reaches -0.4 at t1 = tau ln 7.5; then s -> -0.1.
  const UnitDrive d = free_unit_drive(-0.1);
  const double t1 = kTau * std::log(3.0 / 0.4);
  CHECK(next_boundary_crossing(-3.0, d, kParams) == doctest::Approx(t1).epsilon(1e-14));
  CHECK(advance(-3.0, next_boundary_crossing(-3.0, d, kParams), d, kParams) == kB1);
  for (double t : {0.5 * t1, 0.999 * t1})
    CHECK(advance(-3.0, t, d, kParams) == doctest::Approx(closed_form(-3.0, 0.0, t)).epsilon(1e-13));
  for (double t : {1.001 * t1, t1 + 3.0, t1 + 50.0})
    CHECK(advance(-3.0, t, d, kParams) == doctest::Approx(closed_form(kB1, -0.1, t - t1)).epsilon(1e-13));
}

TEST_CASE("a unit below beta1 crosses the whole interval and is then held at beta2") {
  // Free unit, A = 2: below until t1 = tau ln 7.5, inside from -0.4 toward 2 until
  // t2 = t1 + tau ln(2.4 / 1.4), then the sliding mode at beta2.
  const UnitDrive d = free_unit_drive(2.0);
  const double t1 = kTau * std::log(3.0 / 0.4);
  const double t2 = t1 + kTau * std::log(2.4 / 1.4);
  CHECK(advance(-3.0, 0.5 * t1, d, kParams) == doctest::Approx(closed_form(-3.0, 0.0, 0.5 * t1)).epsilon(1e-13));
  const double tm = 0.5 * (t1 + t2);
  CHECK(advance(-3.0, tm, d, kParams) == doctest::Approx(closed_form(kB1, 2.0, tm - t1)).epsilon(1e-13));
  CHECK(advance(-3.0, t2 * (1.0 + 1e-9), d, kParams) == kB2);
  CHECK(advance(-3.0, t2 + 100.0, d, kParams) == kB2);
  CHECK(unit_regime(kB2, d, kParams) == UnitRegime::held_at_beta2);
}

TEST_CASE("an outside target across the interval carries the state through it to the other side") {
  // Nudged, A = 1, C = -2: above toward -2 until t1 = tau ln(5 / 2.6); inside toward A + C = -1
  // until t2 = t1 + tau ln(1.6 / 0.6); below toward C = -2 afterwards (C < beta1: no sliding).
  const UnitDrive d{1.0, -2.0};
  const double t1 = kTau * std::log(5.0 / 2.6);
  const double t2 = t1 + kTau * std::log(1.6 / 0.6);
  const double tm = 0.5 * (t1 + t2);
  CHECK(advance(3.0, 0.5 * t1, d, kParams) == doctest::Approx(closed_form(3.0, -2.0, 0.5 * t1)).epsilon(1e-13));
  CHECK(advance(3.0, tm, d, kParams) == doctest::Approx(closed_form(kB2, -1.0, tm - t1)).epsilon(1e-13));
  for (double t : {t2 + 0.1, t2 + 20.0, t2 + 500.0})
    CHECK(advance(3.0, t, d, kParams) == doctest::Approx(closed_form(kB1, -2.0, t - t2)).epsilon(1e-13));
}

TEST_CASE("an outside target across the interval can end in the sliding mode at beta1") {
  // A = -1, C = -0.2: above until t1 = tau ln(3.2 / 0.8); inside toward -1.2 until
  // t2 = t1 + tau ln(1.8 / 0.8); held at beta1 afterwards (inside target < beta1 <= C).
  const UnitDrive d{-1.0, -0.2};
  const double t1 = kTau * std::log(3.2 / 0.8);
  const double t2 = t1 + kTau * std::log(1.8 / 0.8);
  const double tm = 0.5 * (t1 + t2);
  CHECK(advance(3.0, tm, d, kParams) == doctest::Approx(closed_form(kB2, -1.2, tm - t1)).epsilon(1e-13));
  CHECK(advance(3.0, t2 * (1.0 + 1e-9), d, kParams) == kB1);
  CHECK(advance(3.0, t2 + 1e6, d, kParams) == kB1);
}

TEST_CASE("a state advanced to just before its crossing stays on its own side despite rounding") {
  // Without care, s0 + (s0 - T) expm1(-t/tau) rounds past the boundary for ~7% of such cases, and
  // the next call would start in the wrong region.
  std::mt19937_64 rng(1);
  int checked = 0;
  for (int k = 0; k < 20000; ++k) {
    const Case c = random_case(rng, 1.0);
    const double t = next_boundary_crossing(c.s0, c.drive, c.params);
    if (!std::isfinite(t)) continue;
    ++checked;
    const UnitRegime before = unit_regime(c.s0, c.drive, c.params);
    const double s = advance(c.s0, std::nextafter(t, 0.0), c.drive, c.params);
    CAPTURE(c.s0);
    CAPTURE(c.drive.gated_input);
    CAPTURE(c.drive.nudge);
    if (before == UnitRegime::inside) {
      CHECK(s >= c.params.beta1);
      CHECK(s <= c.params.beta2());
    } else if (before == UnitRegime::above) {
      CHECK(s >= c.params.beta2());
    } else {
      CHECK(s <= c.params.beta1);
    }
  }
  CHECK(checked > 5000);
}

TEST_CASE("sliding mode at beta2 holds the state exactly, over long times and many calls") {
  const RateFunction rate{.beta1 = kB1};
  for (UnitDrive d : {free_unit_drive(2.5), nudged_unit_drive(3.0, 0.2, 0.5), UnitDrive{1.0, kB2}}) {
    CAPTURE(d.gated_input);
    CAPTURE(d.nudge);
    double s = advance(0.0, 5.0 * kTau, d, kParams);  // reaches beta2 well before 5 tau
    CHECK(s == kB2);
    CHECK(s == rate.beta2());
    CHECK(unit_regime(s, d, kParams) == UnitRegime::held_at_beta2);
    CHECK(next_boundary_crossing(s, d, kParams) == std::numeric_limits<double>::infinity());
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> step(0.0, 0.5 * kTau);
    for (int k = 0; k < 100000; ++k) s = advance(s, step(rng), d, kParams);
    CHECK(s == kB2);
    CHECK(advance(s, 1e9 * kTau, d, kParams) == kB2);
    CHECK(rate.rho(s) == 1.0);
    const Integrals in = advance_with_integrals(s, 123.0, d, kParams);
    CHECK(in.s_end == kB2);
    CHECK(in.integral_rho == 123.0);
    CHECK(in.integral_s == kB2 * 123.0);
  }
}

TEST_CASE("many small steps into the sliding mode land on beta2 exactly and stay there") {
  const UnitDrive d = free_unit_drive(2.5);
  double s = 0.0;
  for (int k = 0; k < 20000; ++k) s = advance(s, 1e-2 * kTau, d, kParams);
  CHECK(s == kB2);
}

TEST_CASE("sliding mode at beta1 holds the state exactly, over long times and many calls") {
  const RateFunction rate{.beta1 = kB1};
  for (UnitDrive d : {free_unit_drive(-2.5), nudged_unit_drive(-3.0, 0.2, 0.5), UnitDrive{-1.0, kB1}}) {
    CAPTURE(d.gated_input);
    CAPTURE(d.nudge);
    double s = advance(0.0, 5.0 * kTau, d, kParams);
    CHECK(s == kB1);
    CHECK(unit_regime(s, d, kParams) == UnitRegime::held_at_beta1);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> step(0.0, 0.5 * kTau);
    for (int k = 0; k < 100000; ++k) s = advance(s, step(rng), d, kParams);
    CHECK(s == kB1);
    CHECK(advance(s, 1e9 * kTau, d, kParams) == kB1);
    CHECK(rate.rho(s) == 0.0);
    const Integrals in = advance_with_integrals(s, 123.0, d, kParams);
    CHECK(in.s_end == kB1);
    CHECK(in.integral_rho == 0.0);
    CHECK(in.integral_s == kB1 * 123.0);
  }
}

TEST_CASE("boundary convention: a state on beta2 follows the inside field unless it slides") {
  // Both fields point outward (A + C > beta2, C > beta2): leaves above, toward C.
  const UnitDrive outward{0.5, 1.0};
  CHECK(unit_regime(kB2, outward, kParams) == UnitRegime::above);
  CHECK(advance(kB2, 4.0, outward, kParams) == doctest::Approx(closed_form(kB2, 1.0, 4.0)).epsilon(1e-14));
  CHECK(advance(kB2, 4.0, outward, kParams) > kB2);
  // Repelling boundary (A + C < beta2 < C): the closed interval gives the inside field, inward.
  const UnitDrive repelling{-1.0, 1.0};
  CHECK(unit_regime(kB2, repelling, kParams) == UnitRegime::inside);
  CHECK(advance(kB2, 4.0, repelling, kParams) == doctest::Approx(closed_form(kB2, 0.0, 4.0)).epsilon(1e-14));
  // Both fields point inward.
  CHECK(unit_regime(kB2, free_unit_drive(0.1), kParams) == UnitRegime::inside);
  // Inside target exactly on beta2: the state rests there (a fixed point of the inside field).
  const UnitDrive resting{kB2, 0.0};
  CHECK(unit_regime(kB2, resting, kParams) == UnitRegime::inside);
  CHECK(advance(kB2, 1e3, resting, kParams) == kB2);
  // Outside target exactly on beta2 with the inside field pointing out: held (the only solution).
  CHECK(unit_regime(kB2, UnitDrive{1.0, kB2}, kParams) == UnitRegime::held_at_beta2);
}

TEST_CASE("boundary convention: a state on beta1 follows the inside field unless it slides") {
  const UnitDrive outward{-0.5, -1.0};  // A + C < beta1, C < beta1: leaves below
  CHECK(unit_regime(kB1, outward, kParams) == UnitRegime::below);
  CHECK(advance(kB1, 4.0, outward, kParams) == doctest::Approx(closed_form(kB1, -1.0, 4.0)).epsilon(1e-14));
  CHECK(advance(kB1, 4.0, outward, kParams) < kB1);
  const UnitDrive repelling{1.0, -1.0};  // C < beta1 < A + C
  CHECK(unit_regime(kB1, repelling, kParams) == UnitRegime::inside);
  CHECK(advance(kB1, 4.0, repelling, kParams) == doctest::Approx(closed_form(kB1, 0.0, 4.0)).epsilon(1e-14));
  CHECK(unit_regime(kB1, free_unit_drive(-0.1), kParams) == UnitRegime::inside);
  const UnitDrive resting{kB1, 0.0};
  CHECK(advance(kB1, 1e3, resting, kParams) == kB1);
  CHECK(unit_regime(kB1, UnitDrive{-1.0, kB1}, kParams) == UnitRegime::held_at_beta1);
}

TEST_CASE("composition: advance(advance(s, t1), t2) equals advance(s, t1 + t2), across crossings") {
  std::mt19937_64 rng(20240601);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int crossing_cases = 0;
  int held_cases = 0;
  for (int k = 0; k < 20000; ++k) {
    const Case c = random_case(rng, 3.0);
    const double t1 = c.dt * unit(rng);
    const double t2 = c.dt - t1;
    const double joined = advance(c.s0, t1 + t2, c.drive, c.params);
    const double split = advance(advance(c.s0, t1, c.drive, c.params), t2, c.drive, c.params);
    CAPTURE(c.s0);
    CAPTURE(c.drive.gated_input);
    CAPTURE(c.drive.nudge);
    CAPTURE(t1);
    CAPTURE(t2);
    // Values are O(3); a few roundings in the closed forms and crossing times stay far below this.
    CHECK(std::abs(split - joined) <= 1e-12);
    if (next_boundary_crossing(c.s0, c.drive, c.params) < t1 + t2) ++crossing_cases;
    const UnitRegime end = unit_regime(joined, c.drive, c.params);
    if (end == UnitRegime::held_at_beta1 || end == UnitRegime::held_at_beta2) ++held_cases;
  }
  CHECK(crossing_cases > 2000);  // the property is exercised across boundaries
  CHECK(held_cases > 500);       // and into sliding modes
}

TEST_CASE("advance with its decay given is advance, bitwise, also across crossings; another decay is not") {
  // The STDP estimator advances many states over one dt and passes decay_over(dt) once: the
  // result must be the same double, whether or not the trajectory reaches a boundary (after a
  // crossing the later pieces compute their own decay).
  std::mt19937_64 rng(20261202);
  int crossing_cases = 0, moved = 0;
  for (int k = 0; k < 20000; ++k) {
    const Case c = random_case(rng, 3.0);
    const double plain = advance(c.s0, c.dt, c.drive, c.params);
    const double given = advance(c.s0, c.dt, c.drive, c.params, decay_over(c.dt, c.params));
    CAPTURE(c.s0);
    CAPTURE(c.dt);
    REQUIRE(std::bit_cast<std::uint64_t>(given) == std::bit_cast<std::uint64_t>(plain));
    if (next_boundary_crossing(c.s0, c.drive, c.params) < c.dt) ++crossing_cases;
    // The decay is used, not recomputed: a decay for another dt moves a state that relaxes.
    const double other = advance(c.s0, c.dt, c.drive, c.params, decay_over(0.5 * c.dt, c.params));
    if (other != plain) ++moved;
  }
  CHECK(crossing_cases > 2000);
  CHECK(moved > 5000);  // every case whose first piece relaxes over dt > 0 without reaching a boundary
}

TEST_CASE("the exact trajectory and its integrals agree with a fine Euler integration of the ODE") {
  // Euler with h <= 1e-6 tau: within a linear piece (1 - h/tau)^n differs from e^{-nh/tau} by at
  // most (h/tau) |s0 - T| / (2e); the step straddling a boundary applies the wrong field for < h,
  // an error <= (h/tau) |A|; in a sliding mode Euler chatters within (h/tau) max(|A + C - b|, |C -
  // b|) of b. Each term is <= (h/tau) S with S = 1 + |s0| + |A| + |C|, so |error| <= 4e-6 S; we
  // allow 1e-5 S. The integrals inherit dt times that bound (the trapezoid's own error is O(h^2)).
  std::mt19937_64 rng(12345);
  int crossing_cases = 0;
  for (int k = 0; k < 40; ++k) {
    const Case c = random_case(rng, 2.0);
    CAPTURE(c.s0);
    CAPTURE(c.drive.gated_input);
    CAPTURE(c.drive.nudge);
    CAPTURE(c.dt);
    CAPTURE(c.params.tau);
    CAPTURE(c.params.beta1);
    const Integrals exact = advance_with_integrals(c.s0, c.dt, c.drive, c.params);
    const Integrals ref = euler_reference(c);
    const double s = scale(c);
    CHECK(exact.s_end == advance(c.s0, c.dt, c.drive, c.params));
    CHECK(std::abs(exact.s_end - ref.s_end) <= 1e-5 * s);
    CHECK(std::abs(exact.integral_s - ref.integral_s) <= 1e-5 * s * c.dt);
    CHECK(std::abs(exact.integral_rho - ref.integral_rho) <= 1e-5 * s * c.dt);
    if (next_boundary_crossing(c.s0, c.drive, c.params) < c.dt) ++crossing_cases;
  }
  CHECK(crossing_cases >= 5);
}

TEST_CASE("the integrals of s and rho(s) equal trapezoidal quadrature of the exact trajectory") {
  // N = 20000 trapezoids of width h = dt/N <= 3 tau/N: on each smooth piece the error is
  // <= dt h^2 max|s''| / 12 with |s''| <= S/tau^2, i.e. <= 27 S tau / (12 N^2) ~ 6e-9 S tau; a
  // kink (crossing) adds O(h^2 S/tau) per crossing. We allow 1e-7 S tau.
  std::mt19937_64 rng(777);
  constexpr int kN = 20000;
  int crossing_cases = 0;
  for (int k = 0; k < 60; ++k) {
    const Case c = random_case(rng, 3.0);
    CAPTURE(c.s0);
    CAPTURE(c.drive.gated_input);
    CAPTURE(c.drive.nudge);
    CAPTURE(c.dt);
    const double h = c.dt / kN;
    double prev = c.s0;
    double quad_s = 0.0;
    double quad_rho = 0.0;
    for (int i = 1; i <= kN; ++i) {
      const double cur = advance(c.s0, i * h, c.drive, c.params);
      quad_s += 0.5 * h * (prev + cur);
      quad_rho += 0.5 * h * (rho(prev, c.params) + rho(cur, c.params));
      prev = cur;
    }
    const Integrals exact = advance_with_integrals(c.s0, c.dt, c.drive, c.params);
    const double tol = 1e-7 * scale(c) * c.params.tau;
    CHECK(std::abs(exact.integral_s - quad_s) <= tol);
    CHECK(std::abs(exact.integral_rho - quad_rho) <= tol);
    if (next_boundary_crossing(c.s0, c.drive, c.params) < c.dt) ++crossing_cases;
  }
  CHECK(crossing_cases >= 10);
}
