#include "sim/run/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "sim/core/fit.hpp"
#include "sim/io/quantity.hpp"
#include "sim/io/recording_sink.hpp"
#include "sim/run/cost.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

namespace {

// A swept value as a number in ebsim's units: plain, or a rate (Hz), or a time (ms).
double sweep_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  for (Dimension d : {Dimension::rate, Dimension::time})
    if (const auto q = parse_quantity(text, d); q.value) return *q.value;
  return std::nan("");
}

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

// The group attributes of run k, before its data.
void write_run_attributes(const Config& cfg, std::size_t k, Sink& sink) {
  const Sweep& sweep = *cfg.sweep;
  const SweepRun& run = cfg.sweep_runs[k];
  if (sweep.legacy()) {
    sink.write_attribute("/", "value", sweep.axes.front().values[k]);
    return;
  }
  sink.write_attribute("/", "point", std::int64_t(run.point));
  sink.write_attribute("/", "replicate", std::int64_t(run.replicate));
  sink.write_attribute("/", "seed", std::int64_t(run.seed));
  sink.write_attribute("/", "assignment", sweep.axes.empty() ? std::string() : sweep.label(run.point));
}

// The analysis of the legacy one-key form: errors against the swept value and their slopes.
void write_legacy_analysis(const Config& cfg, SweepResult& out, Sink& sink) {
  const std::size_t n = cfg.sweep_points.size();
  std::vector<double> state_single, state_mean, rate_mean, rate_single, rho_mean, noise, bias;
  for (std::size_t k = 0; k < n; ++k) {
    out.values.push_back(sweep_number(cfg.sweep->axes.front().values[k]));
    const TheoryError e = pooled(out.points[k], cfg.sweep_points[k]);
    state_single.push_back(e.state_rmse_single);
    state_mean.push_back(e.state_rmse);
    rate_mean.push_back(e.rate_rmse);
    rate_single.push_back(e.rate_rmse_single);
    rho_mean.push_back(e.rate_rmse / cfg.sweep_points[k].model.r_max_hz);  // error in rho = rate / r_max
    noise.push_back(e.state_noise_sd);
    bias.push_back(e.state_bias_rmse);
  }
  const bool have_theory = !out.points.front().theory.empty();
  const std::string g = "/analysis/sweep";
  sink.write_attribute(g, "key", cfg.sweep->axes.front().key);
  sink.write_array(g + "/values", out.values, {n});
  if (have_theory) {
    sink.write_array(g + "/state_rmse_single_trial", state_single, {n});
    sink.write_array(g + "/state_rmse", state_mean, {n});
    sink.write_array(g + "/rate_rmse_hz", rate_mean, {n});
    sink.write_array(g + "/rate_rmse_single_trial_hz", rate_single, {n});
    sink.write_array(g + "/rho_rmse", rho_mean, {n});
    out.slope_state_single = loglog_slope(out.values, state_single);
    out.slope_state_mean = loglog_slope(out.values, state_mean);
    out.slope_rho_mean = loglog_slope(out.values, rho_mean);
    sink.write_array(g + "/slope_state_rmse_single_trial", std::vector<double>{out.slope_state_single}, {});
    sink.write_array(g + "/slope_state_rmse", std::vector<double>{out.slope_state_mean}, {});
    sink.write_array(g + "/slope_rho_rmse", std::vector<double>{out.slope_rho_mean}, {});
    sink.write_array(g + "/state_noise_sd", noise, {n});
    sink.write_array(g + "/state_bias_rmse", bias, {n});
    out.slope_state_noise = loglog_slope(out.values, noise);
    out.slope_state_bias = loglog_slope(out.values, bias);
    sink.write_array(g + "/slope_state_noise_sd", std::vector<double>{out.slope_state_noise}, {});
    sink.write_array(g + "/slope_state_bias_rmse", std::vector<double>{out.slope_state_bias}, {});
  }
}

// The points' values and the statistics of what the runs reported.
void write_statistics(const Config& cfg, const std::vector<Reported>& reported, SweepResult& out, Sink& sink) {
  const Sweep& sweep = *cfg.sweep;
  const std::size_t points = sweep.point_count();
  const std::string g = "/analysis/sweep";
  const char* form = sweep.form == Sweep::Form::zip ? "zip" : sweep.form == Sweep::Form::grid ? "grid" : "single";
  sink.write_attribute(g, "form", std::string(form));
  std::string keys, labels, seeds;
  for (const SweepAxis& a : sweep.axes) {
    if (!keys.empty()) keys += '\n';
    keys += a.key;
  }
  for (std::size_t p = 0; p < points; ++p) {
    if (p) labels += '\n';
    if (!sweep.axes.empty()) labels += sweep.label(p);
  }
  for (std::size_t r = 0; r < sweep.seeds.size(); ++r) {
    if (r) seeds += ' ';
    seeds += std::to_string(sweep.seeds[r]);
  }
  sink.write_attribute(g, "keys", keys);
  sink.write_attribute(g, "point_labels", labels);
  sink.write_attribute(g, "replicates", std::int64_t(sweep.replicates()));
  sink.write_attribute(g, "replicate_seeds", seeds);
  sink.write_attribute(g, "interval",
                       std::string("95 % confidence interval of the mean over the replicates, Student t with n - 1 "
                                   "degrees of freedom: mean +- t_{0.975, n-1} sd / sqrt(n)"));
  for (std::size_t k = 0; k < sweep.axes.size(); ++k) {
    std::vector<double> v;
    for (std::size_t p = 0; p < points; ++p) v.push_back(sweep_number(sweep.axes[k].values[sweep.indices(p)[k]]));
    sink.write_array(g + "/values/" + sweep.axes[k].key, v, {points});
  }
  out.stats = sweep_statistics(reported, cfg.sweep_runs, points);
  write_sweep_statistics(sink, g, out.stats, points);
}

}  // namespace

UnitOutcome run_plain(const Config& cfg, Sink& sink, const RunOptions& options) {
  UnitOutcome u;
  u.run = run_experiment(cfg, sink, options);
  u.complete = u.run.complete;
  return u;
}

TheoryError pooled(const RunResult& r, const Config& cfg) {
  TheoryError e;
  double n = 0;
  for (const TheoryError& t : r.theory) {
    const double size = cfg.find_population(t.population)->size;
    n += size;
    e.state_rmse += size * t.state_rmse * t.state_rmse;
    e.rate_rmse += size * t.rate_rmse * t.rate_rmse;
    e.state_rmse_single += size * t.state_rmse_single * t.state_rmse_single;
    e.rate_rmse_single += size * t.rate_rmse_single * t.rate_rmse_single;
    e.state_noise_sd += size * t.state_noise_sd * t.state_noise_sd;
    e.state_bias_rmse += size * t.state_bias_rmse * t.state_bias_rmse;
  }
  if (n > 0) {
    e.state_rmse = std::sqrt(e.state_rmse / n);
    e.rate_rmse = std::sqrt(e.rate_rmse / n);
    e.state_rmse_single = std::sqrt(e.state_rmse_single / n);
    e.rate_rmse_single = std::sqrt(e.rate_rmse_single / n);
    e.state_noise_sd = std::sqrt(e.state_noise_sd / n);
    e.state_bias_rmse = std::sqrt(e.state_bias_rmse / n);
  }
  return e;
}

SweepResult run_sweep(const Config& cfg, Sink& sink, const RunOptions& options, const UnitRunner& runner) {
  SweepResult out;
  const std::size_t n = cfg.sweep_points.size();
  const Sweep& sweep = *cfg.sweep;
  const bool legacy = sweep.legacy() && !cfg.experiment;
  ReportTap tap(sink);
  std::vector<Reported> reported;
  const unsigned jobs = unsigned(std::min<std::size_t>(std::max(options.jobs, 1u), n));
  SweepProgress progress(cfg, options, jobs > 1);
  auto unit_options = [&](std::size_t k, const std::atomic<bool>* stop) {
    RunOptions o = options;
    o.stop = stop;
    o.progress_note = {};
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
  if (jobs <= 1) {
    for (std::size_t k = 0; k < n && all_complete; ++k) {
      tap.set_scope("/sweep/" + std::to_string(k));
      write_run_attributes(cfg, k, tap);
      progress.start(k);
      const UnitOutcome u = runner(cfg.sweep_points[k], tap, unit_options(k, options.stop));
      progress.finish(k);
      all_complete = hand_over(u);
    }
  } else {
    // Workers take runs in order (at most 2 x jobs ahead of the writer, to bound the memory the
    // buffers hold); the calling thread replays them in order. `halt` stops the workers: a signal
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
    std::size_t next = 0, handed = 0;
    std::atomic<bool> halt{false};
    auto worker = [&] {
      for (;;) {
        std::size_t k = 0;
        Slot* slot = nullptr;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return halt.load() || next >= n || next < handed + 2 * jobs; });
          if (halt.load() || next >= n) return;
          k = next++;
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
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
    auto stop_all = [&] {
      {
        std::lock_guard lock(mutex);
        halt = true;
      }
      changed.notify_all();
    };
    // Whatever leaves this scope — an exception from the writer (a full disk, a sink that refuses a
    // call) included — stops the workers first: destroyed before `threads`, whose destructor joins.
    struct StopOnExit {
      decltype(stop_all)& stop;
      ~StopOnExit() { stop(); }
    } stop_on_exit{stop_all};
    std::exception_ptr failure;
    for (std::size_t k = 0; k < n; ++k) {
      std::unique_ptr<Slot> slot;
      {
        std::unique_lock lock(mutex);
        while (!(slots[k] && slots[k]->done)) {
          if (halt.load() && !slots[k]) break;  // nobody will start it
          changed.wait_for(lock, std::chrono::milliseconds(20));
          if (options.stop && options.stop->load() && !halt.load()) {
            halt = true;
            changed.notify_all();
          }
        }
        slot = std::move(slots[k]);
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
      tap.set_scope("/sweep/" + std::to_string(k));
      write_run_attributes(cfg, k, tap);
      slot->buffer.replay(tap);
      progress.handed_over(k);
      const bool go_on = hand_over(slot->outcome);
      {
        std::lock_guard lock(mutex);
        handed = k + 1;
      }
      changed.notify_all();
      if (!go_on) {
        all_complete = false;
        stop_all();
        break;
      }
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
