#pragma once
// A sweep's progress (sim/run/sweep.cpp): each run's fraction done weighted by its estimated cost
// (sim/run/cost.hpp), and what is running, for the progress bar. Called from worker threads; one
// lock serialises the calls to the caller's callbacks.
#include <cstddef>
#include <mutex>
#include <set>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/run/results.hpp"

namespace ebsim {

class SweepProgress {
 public:
  // threaded: runs are written after they are computed (their write cost comes with handed_over).
  // parallel: how many runs go at once (jobs x processes). The sweep's tail (sweep_tail_cost),
  // which runs on one thread after the last run, counts that many times its cost (the bar turns
  // cost into time at the rate of all the runs at once); it is never reported done: the process
  // ends with it.
  SweepProgress(const Config& cfg, const RunOptions& outer, bool threaded, unsigned parallel);
  void start(std::size_t k);
  void update(std::size_t k, double fraction);
  void finish(std::size_t k);
  void handed_over(std::size_t k);

 private:
  void report();
  void note();
  const Config& cfg_;
  const RunOptions& outer_;
  std::mutex mutex_;
  std::vector<double> weight_, write_share_, done_;
  double total_ = 0.0, tail_ = 0.0;
  std::set<std::size_t> running_;
};

}  // namespace ebsim
