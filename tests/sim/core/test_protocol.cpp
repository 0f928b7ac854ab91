#include <doctest/doctest.h>

#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("phases: clamps carry over until changed, a nudge lasts one phase") {
  const Config cfg = test::config_from(R"(
populations:
  x: {role: input, size: 2}
  h: {role: hidden, size: 3}
  y: {role: output, size: 2}
projections: [{from: x, to: h}, {from: h, to: y}]
protocol:
  phases:
    - {name: settle, duration: 1 ms, clamp: {x: [0.1, -0.2]}}
    - {name: nudge, duration: 1 ms, nudge: {y: {target: [0.3, 0.4], beta: 0.5}}}
    - {name: release, duration: 1 ms}
    - {name: change, duration: 1 ms, clamp: {x: 0.25}}
)");
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> d = resolve_phases(cfg, net);
  REQUIRE(d.size() == 4);
  const std::vector<std::uint8_t> x_only{1, 1, 0, 0, 0, 0, 0};
  for (std::size_t ph = 0; ph < 4; ++ph) {
    CAPTURE(ph);
    CHECK(d[ph].clamped == x_only);  // x stays clamped in every phase
    const double x0 = ph < 3 ? 0.1 : 0.25, x1 = ph < 3 ? -0.2 : 0.25;
    CHECK(d[ph].clamp_value[0] == x0);
    CHECK(d[ph].clamp_value[1] == x1);
    // Only the nudge phase nudges, and only y.
    const std::vector<double> beta =
        ph == 1 ? std::vector<double>{0, 0, 0, 0, 0, 0.5, 0.5} : std::vector<double>(7, 0.0);
    const std::vector<double> target =
        ph == 1 ? std::vector<double>{0, 0, 0, 0, 0, 0.3, 0.4} : std::vector<double>(7, 0.0);
    CHECK(d[ph].beta == beta);
    CHECK(d[ph].target == target);
  }
}
