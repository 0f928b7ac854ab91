#include "sim/experiments/registry.hpp"

#include <ostream>
#include <stdexcept>

#include "sim/experiments/backprop.hpp"
#include "sim/experiments/learning.hpp"
#include "sim/experiments/saturation.hpp"
#include "sim/experiments/stdp_statistics.hpp"
#include "sim/experiments/stdp_window.hpp"

namespace ebsim {

namespace {

// An experiment's run_<kind>() and format_<kind>_summary() as one ExperimentKind::run.
template <auto run_kind, auto format_summary>
bool run_with_summary(const Config& cfg, Sink& sink, const RunOptions& options, std::ostream& summary) {
  const auto result = run_kind(cfg, sink, options);
  summary << format_summary(cfg, result);
  return result.complete;
}

}  // namespace

const std::vector<ExperimentKind>& experiment_kinds() {
  static const std::vector<ExperimentKind> kinds{
      {"backprop", read_backprop_experiment, run_with_summary<run_backprop, format_backprop_summary>},
      {"stdp_window", read_stdp_window_experiment, run_with_summary<run_stdp_window, format_stdp_summary>},
      {"saturation", read_saturation_experiment, run_with_summary<run_saturation, format_saturation_summary>},
      {"learning", read_learning_experiment, run_with_summary<run_learning, format_learning_summary>},
      {"stdp_statistics", read_stdp_statistics_experiment,
       run_with_summary<run_stdp_statistics, format_stdp_statistics_summary>},
  };
  return kinds;
}

const ExperimentKind& find_experiment_kind(const std::string& name) {
  for (const ExperimentKind& kind : experiment_kinds())
    if (kind.name == name) return kind;
  throw std::logic_error("no experiment kind `" + name + "` is registered");
}

const ExperimentCatalog& experiment_catalog() {
  static const ExperimentCatalog catalog = [] {
    ExperimentCatalog c;
    for (const ExperimentKind& kind : experiment_kinds()) c.push_back({kind.name, kind.read});
    return c;
  }();
  return catalog;
}

}  // namespace ebsim
