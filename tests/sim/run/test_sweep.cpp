// Sweeps (sim/run/sweep.cpp, sim/run/sweep_stats.cpp, the `sweep:` reader in sim/io/overrides.cpp):
// grid and zip expansion, replicate seeds by key, per-point statistics with Student-t intervals,
// and the same results whatever the number of jobs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>

#include "sim/core/random.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "sim/run/summary.hpp"
#include "sim/run/sweep.hpp"
#include "tests/forwarding_sink.hpp"
#include "tests/sim/run/same_sinks.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

MemorySink run_to_memory(const Config& cfg, unsigned jobs) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  RunOptions options;
  options.jobs = jobs;
  const SweepResult r = run_sweep(cfg, sink, options);
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  return sink;
}

}  // namespace

TEST_CASE("a grid runs every combination, the last key fastest; zip takes the i-th values together") {
  const Config grid =
      test::config_from(std::string(test::kSmallNet) +
                        "sweep: {grid: {model.tau: [10 ms, 20 ms], engine.dt: [0.1 ms, 0.2 ms, 0.5 ms]}}\n");
  REQUIRE(grid.sweep_points.size() == 6);
  CHECK(grid.sweep->point_count() == 6);
  CHECK(grid.sweep_points[0].model.tau_ms == 10.0);
  CHECK(grid.sweep_points[0].engine.dt_ms == 0.1);
  CHECK(grid.sweep_points[2].engine.dt_ms == 0.5);
  CHECK(grid.sweep_points[3].model.tau_ms == 20.0);
  CHECK(grid.sweep_points[3].engine.dt_ms == 0.1);
  CHECK(grid.sweep->label(4) == "model.tau=20 ms, engine.dt=0.2 ms");
  for (const Config& c : grid.sweep_points) CHECK(c.seed == 5);  // no replicates: the config's seed

  const Config zip = test::config_from(std::string(test::kSmallNet) +
                                       "sweep: {zip: {model.tau: [10 ms, 20 ms], engine.dt: [0.1 ms, 0.2 ms]}}\n");
  REQUIRE(zip.sweep_points.size() == 2);
  CHECK(zip.sweep_points[1].model.tau_ms == 20.0);
  CHECK(zip.sweep_points[1].engine.dt_ms == 0.2);
}

TEST_CASE("replicate seeds derive from the base seed and the replicate index alone") {
  const std::string net = test::kSmallNet;
  const Config a = test::config_from(net + "sweep: {grid: {model.tau: [10 ms, 20 ms]}, replicates: 3}\n");
  REQUIRE(a.sweep_points.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(a.sweep_runs[k].point == k / 3);
    CHECK(a.sweep_runs[k].replicate == k % 3);
    CHECK(a.sweep_points[k].seed == replicate_seed(5, k % 3));
  }
  CHECK(a.sweep_points[0].seed != a.sweep_points[1].seed);
  // More points and more replicates: every run that existed keeps its seed and its config.
  const Config b = test::config_from(net + "sweep: {grid: {model.tau: [10 ms, 20 ms, 40 ms]}, replicates: 5}\n");
  REQUIRE(b.sweep_points.size() == 15);
  for (std::size_t k = 0; k < 6; ++k) {
    const std::size_t in_b = a.sweep_runs[k].point * 5 + a.sweep_runs[k].replicate;
    CHECK(b.sweep_points[in_b].seed == a.sweep_points[k].seed);
    CHECK(b.sweep_points[in_b].model.tau_ms == a.sweep_points[k].model.tau_ms);
  }
  // Given seeds, and replicates of the config alone.
  const Config s = test::config_from(net + "sweep: {seeds: [3, 9]}\n");
  REQUIRE(s.sweep_points.size() == 2);
  CHECK(s.sweep_points[1].seed == 9);
  // Another base seed, other replicate seeds.
  CHECK(replicate_seed(6, 0) != replicate_seed(5, 0));
  CHECK(replicate_seed(5, 0) < (1ull << 63));
}

TEST_CASE("adding a point or a replicate leaves the other runs' results unchanged") {
  const Config small =
      test::config_from(test::kSpiking + "sweep: {grid: {model.r_max: [200 Hz, 400 Hz]}, replicates: 2}\n");
  const Config large =
      test::config_from(test::kSpiking + "sweep: {grid: {model.r_max: [200 Hz, 400 Hz, 800 Hz]}, replicates: 3}\n");
  const MemorySink a = run_to_memory(small, 1), b = run_to_memory(large, 1);
  for (std::size_t k = 0; k < small.sweep_points.size(); ++k) {
    const std::size_t in_b = small.sweep_runs[k].point * 3 + small.sweep_runs[k].replicate;
    const std::string pa = "/sweep/" + std::to_string(k), pb = "/sweep/" + std::to_string(in_b);
    CAPTURE(pa);
    CHECK(a.spikes.at(pa + "/h").times_ms == b.spikes.at(pb + "/h").times_ms);
    CHECK(a.arrays.at(pa + "/analysis/theory_check/h/state_rmse").data ==
          b.arrays.at(pb + "/analysis/theory_check/h/state_rmse").data);
  }
  // Replicates differ from one another.
  CHECK(a.spikes.at("/sweep/0/h").times_ms != a.spikes.at("/sweep/1/h").times_ms);
}

TEST_CASE("Student t quantiles and the per-point statistics match a hand computation") {
  // t_{0.975, dof} from tables (e.g. scipy.stats.t.ppf(0.975, dof)).
  CHECK(t_quantile_975(1) == doctest::Approx(12.7062047).epsilon(1e-8));
  CHECK(t_quantile_975(2) == doctest::Approx(4.30265273).epsilon(1e-8));
  CHECK(t_quantile_975(7) == doctest::Approx(2.36462425).epsilon(1e-8));
  CHECK(t_quantile_975(29) == doctest::Approx(2.04522964).epsilon(1e-8));
  CHECK(t_quantile_975(100000) == doctest::Approx(1.95998).epsilon(1e-5));  // tends to z
  const SampleStats s = sample_stats({1.0, 2.0, 4.0, NAN, 7.0});            // NaN left out
  CHECK(s.n == 4);
  CHECK(s.mean == doctest::Approx(3.5));
  CHECK(s.sd == doctest::Approx(std::sqrt(21.0 / 3.0)));  // squares of (-2.5, -1.5, 0.5, 3.5) sum to 21
  CHECK(s.half_width == doctest::Approx(3.18244631 * std::sqrt(7.0) / 2.0));
  const SampleStats one = sample_stats({2.0});
  CHECK(one.n == 1);
  CHECK(std::isnan(one.half_width));

  // The sweep's statistics against the runs' own values, point by point.
  const Config cfg =
      test::config_from(test::kSpiking + "sweep: {zip: {model.r_max: [200 Hz, 800 Hz]}, replicates: 3}\n");
  const MemorySink sink = run_to_memory(cfg, 2);
  const std::string path = "/analysis/theory_check/h/state_rmse", g = "/analysis/sweep/stats" + path;
  REQUIRE(sink.arrays.at(g + "/mean").shape == std::vector<std::uint64_t>{2});
  for (std::size_t p = 0; p < 2; ++p) {
    std::vector<double> v;
    for (std::size_t r = 0; r < 3; ++r)
      v.push_back(sink.arrays.at("/sweep/" + std::to_string(p * 3 + r) + path).data[0]);
    const double mean = (v[0] + v[1] + v[2]) / 3.0;
    double ss = 0.0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double sd = std::sqrt(ss / 2.0), half = 4.30265273 * sd / std::sqrt(3.0);
    CHECK(sink.arrays.at(g + "/mean").data[p] == doctest::Approx(mean).epsilon(1e-12));
    CHECK(sink.arrays.at(g + "/sd").data[p] == doctest::Approx(sd).epsilon(1e-12));
    CHECK(sink.arrays.at(g + "/n").data[p] == 3.0);
    CHECK(sink.arrays.at(g + "/ci95_half_width").data[p] == doctest::Approx(half).epsilon(1e-8));
    CHECK(sink.arrays.at(g + "/ci95_low").data[p] == doctest::Approx(mean - half).epsilon(1e-8));
  }
  CHECK(sink.arrays.at("/analysis/sweep/values/model.r_max").data == std::vector<double>{200.0, 800.0});
  CHECK(std::get<std::int64_t>(sink.attributes.at("/sweep/4").at("replicate")) == 1);
  CHECK(std::get<std::int64_t>(sink.attributes.at("/sweep/4").at("point")) == 1);
}

TEST_CASE("convergence is a gate: an unconverged run is counted and left out of its point's statistics") {
  // What marks a run unconverged: a `converged` attribute of 0, or a 0 in an .../converged array.
  MemorySink memory;
  ReportTap tap(memory);
  tap.write_attribute("/analysis/backprop", "converged", std::int64_t(1));
  tap.write_array("/analysis/phases/settle/converged", std::vector<double>{1.0, 1.0}, {2});
  CHECK_FALSE(tap.take().unconverged);
  tap.write_attribute("/analysis/backprop", "converged", std::int64_t(0));
  CHECK(tap.take().unconverged);
  tap.write_array("/analysis/phases/other/converged", std::vector<double>{1.0, 0.0}, {2});
  CHECK(tap.take().unconverged);
  CHECK(memory.arrays.count("/analysis/phases/settle/converged"));  // passed on all the same

  // By hand: three runs of one point, the unconverged one an outlier that would move the mean.
  auto report = [](double v, bool unconverged) {
    Reported r;
    r.arrays["/analysis/x"] = ReportedArray{{v}, {}};
    r.unconverged = unconverged;
    return r;
  };
  std::vector<SweepRun> runs(3);
  const SweepStats s = sweep_statistics({report(1.0, false), report(1000.0, true), report(3.0, false)}, runs, 1);
  CHECK(s.runs == std::vector<std::uint64_t>{3});
  CHECK(s.unconverged == std::vector<std::uint64_t>{1});
  CHECK(s.paths.at("/analysis/x").stats[0].n == 2);
  CHECK(s.paths.at("/analysis/x").stats[0].mean == 2.0);

  // End to end: a settle phase given 1 s converges, one given 2 ms does not (every replicate).
  const Config cfg = test::config_from(R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 0.1 ms}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: {uniform: [-0.05, 0.05]}}
projections: [{from: x, to: h, weights: {glorot: 0.3}, symmetric: true}]
protocol:
  phases: [{name: settle, duration: 1 s, settle: {tol: 1.0e-10}, clamp: {x: {uniform: [-0.5, 0.5]}}}]
sweep: {zip: {protocol.phases.0.duration: [1 s, 2 ms]}, replicates: 3}
)");
  const MemorySink sink = run_to_memory(cfg, 1);
  CHECK(sink.arrays.at("/analysis/sweep/runs").data == std::vector<double>{3.0, 3.0});
  CHECK(sink.arrays.at("/analysis/sweep/unconverged").data == std::vector<double>{0.0, 3.0});
  const auto& n = sink.arrays.at("/analysis/sweep/stats/analysis/phases/settle/residual/n").data;
  REQUIRE(n.size() == 2);
  CHECK(n[0] == 3.0);
  CHECK(n[1] == 0.0);
  MemorySink again;
  again.begin_run(make_metadata(cfg, "test"));
  const SweepResult r = run_sweep(cfg, again, RunOptions{});
  CHECK(format_sweep_summary(cfg, r).find("3 of 3 runs did NOT converge to a fixed point") != std::string::npos);
}

TEST_CASE("a spiking sweep with trials gives the same output with 1, 2 and 3 jobs") {
  const Config cfg = test::config_from(test::kSpiking +
                                       "sweep: {grid: {model.r_max: [200 Hz, 800 Hz], model.tau: [10 ms, 20 ms]}, "
                                       "replicates: 2}\n");
  const MemorySink one = run_to_memory(cfg, 1);
  test::require_same(one, run_to_memory(cfg, 2));
  test::require_same(one, run_to_memory(cfg, 3));
  // The legacy one-key form too (its error table and slopes).
  const Config legacy = test::config_from(test::kSpiking + "sweep: {model.r_max: [200 Hz, 400 Hz, 800 Hz]}\n");
  const MemorySink l1 = run_to_memory(legacy, 1);
  CHECK(l1.arrays.count("/analysis/sweep/slope_state_rmse"));
  CHECK_FALSE(l1.arrays.count("/analysis/sweep/stats/analysis/theory_check/h/state_rmse/mean"));
  test::require_same(l1, run_to_memory(legacy, 3));
}

// Refuses every array written under one run's scope, as a full disk would.
class RefusingSink final : public test::ForwardingSink {
 public:
  explicit RefusingSink(std::string refused_scope) : refused_(std::move(refused_scope)) {}
  void set_scope(const std::string& prefix) override {
    scope_ = prefix;
    to.set_scope(prefix);
  }
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override {
    if (scope_ == refused_) throw std::runtime_error("no space left on device (test)");
    to.write_array(path, data, std::move(shape));
  }

 private:
  std::string refused_, scope_;
};

TEST_CASE("a writer that fails while workers run makes the sweep fail, not hang") {
  // The main thread replays finished runs into the sink; when that throws, the workers (waiting
  // for room ahead of the writer) must be stopped before they are joined. ctest's timeout catches
  // a hang.
  const Config cfg = test::config_from(test::kSpiking + "sweep: {replicates: 6}\n");
  for (unsigned jobs : {1u, 2u, 3u}) {
    CAPTURE(jobs);
    RefusingSink sink("/sweep/1");
    sink.begin_run(make_metadata(cfg, "test"));
    RunOptions options;
    options.jobs = jobs;
    CHECK_THROWS_WITH(run_sweep(cfg, sink, options), "no space left on device (test)");
  }
}

TEST_CASE("a RecordingSink replays every call in order") {
  RecordingSink rec;
  rec.declare_report("h", 2, 0.0, 1.0);
  rec.append_report("h", std::vector<float>{1.f, 2.f});
  rec.declare_spikes("h");
  rec.append_spikes("h", std::vector<double>{0.5, 0.7}, std::vector<std::uint64_t>{1, 0});
  rec.write_array("/analysis/x", std::vector<double>{3.0}, {});
  rec.write_attribute("/", "a", std::int64_t(4));
  MemorySink to;
  to.begin_run(test::example_metadata());
  to.set_scope("/sweep/3");
  rec.replay(to);
  CHECK(rec.calls() == 0);
  CHECK(to.reports.at("/sweep/3/h").rows.size() == 1);
  CHECK(to.spikes.at("/sweep/3/h").node_ids == std::vector<std::uint64_t>{1, 0});
  CHECK(to.arrays.at("/sweep/3/analysis/x").data == std::vector<double>{3.0});
  CHECK(std::get<std::int64_t>(to.attributes.at("/sweep/3").at("a")) == 4);
}

TEST_CASE("a run's estimated cost grows with r_max, duration and trials, as its work does") {
  const std::string no_theory = "record.rates.theory=false";
  const double base = estimated_cost(test::config_from(test::kSpiking, {no_theory})).total();
  CHECK(estimated_cost(test::config_from(test::kSpiking, {no_theory, "model.r_max=800 Hz"})).total() > 1.5 * base);
  CHECK(estimated_cost(test::config_from(test::kSpiking, {no_theory, "protocol.trials=6"})).total() ==
        doctest::Approx(2 * base));
  // The theory reference adds its steps, once per run.
  const CostEstimate with_theory = estimated_cost(test::config_from(test::kSpiking));
  CHECK(with_theory.run + with_theory.write == doctest::Approx(base));
  CHECK(with_theory.theory > 0.0);
}

TEST_CASE("a run that costs more than a thread's fair share of the sweep gets threads for its trials") {
  using ebsim::threads_per_run;
  // theory_check's proportions (r_max 100 .. 6400 Hz): the last run is three quarters of the work.
  const std::vector<double> cost{1, 4, 16, 64};
  CHECK(threads_per_run(cost, 2, 1) == std::vector<unsigned>{1, 1, 1, 2});  // 64 > 85 / 2
  CHECK(threads_per_run(cost, 4, 1) == std::vector<unsigned>{1, 1, 1, 4});  // ceil(64 / 21.25) = 4, at most 4
  CHECK(threads_per_run(cost, 2, 2) == std::vector<unsigned>{1, 1, 1, 2});  // a share of 85 / 4; 2 threads here
  CHECK(threads_per_run(cost, 1, 1) == std::vector<unsigned>{1, 1, 1, 1});
  CHECK(threads_per_run({1, 1}, 4, 1) == std::vector<unsigned>{2, 2});        // fewer runs than threads
  CHECK(threads_per_run({3, 3, 3}, 2, 1) == std::vector<unsigned>{1, 1, 1});  // 3 is not above 4.5
  CHECK(threads_per_run({0, 0}, 2, 1) == std::vector<unsigned>{1, 1});
}

TEST_CASE("a sweep's progress is weighted by cost and keeps a share for what follows the last run") {
  // 3 runs; the statistics and the file's closing follow the last one on one thread. The bar's
  // fraction rises by cost and ends at runs / (runs + tail), the tail counted once per run going
  // at once, so that the ETA near the end includes it.
  const Config cfg =
      test::config_from(std::string(test::kSmallNet) + "sweep: {grid: {model.tau: [10 ms, 20 ms, 30 ms]}}\n");
  double runs = 0;
  for (const Config& c : cfg.sweep_points) runs += std::max(estimated_cost(c).total(), 1e-12);
  for (unsigned jobs : {1u, 2u}) {
    CAPTURE(jobs);
    std::vector<double> seen;
    std::mutex m;
    RunOptions options;
    options.jobs = jobs;
    options.progress = [&](double f) {
      std::lock_guard lock(m);
      seen.push_back(f);
    };
    MemorySink sink;
    sink.begin_run(make_metadata(cfg, "test"));
    REQUIRE(run_sweep(cfg, sink, options).complete);
    REQUIRE_FALSE(seen.empty());
    for (std::size_t k = 1; k < seen.size(); ++k) CHECK(seen[k] >= seen[k - 1]);
    CHECK(seen.back() == doctest::Approx(runs / (runs + jobs * sweep_tail_cost(3))));
    CHECK(seen.back() < 1.0);
  }
}
