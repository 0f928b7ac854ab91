// A run's trials on several threads (sim/run/run.cpp, run_trial_ranges): the same output as one
// engine running them all, whatever the number of threads, for both engines, with noise and with
// settle phases.
#include <doctest/doctest.h>

#include "sim/io/hdf5_sink.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/io/stored_run.hpp"
#include "sim/run/run.hpp"
#include "tests/forwarding_sink.hpp"
#include "tests/sim/run/same_sinks.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

MemorySink run_with_jobs(const Config& cfg, unsigned jobs, RunResult* result = nullptr) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  RunOptions options;
  options.jobs = jobs;
  std::vector<double> progress;
  options.progress = [&progress](double f) { progress.push_back(f); };
  const RunResult r = run_experiment(cfg, sink, options);
  REQUIRE(r.complete);
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() <= 1.0 + 1e-12);
  CHECK(progress.back() > 0.99);
  // Never backward, also while the theory reference runs beside the trials (each reports its own
  // fraction; the run's is their weighted sum).
  for (std::size_t k = 1; k < progress.size(); ++k) CHECK(progress[k] >= progress[k - 1]);
  if (result) *result = r;
  return sink;
}

}  // namespace

TEST_CASE("a run's trials on 1, 2, 3 and 7 threads give the same output") {
  // Spiking, 13 trials of two phases, in 4 x jobs ranges: of 1 and 2 trials on 2 and 3 threads,
  // a range per trial on 7.
  const Config spiking = test::config_from(R"(
seed: 21
model: {beta1: -0.5, tau: 10 ms, r_max: 800 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 5, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {glorot: 0.5}, symmetric: true, delay: {uniform: [1 ms, 2 ms]}}
  - {from: h, to: y, weights: {glorot: 0.5}, symmetric: true, delay: 1 ms}
protocol:
  trials: 13
  phases:
    - {name: free, duration: 41 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}
    - {name: nudge, duration: 20 ms, nudge: {y: {target: [0.2, 0.6]}}}
record:
  rates: {populations: all, bin: 30.5 ms, theory: true, theory_dt: 0.1 ms}
  spikes: {populations: all}
  states: {populations: all, period: 0.5 ms}
)");
  RunResult r1, r3;
  const MemorySink one = run_with_jobs(spiking, 1, &r1);
  test::require_same(one, run_with_jobs(spiking, 2));
  test::require_same(one, run_with_jobs(spiking, 3, &r3));
  test::require_same(one, run_with_jobs(spiking, 7));
  CHECK(r3.spikes == r1.spikes);
  CHECK(r3.synaptic_events == r1.synaptic_events);
  CHECK(r3.samples == r1.samples);
  REQUIRE(r3.phases.size() == r1.phases.size());
  for (std::size_t k = 0; k < r1.phases.size(); ++k) {
    CHECK(r3.phases[k].trial == r1.phases[k].trial);
    CHECK(r3.phases[k].name == r1.phases[k].name);
    CHECK(r3.phases[k].boundary[1].held_low == r1.phases[k].boundary[1].held_low);
  }
  // Continuous with noise and a settle phase (its convergence per trial).
  const Config continuous = test::config_from(
      test::kSmallNet, {"engine.sigma=0.02", "protocol.trials=5", "record.states.period=3 ms",
                        "record.rates={populations: all, bin: 30 ms}",
                        "protocol.phases=[{name: settle, duration: 300 ms, settle: {tol: 1.0e-3}, clamp: {x: {uniform: "
                        "[-0.5, 0.5]}}}, {name: free, duration: 30 ms}]"});

  REQUIRE(continuous.protocol.trials == 5);
  REQUIRE(continuous.protocol.phases.at(0).settle.has_value());
  REQUIRE(continuous.engine.sigma > 0);
  test::require_same(run_with_jobs(continuous, 1), run_with_jobs(continuous, 4));
}

TEST_CASE("a mean-field reference that outlasts the trials beside it is waited for") {
  // Two short trials of 9 units on two threads, the reference at dt = 0.0001 ms over the same
  // 40 ms (400,000 steps, far more work than the trials'): the trials are handed over long before
  // it ends, and leaving then would stop it (a run reported interrupted with nothing wrong: a
  // regression).
  const Config cfg = test::config_from(test::kSmallNet,
                                       {"engine.kind=spiking", "protocol.trials=2", "protocol.phases.0.duration=40 ms",
                                        "record.rates={populations: all, bin: 10 ms, theory: true, "
                                        "theory_dt: 0.0001 ms}"});
  REQUIRE(cfg.record.rates.theory);
  RunResult two;
  const MemorySink one = run_with_jobs(cfg, 1);
  test::require_same(one, run_with_jobs(cfg, 2, &two));
  CHECK_FALSE(two.theory.empty());
}

TEST_CASE("a run's trials on threads reach an HDF5 file whole, its chunks encoded on the workers") {
  // tests/tools/sweeps/chunks.yaml's costly point: 4 trials of 30 units at 6400 Hz, some 36,000
  // spikes of h (4 whole chunks of 8192 and a rest) and 801 state rows (546 to a chunk). With 2
  // threads the workers encode the chunks into a recording that the calling thread replays into
  // the file (sim/run/run.cpp).
  const Config cfg =
      test::config_file(test::source_dir() + "/tests/tools/sweeps/chunks.yaml", {"sweep=null", "model.r_max=6400 Hz"});
  const test::TempDir dir;
  for (const unsigned jobs : {1u, 2u}) {
    Hdf5Sink sink(dir.file("jobs" + std::to_string(jobs) + ".h5"));
    sink.begin_run(make_metadata(cfg, "test"));
    RunOptions options;
    options.jobs = jobs;
    REQUIRE(run_experiment(cfg, sink, options).complete);
    sink.end_run(true);
  }
  auto read = [&](unsigned jobs, const std::string& name) {
    return read_stored_array(dir.file("jobs" + std::to_string(jobs) + ".h5"), name).values;
  };
  const std::vector<double> times = read(1, "/spikes/h/timestamps");
  CHECK(times.size() > 4 * 8192);
  CHECK(read(2, "/spikes/h/timestamps") == times);
  for (const char* name : {"/spikes/h/node_ids", "/spikes/x/timestamps", "/spikes/x/node_ids", "/report/h/data"})
    CHECK(read(2, name) == read(1, name));
  CHECK(read(1, "/report/h/data").size() == 801 * 30);
}

namespace {

// Takes the first `allowed` spike appends, then refuses, as a full disk would.
class FillingSink final : public test::ForwardingSink {
 public:
  explicit FillingSink(int allowed) : allowed_(allowed) {}
  void append_spikes(const std::string& p, std::span<const double> t, std::span<const std::uint64_t> ids) override {
    if (--allowed_ < 0) throw std::runtime_error("no space left on device (test)");
    to.append_spikes(p, t, ids);
  }

 private:
  int allowed_;
};

}  // namespace

TEST_CASE("a sink that refuses a range's data while the workers hand it over fails the run, with its error") {
  // The workers hand the ranges to this sink (it is not an HDF5 file): its exception, thrown on a
  // worker thread, reaches the caller; the other workers stop.
  const Config cfg =
      test::config_from(test::kSmallNet, {"engine={kind: spiking}", "model.r_max=800 Hz", "protocol.trials=8",
                                          "record.spikes={populations: [h]}", "protocol.phases.0.duration=100 ms"});
  for (const unsigned jobs : {2u, 3u}) {
    CAPTURE(jobs);
    FillingSink sink(3);
    sink.begin_run(make_metadata(cfg, "test"));
    RunOptions options;
    options.jobs = jobs;
    CHECK_THROWS_WITH(run_experiment(cfg, sink, options), "no space left on device (test)");
  }
}
