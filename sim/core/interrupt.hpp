#pragma once
// Asking a run to stop. The core knows no signals: whoever wants to stop a run (the CLI's signal
// handler) sets an atomic flag, and the core looks at it where work can take long: between events
// in an engine, between steps of the continuous map, while building a network.
#include <atomic>
#include <stdexcept>

namespace ebsim {

inline bool stop_requested(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

// Thrown where returning early cannot say "stopped" (building a network): the run is abandoned
// and its output marked incomplete.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace ebsim
