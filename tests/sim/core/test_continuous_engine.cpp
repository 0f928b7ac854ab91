#include <doctest/doctest.h>

#include <atomic>
#include <cmath>

#include "tests/engine_fixture.hpp"
#include "models/energy.hpp"
#include "sim/core/continuous_engine.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"

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
