#include "sim/run/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "sim/run/sweep_analysis.hpp"

namespace ebsim {

namespace {

std::string run_label(const Sweep& sweep, const SweepRun& run, std::size_t k, std::size_t n) {
  std::string s = sweep.axes.empty() ? "" : sweep.label(run.point);
  if (sweep.replicated())
    s += (s.empty() ? "" : ", ") + std::string("replicate ") + std::to_string(run.replicate + 1) + "/" +
         std::to_string(sweep.replicates());
  return s + " (run " + std::to_string(k + 1) + "/" + std::to_string(n) + ")";
}

// The sweep's progress: each run's fraction done weighted by its estimated cost, and the runs now
// running. Called from worker threads; one lock serialises the calls to the caller's callbacks.
class SweepProgress {
 public:
  // threaded: runs are written after they are computed (their write cost comes with hand_over).
  SweepProgress(const Config& cfg, const RunOptions& outer, bool threaded) : cfg_(cfg), outer_(outer) {
    for (const Config& c : cfg.sweep_points) {
      const CostEstimate e = estimated_cost(c);
      weight_.push_back(std::max(e.total(), 1e-12));
      write_share_.push_back(threaded ? e.write / weight_.back() : 0.0);
    }
    for (double w : weight_) total_ += w;
    done_.assign(weight_.size(), 0.0);
  }
  void start(std::size_t k) {
    std::lock_guard lock(mutex_);
    running_.insert(k);
    note();
  }
  void update(std::size_t k, double fraction) {
    std::lock_guard lock(mutex_);
    done_[k] = std::clamp(fraction, 0.0, 1.0) * (1.0 - write_share_[k]);
    report();
  }
  void finish(std::size_t k) {
    std::lock_guard lock(mutex_);
    done_[k] = 1.0 - write_share_[k];
    running_.erase(k);
    report();
    note();
  }
  void handed_over(std::size_t k) {
    std::lock_guard lock(mutex_);
    done_[k] = 1.0;
    report();
  }

 private:
  void report() {
    if (!outer_.progress) return;
    double sum = 0.0;
    for (std::size_t k = 0; k < weight_.size(); ++k) sum += weight_[k] * done_[k];
    outer_.progress(sum / total_);
  }
  void note() {
    if (!outer_.progress_note || running_.empty()) return;
    const std::size_t k = *running_.begin();
    std::string s = run_label(*cfg_.sweep, cfg_.sweep_runs[k], k, cfg_.sweep_points.size());
    if (running_.size() > 1) s += " and " + std::to_string(running_.size() - 1) + " more";
    outer_.progress_note(s);
  }
  const Config& cfg_;
  const RunOptions& outer_;
  std::mutex mutex_;
  std::vector<double> weight_, write_share_, done_;
  double total_ = 0.0;
  std::set<std::size_t> running_;
};

}  // namespace

UnitOutcome run_plain(const Config& cfg, Sink& sink, const RunOptions& options) {
  UnitOutcome u;
  u.run = run_experiment(cfg, sink, options);
  u.complete = u.run.complete;
  return u;
}

SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options, const UnitRunner& runner,
                      RunExchange* exchange) {
  SweepResult out;
  const std::size_t n = cfg.sweep_points.size();
  const Sweep& sweep = *cfg.sweep;
  const bool legacy = sweep.legacy() && !cfg.experiment;
  const bool writer = !exchange || exchange->writer();
  ReportTap tap(sink);
  std::vector<Reported> reported;
  // The runs this process computes, in run order.
  std::vector<std::size_t> mine;
  for (std::size_t k = 0; k < n; ++k)
    if (!exchange || exchange->local(k)) mine.push_back(k);
  const unsigned jobs =
      unsigned(std::min<std::size_t>(std::max(options.jobs, 1u), std::max<std::size_t>(mine.size(), 1)));
  // With other processes the calling thread is the go-between, so the runs go to worker threads.
  const bool threaded = jobs > 1 || exchange;
  SweepProgress progress(cfg, options, threaded);
  auto unit_options = [&](std::size_t k, const std::atomic<bool>* stop) {
    RunOptions o = options;
    o.stop = stop;
    o.progress_note = {};
    // The threads go to whole runs first (cheaper than splitting one: no buffered trial ranges);
    // a sweep of fewer runs than threads gives each run a share for its trials.
    o.jobs = std::max(1u, unsigned(options.jobs / std::max<std::size_t>(mine.size(), 1)));
    o.progress = [&progress, k](double f) { progress.update(k, f); };
    return o;
  };
  // After a run has been handed over: false once the sweep must end (an interrupted run).
  auto hand_over = [&](const UnitOutcome& u) {
    reported.push_back(tap.take());
    if (!u.complete) return false;
    out.points.push_back(u.run);
    return true;
  };

  bool all_complete = true;
  if (!threaded) {
    for (std::size_t k = 0; k < n && all_complete; ++k) {
      tap.set_scope("/sweep/" + std::to_string(k));
      write_run_attributes(cfg, k, tap);
      progress.start(k);
      const UnitOutcome u = runner(cfg.sweep_points[k], tap, unit_options(k, options.stop));
      progress.finish(k);
      all_complete = hand_over(u);
    }
  } else {
    // Workers take this process's runs (within 2 x jobs of those handed on, to bound the memory
    // the buffers hold; see `pick`); the calling thread replays them in order (the writer)
    // or sends them when the writer asks (another process). `halt` stops the workers: a signal
    // (relayed from options.stop within 20 ms), an interrupted run or a failure.
    struct Slot {
      RecordingSink buffer;
      UnitOutcome outcome;
      std::exception_ptr error;
      bool done = false;
    };
    std::vector<std::unique_ptr<Slot>> slots(n);
    std::mutex mutex;
    std::condition_variable changed;
    // Positions in `mine`: a worker starts, of the runs not started within 2 x jobs of the first
    // not yet handed on, the one of largest estimated cost (so a long run does not start last).
    std::size_t started_count = 0, handed = 0;
    std::vector<char> started(mine.size(), 0);
    std::vector<double> cost;
    for (std::size_t k : mine) cost.push_back(estimated_cost(cfg.sweep_points[k]).total());
    auto pick = [&]() -> std::optional<std::size_t> {  // under the lock
      std::optional<std::size_t> best;
      for (std::size_t p = handed; p < std::min(mine.size(), handed + 2 * jobs); ++p)
        if (!started[p] && (!best || cost[p] > cost[*best])) best = p;
      return best;
    };
    std::atomic<bool> halt{false};
    auto worker = [&] {
      for (;;) {
        std::size_t k = 0;
        Slot* slot = nullptr;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return halt.load() || started_count >= mine.size() || pick(); });
          if (halt.load() || started_count >= mine.size()) return;
          const std::size_t p = *pick();
          started[p] = 1;
          ++started_count;
          k = mine[p];
          slots[k] = std::make_unique<Slot>();
          slot = slots[k].get();
        }
        progress.start(k);
        try {
          slot->outcome = runner(cfg.sweep_points[k], slot->buffer, unit_options(k, &halt));
        } catch (...) {
          slot->error = std::current_exception();
        }
        progress.finish(k);
        {
          std::lock_guard lock(mutex);
          slot->done = true;
        }
        changed.notify_all();
      }
    };
    std::vector<std::jthread> threads;
    for (unsigned j = 0; j < jobs && j < mine.size(); ++j) threads.emplace_back(worker);
    auto stop_all = [&] {
      {
        std::lock_guard lock(mutex);
        halt = true;
      }
      changed.notify_all();
    };
    // Whatever leaves this scope — an exception from the writer (a full disk, a sink that refuses a
    // call, another process's failure) included — stops the workers first (destroyed before
    // `threads`, whose destructor joins) and tells the other processes that the sweep is over.
    struct StopOnExit {
      decltype(stop_all)& stop;
      RunExchange* exchange;
      bool writer;
      ~StopOnExit() {
        stop();
        if (exchange && writer) exchange->finish();
      }
    } stop_on_exit{stop_all, exchange, writer};
    // Waits for local run k: its slot, or none when nobody will start it (the sweep was halted).
    // `also` is polled between waits (another process's messages); true from it ends the wait.
    auto wait_local = [&](std::size_t k, const std::function<bool()>& also) {
      std::unique_lock lock(mutex);
      while (!(slots[k] && slots[k]->done)) {
        if (halt.load() && !slots[k]) break;  // nobody will start it
        changed.wait_for(lock, std::chrono::milliseconds(exchange ? 1 : 20));
        if (options.stop && options.stop->load() && !halt.load()) {
          halt = true;
          changed.notify_all();
        }
        if (also) {
          lock.unlock();
          const bool end = also();
          lock.lock();
          if (end) return std::unique_ptr<Slot>();
        }
      }
      return std::move(slots[k]);
    };
    auto release = [&] {
      {
        std::lock_guard lock(mutex);
        ++handed;
      }
      changed.notify_all();
    };
    std::exception_ptr failure;
    if (writer) {
      for (std::size_t k = 0; k < n; ++k) {
        std::unique_ptr<Slot> slot;
        bool begun = false;  // run k's group has its attributes, and maybe part of its data
        auto begin_group = [&] {
          if (begun) return;
          tap.set_scope("/sweep/" + std::to_string(k));
          write_run_attributes(cfg, k, tap);
          begun = true;
        };
        if (!exchange || exchange->local(k)) {
          // The next run to write: what it has recorded goes to the file while it runs, so that
          // writing (compression) overlaps the computing.
          slot = wait_local(k, [&] {
            Slot* running = nullptr;
            {
              std::lock_guard lock(mutex);
              running = slots[k].get();
            }
            if (running) {
              begin_group();
              running->buffer.replay(tap);
            }
            return false;
          });
        } else {
          // Another process's run: ask for it and wait (a signal here ends the sweep incomplete).
          exchange->request(k);
          auto remote = std::make_unique<Slot>();
          for (;;) {
            if (exchange->poll(k, remote->buffer, remote->outcome)) {
              slot = std::move(remote);
              break;
            }
            if (options.stop && options.stop->load()) break;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
        }
        if (!slot) {
          all_complete = false;
          break;
        }
        if (slot->error) {
          failure = slot->error;
          stop_all();
          break;
        }
        begin_group();
        slot->buffer.replay(tap);
        progress.handed_over(k);
        const bool go_on = hand_over(slot->outcome);
        if (!exchange || exchange->local(k)) release();
        if (!go_on) {
          all_complete = false;
          stop_all();
          break;
        }
      }
    } else {
      // Another process: answer the writer's requests until it says the sweep is over.
      bool failed = false;
      std::size_t run = 0;
      bool stop = false;
      auto report = [&](std::size_t k, const std::exception_ptr& error) {  // to the writer, once
        if (failed) return;
        std::string what = "unknown failure";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        exchange->send_failure(k, what);
        failed = true;
        stop_all();
      };
      auto watch = [&] {  // a run that failed here goes to the writer at once
        std::exception_ptr error;
        std::size_t k = n;
        {
          std::lock_guard lock(mutex);
          for (std::size_t m : mine)
            if (slots[m] && slots[m]->done && slots[m]->error) {
              error = slots[m]->error;
              k = m;
              break;
            }
        }
        if (error) report(k, error);
      };
      for (;;) {
        while (!exchange->next_message(run, stop)) {
          watch();
          if (options.stop && options.stop->load() && !halt.load()) stop_all();
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (stop) break;
        std::unique_ptr<Slot> slot = wait_local(run, [&] {
          watch();
          return failed;  // the writer will not take this run: wait for its stop
        });
        if (failed) continue;
        if (!slot) slot = std::make_unique<Slot>();  // halted before it started: sent as interrupted
        if (slot->error) {
          report(run, slot->error);
          continue;
        }
        exchange->send(run, slot->buffer, slot->outcome);
        release();
      }
      stop_all();
      threads.clear();
      out.complete = !failed;
      return out;
    }
    stop_all();  // lets idle workers end
    threads.clear();
    if (failure) {
      tap.set_scope("");
      std::rethrow_exception(failure);
    }
  }
  tap.set_scope("");
  if (!all_complete) return out;
  out.complete = true;
  if (legacy)
    write_legacy_analysis(cfg, out, sink);
  else
    write_statistics(cfg, reported, out, sink);
  return out;
}

}  // namespace ebsim
