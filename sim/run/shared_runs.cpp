#include "sim/run/shared_runs.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/run/resources.hpp"
#include "sim/run/trial_ranges.hpp"

namespace ebsim {

SharedRuns::SharedRuns(const Config& cfg, const std::vector<double>& cost, unsigned jobs, RunExchange* exchange)
    : cfg_(cfg),
      cost_(cost),
      runs_(cfg.sweep_points.size()),
      share_jobs_(std::max(jobs, 1u) * (exchange ? exchange->processes() : 1u)),
      exchange_(exchange),
      outlets_(runs_),
      run_given_at_(runs_, 0) {
  if (!exchange || exchange->processes() < 2 || !exchange->writer()) return;
  double total = 0.0;
  for (double c : cost) total += c;
  for (std::size_t k = 0; k < runs_; ++k)
    if (cost[k] > total / exchange->processes() && ranges(k) > 1) {
      outlets_[k] = std::make_unique<RangeOutlet>(ranges(k));
      shared_.push_back(k);
    }
}

unsigned SharedRuns::ranges(std::size_t k) const {
  return std::min(trial_ranges(cfg_.sweep_points[k], share_jobs_), kMaxSharedRanges);
}

bool SharedRuns::give(unsigned process, std::optional<double> free_cost) {
  for (std::size_t s : shared_) {
    if (free_cost && cost_[s] / outlets_[s]->ranges() < *free_cost) continue;
    if (const std::optional<unsigned> b = outlets_[s]->take()) {  // none until the run has begun
      exchange_->assign(trial_part_id(runs_, s, *b), process);
      out_.push_back({s, *b, process, given_at_++});
      return true;
    }
  }
  return false;
}

std::string SharedRuns::compute_range(std::size_t id, const RunOptions& options) const {
  const std::size_t run = run_of_part(runs_, id);
  const unsigned b = range_of_part(runs_, id);
  if (run >= runs_ || b >= ranges(run))
    throw std::runtime_error("given range " + std::to_string(b + 1) + " of run " + std::to_string(run + 1) +
                             ", which is not one (is every process running the same config and --jobs?)");
  RunOptions o = options;
  o.progress = {};  // the writer's bar counts the range when it comes back
  o.outlet = nullptr;
  const Config& point = cfg_.sweep_points[run];
  return run_trial_part(point, trial_range(point.protocol.trials, ranges(run), b), o);
}

void SharedRuns::ask() {
  const Fetch& f = out_.front();
  exchange_->request(trial_part_id(runs_, f.run, f.range), f.process);
  asked_ = true;
}

}  // namespace ebsim
