#include <doctest/doctest.h>

#include <stdexcept>
#include <variant>

#include "sim/io/memory_sink.hpp"
#include "tests/support.hpp"

using ebsim::test::example_metadata;

TEST_CASE("MemorySink keeps what it is given and enforces the sink contract") {
  ebsim::MemorySink sink;
  sink.begin_run(example_metadata());
  CHECK(sink.begun);
  CHECK(sink.metadata.seed == 18446744073709551615ull);
  sink.declare_report("h1", 2, 5.0, 0.1);
  sink.append_report("h1", std::vector<float>{1.0f, 2.0f});
  sink.append_report("h1", std::vector<float>{3.0f, 4.0f});
  CHECK_THROWS_AS(sink.append_report("h1", std::vector<float>{1.0f}), std::invalid_argument);
  CHECK_THROWS_AS(sink.append_report("v", std::vector<float>{1.0f}), std::invalid_argument);
  sink.declare_spikes("h1");
  sink.append_spikes("h1", std::vector<double>{1.0, 1.0}, std::vector<std::uint64_t>{0, 1});
  CHECK_THROWS_AS(sink.append_spikes("h1", std::vector<double>{0.5}, std::vector<std::uint64_t>{0}),
                  std::invalid_argument);
  sink.write_weights("initial", {"p", "h1", "h1", true, 1.0, 1.0, {0}, {1}, {0.25}, 1.0, {}});
  sink.write_array("/analysis/m", std::vector<double>{1, 2, 3, 4}, {2, 2});
  CHECK_THROWS_AS(sink.write_array("/analysis/m", std::vector<double>{1}, {}), std::runtime_error);
  sink.write_attribute("/analysis", "passed", std::int64_t{1});
  sink.end_run(true);
  CHECK_THROWS_AS(sink.end_run(true), std::logic_error);

  CHECK(sink.ended);
  CHECK(sink.complete);
  const ebsim::MemorySink::Report& report = sink.reports.at("h1");
  CHECK(report.t_start_ms == 5.0);
  CHECK(report.dt_ms == 0.1);
  CHECK(report.rows == std::vector<std::vector<float>>{{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK(sink.spikes.at("h1").times_ms == std::vector<double>{1.0, 1.0});
  CHECK(sink.spikes.at("h1").node_ids == std::vector<std::uint64_t>{0, 1});
  CHECK(sink.weights.at("initial").at("p").weight == std::vector<double>{0.25});
  CHECK(sink.arrays.at("/analysis/m").shape == std::vector<std::uint64_t>{2, 2});
  CHECK(std::get<std::int64_t>(sink.attributes.at("/analysis").at("passed")) == 1);
}
