#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "sim/io/memory_sink.hpp"
#include "sim/io/recording_sink.hpp"
#include "tests/forwarding_sink.hpp"
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

namespace {

// Counts what a recording hands over, into a memory sink (whose chunk calls decode: Sink's default).
struct Counting final : ebsim::test::ForwardingSink {
  std::size_t spike_rows = 0, report_rows = 0, spike_chunks = 0, report_chunks = 0;
  void append_report(const std::string& p, std::span<const float> row) override {
    ++report_rows;
    to.append_report(p, row);
  }
  void append_spikes(const std::string& p, std::span<const double> t, std::span<const std::uint64_t> id) override {
    spike_rows += t.size();
    to.append_spikes(p, t, id);
  }
  void append_report_chunks(const std::string& p, std::uint32_t n,
                            std::span<const ebsim::EncodedChunk> chunks) override {
    report_chunks += chunks.size();
    to.append_report_chunks(p, n, chunks);
  }
  void append_spike_chunks(const std::string& p, std::span<const ebsim::EncodedChunk> t,
                           std::span<const ebsim::EncodedChunk> id) override {
    spike_chunks += t.size();
    to.append_spike_chunks(p, t, id);
  }
};

}  // namespace

TEST_CASE("a recording that encodes hands its datasets over as whole chunks and the rest as rows, the same data") {
  const int pieces = 20000;  // 40,000 spikes of `a` (4 chunks of 8192 and a rest), 20,000 of `b`, 20,000 rows
  MemorySink direct;
  direct.begin_run(example_metadata());
  feed(direct, pieces);
  for (const bool packed : {false, true}) {  // straight, or through another process's message
    CAPTURE(packed);
    RecordingSink rec(true);
    feed(rec, pieces);
    rec.finish_chunks();
    RecordingSink received;
    if (packed) received.unpack(rec.pack());
    Counting sink;
    sink.begin_run(example_metadata());
    (packed ? received : rec).replay(sink);
    CHECK(sink.spike_chunks == 4 + 2);
    CHECK(sink.spike_rows == 7232 + 3616 + 2);  // the rests, and /sweep/1's two (set_scope finished /sweep/0)
    CHECK(sink.report_chunks == 3);             // 20,000 rows of 3 floats, 5461 rows a chunk
    CHECK(sink.report_rows == 20000 - 3 * 5461);
    for (const auto& [key, spikes] : direct.spikes) {
      CAPTURE(key);
      CHECK(sink.to.spikes.at(key).times_ms == spikes.times_ms);
      CHECK(sink.to.spikes.at(key).node_ids == spikes.node_ids);
    }
    CHECK(sink.to.reports.at("/sweep/0/a").rows == direct.reports.at("/sweep/0/a").rows);
  }
}

TEST_CASE("a recording that encodes checks what it encodes: time order, row widths, and chunks of its own") {
  RecordingSink rec(true);
  rec.declare_spikes("a");
  rec.declare_report("a", 3, 0.0, 1.0);
  rec.append_spikes("a", std::vector<double>{1.0, 2.0}, std::vector<std::uint64_t>{0, 1});
  CHECK_THROWS_AS(rec.append_spikes("a", std::vector<double>{1.5}, std::vector<std::uint64_t>{0}),
                  std::invalid_argument);
  CHECK_THROWS_AS(rec.append_spikes("a", std::vector<double>{3.0}, std::vector<std::uint64_t>{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(rec.append_report("a", std::vector<float>{1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(rec.append_spike_chunks("a", {}, {}), std::logic_error);
  // Not encoded here (not declared here): recorded as given.
  rec.append_spikes("b", std::vector<double>{2.0}, std::vector<std::uint64_t>{0});
  CHECK(rec.calls() == 3);  // two declarations and b's row: a's rows wait for a whole chunk
  rec.finish_chunks();
  CHECK(rec.calls() == 4);  // a's rows
}

TEST_CASE("rows after chunks of one dataset are not joined to rows before them") {
  RecordingSink source(true), rec;
  source.declare_spikes("a");
  std::vector<double> t(8192);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = 1.0 + double(i);
  source.append_spikes("a", t, std::vector<std::uint64_t>(t.size(), 4));
  rec.declare_spikes("a");
  rec.append_spikes("a", std::vector<double>{0.5}, std::vector<std::uint64_t>{1});
  source.replay_without_declarations(rec);  // one chunk
  rec.append_spikes("a", std::vector<double>{9000.0}, std::vector<std::uint64_t>{2});
  MemorySink sink;
  sink.begin_run(example_metadata());
  rec.replay(sink);
  const std::vector<double>& times = sink.spikes.at("a").times_ms;
  REQUIRE(times.size() == 8194);
  CHECK(times.front() == 0.5);
  CHECK(times[1] == 1.0);
  CHECK(times.back() == 9000.0);
}
