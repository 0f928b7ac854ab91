#include <doctest/doctest.h>

#include "sim/core/engine_params.hpp"
#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("engine parameters are lowered once (r_max per ms), and each override keeps both units of r_max consistent") {
  const Config cfg = test::config_from(R"(
seed: 77
model: {beta1: -0.4, tau: 20 ms, r_max: 250 Hz}
engine: {kind: continuous, dt: 0.05 ms, sigma: 0.02}
populations:
  h: {role: hidden, size: 3, initial: [0.1, 0.2, 0.3]}
protocol: {phases: [{duration: 1 ms}]}
)");
  const EngineParams p = lower_engine_params(cfg);
  CHECK(p.r_max_hz == 250.0);
  CHECK(p.r_max_per_ms == 0.25);
  CHECK(p.tau_ms == 20.0);
  CHECK(p.dt_ms == 0.05);
  CHECK(p.sigma == 0.02);
  CHECK(p.rate.beta1 == -0.4);
  CHECK(p.seed == 77);
  CHECK(p.initial_state == std::vector<double>{0.1, 0.2, 0.3});
  const EngineParams q = p.with_r_max(4000.0);
  CHECK(q.r_max_hz == 4000.0);
  CHECK(q.r_max_per_ms == 4.0);
  CHECK(q.tau_ms == 20.0);
  const EngineParams k = p.with_kind(EngineKind::spiking).with_dt(0.1).with_sigma(0.0);
  CHECK(k.kind == EngineKind::spiking);
  CHECK(k.dt_ms == 0.1);
  CHECK(k.sigma == 0.0);
  CHECK(k.r_max_per_ms == 0.25);
}
