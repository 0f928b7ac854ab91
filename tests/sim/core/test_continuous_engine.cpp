#include <doctest/doctest.h>

#include <atomic>
#include <cmath>

#include "models/energy.hpp"
#include "sim/core/continuous_engine.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "tests/engine_fixture.hpp"

using namespace ebsim;

namespace {
using Setup = test::EngineFixture<ContinuousEngine>;

const char* const kOneUnit = R"(
model: {beta1: -0.5, tau: 10 ms}
engine: {dt: 0.1 ms}
populations: {u: {role: hidden, size: 1, bias: 3.0, initial: 0.0}}
protocol: {phases: [{duration: 100 ms}]}
)";
}  // namespace

TEST_CASE("settling reaches a fixed point where Eq. 10 holds, with inputs held at x") {
  Setup s(test::kSmallNet);
  REQUIRE(s.engine.advance_until_settled(2000.0, 1e-12));
  const auto st = s.engine.state();
  CHECK(st[0] == 0.3);
  CHECK(st[1] == -0.2);
  CHECK(st[2] == 0.1);
  std::vector<double> r(s.net.n_units);
  models::drive(st, s.net.coupling(), s.net.bias, s.cfg.model.rate, r);
  for (std::uint32_t i = 3; i < s.net.n_units; ++i) CHECK(std::abs(r[i] - st[i]) < 1e-11);
  CHECK(s.engine.residual() < 1e-12);
}

TEST_CASE("a saturated unit decays as (1 - eps) s whatever its input (section 2.3.1)") {
  Setup s(kOneUnit, {"populations.u.initial=2.0"});
  const double eps = s.engine.eps();
  CHECK(eps == doctest::Approx(0.01));
  double expected = 2.0;
  for (int k = 0; k < 50; ++k) {  // above beta2 = 0.5 for these 50 steps: 2 * 0.99^50 ~ 1.2
    s.engine.step();
    expected *= 1.0 - eps;
    CHECK(s.engine.state()[0] == doctest::Approx(expected).epsilon(1e-14));
  }
}

TEST_CASE("with a drive beyond beta2 the default map holds the unit exactly at beta2 and says so") {
  Setup s(kOneUnit);
  s.engine.advance_to(100.0);
  CHECK(s.engine.state()[0] == 0.5);
  const auto counts = s.engine.boundary_counts();
  CHECK(counts[0].held_high == 1);
  CHECK(counts[0].chattering == 0);
  CHECK(s.engine.residual() == 0.0);  // a sliding fixed point
}

TEST_CASE("the literal map chatters around beta2 and the chattering is reported, not hidden") {
  Setup s(kOneUnit, {"engine.boundary=literal"});
  CHECK_FALSE(s.engine.advance_until_settled(100.0, 1e-9));
  CHECK(std::abs(s.engine.state()[0] - 0.5) < 0.05);
  CHECK(s.engine.boundary_counts()[0].chattering == 1);
  CHECK(s.engine.boundary_counts()[0].held_high == 0);
}

TEST_CASE("with a drive below beta1 the unit slides at beta1") {
  Setup s(kOneUnit, {"populations.u.bias=-2.0"});
  s.engine.advance_to(100.0);
  CHECK(s.engine.state()[0] == -0.5);
  CHECK(s.engine.boundary_counts()[0].held_low == 1);
}

TEST_CASE("a nudged output with beta = 1 follows y <- y + eps (y* - y) exactly (Eq. 12)") {
  Setup s(test::kSmallNet, {"protocol.phases.0.nudge={y: {target: [0.2, -0.1], beta: 1}}"});
  const double y0 = s.engine.state()[7], y1 = s.engine.state()[8], eps = s.engine.eps();
  s.engine.advance_to(5.0);  // 50 steps
  const double decay = std::pow(1.0 - eps, 50);
  CHECK(s.engine.state()[7] == doctest::Approx(0.2 + (y0 - 0.2) * decay).epsilon(1e-12));
  CHECK(s.engine.state()[8] == doctest::Approx(-0.1 + (y1 + 0.1) * decay).epsilon(1e-12));
}

TEST_CASE("Langevin noise: the same seed and trial repeat bit for bit, another trial differs") {
  Setup a(test::kSmallNet, {"engine.sigma=0.05"});
  Setup b(test::kSmallNet, {"engine.sigma=0.05"});
  a.engine.advance_to(20.0);
  b.engine.advance_to(20.0);
  const std::vector<double> sa(a.engine.state().begin(), a.engine.state().end());
  CHECK(sa == std::vector<double>(b.engine.state().begin(), b.engine.state().end()));
  b.engine.reset(1);
  b.engine.set_phase(b.drives[0]);
  b.engine.advance_to(20.0);
  CHECK(sa != std::vector<double>(b.engine.state().begin(), b.engine.state().end()));
  // The noise moves the state: it differs from the deterministic run.
  Setup c(test::kSmallNet);
  c.engine.advance_to(20.0);
  CHECK(sa != std::vector<double>(c.engine.state().begin(), c.engine.state().end()));
}

namespace {
// N independent pairs x_k -> h_k (one_to_one, w = 0.5): x clamped at -0.2 (rho = 0.3), h free with
// b = 0, starting at its noiseless fixed point w rho(x) = 0.15. With Langevin noise (Eq. 1-2) both
// rates are rho(s + eta), so while every s + eta stays inside [beta1, beta2] (linear range),
//   d_{k+1} = (1 - eps) d_k + eps w eta_k,   d = h - 0.15,  eta_k ~ N(0, sigma^2) from x's stream,
// an AR(1) process with Var d_k = (eps w sigma)^2 (1 - (1 - eps)^{2k}) / (1 - (1 - eps)^2).
// sigma = 0.05 keeps x + eta (margin 0.3) and h + eta (margin 0.35) more than 6 sigma inside: over
// the 8e6 draws below, P(any leaves) < 8e6 * 2e-9 ~ 0.02.
const char* const kLangevinPairs = R"(
seed: 21
model: {beta1: -0.5, tau: 10 ms}
engine: {dt: 0.1 ms, sigma: 0.05}
populations:
  x: {role: input, size: 4000}
  h: {role: hidden, size: 4000, bias: 0.0, initial: 0.15}
projections: [{from: x, to: h, connectivity: one_to_one, weights: 0.5, symmetric: true}]
protocol: {phases: [{duration: 200 ms, clamp: {x: -0.2}}]}
)";
}  // namespace

TEST_CASE("Langevin noise: in the linear range the state variance is the AR(1) variance of the map with sigma") {
  Setup s(kLangevinPairs);
  s.engine.advance_to(100.0);  // k = 1000 steps: (1 - eps)^2000 = 2e-9, the stationary regime
  const double eps = s.engine.eps(), w = 0.5, sigma = 0.05, k = 1000.0;
  const double var = std::pow(eps * w * sigma, 2) * (1.0 - std::pow(1.0 - eps, 2 * k)) / (1.0 - std::pow(1.0 - eps, 2));
  const std::uint32_t n = 4000;
  double sum = 0.0, sum2 = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const double d = s.engine.state()[n + i] - 0.15;
    sum += d;
    sum2 += d * d;
  }
  // The n units are independent (each h_k hears only x_k's noise stream), so sum2 / var ~
  // chi^2_n: mean n, sd sqrt(2n) (n = 4000: the normal approximation is good to the skewness
  // sqrt(8/n) = 0.045). 4.5 sd on either side (two-sided p ~ 7e-6) is a relative 10 %: sigma off by
  // 10 % moves the variance by 21 %, sigma doubled by 300 %.
  CHECK(sum2 / (n * var) == doctest::Approx(1.0).epsilon(4.5 * std::sqrt(2.0 / n)));
  // The noise is centred: the mean deviation is within 4.5 standard errors sqrt(var / n) of 0.
  CHECK(std::abs(sum / n) < 4.5 * std::sqrt(var / n));
}

TEST_CASE("Langevin noise is keyed by unit: a unit's trajectory does not depend on how many other units exist") {
  // Randomness by key (sim/core/random.hpp): unit i's noise comes from the stream of
  // (seed, noise, trial, i). Appending a population leaves the first units' indices, hence their
  // streams and trajectories, unchanged bit for bit; a stream shared in processing order would not.
  const std::string base = R"(
seed: 9
model: {beta1: -0.5, tau: 10 ms}
engine: {dt: 0.1 ms, sigma: 0.1}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 3, bias: 0.05}
)";
  const std::string rest = R"(
projections: [{from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}]
protocol: {phases: [{duration: 20 ms, clamp: {x: [0.2, -0.1, 0.3]}}]}
)";
  Setup small(base + rest);
  Setup large(base + "  z: {role: hidden, size: 50, bias: 0.1}\n" + rest);
  small.engine.advance_to(20.0);
  large.engine.advance_to(20.0);
  for (std::uint32_t i = 0; i < 6; ++i) CHECK(small.engine.state()[i] == large.engine.state()[i]);
  CHECK(small.engine.state()[3] != 0.05);  // the run moved the state
}

TEST_CASE("advance_to and advance_until_settled stop at the next step once the stop flag is set") {
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 0.001 ms}
populations:
  x: {role: input, size: 2}
  h: {role: hidden, size: 3}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol: {phases: [{duration: 1000000 s, clamp: {x: 0.2}}]}
)");
  std::atomic<bool> stop{true};
  s.engine.set_stop_flag(&stop);
  s.engine.advance_to(1e9);  // 1e12 steps if nothing stopped it
  CHECK(s.engine.now() == 0.0);
  CHECK_FALSE(s.engine.advance_until_settled(1e9, 1e-300));
  CHECK(s.engine.now() == 0.0);
  stop = false;
  s.engine.advance_to(1.0);
  CHECK(s.engine.now() == doctest::Approx(1.0));
}
