// A sweep over several processes (sim/run/exchange.hpp), without MPI: two run_sweep calls on two
// threads joined by an in-process exchange that keeps the MPI protocol (the writer asks for a run,
// its owner sends it packed; a failure goes to the writer at once; the writer's stop ends the
// other). The MPI transport itself is tested end to end by tests/tools/mpi_identical.sh.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "sim/io/memory_sink.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "sim/run/sweep.hpp"
#include "sim/run/trial_ranges.hpp"
#include "tests/sim/run/same_sinks.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

// Spiking, with trials, weights and a theory reference: every kind of sink call crosses the exchange.
const std::string kNet =
    test::kSpiking + "sweep: {grid: {model.r_max: [200 Hz, 800 Hz], model.tau: [10 ms, 20 ms]}, replicates: 2}\n";

// What MPI carries, in memory: wants, runs and failures to the writer; assignments, requests and the
// stop to the other process.
struct Wire {
  std::mutex mutex;
  int wants = 0;
  std::deque<std::pair<RunExchange::Message, std::size_t>> to_other;
  std::map<std::size_t, std::string> runs;
  std::optional<std::pair<std::size_t, std::string>> failure;
  std::vector<std::size_t> assigned;    // what the writer gave the other process, in order
  std::atomic<int> ranges_assigned{0};  // of those, ranges of a shared run (numbers >= runs)
  bool garble_ranges = false;           // ranges arrive cut short (a transport that fails)
};

class Loopback final : public RunExchange {
 public:
  Loopback(Wire& wire, bool writer, std::size_t sweep_runs) : runs(sweep_runs), wire_(wire), writer_(writer) {}
  bool writer() const override { return writer_; }
  unsigned processes() const override { return 2; }
  bool poll_want(unsigned& process) override {
    std::lock_guard lock(wire_.mutex);
    if (wire_.wants == 0) return false;
    --wire_.wants;
    process = 1;
    return true;
  }
  void assign(std::size_t run, unsigned process) override {
    REQUIRE(process == 1);
    std::lock_guard lock(wire_.mutex);
    wire_.assigned.push_back(run);
    if (run >= runs) ++wire_.ranges_assigned;
    wire_.to_other.emplace_back(Message::assign, run);
  }
  void request(std::size_t run, unsigned) override {
    std::lock_guard lock(wire_.mutex);
    wire_.to_other.emplace_back(Message::request, run);
  }
  bool poll(std::size_t run, unsigned, std::string& packed) override {
    std::lock_guard lock(wire_.mutex);
    if (wire_.failure)
      throw std::runtime_error("process 1, run " + std::to_string(wire_.failure->first) + ": " + wire_.failure->second);
    const auto it = wire_.runs.find(run);
    if (it == wire_.runs.end()) return false;
    packed = it->second;
    wire_.runs.erase(it);
    ++received;
    return true;
  }
  void finish() override {
    std::lock_guard lock(wire_.mutex);
    wire_.to_other.emplace_back(Message::stop, 0);
  }
  void want() override {
    std::lock_guard lock(wire_.mutex);
    ++wire_.wants;
  }
  Message next_message(std::size_t& run) override {
    std::lock_guard lock(wire_.mutex);
    if (wire_.to_other.empty()) return Message::none;
    const auto [message, k] = wire_.to_other.front();
    wire_.to_other.pop_front();
    run = k;
    return message;
  }
  void send(std::size_t run, const std::string& packed) override {
    std::lock_guard lock(wire_.mutex);
    wire_.runs[run] = wire_.garble_ranges && run >= runs ? packed.substr(0, packed.size() / 2) : packed;
  }
  void send_failure(std::size_t run, const std::string& what) override {
    std::lock_guard lock(wire_.mutex);
    wire_.failure = {run, what};
  }
  int received = 0;
  std::size_t runs;

 private:
  Wire& wire_;
  bool writer_;
};

struct TwoProcesses {
  MemorySink file;
  SweepResult writer, other;
  std::string error;                  // what the writer's run_sweep threw
  int received = 0;                   // runs that crossed the exchange
  std::vector<std::size_t> assigned;  // the runs the other process was given
};

// The writer on this thread with `writer_jobs` threads, the other process on another with
// `other_jobs`.
TwoProcesses run_on_two(const Config& cfg, unsigned writer_jobs, const UnitRunner& writer_runs = run_plain,
                        const UnitRunner& other_runs = run_plain, unsigned other_jobs = 2, Wire* wire_in = nullptr) {
  Wire own_wire;
  Wire& wire = wire_in ? *wire_in : own_wire;
  Loopback w(wire, true, cfg.sweep_points.size()), o(wire, false, cfg.sweep_points.size());
  TwoProcesses out;
  std::thread other([&] {
    RunOptions options;
    options.jobs = other_jobs;
    MemorySink unused;
    out.other = run_sweep(cfg, unused, options, other_runs, &o);
  });
  out.file.begin_run(make_metadata(cfg, "test"));
  RunOptions options;
  options.jobs = writer_jobs;
  try {
    out.writer = run_sweep(cfg, out.file, options, writer_runs, &w);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  other.join();
  out.received = w.received;
  out.assigned = wire.assigned;
  return out;
}

std::vector<RunResult> one_process_points(const Config& cfg) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  return run_sweep(cfg, sink, RunOptions{}).points;
}

MemorySink one_process(const Config& cfg) {
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  REQUIRE(run_sweep(cfg, sink, RunOptions{}).complete);
  return sink;
}

}  // namespace

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

// Runners that make the other process take part: the writer's runs wait (10 s at most) until the
// other process has started one, so that the writer's threads cannot take every run first.
struct Gate {
  std::atomic<bool> other_started{false};
  UnitRunner writer() {
    return [this](const Config& c, Sink& sink, const RunOptions& o) {
      for (int i = 0; i < 10000 && !other_started.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return run_plain(c, sink, o);
    };
  }
  UnitRunner other() {
    return [this](const Config& c, Sink& sink, const RunOptions& o) {
      other_started = true;
      return run_plain(c, sink, o);
    };
  }
};

TEST_CASE("a sweep over two processes writes what one process writes, whoever computes which run") {
  const Config cfg = test::config_from(kNet);
  const MemorySink one = one_process(cfg);
  // The writer with one thread and with three: the other process gets more or fewer runs.
  for (unsigned writer_jobs : {1u, 3u}) {
    CAPTURE(writer_jobs);
    Gate gate;
    const TwoProcesses two = run_on_two(cfg, writer_jobs, gate.writer(), gate.other());
    CHECK(two.error.empty());
    CHECK(two.writer.complete);
    CHECK(two.other.complete);
    CHECK(two.received == int(two.assigned.size()));
    CHECK_FALSE(two.assigned.empty());
    test::require_same(one, two.file);
  }
  // A runner that notes what it runs shows that the other process ran what it was given, nothing else.
  std::mutex mutex;
  std::vector<double> ran_there;
  Gate gate;
  const UnitRunner other = gate.other();
  const TwoProcesses two = run_on_two(cfg, 1, gate.writer(), [&](const Config& c, Sink& sink, const RunOptions& o) {
    {
      std::lock_guard lock(mutex);
      ran_there.push_back(c.model.r_max_hz * 1000 + c.model.tau_ms + c.seed * 1e-9);
    }
    return other(c, sink, o);
  });
  std::vector<double> given;
  for (std::size_t k : two.assigned) {
    const Config& c = cfg.sweep_points[k];
    given.push_back(c.model.r_max_hz * 1000 + c.model.tau_ms + c.seed * 1e-9);
  }
  std::sort(given.begin(), given.end());
  std::sort(ran_there.begin(), ran_there.end());
  CHECK(given == ran_there);
  test::require_same(one, two.file);
}

TEST_CASE("the writer gives out the costliest run first") {
  // Costs grow with r_max. With 3 threads on the writer the window ahead of it (2 x 3 threads x 2
  // processes) holds all 8 runs; 4 are at 800 Hz and the writer's threads take at most 3 of them,
  // so the other process, which asks before the writer's threads finish one (the gate), gets one at
  // 800 Hz.
  const Config cfg = test::config_from(kNet);
  Gate gate;
  const TwoProcesses two = run_on_two(cfg, 3, gate.writer(), gate.other());
  REQUIRE_FALSE(two.assigned.empty());
  CHECK(cfg.sweep_points[two.assigned.front()].model.r_max_hz == 800.0);
}

TEST_CASE("another process keeps asking for runs while the writer waits for a long one") {
  // The writer (one thread) takes one of the 4 runs in its window (2 x 1 thread x 2 processes)
  // and holds it until the other process (one thread) has started 3 runs, or 10 s. The other
  // process holds its finished runs until the writer asks, which it does in run order; it must
  // still ask for the third run (it used to stop at 2 x its threads unsent, leaving the run the
  // writer needs first to nobody while the writer's own run lasted).
  const Config cfg = test::config_from(kNet);
  std::atomic<int> started_there{0};
  std::atomic<int> seen_first{-1};  // runs started there when the writer's first run ended its wait
  const UnitRunner writer = [&](const Config& c, Sink& sink, const RunOptions& o) {
    for (int i = 0; i < 10000 && started_there.load() < 3; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    int unset = -1;
    seen_first.compare_exchange_strong(unset, started_there.load());
    return run_plain(c, sink, o);
  };
  const UnitRunner other = [&](const Config& c, Sink& sink, const RunOptions& o) {
    ++started_there;
    return run_plain(c, sink, o);
  };
  const TwoProcesses two = run_on_two(cfg, 1, writer, other, 1);
  CHECK(seen_first.load() == 3);
  CHECK(two.error.empty());
  CHECK(two.writer.complete);
  test::require_same(one_process(cfg), two.file);
}

TEST_CASE("a run that fails in another process fails the sweep with its message, and nothing hangs") {
  const Config cfg = test::config_from(kNet);
  const UnitRunner failing = [](const Config&, Sink&, const RunOptions&) -> UnitOutcome {
    throw std::runtime_error("disk on fire");
  };
  const TwoProcesses two = run_on_two(cfg, 1, run_plain, failing);
  CHECK(two.error.find("disk on fire") != std::string::npos);
  CHECK(two.error.find("process 1") != std::string::npos);
  CHECK_FALSE(two.other.complete);
  CHECK_FALSE(two.file.arrays.count("/analysis/sweep/runs"));
}

TEST_CASE("a run interrupted in another process ends the sweep incomplete") {
  const Config cfg = test::config_from(kNet);
  const UnitRunner interrupted = [](const Config&, Sink&, const RunOptions&) { return UnitOutcome{}; };
  const TwoProcesses two = run_on_two(cfg, 1, run_plain, interrupted);
  CHECK(two.error.empty());
  CHECK_FALSE(two.writer.complete);
  CHECK(two.other.complete);  // nothing failed there: the writer ended the sweep
  CHECK_FALSE(two.file.arrays.count("/analysis/sweep/runs"));
}

// The writer's runner: the shared run's first progress report (from inside the run, once its
// ranges are open to the other process) waits until the other process was given two ranges, or
// 10 s, so that ranges surely go there, and not only the first.
namespace {
UnitRunner waits_for_ranges(Wire& wire) {
  auto waited = std::make_shared<std::atomic<bool>>(false);
  return [&wire, waited](const Config& c, Sink& sink, const RunOptions& o) {
    if (!o.outlet) return run_plain(c, sink, o);  // not the shared run
    RunOptions waits = o;
    waits.progress = [&wire, waited, then = o.progress](double f) {
      if (!waited->exchange(true))
        for (int i = 0; i < 10000 && wire.ranges_assigned.load() < 2; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (then) then(f);
    };
    return run_plain(c, sink, waits);
  };
}
}  // namespace

TEST_CASE("a run costlier than a process's share has its trial ranges shared, and the file is the same") {
  // 200 Hz and 1600 Hz: the second run is about 8/9 of the work, more than half, so the writer keeps
  // it and gives its ranges (trial_ranges with 1 thread x 2 processes: 8 of the 8 trials) to the
  // other process as it asks (waits_for_ranges).
  const Config cfg =
      test::config_from(test::kSpiking + "sweep: {zip: {model.r_max: [200 Hz, 1600 Hz]}}\n", {"protocol.trials=8"});
  const std::size_t n = cfg.sweep_points.size();
  Wire wire;
  const TwoProcesses two = run_on_two(cfg, 1, waits_for_ranges(wire), run_plain, 1, &wire);
  CHECK(two.error.empty());
  CHECK(two.writer.complete);
  CHECK(two.other.complete);
  CHECK(wire.ranges_assigned.load() >= 2);
  CHECK(std::any_of(two.assigned.begin(), two.assigned.end(),
                    [&](std::size_t id) { return id >= n && range_of_part(n, id) > 0; }));  // not only the first
  for (std::size_t id : two.assigned)
    if (id >= n) CHECK(run_of_part(n, id) == 1);    // only the costly run's ranges
  CHECK(two.received == int(two.assigned.size()));  // every range given came back
  test::require_same(one_process(cfg), two.file);
  REQUIRE(two.writer.points.size() == 2);
  CHECK(two.writer.points[1].spikes == one_process_points(cfg)[1].spikes);
}

TEST_CASE("a shared run's range that arrives garbled fails the sweep with a clear error, and nothing hangs") {
  const Config cfg =
      test::config_from(test::kSpiking + "sweep: {zip: {model.r_max: [200 Hz, 1600 Hz]}}\n", {"protocol.trials=8"});
  Wire wire;
  wire.garble_ranges = true;
  const TwoProcesses two = run_on_two(cfg, 1, waits_for_ranges(wire), run_plain, 1, &wire);
  REQUIRE(wire.ranges_assigned.load() > 0);
  CHECK(two.error.find("a packed range of trials could not be read") != std::string::npos);
  CHECK_FALSE(two.writer.complete);
  CHECK_FALSE(two.file.arrays.count("/analysis/sweep/runs"));
}

TEST_CASE("a range of trials packs and unpacks to the same numbers; a short one is refused") {
  const Config cfg = test::config_from(test::kSpiking, {"protocol.trials=4"});
  const TrialPart part = unpack_trial_part(run_trial_part(cfg, trial_range(4, 2, 1), RunOptions{}));
  CHECK(part.complete);
  CHECK(part.final_states.size() == 2 * 9);  // trials 2 and 3, 9 units
  CHECK(part.phases.size() == 2);
  CHECK(part.spikes > 0);
  CHECK_FALSE(part.rates.empty());
  CHECK_FALSE(part.calls.empty());
  CHECK(pack_trial_part(part) == pack_trial_part(unpack_trial_part(pack_trial_part(part))));
  CHECK_THROWS_WITH(unpack_trial_part(pack_trial_part(part).substr(0, 40)), doctest::Contains("could not be read"));
}
