#pragma once
// Wall time for reports (build and simulation times, examples per second, progress ETA); never
// simulated time. steady_clock, so that a system clock adjustment cannot make a run look negative.
#include <chrono>

namespace ebsim {

class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  // Seconds since construction.
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

}  // namespace ebsim
