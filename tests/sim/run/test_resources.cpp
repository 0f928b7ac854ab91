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
  // Each synapse: a 16-bit index (500 targets) and a float weight (6 bytes), and the transposed
  // index the spiking engine needs to act backward (symmetric, or symmetrised by default): a 16-bit
  // source (1,000 or 500 sources) and a 32-bit position (6 bytes).
  CHECK(e.synapse_bytes >= 12 * e.synapses);
  CHECK(e.synapse_bytes < 13 * e.synapses);
  CHECK(e.memory_bytes >= e.synapse_bytes + e.unit_bytes);
}

namespace {
// 1000 spiking units at up to 100 Hz for 1 s, nothing recorded.
const std::string kThousandUnits = R"(
model: {r_max: 100 Hz}
engine: {kind: spiking}
populations:
  h: {role: hidden, size: 1000}
protocol:
  phases: [{duration: 1000 ms}]
)";
}  // namespace

TEST_CASE("the estimated output grows with the recording: states sampled, trials, spikes at r_max") {
  const std::string& base = kThousandUnits;
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

TEST_CASE("with threads the estimate counts what runs side by side and what waits for the writer") {
  const std::vector<std::string> recorded = {"protocol.trials=8", "record.spikes={populations: [h]}",
                                             "record.rates={populations: all, bin: 10 ms}"};
  auto with = [&](const std::string& more) {
    std::vector<std::string> overrides = recorded;
    if (!more.empty()) overrides.push_back(more);
    return test::config_from(kThousandUnits, overrides);
  };
  const Config cfg = with("");
  const ResourceEstimate one = estimate_resources(cfg), two = estimate_resources(cfg, 2);
  // Independent trials on 2 threads: 8 ranges (4 per thread), 2 engines at once, each with its own
  // unit state and binned rates over all trials, and up to the whole output held for the writer.
  CHECK(trial_ranges(cfg, 1) == 1);
  CHECK(trial_ranges(cfg, 2) == 8);
  CHECK(trial_ranges(cfg, 3) == 8);  // at most one range per trial
  CHECK(two.memory_bytes ==
        doctest::Approx(one.memory_bytes + 2 * (one.unit_bytes + one.recording_bytes) + one.output_bytes));
  CHECK(two.output_bytes == one.output_bytes);

  // Plastic weights: the trials depend on each other and stay on one engine.
  const Config plastic = with("projections=[{from: h, to: h, connectivity: {random: 0.01}, plasticity: {lr: 0.01}}]");
  CHECK(trial_ranges(plastic, 2) == 1);
  CHECK(estimate_resources(plastic, 2).memory_bytes == doctest::Approx(estimate_resources(plastic).memory_bytes));

  // A sweep of 3 runs on 2 threads: 2 runs at once (one thread each: no ranges) and up to 3
  // finished runs' output (2 x jobs, at most the runs) waiting for the writer.
  const Config sweep = with("sweep={replicates: 3}");
  const ResourceEstimate s1 = estimate_resources(sweep), s2 = estimate_resources(sweep, 2);
  CHECK(s1.output_bytes == doctest::Approx(3 * one.output_bytes).epsilon(1e-3));
  CHECK(s1.memory_bytes == doctest::Approx(one.memory_bytes));
  const double run_output = s1.output_bytes / 3;  // the replicates' outputs differ only in their seeds
  CHECK(s2.memory_bytes == doctest::Approx(2 * one.memory_bytes + 3 * run_output).epsilon(1e-3));

  // Over 2 processes with one thread each, a process may hold finished runs up to the writer's
  // window (2 x 1 thread x 2 processes = 4 runs of the 6) until the writer asks for them.
  const Config six = with("sweep={replicates: 6}");
  const ResourceEstimate r2 = estimate_resources(six, 1, 1, 2);
  CHECK(r2.memory_bytes == doctest::Approx(one.memory_bytes + 4 * run_output).epsilon(1e-3));
}

TEST_CASE("one network over partitions and ranks: each partition's unit state, each rank's share of the synapses") {
  std::string directed = kThousandUnits;
  directed.replace(directed.find("r_max: 100 Hz}"), 14, "r_max: 100 Hz, asymmetric_weights: directed}");
  const Config cfg = test::config_from(directed + R"(
projections: [{from: h, to: h, connectivity: {random: 0.2}}]
record: {weights: false}
)");
  REQUIRE(network_divides(cfg));
  const ResourceEstimate one = estimate_resources(cfg);
  // --threads 3: the partitions divide the engine state (152 bytes per unit) among them, and each
  // holds 8 bytes per presynaptic row (1,000 rows) for its share of the rows.
  const ResourceEstimate three = estimate_resources(cfg, 1, 3);
  CHECK(three.unit_bytes == doctest::Approx(one.unit_bytes + 3 * 8 * 1000));
  CHECK(three.memory_bytes == doctest::Approx(one.memory_bytes + 3 * 8 * 1000));
  // 4 ranks: a directed projection's synapses are held once, by their target's rank, and each
  // rank holds a quarter of the engine state.
  const ResourceEstimate four = estimate_resources(cfg, 1, 1, 4);
  CHECK(four.synapse_bytes == doctest::Approx(one.synapse_bytes / 4));
  CHECK(four.unit_bytes == doctest::Approx(one.unit_bytes - 0.75 * 152 * 1000 + 8 * 1000));
  CHECK(four.memory_bytes ==
        doctest::Approx(one.memory_bytes - 0.75 * one.synapse_bytes - 0.75 * 152 * 1000 + 8 * 1000));
  // Symmetrised, a synapse is held by both its units' ranks: at most twice the share.
  const Config both = test::config_from(kThousandUnits + R"(
projections: [{from: h, to: h, connectivity: {random: 0.2}}]
record: {weights: false}
)");
  CHECK(estimate_resources(both, 1, 1, 4).synapse_bytes == doctest::Approx(estimate_resources(both).synapse_bytes / 2));
  // Weights written: rank 0 gathers them (sim/core/weight_gather.hpp); the network still divides.
  const Config written =
      test::config_from(kThousandUnits + "projections: [{from: h, to: h, connectivity: {random: 0.2}}]\n");
  CHECK(network_divides(written));
  CHECK(network_kept_whole(written).empty());
  // Over 4 ranks, rank 0 gathers the projection to write it: 16 bytes per synapse (0.2 x 1000 x
  // 999 expected) beside the table, which one process writes too.
  const ResourceEstimate w1 = estimate_resources(written), w4 = estimate_resources(written, 1, 1, 4);
  CHECK(w4.transient_bytes == doctest::Approx(w1.transient_bytes + 16 * 0.2 * 1000 * 999));
  // Plasticity: every rank holds the whole network, and says why.
  const Config plastic = test::config_from(kThousandUnits + R"(
projections: [{from: h, to: h, connectivity: {random: 0.2}, plasticity: {lr: 0.1}}]
)");
  CHECK_FALSE(network_divides(plastic));
  CHECK(network_kept_whole(plastic) == "plasticity (every rank keeps every weight)");
  CHECK(estimate_resources(plastic, 1, 1, 4).synapse_bytes ==
        doctest::Approx(estimate_resources(plastic).synapse_bytes));
  const Config theory = test::config_from(kThousandUnits + R"(
projections: [{from: h, to: h, connectivity: {random: 0.2}}]
record: {weights: false, rates: {populations: all, theory: true}}
)");
  CHECK(network_kept_whole(theory) == "the mean-field theory (record.rates.theory) runs the whole network");
}
