#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "sim/core/interrupt.hpp"
#include "sim/core/network.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {
const char* const kTwoPops = R"(
populations:
  a: {role: input, size: 200}
  b: {role: hidden, size: 300}
projections:
  - {from: a, to: b, connectivity: {random: 0.1}, weights: {normal: [0.0, 0.2]}}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)";
}

TEST_CASE("random connectivity has the binomial number of synapses and N(mu, sd) weights") {
  const Network net = build_network(test::config_from(kTwoPops));
  const Projection& p = net.projections[0];
  // Binomial(60000, 0.1): mean 6000, sd = sqrt(60000 * 0.1 * 0.9) ~ 73.5; allow 5 sd.
  CHECK(std::abs(double(p.synapse_count()) - 6000.0) < 5 * 73.5);
  double sum = 0, sum2 = 0;
  for (float w : p.weight) sum += w, sum2 += double(w) * w;
  const double n = double(p.weight.size()), mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::abs(mean) < 5 * 0.2 / std::sqrt(n));   // 5 standard errors
  CHECK(sd == doctest::Approx(0.2).epsilon(0.05));  // sd of the sd ~ 0.2/sqrt(2n) ~ 0.9 %
  // CSR invariants: row pointers non-decreasing, targets ascending and in range within a row.
  for (std::uint32_t j = 0; j < 200; ++j)
    for (std::uint64_t k = p.row_ptr[j]; k + 1 < p.row_ptr[j + 1]; ++k) CHECK(p.tgt_index[k] < p.tgt_index[k + 1]);
  CHECK(p.row_ptr.back() == p.synapse_count());
  // Asymmetric under the default Eq. 8 symmetrisation: half weight both ways.
  CHECK(p.gain_forward == 0.5);
  CHECK(p.gain_backward == 0.5);
}

TEST_CASE("fixed in-degree gives every target exactly k distinct sources, without self-connections") {
  const Network net = build_network(test::config_from(R"(
populations: {a: {role: hidden, size: 50}}
projections: [{from: a, to: a, connectivity: {fixed_indegree: 7}, weights: 0.1}]
protocol: {phases: [{duration: 1 ms}]}
)"));
  const Projection& p = net.projections[0];
  std::map<std::uint32_t, std::set<std::uint32_t>> sources;
  for (std::uint32_t j = 0; j < 50; ++j)
    for (std::uint64_t k = p.row_ptr[j]; k < p.row_ptr[j + 1]; ++k) {
      CHECK(p.tgt_index[k] != j);
      sources[p.tgt_index[k]].insert(j);
    }
  REQUIRE(sources.size() == 50);
  for (const auto& [i, s] : sources) CHECK(s.size() == 7);
}

TEST_CASE("a symmetric recurrent projection stores each pair once and acts in both directions") {
  const Network net = build_network(test::config_from(R"(
populations: {a: {role: hidden, size: 6}}
projections: [{from: a, to: a, connectivity: all_to_all, weights: {uniform: [-1, 1]}, symmetric: true}]
protocol: {phases: [{duration: 1 ms}]}
)"));
  const Projection& p = net.projections[0];
  CHECK(p.synapse_count() == 15);  // 6 * 5 / 2 unordered pairs
  CHECK(p.gain_forward == 1.0);
  CHECK(p.gain_backward == 1.0);
  // The effective W, built from the coupling view, is symmetric with zero diagonal.
  std::vector<double> W(36, 0.0);
  for (std::uint32_t j = 0; j < 6; ++j) {
    std::vector<double> e(6, 0.0), out(6, 0.0);
    e[j] = 1.0;
    models::add_synaptic_input(net.coupling(), e, out);
    for (std::uint32_t i = 0; i < 6; ++i) W[i * 6 + j] = out[i];
  }
  for (std::uint32_t i = 0; i < 6; ++i) {
    CHECK(W[i * 6 + i] == 0.0);
    for (std::uint32_t j = 0; j < 6; ++j) CHECK(W[i * 6 + j] == W[j * 6 + i]);
  }
}

TEST_CASE(
    "glorot weights are uniform on +-gain sqrt(6 / (fan_in + fan_out)): bound, extremes and spread; one_to_one and "
    "explicit lists") {
  const Network net = build_network(test::config_from(R"(
populations:
  a: {role: input, size: 100}
  b: {role: hidden, size: 100}
  c: {role: output, size: 3}
projections:
  - {from: a, to: b, weights: {glorot: 2.0}}
  - {name: diag, from: a, to: b, connectivity: one_to_one, weights: 0.25}
  - {from: b, to: c, connectivity: {explicit: [[0, 2, 0.5], [9, 0, -1.5]]}}
protocol: {phases: [{duration: 1 ms, clamp: {a: 0}}]}
)"));
  const std::vector<float>& w = net.projections[0].weight;
  REQUIRE(w.size() == 10000);
  const double limit = 2.0 * std::sqrt(6.0 / 200.0);  // L = gain sqrt(6 / (100 + 100)) = 0.346
  double largest = 0.0, sum2 = 0.0;
  for (float v : w) {
    CHECK(std::abs(v) <= limit * (1 + 1e-7));  // float rounding of a value drawn in [-L, L]
    largest = std::max(largest, double(std::abs(v)));
    sum2 += double(v) * v;
  }
  // The extremes reach the bound: |w| ~ U(0, L), so P(max |w| < L (1 - 0.002)) = 0.998^10000 = 2e-9.
  CHECK(largest > limit * (1 - 0.002));
  // The spread: E w^2 = L^2 / 3, and Var w^2 = L^4/5 - L^4/9 = 4 L^4 / 45, so the mean of n = 10^4
  // squares has relative sd sqrt(4/45 / n) / (1/3) = sqrt(0.8 / n) = 0.0089; allow 5 sd (4.5 %). A
  // gain off by 10 % moves it by 21 %.
  CHECK(sum2 / double(w.size()) == doctest::Approx(limit * limit / 3.0).epsilon(5 * std::sqrt(0.8 / 1e4)));
  CHECK(net.projections[1].synapse_count() == 100);
  const WeightTable t = net.weight_table(2);
  REQUIRE(t.weight.size() == 2);
  CHECK(t.pre == std::vector<std::uint64_t>{0, 9});
  CHECK(t.post == std::vector<std::uint64_t>{2, 0});
  CHECK(t.weight == std::vector<double>{0.5, -1.5});
}

TEST_CASE("the same seed builds the same network; another seed builds another") {
  const Network a = build_network(test::config_from(kTwoPops));
  const Network b = build_network(test::config_from(kTwoPops));
  const Network c = build_network(test::config_from(kTwoPops, {"seed=2"}));
  CHECK(a.projections[0].tgt_index == b.projections[0].tgt_index);
  CHECK(a.projections[0].weight == b.projections[0].weight);
  CHECK(a.projections[0].tgt_index != c.projections[0].tgt_index);
}

TEST_CASE("targets are packed to the target population's size: 2 bytes up to 65,536 units, 3 above") {
  const Network small = build_network(test::config_from(kTwoPops));
  CHECK(small.projections[0].tgt_index.width() == 2);
  const char* const wide = R"(
populations:
  a: {role: input, size: 20}
  b: {role: hidden, size: 70000}
projections:
  - {from: a, to: b, connectivity: {random: 0.01}, weights: {normal: [0.0, 0.2]}, delay: {uniform: [1 ms, 2 ms]}}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)";
  const Network net = build_network(test::config_from(wide));
  const Projection& p = net.projections[0];
  CHECK(p.tgt_index.width() == 3);
  // The index costs 3 bytes per synapse, the weight 4 and the delay 1.
  CHECK(p.tgt_index.bytes() < p.synapse_count() * 4);
  // Targets above 65,535 come back whole, in range and ascending within each delay group.
  std::uint64_t high = 0;
  for (std::uint64_t g = 0; g + 1 < p.group_begin.size(); ++g)
    for (std::uint64_t k = p.group_begin[g]; k < p.group_begin[g + 1]; ++k) {
      CHECK(p.tgt_index[k] < 70000);
      high += p.tgt_index[k] >= 65536 ? 1 : 0;
      if (k + 1 < p.group_begin[g + 1]) CHECK(p.tgt_index[k] < p.tgt_index[k + 1]);
    }
  // 20 x 4,464 pairs at p = 0.01: mean 893 high targets, sd 30; anything near it shows the third byte.
  CHECK(high > 700);
}

TEST_CASE("building a network stops with Interrupted once the stop flag is set, and not before") {
  const char* const large = R"(
populations:
  a: {role: input, size: 2000}
  b: {role: hidden, size: 1000}
projections:
  - {from: a, to: b, connectivity: all_to_all, weights: {normal: [0.0, 0.2]}}
  - {from: a, to: b, name: sparse, connectivity: {fixed_indegree: 2000}}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)";
  const Config cfg = test::config_from(large);
  std::atomic<bool> stop{true};
  CHECK_THROWS_AS(build_network(cfg, &stop), Interrupted);
  Config indegree_only = cfg;
  indegree_only.projections.erase(indegree_only.projections.begin());
  CHECK_THROWS_AS(build_network(indegree_only, &stop), Interrupted);
  stop = false;
  const Network net = build_network(cfg, &stop);
  CHECK(net.projections[0].synapse_count() == 2'000'000);
  CHECK(net.projections[1].synapse_count() == 2'000'000);
}

TEST_CASE("fixed in-degree as large as the source population builds in linear time, every source once") {
  // Floyd's sampling with a linear membership test took k^2 / 2 comparisons per target: minutes
  // for k near 1e5 and a few dozen targets.
  const Config cfg = test::config_from(R"(
populations:
  a: {role: input, size: 100000}
  b: {role: hidden, size: 30}
projections:
  - {from: a, to: b, connectivity: {fixed_indegree: 100000}}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)");
  const auto start = std::chrono::steady_clock::now();
  const Network net = build_network(cfg);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 20.0);
  const Projection& p = net.projections[0];
  REQUIRE(p.synapse_count() == 3'000'000);
  for (std::uint32_t j = 0; j < 100000; j += 9973) CHECK(p.row_ptr[j + 1] - p.row_ptr[j] == 30);
}

TEST_CASE("the connectivity's bytes are its arrays: 6 per synapse forward, 6 more for the transposed index") {
  // Directed: row pointers (8 bytes per source + 1) and, per synapse, a 16-bit target (300 units)
  // and a float weight. Random connectivity reserves its arrays for the binomial mean + 6 sd + 16 synapses (no
  // regrowth while it draws): what is held beyond the synapses is at most that margin.
  const std::string directed = std::string(kTwoPops) + "model: {asymmetric_weights: directed}\n";
  const Network net = build_network(test::config_from(directed));
  const std::uint64_t n = net.synapse_count();
  const double reserved = 60000 * 0.1 + 6 * std::sqrt(60000 * 0.1 * 0.9) + 16;
  CHECK(net.connectivity_bytes() >= 6 * n + 8 * 201);
  CHECK(double(net.connectivity_bytes()) <= 6 * std::max(reserved, double(n)) + 8 * 201);
  // Symmetric projections act backward too: the spiking engine's transposed index adds a 16-bit
  // source (200 units) and a 32-bit position per synapse, and column pointers.
  const Network both = build_network(test::config_from(R"(
engine: {kind: spiking}
populations:
  a: {role: input, size: 200}
  b: {role: hidden, size: 300}
projections:
  - {from: a, to: b, connectivity: {random: 0.1}, symmetric: true}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)"));
  const std::uint64_t m = both.synapse_count();
  CHECK(both.connectivity_bytes() >= 12 * m + 8 * 201 + 8 * 301);
  CHECK(double(both.connectivity_bytes()) <= 6 * std::max(reserved, double(m)) + 6 * m + 8 * 201 + 8 * 301);
}

TEST_CASE(
    "a part of the network holds exactly the whole network's synapses onto its units, and from them if walked "
    "backward") {
  // Every builder (random with per-synapse delays, fixed in-degree, all-to-all, one-to-one; recurrent and
  // symmetric random keeps each pair once), directed projections and ones the spiking engine walks
  // backward (symmetric, symmetrised).
  const std::string yaml = R"(
seed: 3
engine: {kind: spiking}
populations:
  a: {role: input, size: 40}
  b: {role: hidden, size: 70}
  c: {role: hidden, size: 25}
  d: {role: hidden, size: 25}
projections:
  - {from: a, to: b, connectivity: {random: 0.3}, weights: {normal: [0, 0.3]}, delay: {uniform: [0.1 ms, 2 ms]}}
  - {from: b, to: b, connectivity: {fixed_indegree: 9}, weights: {normal: [0, 0.2]}, delay: 0.5 ms}
  - {from: b, to: c, connectivity: all_to_all, weights: {uniform: [-0.1, 0.1]}, symmetric: true}
  - {name: bb_sym, from: b, to: b, connectivity: {random: 0.2}, weights: {normal: [0, 0.1]}, symmetric: true}
  - {from: c, to: a, connectivity: all_to_all, weights: {normal: [0, 0.1]}}
  - {from: c, to: d, connectivity: one_to_one, weights: {normal: [0, 0.1]}}
protocol:
  phases: [{duration: 1 ms, clamp: {a: 0}}]
)";
  for (const char* asym : {"directed", "symmetrise"}) {
    CAPTURE(asym);
    const Config cfg = test::config_from(yaml + "model: {asymmetric_weights: " + asym + "}\n");
    const Network whole = build_network(cfg);
    std::uint64_t onto = 0;
    for (const UnitRange keep : {UnitRange{0, 50}, UnitRange{50, 101}, UnitRange{101, 160}}) {
      CAPTURE(keep.lo);
      const Network part = build_network(cfg, nullptr, keep);
      CHECK_THROWS_AS(part.weight_table(0), std::logic_error);  // nothing may read it as the whole
      onto += part.synapses_onto(keep);
      REQUIRE(part.projections.size() == whole.projections.size());
      for (std::size_t k = 0; k < whole.projections.size(); ++k) {
        const Projection &w = whole.projections[k], &p = part.projections[k];
        const std::uint32_t src_off = whole.populations[w.source].offset, tgt_off = whole.populations[w.target].offset;
        const bool backward = w.gain_backward != 0.0;
        CHECK(p.max_delay_step == w.max_delay_step);
        REQUIRE(p.row_ptr.size() == w.row_ptr.size());
        for (std::size_t j = 0; j + 1 < w.row_ptr.size(); ++j) {
          std::vector<std::uint32_t> tgt;
          std::vector<float> weight;
          std::vector<std::uint8_t> delay;
          for (std::uint64_t s = w.row_ptr[j]; s < w.row_ptr[j + 1]; ++s)
            if (keep.holds(tgt_off + w.tgt_index[s]) || (backward && keep.holds(src_off + std::uint32_t(j)))) {
              tgt.push_back(w.tgt_index[s]);
              weight.push_back(w.weight[s]);
              if (!w.delay_step.empty()) delay.push_back(w.delay_step[s]);
            }
          const auto b = std::ptrdiff_t(p.row_ptr[j]), e = std::ptrdiff_t(p.row_ptr[j + 1]);
          CHECK(p.tgt_index.unpack(b, e) == tgt);
          CHECK(std::vector<float>(p.weight.begin() + b, p.weight.begin() + e) == weight);
          if (!w.delay_step.empty())
            CHECK(std::vector<std::uint8_t>(p.delay_step.begin() + b, p.delay_step.begin() + e) == delay);
        }
        CHECK(p.col_ptr.empty() == w.col_ptr.empty());  // the transposed index where walked backward
      }
    }
    CHECK(onto == whole.synapse_count());  // the parts' own synapses are the whole network's, once
  }
}
