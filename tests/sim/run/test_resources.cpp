#include <doctest/doctest.h>

#include "sim/run/resources.hpp"
#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("the estimate counts the synapses each connectivity makes and the bytes they take") {
  const Config cfg = test::config_from(R"(
engine: {kind: spiking}
populations:
  a: {role: input, size: 1000}
  b: {role: hidden, size: 500}
projections:
  - {from: a, to: b, connectivity: all_to_all, symmetric: true}
  - {from: b, to: b, connectivity: {random: 0.1}}
  - {from: a, to: b, name: k, connectivity: {fixed_indegree: 20}}
protocol:
  phases: [{duration: 100 ms, clamp: {a: 0}}]
)");
  const ResourceEstimate e = estimate_resources(cfg);
  // 1000 x 500 + 0.1 x 500 x 499 + 20 x 500
  CHECK(e.synapses == doctest::Approx(500000 + 24950 + 10000));
  // Each synapse: index and weight (8 bytes), and the transposed index (8) the spiking engine
  // needs to act backward (symmetric, or symmetrised by default).
  CHECK(e.synapse_bytes >= 16 * e.synapses);
  CHECK(e.synapse_bytes < 17 * e.synapses);
  CHECK(e.memory_bytes >= e.synapse_bytes + e.unit_bytes);
}

TEST_CASE("the estimated output grows with the recording: states sampled, trials, spikes at r_max") {
  const std::string base = R"(
model: {r_max: 100 Hz}
engine: {kind: spiking}
populations:
  h: {role: hidden, size: 1000}
protocol:
  phases: [{duration: 1000 ms}]
)";
  const double none = estimate_resources(test::config_from(base)).output_bytes;
  // 1001 samples of 1000 float32 states.
  const double states =
      estimate_resources(test::config_from(base + "record: {states: {populations: all, period: 1 ms}}\n")).output_bytes;
  // (The resolved config, stored in the file, grows by a few bytes too.)
  CHECK(states - none == doctest::Approx(4.0 * 1001 * 1000).epsilon(1e-4));
  // At most 100 spikes per unit per second, 16 bytes each.
  const double spikes =
      estimate_resources(test::config_from(base + "record: {spikes: {populations: [h]}}\n")).output_bytes;
  CHECK(spikes - none == doctest::Approx(16.0 * 100 * 1000).epsilon(1e-4));
}

TEST_CASE("sizes are read and written with their units") {
  CHECK(parse_bytes("500MB") == 5e8);
  CHECK(parse_bytes("2 GB") == 2e9);
  CHECK(parse_bytes("1.5TiB") == 1.5 * 1099511627776.0);
  CHECK(parse_bytes("4096") == 4096);
  CHECK(parse_bytes("lots") < 0);
  CHECK(parse_bytes("5 parsecs") < 0);
  CHECK(format_bytes(1.5e12) == "1.5 TB");
  CHECK(format_bytes(999) == "999 B");
}
