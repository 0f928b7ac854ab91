// Issue 12: the STDP window from spike statistics, with the rule running as STDP events.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/experiments/stdp_statistics.hpp"
#include "sim/io/memory_sink.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {
// configs/stdp_statistics.yaml, shortened: by default 4 trials of 10 s (40 s of spikes instead of
// 1000 s); the lobes are significant at 12-38 standard errors there, at 6 s only 6-20.
Config short_config(int seed, int trials = 4, const std::string& duration = "10 s") {
  return test::config_file(test::source_dir() + "/configs/stdp_statistics.yaml",
                           {"seed=" + std::to_string(seed), "experiment.trials=" + std::to_string(trials),
                            "experiment.duration=" + duration});
}
}  // namespace

TEST_CASE("statistical STDP window: potentiation when post follows pre, depression when post precedes pre") {
  // The prediction (README): dW(dt) = lr / (r_max T) (STA(d + T - dt) - STA(d - dt)), with
  // STA(u) - mean(s) = var(s) e^{-|u|/tau} / mean(rho) > 0: negative for dt < d, positive for
  // dt > d + T, each lobe exponential with the membrane's tau. Each lobe's significance is taken
  // from the trials: per trial, the mean dW over the 5 bins (10 ms) beyond the lobe's edge; across
  // the 4 trials its mean must exceed 4 standard errors with the lobe's sign (measured at seeds 1
  // and 2: 12 to 38 standard errors). A mirrored attribution (t_pre - t_post) swaps the signs.
  // The 100 bins correlate with the prediction at 0.988 at both seeds (0.999 in the full run:
  // the short run is noisier); 0.9 leaves room for the noise, while a shifted or mirrored window
  // correlates below 0.5.
  for (int seed : {1, 2}) {
    CAPTURE(seed);
    const Config cfg = short_config(seed);
    MemorySink sink;
    sink.begin_run(make_metadata(cfg, "test"));
    const StdpStatisticsResult r = run_stdp_statistics(cfg, sink, RunOptions{});
    sink.end_run(r.complete);
    REQUIRE(r.complete);
    const auto& trials = sink.arrays.at("/analysis/stdp_statistics/dw_per_pair_trials");
    const std::size_t bins = trials.shape[1], n = trials.shape[0];
    auto lobe = [&](double from_ms, double to_ms) {  // mean over trials, standard error
      std::vector<double> per_trial(n, 0.0);
      for (std::size_t t = 0; t < n; ++t)
        for (std::size_t b = 0; b < bins; ++b)
          if (r.dt_ms[b] > from_ms && r.dt_ms[b] < to_ms) per_trial[t] += trials.data[t * bins + b] / 5.0;
      const double mean = std::accumulate(per_trial.begin(), per_trial.end(), 0.0) / double(n);
      double ss = 0;
      for (double v : per_trial) ss += (v - mean) * (v - mean);
      return std::pair{mean, std::sqrt(ss / double(n - 1) / double(n))};
    };
    const auto [potentiation, potentiation_se] = lobe(11.0, 21.0);  // d + T = 11 ms
    const auto [depression, depression_se] = lobe(-9.0, 1.0);       // d = 1 ms
    CAPTURE(potentiation_se);
    CAPTURE(depression_se);
    CHECK(potentiation > 4 * potentiation_se);
    CHECK(depression < -4 * depression_se);
    REQUIRE(r.potentiation.fit.fitted);
    REQUIRE(r.depression.fit.fitted);
    CHECK(r.potentiation.fit.amplitude > 0);
    CHECK(r.depression.fit.amplitude < 0);
    CHECK(r.potentiation.edge_ms == doctest::Approx(11.0));  // d + T
    CHECK(r.depression.edge_ms == doctest::Approx(1.0));     // d
    CHECK(r.correlation > 0.9);
    CHECK(r.ratio == doctest::Approx(1.0).epsilon(0.2));
    // No bias of the weight changes whatever the pairs: the offset is within 4 of its standard
    // errors (ci95 / t(3) = ci95 / 3.18) of 0.
    CHECK(std::abs(r.offset) < 4 * r.offset_ci95 / 3.18);
    // tau = 10 ms; the short run's fits scatter by a few ms (intervals up to +-8 ms): only gross errors.
    CHECK(r.potentiation.fit.tau > 4.0);
    CHECK(r.potentiation.fit.tau < 25.0);
    CHECK(r.depression.fit.tau > 4.0);
    CHECK(r.depression.fit.tau < 25.0);
    // Inside the linear range nearly all the time (the design of the config).
    CHECK(r.outside_fraction < 0.01);
    CHECK(std::abs(r.state_mean) < 0.05);
  }
}

TEST_CASE("statistical STDP window: the stored curve, its prediction and the fits, with their attributes") {
  const Config cfg = short_config(1, 3, "5 s");
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  const StdpStatisticsResult r = run_stdp_statistics(cfg, sink, RunOptions{});
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  const std::string g = "/analysis/stdp_statistics";
  for (const char* name : {"dt_ms", "dw_per_pair", "dw_per_pair_ci95", "pairs", "predicted_sta", "predicted_sta_ci95",
                           "predicted_closed_form"}) {
    CAPTURE(name);
    REQUIRE(sink.arrays.count(g + "/" + name));
    CHECK(sink.arrays.at(g + "/" + name).data.size() == 100);  // +-100 ms in 2 ms bins
  }
  CHECK(sink.arrays.at(g + "/dw_per_pair_trials").shape == std::vector<std::uint64_t>{3, 100});
  CHECK(sink.arrays.at(g + "/sta").data.size() == sink.arrays.at(g + "/sta_u_ms").data.size());
  CHECK(sink.arrays.at(g + "/dt_ms").data.front() == doctest::Approx(-99.0));
  for (const char* name : {"trials", "correlation", "correlation_ci95", "ratio", "offset", "offset_ci95", "state_var",
                           "tau_ms", "window_ms"})
    CHECK(sink.attributes.at(g).count(name));
  for (const char* lobe : {"/potentiation", "/depression"})
    for (const char* name : {"amplitude", "amplitude_se", "tau_ms", "tau_se_ms", "tau_ci95_ms", "points"})
      CHECK(sink.attributes.at(g + lobe).count(name));
  CHECK(std::get<std::string>(sink.attributes.at(g + "/dt_ms").at("units")) == "ms");
}

TEST_CASE("the STDP log holds the weight changes the engine made: they sum to each synapse's total change") {
  const Config cfg = short_config(3);
  Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const std::size_t proj = cfg.projection_index("x->h");
  SpikingEngine engine(lower_engine_params(cfg), net);
  PlasticityRule rule(cfg, net);
  engine.set_plasticity(&rule);
  std::vector<StdpChange> log;
  engine.set_stdp_log(&log);
  engine.reset(0);
  engine.set_phase(drives[0]);
  rule.set_phase(0);
  const std::vector<double> before(rule.weights(proj).begin(), rule.weights(proj).end());
  engine.advance_to(500.0);
  engine.end_trial();
  REQUIRE(log.size() > 500);  // 20 inputs at 100 Hz for 0.5 s
  const std::uint32_t x0 = net.populations[net.projections[proj].source].offset;
  std::vector<double> sum(before.size(), 0.0);
  for (const StdpChange& c : log) {
    REQUIRE(c.projection == proj);
    sum[c.pre - x0] += c.dw;  // one synapse per presynaptic unit (x -> h)
  }
  for (std::size_t k = 0; k < before.size(); ++k)
    CHECK(sum[k] == doctest::Approx(rule.weights(proj)[k] - before[k]).epsilon(1e-9));
  CHECK_FALSE(log.back().full_window);  // end_trial closed the last windows early
}
