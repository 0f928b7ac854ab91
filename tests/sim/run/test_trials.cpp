// The protocol runner's trial loop and recorders (sim/run/trials.cpp, sim/run/recorders.cpp): trials
// with independent noise on one global time axis, binned rates in Hz re-derived from the spikes,
// window-averaged states.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "sim/io/memory_sink.hpp"
#include "sim/run/run.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

const char* const kTwoTrials = R"(
seed: 13
model: {beta1: -0.5, tau: 10 ms, r_max: 1 kHz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 4}
  h: {role: hidden, size: 5, bias: 0.1}
projections: [{from: x, to: h, weights: {uniform: [-0.3, 0.3]}, symmetric: true}]
protocol:
  trials: 2
  phases: [{duration: 50 ms, clamp: {x: [-0.2, 0.0, 0.2, 0.4]}}]
record:
  spikes: {populations: all}
  rates: {populations: all, bin: 10 ms}
)";

MemorySink run(const Config& cfg) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  const RunResult r = run_experiment(cfg, sink, RunOptions{});
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  return sink;
}

}  // namespace

TEST_CASE("trials lie back to back on the spike time axis, each with its own noise") {
  const Config cfg = test::config_from(kTwoTrials);
  const MemorySink sink = run(cfg);
  for (const char* pop : {"x", "h"}) {
    CAPTURE(pop);
    const MemorySink::Spikes& s = sink.spikes.at(pop);
    // Trial k's spikes lie in [50 k, 50 (k + 1)) ms; split them and shift trial 1 back by 50 ms.
    std::vector<std::pair<double, std::uint64_t>> trial[2];
    for (std::size_t k = 0; k < s.times_ms.size(); ++k) {
      const double t = s.times_ms[k];
      REQUIRE(t >= 0.0);
      REQUIRE(t < 100.0);
      const int tr = t < 50.0 ? 0 : 1;
      trial[tr].push_back({t - 50.0 * tr, s.node_ids[k]});
    }
    // 4 x units at 0 to 900 Hz over 50 ms: about 90 spikes per trial, h about as many; every unit
    // of x and h fires in both trials.
    CHECK(trial[0].size() > 40);
    CHECK(trial[1].size() > 40);
    // Independent noise: the second trial is not a replay of the first (times compared to 1e-9 ms:
    // the shift by 50 ms rounds).
    const bool replay =
        trial[0].size() == trial[1].size() &&
        std::equal(trial[0].begin(), trial[0].end(), trial[1].begin(), [](const auto& a, const auto& b) {
          return std::abs(a.first - b.first) < 1e-9 && a.second == b.second;
        });
    CHECK_FALSE(replay);
  }
}

TEST_CASE("binned rates are the spike counts per bin in Hz, and window-averaged states average over each bin") {
  const Config cfg = test::config_from(kTwoTrials);
  const MemorySink sink = run(cfg);
  const double bin_ms = 10.0, trial_ms = 50.0;
  const std::size_t bins = 5, trials = 2;
  for (const auto& [pop, size] : {std::pair{"x", std::size_t{4}}, std::pair{"h", std::size_t{5}}}) {
    CAPTURE(pop);
    const auto& rate = sink.arrays.at(std::string("/rates/") + pop + "/rate_hz_trials");
    REQUIRE(rate.shape == std::vector<std::uint64_t>{trials, bins, size});
    // Re-derived independently: count each spike into its trial and bin, divide by the bin in s.
    std::vector<double> counts(trials * bins * size, 0.0);
    const MemorySink::Spikes& s = sink.spikes.at(pop);
    for (std::size_t k = 0; k < s.times_ms.size(); ++k) {
      const auto tr = std::size_t(s.times_ms[k] / trial_ms);
      const auto b = std::size_t((s.times_ms[k] - tr * trial_ms) / bin_ms);
      counts[(tr * bins + b) * size + s.node_ids[k]] += 1.0;
    }
    for (std::size_t j = 0; j < counts.size(); ++j)
      CHECK(rate.data[j] == doctest::Approx(counts[j] / (bin_ms / 1000.0)).epsilon(1e-12));
    // The trial mean over the two trials.
    const auto& mean = sink.arrays.at(std::string("/rates/") + pop + "/rate_hz");
    for (std::size_t j = 0; j < bins * size; ++j)
      CHECK(mean.data[j] == doctest::Approx((rate.data[j] + rate.data[bins * size + j]) / 2.0).epsilon(1e-12));
  }
  // x is clamped: its state averaged over any bin of any trial is its clamp value.
  const std::vector<double> x{-0.2, 0.0, 0.2, 0.4};
  const auto& state = sink.arrays.at("/rates/x/mean_state_trials");
  for (std::size_t row = 0; row < trials * bins; ++row)
    for (std::size_t u = 0; u < 4; ++u) CHECK(state.data[row * 4 + u] == doctest::Approx(x[u]).epsilon(1e-12));
}
