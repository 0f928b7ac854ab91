// The theory check (sim/run/theory.cpp): the spiking run against the continuous engine's mean-field
// prediction, and the split of the trial-averaged error into the bias that averaging keeps and the
// trial-to-trial noise it shrinks, re-derived here from the recorded arrays.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/io/memory_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

std::string spiking(int trials) {
  return R"(
seed: 3
model: {beta1: -0.5, tau: 10 ms, r_max: 400 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 6, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 3}
projections:
  - {from: x, to: h, weights: {glorot: 0.8}, symmetric: true, delay: 1 ms}
  - {from: h, to: y, weights: {glorot: 0.8}, symmetric: true, delay: 1 ms}
protocol:
  trials: )" +
         std::to_string(trials) +
         R"(
  phases: [{name: on, duration: 200 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}]
record:
  rates: {populations: all, bin: 20 ms, theory: true, theory_dt: 0.1 ms}
)";
}

MemorySink run(const std::string& yaml, RunResult& result) {
  const Config cfg = test::config_from(yaml);
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  result = run_experiment(cfg, sink, RunOptions{});
  sink.end_run(result.complete);
  return sink;
}

}  // namespace

TEST_CASE("the trial-averaged state error splits into bias and trial-to-trial noise, as re-derived here") {
  const int trials = 6;
  RunResult result;
  const MemorySink sink = run(spiking(trials), result);
  REQUIRE(result.theory.size() == 2);  // h and y (x is clamped)
  for (const TheoryError& e : result.theory) {
    CAPTURE(e.population);
    const auto& single = sink.arrays.at("/rates/" + e.population + "/mean_state_trials").data;
    const auto& theory = sink.arrays.at("/theory/" + e.population + "/mean_state").data;
    const std::size_t cells = theory.size();
    REQUIRE(single.size() == cells * trials);
    // By hand: per unit and bin the mean over trials, its squared error, the variance over trials.
    double variance = 0.0, bias2 = 0.0, mean_error2 = 0.0;
    for (std::size_t j = 0; j < cells; ++j) {
      double m = 0.0;
      for (int t = 0; t < trials; ++t) m += single[t * cells + j] / trials;
      double v = 0.0;
      for (int t = 0; t < trials; ++t) v += (single[t * cells + j] - m) * (single[t * cells + j] - m);
      v /= trials - 1;
      variance += v / double(cells);
      mean_error2 += (m - theory[j]) * (m - theory[j]) / double(cells);
      bias2 += ((m - theory[j]) * (m - theory[j]) - v / trials) / double(cells);
    }
    CHECK(e.state_rmse == doctest::Approx(std::sqrt(mean_error2)).epsilon(1e-9));
    CHECK(e.state_noise_sd == doctest::Approx(std::sqrt(variance)).epsilon(1e-9));
    CHECK(e.state_bias_rmse == doctest::Approx(std::sqrt(std::max(bias2, 0.0))).epsilon(1e-9));
    // The identity the split rests on: (trial mean)^2 = bias^2 + noise^2 / trials.
    if (bias2 > 0)
      CHECK(e.state_rmse * e.state_rmse ==
            doctest::Approx(e.state_bias_rmse * e.state_bias_rmse + e.state_noise_sd * e.state_noise_sd / trials)
                .epsilon(1e-9));
    CHECK(e.state_noise_sd > 0.0);  // spiking noise is there
    CHECK(sink.arrays.at("/analysis/theory_check/" + e.population + "/state_noise_sd").data[0] == e.state_noise_sd);
    CHECK(sink.arrays.at("/analysis/theory_check/" + e.population + "/state_bias_rmse").data[0] == e.state_bias_rmse);
  }
  // One trial: nothing to split, said as NaN (left out of any sweep statistic).
  RunResult one;
  const MemorySink s1 = run(spiking(1), one);
  for (const TheoryError& e : one.theory) {
    CHECK(std::isnan(e.state_noise_sd));
    CHECK(std::isnan(e.state_bias_rmse));
  }
}

TEST_CASE("the progress goes on through the theory reference, to 1") {
  // The trials report up to their share of the run's estimated cost; the reference the rest
  // (before, the bar stood still while it ran and its ETA went stale).
  const Config cfg = test::config_from(spiking(2));
  const CostEstimate cost = estimated_cost(cfg);
  REQUIRE(cost.theory > 0);
  const double share = (cost.run + cost.write) / cost.total();
  std::vector<double> seen;
  RunOptions options;
  options.progress = [&](double f) { seen.push_back(f); };
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  REQUIRE(run_experiment(cfg, sink, options).complete);
  REQUIRE(!seen.empty());
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.back() == doctest::Approx(1.0));
  // Reports strictly inside the reference's share: it reported as it went, not only at its end.
  CHECK(std::count_if(seen.begin(), seen.end(), [&](double f) { return f > share + 1e-9 && f < 1.0 - 1e-9; }) >= 2);
}
