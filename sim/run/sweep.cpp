#include "sim/run/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"
#include "sim/run/shared_runs.hpp"
#include "sim/run/sweep_analysis.hpp"
#include "sim/run/sweep_progress.hpp"

namespace ebsim {

UnitOutcome run_plain(const Config& cfg, Sink& sink, const RunOptions& options) {
  UnitOutcome u;
  u.run = run_experiment(cfg, sink, options);
  u.complete = u.run.complete;
  return u;
}

namespace {

// A run's place on its way to the file: recorded by a worker (or received), then handed over.
struct Slot {
  RecordingSink buffer;
  std::string packed;  // another process: the run packed for the writer by the worker that computed it
  UnitOutcome outcome;
  std::exception_ptr error;
  bool done = false;
};

std::string what_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown failure";
}

}  // namespace

SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options, const UnitRunner& runner,
                      RunExchange* exchange) {
  SweepResult out;
  const std::size_t n = cfg.sweep_points.size();
  const Sweep& sweep = *cfg.sweep;
  const bool legacy = sweep.legacy() && !cfg.experiment;
  const bool writer = !exchange || exchange->writer();
  const unsigned processes = exchange ? exchange->processes() : 1;
  ReportTap tap(sink);
  std::vector<Reported> reported;
  const unsigned jobs = unsigned(std::min<std::size_t>(std::max(options.jobs, 1u), n));
  // With other processes the calling thread is the go-between, so the runs go to worker threads.
  const bool threaded = jobs > 1 || exchange;
  SweepProgress progress(cfg, options, threaded, unsigned(std::min<std::size_t>(std::size_t(jobs) * processes, n)));
  // The threads go to whole runs first (cheaper than splitting one: no buffered trial ranges). A run
  // whose estimated cost exceeds a thread's fair share of the sweep (total / threads) would finish
  // last on one thread, so it gets ceil(cost / share) threads for its trials (at most this
  // process's --jobs); so does every run of a sweep of fewer runs than threads.
  std::vector<double> cost;
  for (const Config& point : cfg.sweep_points) cost.push_back(estimated_cost(point).total());
  const std::vector<unsigned> run_jobs = threads_per_run(cost, options.jobs, processes);
  // Over processes, the writer shares the trial ranges of a run that would finish last however
  // the runs are spread (sim/run/shared_runs.hpp).
  SharedRuns shares(cfg, cost, options.jobs, exchange);
  auto unit_options = [&](std::size_t k, const std::atomic<bool>* stop) {
    RunOptions o = options;
    o.stop = stop;
    o.progress_note = {};
    o.jobs = run_jobs[k];
    o.outlet = shares.outlet(k);
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
    // Which process computes which run is decided as they go: the writer's workers, and the other
    // processes when they ask (RunExchange::want), take the run of largest estimated cost not yet
    // taken among the `window` runs from the first not yet written, so a long run does not start
    // last and the buffers hold a bounded number of runs. Another process's workers take the runs
    // the writer gave it, in that order. The calling thread replays runs into the file in run order
    // (the writer) or sends them when the writer asks (another process). `halt` stops the workers:
    // a signal (relayed from options.stop), an interrupted run or a failure.
    std::map<std::size_t, std::unique_ptr<Slot>> slots;  // by number: runs, and ranges of shared runs (trial_part_id)
    std::mutex mutex;
    std::condition_variable changed;
    std::atomic<bool> halt{false};
    std::vector<int> owner(n, -1);  // the writer: the process computing each run (-1: none yet)
    std::deque<std::size_t> given;  // another process: runs the writer gave it, not yet started
    bool over = false;              // another process: the writer said the sweep is over
    std::size_t written = 0, taken = 0, running = 0;
    std::size_t unsent = 0;  // another process: finished runs (not ranges) the writer has not asked for
    const std::size_t window = 2 * std::size_t(jobs) * processes;
    // The writer, under the lock. A shared run is the writer's own.
    auto costliest_free = [&](bool for_other) -> std::optional<std::size_t> {
      std::optional<std::size_t> best;
      for (std::size_t k = written; k < std::min(n, written + window); ++k)
        if (owner[k] < 0 && !(for_other && shares.outlet(k)) && (!best || cost[k] > cost[*best])) best = k;
      return best;
    };
    auto next_run = [&]() -> std::optional<std::size_t> {  // under the lock
      if (writer) {
        const auto k = costliest_free(false);
        if (k) owner[*k] = 0, ++taken;
        return k;
      }
      if (given.empty()) return std::nullopt;
      const std::size_t k = given.front();
      given.pop_front();
      return k;
    };
    auto worker = [&] {
      for (;;) {
        std::size_t k = 0;
        Slot* slot = nullptr;
        {
          std::unique_lock lock(mutex);
          std::optional<std::size_t> next;
          changed.wait(lock, [&] {
            if (halt.load() || (writer ? taken >= n : over && given.empty())) return true;
            next = next_run();
            return next.has_value();
          });
          if (!next) return;
          k = *next;
          slots[k] = std::make_unique<Slot>();
          slot = slots[k].get();
          // Encoded on this thread if the run goes to an HDF5 file: here, or another process's.
          slot->buffer.encode_chunks(writer ? sink.stores_chunks() : true);
          ++running;
        }
        const bool part = is_trial_part(n, k);
        if (!part) progress.start(k);
        try {
          if (part) {  // a range of a run the writer shares (another process)
            slot->packed = shares.compute_range(k, unit_options(run_of_part(n, k), &halt));
          } else {
            slot->outcome = runner(cfg.sweep_points[k], slot->buffer, unit_options(k, &halt));
            slot->buffer.finish_chunks();  // the rows after each dataset's last whole chunk
            if (!writer) {                 // packed here, on this thread's core: the go-between only sends it
              slot->packed = pack_run(slot->buffer, slot->outcome);
              slot->buffer.clear();
            }
          }
        } catch (...) {
          slot->error = std::current_exception();
        }
        if (!part) progress.finish(k);
        {
          std::lock_guard lock(mutex);
          slot->done = true;
          --running;
          // A process holding finished ranges must still ask for work: the run they belong to
          // waits for the runs before it, which may be left to this process.
          if (!part) ++unsent;
        }
        changed.notify_all();
      }
    };
    std::vector<std::jthread> threads;
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
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
        try {
          if (exchange && writer) exchange->finish();
        } catch (...) {  // a transport that fails now cannot be told anything more
        }
      }
    } stop_on_exit{stop_all, exchange, writer};
    auto relay_signal = [&] {
      if (options.stop && options.stop->load() && !halt.load()) stop_all();
    };
    std::exception_ptr failure;
    if (writer) {
      std::deque<unsigned> wants;  // processes that asked for a run and got none yet
      auto serve_wants = [&] {
        if (!exchange) return;
        for (unsigned p = 0; exchange->poll_want(p);) wants.push_back(p);
        while (!wants.empty() && !halt.load()) {
          const unsigned p = wants.front();
          std::optional<std::size_t> k;
          {
            std::lock_guard lock(mutex);
            k = costliest_free(true);
          }
          // A range of a shared run that is running here, if it costs more than the free run.
          if (!shares.give(p, k ? std::optional<double>(cost[*k]) : std::nullopt)) {
            {
              std::lock_guard lock(mutex);
              k = costliest_free(true);
              if (k) owner[*k] = int(p), ++taken;
            }
            if (!k) break;
            shares.stamp_run(*k);
            exchange->assign(*k, p);
          }
          wants.pop_front();
        }
      };
      for (std::size_t k = 0; k < n; ++k) {
        std::unique_ptr<Slot> slot;
        bool begun = false;      // run k's group has its attributes, and maybe part of its data
        bool requested = false;  // another process's run: asked for
        auto begin_group = [&] {
          if (begun) return;
          tap.set_scope("/sweep/" + std::to_string(k));
          write_run_attributes(cfg, k, tap);
          begun = true;
        };
        for (;;) {
          serve_wants();
          int who = -1;
          Slot* here = nullptr;
          {
            std::unique_lock lock(mutex);
            who = owner[k];
            if (who == 0 && slots[k] && slots[k]->done) {
              slot = std::move(slots[k]);
              break;
            }
            if (halt.load() && who <= 0 && !slots[k]) break;  // nobody will start it
            here = who == 0 ? slots[k].get() : nullptr;
          }
          if (here) {
            // Ours and running: what it has recorded goes to the file now, so that writing
            // (compression) overlaps computing.
            begin_group();
            here->buffer.replay(tap);
          }
          // One request out at a time: run k when its process has it next among what it was given,
          // or else the first range given out, as soon as possible (not when its run's turn
          // comes: the run's process hands ranges over while it computes).
          if (shares.asked()) {
            shares.poll(serve_wants);
          } else if (who > 0 && !requested && !shares.range_before(k)) {
            exchange->request(k, unsigned(who));
            requested = true;
            slot = std::make_unique<Slot>();  // what arrives goes here
          } else if (!requested && shares.ranges_out()) {
            shares.ask();
          }
          if (requested) {
            if (std::string packed; exchange->poll(k, unsigned(who), packed)) {
              serve_wants();  // the process that sent it may be asking already: before the replay
              unpack_run(packed, slot->buffer, slot->outcome);
              slot->done = true;
              break;
            }
          }
          if ((requested || shares.asked()) && options.stop && options.stop->load()) break;  // the others stop too
          relay_signal();
          std::unique_lock lock(mutex);
          changed.wait_for(lock, std::chrono::milliseconds(exchange ? 1 : 20));
        }
        if (!slot || !slot->done) {  // nobody will start it, or stopped while waiting for it
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
        {
          std::lock_guard lock(mutex);
          ++written;
        }
        changed.notify_all();
        if (!go_on) {
          all_complete = false;
          stop_all();
          break;
        }
      }
    } else {
      // Another process: ask for runs while a thread is free, answer the writer's requests, until
      // it says the sweep is over.
      bool failed = false, wanting = false;
      auto report = [&](std::size_t k, const std::exception_ptr& error) {  // to the writer, once
        if (failed) return;
        exchange->send_failure(k, what_of(error));
        failed = true;
        stop_all();
      };
      auto watch = [&] {  // a run that failed here goes to the writer at once
        std::exception_ptr error;
        std::size_t k = n;
        {
          std::lock_guard lock(mutex);
          for (const auto& [m, slot] : slots)
            if (slot && slot->done && slot->error) {
              error = slot->error, k = m;
              break;
            }
        }
        if (error) report(k, error);
      };
      // One message from the writer, if any: runs given are queued for the workers.
      auto listen = [&](std::size_t& run) {
        const RunExchange::Message m = exchange->next_message(run);
        if (m == RunExchange::Message::assign) {
          {
            std::lock_guard lock(mutex);
            given.push_back(run);
            wanting = false;
          }
          changed.notify_all();
        } else if (m == RunExchange::Message::stop) {
          std::lock_guard lock(mutex);
          over = true;
        }
        return m;
      };
      auto ask_if_free = [&] {
        bool ask = false;
        {
          std::lock_guard lock(mutex);
          // Finished runs wait here until the writer asks for them, in run order. They are bounded
          // by the writer's window, not by a share of it: a process that stopped asking at a few
          // finished runs could leave the run the writer needs first to nobody (measured: a
          // theory_check sweep on 2 ranks waited about 1 s for it).
          ask = !failed && !halt.load() && !wanting && running + given.size() < jobs && unsent < window;
          if (ask) wanting = true;
        }
        if (ask) exchange->want();
      };
      for (;;) {
        std::size_t run = 0;
        ask_if_free();
        const RunExchange::Message m = listen(run);
        if (m == RunExchange::Message::stop) break;
        if (m != RunExchange::Message::request) {
          watch();
          relay_signal();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        // The writer wants `run`: wait for it, still taking the runs it gives meanwhile.
        std::unique_ptr<Slot> slot;
        bool stopped = false;
        for (;;) {
          {
            std::lock_guard lock(mutex);
            if (slots[run] && slots[run]->done) {
              slot = std::move(slots[run]);
              break;
            }
            if (halt.load() && !slots[run]) break;  // nobody will start it: the workers have stopped
          }
          watch();
          relay_signal();
          ask_if_free();
          std::size_t other = 0;
          if (listen(other) == RunExchange::Message::stop) {  // after a failure here, it comes next
            stopped = true;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (stopped) break;
        ask_if_free();  // before the send, which may take a while (a run's or range's recording)
        if (!slot) slot = std::make_unique<Slot>();  // halted before it started: sent as interrupted
        if (slot->error) {
          report(run, slot->error);
          continue;
        }
        if (slot->packed.empty())  // an interrupted run or range
          slot->packed = is_trial_part(n, run) ? pack_trial_part(TrialPart{}) : pack_run(slot->buffer, slot->outcome);
        exchange->send(run, slot->packed);
        {
          std::lock_guard lock(mutex);
          if (!is_trial_part(n, run)) --unsent;
          slots.erase(run);
        }
        changed.notify_all();
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
