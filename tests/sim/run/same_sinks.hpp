#pragma once
// Two MemorySinks compared exactly: what the sweep tests use to prove that the file does not depend
// on the number of jobs or processes.
#include <doctest/doctest.h>

#include <cstring>

#include "sim/io/memory_sink.hpp"

namespace ebsim::test {

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
