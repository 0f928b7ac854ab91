#pragma once
// The runs of a sweep over processes whose trial ranges the writer shares (sim/run/range_outlet.hpp),
// as run_sweep (sim/run/sweep.cpp) sees them. A run that costs more than a process's fair share of
// the sweep (total / processes) would finish last however the runs are spread, so the writer keeps
// it and gives its trial ranges to the processes that ask for work, while its own threads compute
// the rest. Every process cuts such a run into the same ranges (the same config and --jobs
// everywhere: ranges()).
//
// The writer's side: which runs are shared, the ranges given out, and fetching them back, one
// request at a time, in the order they were given out (a process computes what it was given in
// that order), as soon as possible: the run's own process hands them over while it computes.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/run/exchange.hpp"
#include "sim/run/range_outlet.hpp"

namespace ebsim {

class SharedRuns {
 public:
  // The runs of cfg.sweep_points to share (none without an exchange of several processes, or on a
  // process that is not the writer); cost: each run's estimated cost.
  SharedRuns(const Config& cfg, const std::vector<double>& cost, unsigned jobs, RunExchange* exchange);

  // Into how many ranges run k's trials go when shared (any process).
  unsigned ranges(std::size_t k) const;
  // Another process: the range numbered `id` (trial_part_id), computed here and packed for the writer.
  std::string compute_range(std::size_t id, const RunOptions& options) const;
  // Run k's outlet if it is shared (the writer), else null.
  RangeOutlet* outlet(std::size_t k) const { return outlets_[k].get(); }

  // Gives `process` the next free range of a shared run that costs at least `free_cost` (the
  // costliest run it could be given instead; none: any range). True if it gave one.
  bool give(unsigned process, std::optional<double> free_cost);
  // Run k, given to another process: its place in the order of what was given out.
  void stamp_run(std::size_t k) { run_given_at_[k] = given_at_++; }
  // Whether a range is out (given and not back) that was given before run k.
  bool range_before(std::size_t k) const { return !out_.empty() && out_.front().given_at < run_given_at_[k]; }
  bool ranges_out() const { return !out_.empty(); }
  bool asked() const { return asked_; }
  // Asks for the first range out.
  void ask();
  // Polls for the range asked for; when it has come, calls `received` (the process that sent it
  // may be asking for work already), then hands it to its run. True when it came.
  template <class F>
  bool poll(F&& received) {
    const Fetch& f = out_.front();
    std::string packed;
    if (!exchange_->poll(trial_part_id(runs_, f.run, f.range), f.process, packed)) return false;
    received();
    outlets_[f.run]->arrive(f.range, std::move(packed));  // false, and dropped, if the run was stopped
    out_.pop_front();
    asked_ = false;
    return true;
  }

 private:
  struct Fetch {
    std::size_t run;
    unsigned range, process;
    std::uint64_t given_at;
  };
  const Config& cfg_;
  const std::vector<double>& cost_;
  std::size_t runs_;
  unsigned share_jobs_;
  RunExchange* exchange_;
  std::vector<std::unique_ptr<RangeOutlet>> outlets_;
  std::vector<std::size_t> shared_;
  std::deque<Fetch> out_;  // ranges given to other processes and not back yet, in that order
  std::uint64_t given_at_ = 0;
  std::vector<std::uint64_t> run_given_at_;
  bool asked_ = false;  // the first of them asked for
};

}  // namespace ebsim
