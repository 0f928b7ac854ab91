// A sweep over several processes (sim/run/exchange.hpp), without MPI: two run_sweep calls on two
// threads joined by an in-process exchange that keeps the MPI protocol (the writer asks for a run,
// its owner sends it packed; a failure goes to the writer at once; the writer's stop ends the
// other). The MPI transport itself is tested end to end by tests/tools/mpi_identical.sh.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "sim/io/memory_sink.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "sim/run/sweep.hpp"
#include "tests/sim/run/same_sinks.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

// Spiking, with trials, weights and a theory reference: every kind of sink call crosses the exchange.
const std::string kNet = R"(
seed: 7
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
  trials: 2
  phases: [{name: on, duration: 40 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}]
record:
  rates: {populations: all, bin: 20 ms, theory: true, theory_dt: 0.1 ms}
  spikes: {populations: all}
  states: {populations: [h], period: 1 ms}
sweep: {grid: {model.r_max: [200 Hz, 800 Hz], model.tau: [10 ms, 20 ms]}, replicates: 2}
)";

// What MPI carries, in memory: requests and a stop from the writer, packed runs and failures back.
struct Wire {
  std::mutex mutex;
  std::deque<std::size_t> requests;
  bool stop = false;
  std::map<std::size_t, std::string> runs;
  std::optional<std::pair<std::size_t, std::string>> failure;
};

class Loopback final : public RunExchange {
 public:
  Loopback(Wire& wire, std::vector<unsigned> owner, unsigned me) : wire_(wire), owner_(std::move(owner)), me_(me) {}
  bool writer() const override { return me_ == 0; }
  bool local(std::size_t run) const override { return owner_.at(run) == me_; }
  std::string where(std::size_t run) const override { return "process " + std::to_string(owner_.at(run)); }
  void request(std::size_t run) override {
    std::lock_guard lock(wire_.mutex);
    wire_.requests.push_back(run);
  }
  bool poll(std::size_t run, RecordingSink& buffer, UnitOutcome& outcome) override {
    std::lock_guard lock(wire_.mutex);
    if (wire_.failure)
      throw std::runtime_error("process 1, run " + std::to_string(wire_.failure->first) + ": " + wire_.failure->second);
    const auto it = wire_.runs.find(run);
    if (it == wire_.runs.end()) return false;
    unpack_run(it->second, buffer, outcome);
    wire_.runs.erase(it);
    ++received;
    return true;
  }
  void finish() override {
    std::lock_guard lock(wire_.mutex);
    wire_.stop = true;
  }
  bool next_message(std::size_t& run, bool& stop) override {
    std::lock_guard lock(wire_.mutex);
    if (!wire_.requests.empty()) {
      run = wire_.requests.front();
      wire_.requests.pop_front();
      stop = false;
      return true;
    }
    stop = wire_.stop;
    return stop;
  }
  void send(std::size_t run, const RecordingSink& buffer, const UnitOutcome& outcome) override {
    std::string bytes = pack_run(buffer, outcome);
    std::lock_guard lock(wire_.mutex);
    wire_.runs[run] = std::move(bytes);
  }
  void send_failure(std::size_t run, const std::string& what) override {
    std::lock_guard lock(wire_.mutex);
    wire_.failure = {run, what};
  }
  int received = 0;

 private:
  Wire& wire_;
  std::vector<unsigned> owner_;
  unsigned me_;
};

struct TwoProcesses {
  MemorySink file;
  SweepResult writer, other;
  std::string error;  // what the writer's run_sweep threw
  int received = 0;   // runs that crossed the exchange
};

TwoProcesses run_on_two(const Config& cfg, const std::vector<unsigned>& owner, const UnitRunner& runner = run_plain) {
  Wire wire;
  Loopback w(wire, owner, 0), o(wire, owner, 1);
  TwoProcesses out;
  RunOptions options;
  options.jobs = 2;
  std::thread other([&] {
    MemorySink unused;
    out.other = run_sweep(cfg, unused, options, runner, &o);
  });
  out.file.begin_run(make_metadata(cfg, "test"));
  RunOptions one;
  try {
    out.writer = run_sweep(cfg, out.file, one, runner, &w);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  other.join();
  out.received = w.received;
  return out;
}

MemorySink one_process(const Config& cfg) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  REQUIRE(run_sweep(cfg, sink, RunOptions{}).complete);
  return sink;
}

}  // namespace

TEST_CASE("runs go to processes by cost, longest first, each to the least loaded") {
  // Longest first: 5 (run 1) -> 0; 3 (run 2) -> 1; 3 (run 3) -> 1 (load 3 < 5); 1 (run 0) -> 0 (5 < 6);
  // 1 (run 4) -> 0 (6 = 6: the lower process).
  CHECK(assign_by_cost({1, 5, 3, 3, 1}, 2) == std::vector<unsigned>{0, 0, 1, 1, 0});
  CHECK(assign_by_cost({2, 2, 2}, 3) == std::vector<unsigned>{0, 1, 2});
  CHECK(assign_by_cost({1, 1}, 1) == std::vector<unsigned>{0, 0});
  CHECK_THROWS(assign_by_cost({1}, 0));
  // theory_check-like costs, growing with r_max: the makespan is within the longest run of the ideal.
  std::vector<double> costs;
  for (int k = 0; k < 28; ++k) costs.push_back(100.0 * (1 << (k / 4)));
  const std::vector<unsigned> owner = assign_by_cost(costs, 3);
  std::vector<double> load(3, 0.0);
  double total = 0.0;
  for (std::size_t k = 0; k < costs.size(); ++k) {
    load[owner[k]] += costs[k];
    total += costs[k];
  }
  CHECK(*std::max_element(load.begin(), load.end()) <= total / 3 + costs.back());
}

TEST_CASE("a packed run unpacks to the same calls and the same outcome") {
  const Config cfg = test::config_from(kNet);
  RecordingSink rec;
  rec.set_scope("/sweep/0");
  const UnitOutcome u = run_plain(cfg.sweep_points[3], rec, RunOptions{});
  REQUIRE(u.complete);
  rec.write_attribute("/analysis", "names", std::vector<std::string>{"x", "h"});
  rec.write_attribute("/analysis", "pi", 3.25);
  RecordingSink copy;
  UnitOutcome back;
  unpack_run(pack_run(rec, u), copy, back);
  CHECK(copy.calls() == rec.calls());
  CHECK(back.complete);
  REQUIRE(back.run.theory.size() == u.run.theory.size());
  CHECK(back.run.theory[1].state_bias_rmse == u.run.theory[1].state_bias_rmse);
  CHECK(back.run.phases.size() == u.run.phases.size());
  CHECK(back.run.spikes == u.run.spikes);
  MemorySink a, b;
  a.begin_run(make_metadata(cfg, "test"));
  b.begin_run(make_metadata(cfg, "test"));
  rec.replay(a);
  copy.replay(b);
  test::require_same(a, b);
  CHECK(std::get<std::vector<std::string>>(b.attributes.at("/sweep/0/analysis").at("names")) ==
        std::vector<std::string>{"x", "h"});
  RecordingSink junk;
  CHECK_THROWS_WITH(junk.unpack("not an archive"), doctest::Contains("could not be read"));
}

TEST_CASE("a sweep over two processes writes what one process writes, whoever computes which run") {
  const Config cfg = test::config_from(kNet);
  const MemorySink one = one_process(cfg);
  std::vector<double> costs;
  for (const Config& c : cfg.sweep_points) costs.push_back(estimated_cost(c).total());
  for (const std::vector<unsigned>& owner :
       {assign_by_cost(costs, 2), std::vector<unsigned>{1, 1, 1, 1, 1, 1, 1, 0}, std::vector<unsigned>(8, 1)}) {
    const TwoProcesses two = run_on_two(cfg, owner);
    CHECK(two.error.empty());
    CHECK(two.writer.complete);
    CHECK(two.other.complete);
    CHECK(two.received == int(std::count(owner.begin(), owner.end(), 1u)));
    test::require_same(one, two.file);
  }
}

TEST_CASE("a run that fails in another process fails the sweep with its message, and nothing hangs") {
  const Config cfg = test::config_from(kNet);
  const UnitRunner failing = [](const Config& c, Sink& sink, const RunOptions& o) {
    if (c.model.r_max_hz == 800.0 && c.model.tau_ms == 20.0) throw std::runtime_error("disk on fire");
    return run_plain(c, sink, o);
  };
  // Runs 6 and 7 (r_max 800 Hz, tau 20 ms) fail; process 1 owns them.
  const TwoProcesses two = run_on_two(cfg, {0, 1, 0, 1, 0, 1, 0, 1}, failing);
  CHECK(two.error.find("disk on fire") != std::string::npos);
  CHECK(two.error.find("process 1") != std::string::npos);
  CHECK_FALSE(two.other.complete);
  CHECK_FALSE(two.file.arrays.count("/analysis/sweep/runs"));
}

TEST_CASE("a run interrupted in another process ends the sweep incomplete") {
  const Config cfg = test::config_from(kNet);
  const UnitRunner interrupted = [](const Config& c, Sink& sink, const RunOptions& o) {
    if (c.model.r_max_hz == 200.0 && c.model.tau_ms == 20.0) return UnitOutcome{};  // complete = false
    return run_plain(c, sink, o);
  };
  const TwoProcesses two = run_on_two(cfg, {0, 0, 1, 1, 0, 0, 1, 1}, interrupted);
  CHECK(two.error.empty());
  CHECK_FALSE(two.writer.complete);
  CHECK(two.other.complete);  // nothing failed there: the writer ended the sweep
  CHECK(two.file.arrays.count("/sweep/1/analysis/theory_check/h/state_rmse"));
  CHECK_FALSE(two.file.arrays.count("/analysis/sweep/runs"));
}
