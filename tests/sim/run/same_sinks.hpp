#pragma once
// What the sweep tests share: a small spiking network, and two MemorySinks compared exactly, to
// prove that the file does not depend on the number of jobs or processes.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "sim/io/memory_sink.hpp"

namespace ebsim::test {

// A small spiking network with several trials: every run draws spikes, so any dependence on the
// processing order or the thread would show.
inline const std::string kSpiking = R"(
seed: 11
model: {beta1: -0.5, tau: 10 ms, r_max: 400 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {glorot: 0.5}, symmetric: true, delay: 1 ms}
  - {from: h, to: y, weights: {glorot: 0.5}, symmetric: true, delay: 1 ms}
protocol:
  trials: 3
  phases: [{name: on, duration: 40 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}]
record:
  rates: {populations: all, bin: 20 ms, theory: true, theory_dt: 0.1 ms}
  spikes: {populations: all}
  states: {populations: [h], period: 1 ms}
)";

// Every dataset, report, spike train, weight table and attribute, compared exactly.
inline void require_same(const MemorySink& a, const MemorySink& b) {
  REQUIRE(a.arrays.size() == b.arrays.size());
  for (const auto& [path, arr] : a.arrays) {
    CAPTURE(path);
    REQUIRE(b.arrays.count(path));
    CHECK(b.arrays.at(path).shape == arr.shape);
    // Bitwise, NaN included.
    CHECK(std::memcmp(arr.data.data(), b.arrays.at(path).data.data(), arr.data.size() * sizeof(double)) == 0);
  }
  REQUIRE(a.reports.size() == b.reports.size());
  for (const auto& [name, rep] : a.reports) CHECK(b.reports.at(name).rows == rep.rows);
  REQUIRE(a.spikes.size() == b.spikes.size());
  for (const auto& [name, sp] : a.spikes) {
    CHECK(b.spikes.at(name).times_ms == sp.times_ms);
    CHECK(b.spikes.at(name).node_ids == sp.node_ids);
  }
  REQUIRE(a.weights.size() == b.weights.size());
  for (const auto& [label, tables] : a.weights)
    for (const auto& [proj, t] : tables) CHECK(b.weights.at(label).at(proj).weight == t.weight);
  CHECK(a.attributes == b.attributes);
}

}  // namespace ebsim::test
