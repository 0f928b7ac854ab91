#pragma once
// What the command line does with the terminal while a run goes: signals that ask the run to stop,
// and the progress bar.
#include <atomic>
#include <csignal>
#include <iomanip>
#include <ostream>
#include <string>

#include "sim/core/clock.hpp"

namespace ebsim::cli {

// Set by SIGINT/SIGTERM during a run; the runner stops at its next check and the output is closed
// cleanly, marked incomplete. (A signal handler can only reach a global.)
inline std::atomic<bool> g_stop_requested{false};
extern "C" inline void request_stop(int) { g_stop_requested.store(true); }

class SignalGuard {
 public:
  SignalGuard() {
    g_stop_requested = false;
    old_int_ = std::signal(SIGINT, request_stop);
    old_term_ = std::signal(SIGTERM, request_stop);
  }
  ~SignalGuard() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

// A progress bar with ETA on stderr, redrawn at most 10 times a second, with what is running. The
// fraction is weighted by each run's estimated cost (sim/run/sweep.hpp), so elapsed x (1 - f) / f
// is an honest ETA.
class ProgressBar {
 public:
  explicit ProgressBar(std::ostream& err) : err_(err) {}
  void note(const std::string& what) { note_ = what; }
  void update(double fraction) {
    const double elapsed = watch_.seconds();
    if (elapsed - last_drawn_s_ < 0.1 && fraction < 1.0) return;
    last_drawn_s_ = elapsed;
    const int width = 30, filled = static_cast<int>(fraction * width);
    err_ << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << std::fixed
         << std::setprecision(1) << std::setw(5) << 100.0 * fraction << "%  elapsed " << elapsed << " s";
    if (fraction > 0.01) {  // two significant digits under a second: 0.1 s would be a third of 0.3 s
      const double eta = elapsed * (1.0 - fraction) / fraction;
      err_ << "  ETA " << std::setprecision(eta < 1.0 ? 2 : 1) << eta << " s";
    }
    if (!note_.empty()) err_ << "  " << note_;
    err_ << "\x1b[K" << std::defaultfloat << std::flush;
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) err_ << "\r\x1b[K" << std::flush;
  }

 private:
  std::ostream& err_;
  Stopwatch watch_;
  double last_drawn_s_ = 0.0;
  bool drawn_ = false;
  std::string note_;
};

}  // namespace ebsim::cli
