#pragma once
// What a sweep's runs report, and its statistics per point over the replicates: mean, standard
// deviation, n and a 95 % confidence interval from Student's t (not z: with 8 replicates the
// half-width is 2.36 standard errors, not 1.96).
//
// What counts as reported: every array of at most kMaxReportedElements values that a run writes
// under /analysis or /training (errors, slopes, cosines, accuracies per epoch, ...), element by
// element, so every experiment kind is covered without code of its own. Non-finite values (a
// fixed point that did not converge, a slope of too few points) are left out of n.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/sink.hpp"

namespace ebsim {

constexpr std::size_t kMaxReportedElements = 64;

struct ReportedArray {
  std::vector<double> data;
  std::vector<std::uint64_t> shape;
};
struct Reported {
  std::map<std::string, ReportedArray> arrays;  // by path within the run
  bool unconverged = false;                     // a fixed point it computed did not converge
};

// Passes every call on to `to` and keeps a copy of what counts as reported.
class ReportTap final : public Sink {
 public:
  explicit ReportTap(Sink& to) : to_(to) {}
  void begin_run(const RunMetadata& meta) override { to_.begin_run(meta); }
  void set_scope(const std::string& prefix) override { to_.set_scope(prefix); }
  void declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms, double dt_ms) override {
    to_.declare_report(population, n_nodes, t_start_ms, dt_ms);
  }
  void append_report(const std::string& population, std::span<const float> row) override {
    to_.append_report(population, row);
  }
  void declare_spikes(const std::string& population) override { to_.declare_spikes(population); }
  void append_spikes(const std::string& population, std::span<const double> times_ms,
                     std::span<const std::uint64_t> node_ids) override {
    to_.append_spikes(population, times_ms, node_ids);
  }
  void append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                            std::span<const EncodedChunk> chunks) override {
    to_.append_report_chunks(population, n_nodes, chunks);
  }
  void append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                           std::span<const EncodedChunk> node_ids) override {
    to_.append_spike_chunks(population, times_ms, node_ids);
  }
  bool stores_chunks() const override { return to_.stores_chunks(); }
  void write_weights(const std::string& label, const WeightTable& table) override { to_.write_weights(label, table); }
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override;
  void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) override;
  void end_run(bool complete) override { to_.end_run(complete); }

  // What was reported since the last take(), which empties it.
  Reported take() { return std::move(reported_); }

 private:
  Sink& to_;
  Reported reported_;
};

// The two-sided 95 % quantile of Student's t with `dof` degrees of freedom (t_{0.975, dof}; NaN for
// 0): t_quantile_95 of sim/core/fit.hpp.
double t_quantile_975(std::uint64_t dof);

struct SampleStats {
  double mean = 0.0, sd = 0.0, half_width = 0.0;  // sd and half-width NaN for n < 2; all NaN for n = 0
  std::uint64_t n = 0;
};
SampleStats sample_stats(const std::vector<double>& values);  // non-finite values are left out

// Per reported path: statistics of each element at each point, row-major (points x elements).
struct PathStats {
  std::vector<std::uint64_t> shape;  // of one run's array
  std::vector<SampleStats> stats;    // points x elements
};
struct SweepStats {
  std::map<std::string, PathStats> paths;
  std::vector<std::uint64_t> runs, unconverged;  // per point: runs, and those left out (not converged)
};

// reported[k] is run k's, runs[k] which point it belongs to; a path enters the statistics of a
// point from every converged run that reported it with the same shape as the first such run.
SweepStats sweep_statistics(const std::vector<Reported>& reported, const std::vector<SweepRun>& runs,
                            std::size_t points);

// Under `group` (e.g. /analysis/sweep): stats<path>/{mean, sd, n, ci95_half_width, ci95_low,
// ci95_high}, each of shape (points, the run's shape...), and runs and unconverged (points).
void write_sweep_statistics(Sink& sink, const std::string& group, const SweepStats& stats, std::size_t points);

}  // namespace ebsim
