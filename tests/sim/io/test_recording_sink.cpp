#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "sim/io/memory_sink.hpp"
#include "sim/io/recording_sink.hpp"
#include "tests/support.hpp"

using ebsim::MemorySink;
using ebsim::RecordingSink;
using ebsim::test::example_metadata;

namespace {

// The same calls into a recording sink and straight into a memory sink: many small appends, two
// spiking populations and a report interleaved, then a new scope.
template <class S>
void feed(S& sink, int pieces) {
  sink.set_scope("/sweep/0");
  sink.declare_spikes("a");
  sink.declare_spikes("b");
  sink.declare_report("a", 3, 0.0, 1.0);
  for (int k = 0; k < pieces; ++k) {
    const double t = k;
    sink.append_spikes("a", std::vector<double>{t, t + 0.5}, std::vector<std::uint64_t>{std::uint64_t(k % 3), 2});
    sink.append_spikes("b", std::vector<double>{t + 0.25}, std::vector<std::uint64_t>{std::uint64_t(k)});
    sink.append_report("a", std::vector<float>{float(k), float(k) + 0.5f, -float(k)});
  }
  sink.set_scope("/sweep/1");  // the same names in another scope: nothing joins across it
  sink.declare_spikes("a");
  sink.append_spikes("a", std::vector<double>{7.0}, std::vector<std::uint64_t>{1});
  sink.append_spikes("a", std::vector<double>{8.0}, std::vector<std::uint64_t>{0});
}

}  // namespace

TEST_CASE("a recording sink joins small appends to one dataset and replays what the calls gave") {
  for (const int pieces : {1, 5, 70000}) {  // 70,000 x 2 spikes of `a`: more than one joined piece
    CAPTURE(pieces);
    RecordingSink rec;
    feed(rec, pieces);
    MemorySink direct, replayed;
    direct.begin_run(example_metadata());
    replayed.begin_run(example_metadata());
    feed(direct, pieces);
    // Joined: a handful of calls, not three per piece (scopes, declarations, and pieces of at most
    // 2^16 elements once they would grow: 140,000 spikes of `a` fill at most 3).
    CHECK(rec.calls() <= 15);
    rec.replay(replayed);
    CHECK(rec.calls() == 0);
    REQUIRE(replayed.spikes.size() == direct.spikes.size());
    for (const auto& [key, spikes] : direct.spikes) {
      CAPTURE(key);
      CHECK(replayed.spikes.at(key).times_ms == spikes.times_ms);
      CHECK(replayed.spikes.at(key).node_ids == spikes.node_ids);
    }
    CHECK(replayed.spikes.at("/sweep/1/a").times_ms == std::vector<double>{7.0, 8.0});
    REQUIRE(replayed.reports.size() == 1);
    CHECK(replayed.reports.at("/sweep/0/a").rows == direct.reports.at("/sweep/0/a").rows);
    CHECK(replayed.reports.at("/sweep/0/a").rows.size() == std::size_t(pieces));
  }
}

TEST_CASE("what a recording sink records after a replay waits for the next one") {
  RecordingSink rec;
  rec.set_scope("/sweep/0");
  rec.declare_spikes("a");
  rec.append_spikes("a", std::vector<double>{1.0}, std::vector<std::uint64_t>{0});
  MemorySink sink;
  sink.begin_run(example_metadata());
  rec.replay(sink);
  // Not joined to the append already handed over: it comes with the next replay, once.
  rec.append_spikes("a", std::vector<double>{2.0}, std::vector<std::uint64_t>{1});
  CHECK(rec.calls() == 1);
  rec.replay(sink);
  CHECK(sink.spikes.at("/sweep/0/a").times_ms == std::vector<double>{1.0, 2.0});
  CHECK(sink.spikes.at("/sweep/0/a").node_ids == std::vector<std::uint64_t>{0, 1});
}

TEST_CASE("a recording sink replays report rows of another width as the calls gave them") {
  // Rows of one population but another width are not joined (a downstream sink rejects the bad
  // row, not a garbled split of both): this sink takes any width and keeps the widths it saw.
  struct Widths final : ebsim::Sink {
    std::vector<std::size_t> widths;
    void begin_run(const ebsim::RunMetadata&) override {}
    void set_scope(const std::string&) override {}
    void declare_report(const std::string&, std::uint32_t, double, double) override {}
    void append_report(const std::string&, std::span<const float> row) override { widths.push_back(row.size()); }
    void declare_spikes(const std::string&) override {}
    void append_spikes(const std::string&, std::span<const double>, std::span<const std::uint64_t>) override {}
    void write_weights(const std::string&, const ebsim::WeightTable&) override {}
    void write_array(const std::string&, std::span<const double>, std::vector<std::uint64_t>) override {}
    void write_attribute(const std::string&, const std::string&, const ebsim::AttributeValue&) override {}
    void end_run(bool) override {}
  } sink;
  RecordingSink rec;
  rec.append_report("a", std::vector<float>{1, 2, 3});
  rec.append_report("a", std::vector<float>{4, 5, 6});
  rec.append_report("a", std::vector<float>{7, 8});
  rec.append_report("a", std::vector<float>{9, 10});
  rec.replay(sink);
  CHECK(sink.widths == std::vector<std::size_t>{3, 3, 2, 2});
}

TEST_CASE("an append after unpacked calls comes after them, not joined to an earlier append") {
  RecordingSink rec, other;
  rec.set_scope("/sweep/0");
  rec.declare_spikes("a");
  rec.append_spikes("a", std::vector<double>{1.0}, std::vector<std::uint64_t>{0});
  other.set_scope("/sweep/1");
  other.declare_spikes("a");
  other.append_spikes("a", std::vector<double>{2.0}, std::vector<std::uint64_t>{1});
  rec.unpack(other.pack());
  rec.append_spikes("a", std::vector<double>{3.0}, std::vector<std::uint64_t>{2});  // in /sweep/1's scope
  MemorySink sink;
  sink.begin_run(example_metadata());
  rec.replay(sink);
  CHECK(sink.spikes.at("/sweep/0/a").times_ms == std::vector<double>{1.0});
  CHECK(sink.spikes.at("/sweep/1/a").times_ms == std::vector<double>{2.0, 3.0});
}
