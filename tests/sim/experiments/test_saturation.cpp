// Issue 5: the paper's saturation predictions (§4), as assertions on measured quantities.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/support.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/experiments/saturation.hpp"

using namespace ebsim;

TEST_CASE("saturation: input ignored, leak back with tau, rate r_max or 0, weight change only with the state derivative") {
  const Config cfg = test::config_file(test::source_dir() + "/configs/saturation.yaml", {"experiment.trials=10"});
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  const SaturationResult r = run_saturation(cfg, sink, RunOptions{});
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  REQUIRE(r.sides.size() == 2);
  for (const SaturationSide& s : r.sides) {
    CAPTURE(s.side);
    // (a) rho'(s) = 0: the presynaptic drive (rates 0 to r_max) leaves no trace on the state.
    CHECK(s.max_input_effect <= 1e-12);
    // (a) s(t) = s0 e^{-t/tau} while saturated (section 2.3.1): the fit returns tau to round-off.
    CHECK(s.fitted_tau_ms == doctest::Approx(cfg.model.tau_ms).epsilon(1e-9));
    // (b) rate_derivative: rho does not change while saturated, so no weight change at all.
    CHECK(s.dw_rate == 0.0);
    // (b) state_derivative (Eq. 26 as written): the state decays toward 0, so weights move, down
    // above beta2 and up below beta1; the mean is > 4 SEM from 0.
    CHECK(std::abs(s.dw_state) > 4 * s.dw_state_sem);
    CHECK((s.side == "above_beta2" ? s.dw_state < 0 : s.dw_state > 0));
  }
  // (a) the rate while saturated: r_max above (Poisson count: allow 4 sd), exactly 0 below.
  const SaturationSide& above = r.sides[0];
  const double expected = cfg.model.r_max_hz / 1000.0 * above.saturated_ms * above.runs;
  CHECK(std::abs(above.rate_hz / 1000.0 * above.saturated_ms * above.runs - expected) < 4 * std::sqrt(expected));
  CHECK(r.sides[1].rate_hz == 0.0);
}
