#include "sim/run/sweep_progress.hpp"

#include <algorithm>
#include <string>

#include "sim/run/cost.hpp"

namespace ebsim {

namespace {

std::string run_label(const Sweep& sweep, const SweepRun& run, std::size_t k, std::size_t n) {
  std::string s = sweep.axes.empty() ? "" : sweep.label(run.point);
  if (sweep.replicated())
    s += (s.empty() ? "" : ", ") + std::string("replicate ") + std::to_string(run.replicate + 1) + "/" +
         std::to_string(sweep.replicates());
  return s + " (run " + std::to_string(k + 1) + "/" + std::to_string(n) + ")";
}

}  // namespace

SweepProgress::SweepProgress(const Config& cfg, const RunOptions& outer, bool threaded, unsigned parallel)
    : cfg_(cfg), outer_(outer) {
  for (const Config& c : cfg.sweep_points) {
    const CostEstimate e = estimated_cost(c);
    weight_.push_back(std::max(e.total(), 1e-12));
    write_share_.push_back(threaded ? e.write / weight_.back() : 0.0);
  }
  for (double w : weight_) total_ += w;
  tail_ = sweep_tail_cost(weight_.size()) * std::max(parallel, 1u);
  done_.assign(weight_.size(), 0.0);
}

void SweepProgress::start(std::size_t k) {
  std::lock_guard lock(mutex_);
  running_.insert(k);
  note();
}

void SweepProgress::update(std::size_t k, double fraction) {
  std::lock_guard lock(mutex_);
  done_[k] = std::clamp(fraction, 0.0, 1.0) * (1.0 - write_share_[k]);
  report();
}

void SweepProgress::finish(std::size_t k) {
  std::lock_guard lock(mutex_);
  done_[k] = 1.0 - write_share_[k];
  running_.erase(k);
  report();
  note();
}

void SweepProgress::handed_over(std::size_t k) {
  std::lock_guard lock(mutex_);
  done_[k] = 1.0;
  report();
}

void SweepProgress::report() {
  if (!outer_.progress) return;
  double sum = 0.0;
  for (std::size_t k = 0; k < weight_.size(); ++k) sum += weight_[k] * done_[k];
  outer_.progress(sum / (total_ + tail_));
}

void SweepProgress::note() {
  if (!outer_.progress_note || running_.empty()) return;
  const std::size_t k = *running_.begin();
  std::string s = run_label(*cfg_.sweep, cfg_.sweep_runs[k], k, cfg_.sweep_points.size());
  if (running_.size() > 1) s += " and " + std::to_string(running_.size() - 1) + " more";
  outer_.progress_note(s);
}

}  // namespace ebsim
