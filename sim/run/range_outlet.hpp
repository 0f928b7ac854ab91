#pragma once
// A run's trial ranges shared with other processes. A sweep over processes whose costliest run
// would outlast everything else (sim/run/shared_runs.hpp) gives some of that run's trial ranges to
// the other processes: the run itself stays with the writer, whose threads take the ranges they
// reach first; each process that asks for work gets the next free one; the ranges that come back
// are handed over in trial order with the writer's own (run_trial_ranges,
// sim/run/trial_ranges.cpp). Each trial starts from reset(trial), so where a range ran changes
// nothing.
//
// The run opens the outlet with how to take the next free range and how to receive a range computed
// elsewhere, and closes it before that state goes; the sweep's go-between calls take() and
// arrive(). Thread-safe: the hooks run under the outlet's lock, so none runs after close().
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ebsim {

class RangeOutlet {
 public:
  explicit RangeOutlet(unsigned ranges) : ranges_(ranges) {}
  RangeOutlet(const RangeOutlet&) = delete;
  RangeOutlet& operator=(const RangeOutlet&) = delete;
  unsigned ranges() const { return ranges_; }

  struct Hooks {
    std::function<std::optional<unsigned>()> take;                   // the next free range, if any
    std::function<void(unsigned range, std::string packed)> arrive;  // pack_trial_part's bytes
  };
  // The run.
  void open(Hooks hooks) {
    std::lock_guard lock(mutex_);
    hooks_ = std::move(hooks);
    open_ = true;
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
    hooks_ = {};
  }
  // The go-between. Nothing while the run is not open (not started yet, or over).
  std::optional<unsigned> take() {
    std::lock_guard lock(mutex_);
    if (!open_) return std::nullopt;
    return hooks_.take();
  }
  // False when the run is over: what arrives then goes nowhere.
  bool arrive(unsigned range, std::string packed) {
    std::lock_guard lock(mutex_);
    if (!open_) return false;
    hooks_.arrive(range, std::move(packed));
    return true;
  }

 private:
  std::mutex mutex_;
  Hooks hooks_;
  bool open_ = false;
  unsigned ranges_;
};

}  // namespace ebsim
