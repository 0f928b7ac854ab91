#include "sim/io/units.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace ebsim {

namespace {

constexpr Storage I = Storage::integer;

// The model's state s, its rate rho(s), weights, biases, cosines and ratios are dimensionless ("1").
constexpr std::array kUnits{
    // Provenance and protocol.
    DatasetUnits{"/trial_start_ms", "ms"},
    DatasetUnits{"/populations/*/bias", "1"},
    // SONATA nodes and edges (the network as built).
    DatasetUnits{"/nodes/*/node_id", "1", I},
    DatasetUnits{"/nodes/*/node_type_id", "1", I},
    DatasetUnits{"/nodes/*/node_group_id", "1", I},
    DatasetUnits{"/nodes/*/node_group_index", "1", I},
    DatasetUnits{"/nodes/*/0/dynamics_params/bias", "1"},
    DatasetUnits{"/edges/*/source_node_id", "1", I},
    DatasetUnits{"/edges/*/target_node_id", "1", I},
    DatasetUnits{"/edges/*/edge_type_id", "1", I},
    DatasetUnits{"/edges/*/edge_group_id", "1", I},
    DatasetUnits{"/edges/*/edge_group_index", "1", I},
    DatasetUnits{"/edges/*/0/syn_weight", "1"},
    DatasetUnits{"/edges/*/0/delay", "ms"},
    DatasetUnits{"/edges/*/indices/*/node_id_to_ranges", "1", I},
    DatasetUnits{"/edges/*/indices/*/range_to_edge_id", "1", I},
    // SONATA reports and spikes.
    DatasetUnits{"/report/*/data", "1"},
    DatasetUnits{"/report/*/mapping/node_ids", "1", I},
    DatasetUnits{"/report/*/mapping/element_ids", "1", I},
    DatasetUnits{"/report/*/mapping/element_pos", "1"},
    DatasetUnits{"/report/*/mapping/index_pointers", "1", I},
    DatasetUnits{"/report/*/mapping/time", "ms"},
    DatasetUnits{"/spikes/*/timestamps", "ms"},
    DatasetUnits{"/spikes/*/node_ids", "1", I},
    // Weights in ebsim's coordinate form.
    DatasetUnits{"/weights/*/*/pre", "1", I},
    DatasetUnits{"/weights/*/*/post", "1", I},
    DatasetUnits{"/weights/*/*/weight", "1"},
    DatasetUnits{"/weights/*/*/delay", "ms"},
    // Binned rates, window-averaged states and the theory's prediction.
    DatasetUnits{"/rates/*/rate_hz", "Hz"},
    DatasetUnits{"/rates/*/rate_hz_trials", "Hz"},
    DatasetUnits{"/rates/*/mean_state", "1"},
    DatasetUnits{"/rates/*/mean_state_trials", "1"},
    DatasetUnits{"/rates/*/time", "ms"},
    DatasetUnits{"/theory/*/rate_hz", "Hz"},
    DatasetUnits{"/theory/*/mean_state", "1"},
    DatasetUnits{"/theory/*/time", "ms"},
    // Per-trial analysis.
    DatasetUnits{"/analysis/final_state/*", "1"},
    DatasetUnits{"/analysis/phases/*/converged", "1", I},
    DatasetUnits{"/analysis/phases/*/settle_time_ms", "ms"},
    DatasetUnits{"/analysis/phases/*/residual", "1"},
    DatasetUnits{"/analysis/phases/*/held_low", "1", I},
    DatasetUnits{"/analysis/phases/*/held_high", "1", I},
    DatasetUnits{"/analysis/phases/*/chattering", "1", I},
    DatasetUnits{"/analysis/theory_check/*/state_rmse", "1"},
    DatasetUnits{"/analysis/theory_check/*/state_rmse_single_trial", "1"},
    DatasetUnits{"/analysis/theory_check/*/rate_rmse_hz", "Hz"},
    DatasetUnits{"/analysis/theory_check/*/rate_rmse_single_trial_hz", "Hz"},
    DatasetUnits{"/analysis/theory_check/*/state_noise_sd", "1"},
    DatasetUnits{"/analysis/theory_check/*/state_bias_rmse", "1"},
    // Sweep summaries (the swept values' units depend on the key: not listed).
    DatasetUnits{"/analysis/sweep/state_rmse", "1"},
    DatasetUnits{"/analysis/sweep/state_rmse_single_trial", "1"},
    DatasetUnits{"/analysis/sweep/rho_rmse", "1"},
    DatasetUnits{"/analysis/sweep/rate_rmse_hz", "Hz"},
    DatasetUnits{"/analysis/sweep/rate_rmse_single_trial_hz", "Hz"},
    DatasetUnits{"/analysis/sweep/state_noise_sd", "1"},
    DatasetUnits{"/analysis/sweep/state_bias_rmse", "1"},
    DatasetUnits{"/analysis/sweep/slope_*", "1"},
    DatasetUnits{"/analysis/sweep/runs", "1", I},
    DatasetUnits{"/analysis/sweep/unconverged", "1", I},
    // Backprop equivalence.
    DatasetUnits{"/analysis/backprop/**/t_ms", "ms"},
    DatasetUnits{"/analysis/backprop/spiking/*/branches_at", "1", I},
    DatasetUnits{"/analysis/backprop/held/*", "1", I},
    DatasetUnits{"/analysis/backprop/**", "1"},
    // STDP window.
    DatasetUnits{"/analysis/stdp_window/dt_ms", "ms"},
    DatasetUnits{"/analysis/stdp_window/*", "1"},
    // STDP window from spike statistics.
    DatasetUnits{"/analysis/stdp_statistics/dt_ms", "ms"},
    DatasetUnits{"/analysis/stdp_statistics/sta_u_ms", "ms"},
    DatasetUnits{"/analysis/stdp_statistics/**", "1"},
    // Saturation.
    DatasetUnits{"/analysis/saturation/*/t_ms", "ms"},
    DatasetUnits{"/analysis/saturation/**", "1"},
    // Learning.
    DatasetUnits{"/training/epoch", "1", I},
    DatasetUnits{"/training/unsettled", "1", I},
    DatasetUnits{"/training/test_labels", "1", I},
    DatasetUnits{"/training/test_predictions", "1", I},
    DatasetUnits{"/training/train_indices", "1", I},
    DatasetUnits{"/training/test_indices", "1", I},
    DatasetUnits{"/training/baseline/test_predictions", "1", I},
    DatasetUnits{"/training/examples_per_s", "1/s"},
    DatasetUnits{"/training/wall_s", "s"},
    DatasetUnits{"/training/free_phase_ms", "ms"},
    DatasetUnits{"/training/**", "1"},
};

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    if (end > begin) parts.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

bool match(std::span<const std::string_view> pattern, std::span<const std::string_view> path) {
  if (pattern.empty()) return path.empty();
  if (pattern.front() == "**") {
    for (std::size_t skip = 0; skip <= path.size(); ++skip)
      if (match(pattern.subspan(1), path.subspan(skip))) return true;
    return false;
  }
  if (path.empty()) return false;
  const std::string_view p = pattern.front(), c = path.front();
  const bool head = p == "*" || p == c || (p.size() > 1 && p.back() == '*' && c.starts_with(p.substr(0, p.size() - 1)));
  return head && match(pattern.subspan(1), path.subspan(1));
}

}  // namespace

std::span<const DatasetUnits> dataset_units() { return kUnits; }

bool path_matches(std::string_view pattern, std::string_view path) {
  const std::vector<std::string_view> p = components(pattern), c = components(path);
  return match(p, c);
}

const DatasetUnits* find_dataset_units(std::string_view path) {
  // A sweep's statistics of a run's array (/analysis/sweep/stats/<the run's path>/<statistic>)
  // have that array's units, stored as reals (a mean of counts is not a count); `n` is a count.
  constexpr std::string_view stats = "/analysis/sweep/stats/";
  if (path.starts_with(stats)) {
    const std::size_t slash = path.rfind('/');
    const std::string_view statistic = path.substr(slash + 1);
    if (statistic == "n") {
      static constexpr DatasetUnits count{"/analysis/sweep/stats/**/n", "1", Storage::integer};
      return &count;
    }
    const DatasetUnits* inner = find_dataset_units(path.substr(stats.size() - 1, slash - (stats.size() - 1)));
    if (!inner) return nullptr;
    static constexpr std::array kReal{
        DatasetUnits{"/analysis/sweep/stats/**", "1"}, DatasetUnits{"/analysis/sweep/stats/**", "ms"},
        DatasetUnits{"/analysis/sweep/stats/**", "s"}, DatasetUnits{"/analysis/sweep/stats/**", "Hz"},
        DatasetUnits{"/analysis/sweep/stats/**", "1/s"}};
    for (const DatasetUnits& entry : kReal)
      if (entry.units == inner->units) return &entry;
    return nullptr;
  }
  for (const DatasetUnits& entry : kUnits)
    if (path_matches(entry.pattern, path)) return &entry;
  return nullptr;
}

}  // namespace ebsim
