#include "sim/run/resources.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "models/unit_index.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/run/cost.hpp"

namespace ebsim {

namespace {

// State per unit, rounded up. The engine's: the spiking engine's piece (24 bytes), a 64-byte line of
// drive, clamp and kick values, the integrals (16), a random stream (12), the candidate tree (32):
// 152 bytes (heaptrack on a 10^6-unit run), which a partition holds for its own units only. The
// process's, for every unit: the bias, the initial state and a phase's drive (about 40 bytes).
constexpr double kEngineBytesPerUnit = 152, kProcessBytesPerUnit = 48;
constexpr double kBytesPerUnit = kEngineBytesPerUnit + kProcessBytesPerUnit;

ResourceEstimate estimate_one(const Config& cfg) {
  ResourceEstimate e;
  const bool spiking = cfg.engine.kind == EngineKind::spiking;
  const double trials = cfg.protocol.trials, trial_ms = cfg.protocol.total_duration_ms();
  double units = 0;
  for (const PopulationConfig& p : cfg.populations) units += p.size;
  const auto size_of = [&](const std::string& name) { return double(cfg.find_population(name)->size); };
  const auto total_size = [&](const std::vector<std::string>& names) {
    double n = 0;
    for (const std::string& name : names) n += size_of(name);
    return n;
  };

  double weight_file_bytes = 0;
  double edge_file_bytes = 0;
  for (const ProjectionConfig& p : cfg.projections) {
    const double n_src = size_of(p.from), n_tgt = size_of(p.to), n = expected_synapses(p, n_src, n_tgt);
    const bool delays = p.delay_max_ms > p.delay_ms;
    const bool backward = p.symmetric || cfg.model.symmetrise || (p.plasticity && p.plasticity->symmetric);
    double per_synapse = 4 + models::UnitIndex::width_for(std::uint64_t(n_tgt));  // packed target, float weight
    if (spiking && backward) per_synapse += 4 + models::UnitIndex::width_for(std::uint64_t(n_src));  // transposed
    if (delays) per_synapse += 1;                                                                    // delay step
    if (p.plasticity) per_synapse += 8;  // the rule's double-precision copy
    e.synapses += n;
    e.synapse_bytes += n * per_synapse + 8 * (n_src + 1) + (spiking && backward ? 8 * (n_tgt + 1) : 0);
    // Unordered connectivity is sorted through an edge list and a permutation; weights are written
    // through a table of (pre, post, weight[, delay]) per synapse.
    const bool sorted = p.connectivity == Connectivity::fixed_indegree || p.connectivity == Connectivity::explicit_list;
    const double table = cfg.record.weights ? n * (delays ? 32 : 24) : 0;
    e.transient_bytes = std::max({e.transient_bytes, sorted ? 16 * n : 0.0, table});
    weight_file_bytes += table;
    // The initial weights again as SONATA edges: ids, type, group, index, weight, delay (48 bytes)
    // and both indices (at most 32 bytes per synapse, one range per synapse).
    edge_file_bytes += cfg.record.weights ? n * 80 + 16 * (n_src + n_tgt) : 0;
    if (spiking && p.plasticity) {
      // A presynaptic spike opens a window over its row (its column too, for a symmetric rule) for
      // delay + window ms, holding two doubles per synapse: r_max (delay + window) windows per
      // unit at most.
      const double open_ms = std::max(p.delay_ms, p.delay_max_ms) + p.plasticity->window_ms;
      const double windows_per_unit = cfg.model.r_max_hz / 1000.0 * open_ms;
      const bool both = p.plasticity->symmetric;
      e.stdp_bytes += windows_per_unit * (16 * n * (both ? 2 : 1) + 64 * (n_src + (both ? n_tgt : 0)));
    }
  }
  const bool theory = cfg.record.rates.theory && !cfg.record.rates.populations.empty();
  e.unit_bytes = kBytesPerUnit * units * (theory ? 2 : 1);
  if (cfg.experiment) {  // its own loops and files: the network is what is known here
    e.memory_bytes = e.synapse_bytes + e.unit_bytes + e.stdp_bytes + e.transient_bytes;
    return e;
  }

  // Binned rates and window-averaged states per trial, and the final state of every trial.
  const double rate_units = total_size(cfg.record.rates.populations);
  const double bins = cfg.record.rates.populations.empty() ? 0 : std::ceil(trial_ms / cfg.record.rates.bin_ms);
  e.recording_bytes = 16 * bins * rate_units * (trials + (theory ? 1 : 0)) + 8 * trials * units;

  e.memory_bytes = e.synapse_bytes + e.unit_bytes + e.recording_bytes + e.stdp_bytes + e.transient_bytes;

  // The file: state samples (float32), spikes (float64 time and uint64 id, at most r_max per
  // unit), weights before and after (and at every phase end with snapshots), rates, final states.
  const double samples =
      cfg.record.states.populations.empty() ? 0 : std::floor(trials * trial_ms / cfg.record.states.period_ms) + 1;
  e.output_bytes = 4 * samples * total_size(cfg.record.states.populations);
  if (spiking) e.output_bytes += 16 * cfg.model.r_max_hz / 1000.0 * trial_ms * trials * total_size(cfg.record.spikes);
  const double weight_sets = 2 + (cfg.record.weight_snapshots ? trials * double(cfg.protocol.phases.size()) : 0);
  e.output_bytes += weight_sets * weight_file_bytes;
  e.output_bytes += edge_file_bytes + 28 * units;  // SONATA edges and nodes
  e.output_bytes += 16 * bins * rate_units * (1 + (trials > 1 ? trials : 0) + (theory ? 1 : 0));
  e.output_bytes += 8 * trials * units + cfg.resolved_yaml.size() + 64 * 1024;
  return e;
}

}  // namespace

std::string network_kept_whole(const Config& cfg) {
  const bool plastic = std::any_of(cfg.projections.begin(), cfg.projections.end(),
                                   [](const ProjectionConfig& p) { return p.plasticity && p.plasticity->lr != 0.0; });
  if (cfg.engine.kind != EngineKind::spiking) return "the continuous engine";
  if (cfg.experiment) return "the `" + cfg.experiment_kind + "` experiment";
  if (cfg.sweep) return "a sweep";
  if (plastic) return "plasticity (every rank keeps every weight)";
  if (cfg.record.rates.theory) return "the mean-field theory (record.rates.theory) runs the whole network";
  return {};
}

bool network_divides(const Config& cfg) { return network_kept_whole(cfg).empty(); }

unsigned trial_ranges(const Config& cfg, unsigned jobs) {
  constexpr double kMaxHeldBytes = 512.0 * 1024 * 1024;
  const bool plastic = std::any_of(cfg.projections.begin(), cfg.projections.end(),
                                   [](const ProjectionConfig& p) { return p.plasticity.has_value(); });
  if (jobs <= 1 || cfg.experiment || cfg.protocol.trials < 2 || plastic || cfg.record.weight_snapshots) return 1;
  if (estimate_one(cfg).output_bytes > kMaxHeldBytes) return 1;
  return std::min(4 * jobs, cfg.protocol.trials);
}

ResourceEstimate estimate_resources(const Config& cfg, unsigned jobs, unsigned partitions, unsigned ranks) {
  jobs = std::max(jobs, 1u);
  if (cfg.sweep_points.empty()) {
    ResourceEstimate e = estimate_one(cfg);
    const bool divides = ranks > 1 && network_divides(cfg);
    const double all_partitions = double(partitions) * (divides ? ranks : 1);
    if (cfg.engine.kind == EngineKind::spiking && all_partitions > 1) {
      // This process's partitions hold the engine state of their own units only, and each its
      // share of every row it may be handed: 8 bytes per row (SpikingEngine::find_own_shares).
      double units = 0, rows = 0;
      for (const PopulationConfig& p : cfg.populations) units += p.size;
      for (const ProjectionConfig& p : cfg.projections)
        rows += cfg.find_population(p.from)->size +
                (p.symmetric || cfg.model.symmetrise ? cfg.find_population(p.to)->size : 0);
      const double change = 8 * rows * partitions - kEngineBytesPerUnit * units * (1 - partitions / all_partitions);
      e.unit_bytes += change;
      e.memory_bytes += change;
    }
    if (divides) {
      // Each rank keeps the synapses onto its units, and of projections walked backward those from
      // them too: at most twice its share. The unordered builders still sort a whole projection.
      bool backward = false;
      for (const ProjectionConfig& p : cfg.projections) backward = backward || p.symmetric || cfg.model.symmetrise;
      const double share = std::min(1.0, (backward ? 2.0 : 1.0) / ranks);
      e.memory_bytes -= e.synapse_bytes * (1.0 - share);
      e.synapse_bytes *= share;
      // Weights written: rank 0 gathers one projection at a time, 16 bytes per synapse
      // (sim/core/weight_gather.cpp), beside the table it writes (counted in transient_bytes).
      if (cfg.record.weights || cfg.record.weight_snapshots) {
        double largest = 0;
        for (const ProjectionConfig& p : cfg.projections)
          largest = std::max(largest,
                             expected_synapses(p, cfg.find_population(p.from)->size, cfg.find_population(p.to)->size));
        e.transient_bytes += 16 * largest;
        e.memory_bytes += 16 * largest;
      }
    }
    if (trial_ranges(cfg, jobs) > 1)  // `jobs` engines at once, and the ranges' output until written
      e.memory_bytes +=
          double(std::min(jobs, cfg.protocol.trials)) * (e.unit_bytes + e.recording_bytes) + e.output_bytes;
    return e;
  }
  // Sweep points go into one file: every point's output. With one thread they run one after
  // another (the largest point's memory); with more, up to `jobs` at once, each with threads for its
  // trials by its cost (threads_per_run, sim/run/sweep.cpp), and up to 2 x jobs finished runs' output waits
  // for the writer; over `ranks` processes, up to the writer's window of 2 x jobs x ranks runs on
  // any one process (sim/run/sweep.cpp).
  const double runs = double(cfg.sweep_points.size());
  std::vector<double> cost;
  for (const Config& point : cfg.sweep_points) cost.push_back(estimated_cost(point).total());
  const std::vector<unsigned> run_jobs = threads_per_run(cost, jobs, std::max(ranks, 1u));
  ResourceEstimate total;
  double largest_output = 0.0;
  for (std::size_t k = 0; k < cfg.sweep_points.size(); ++k) {
    const ResourceEstimate e = estimate_resources(cfg.sweep_points[k], run_jobs[k]);
    if (e.memory_bytes > total.memory_bytes) {
      const double output = total.output_bytes;
      total = e;
      total.output_bytes = output;
    }
    total.output_bytes += e.output_bytes;
    largest_output = std::max(largest_output, e.output_bytes);
  }
  if (jobs > 1 || ranks > 1)
    total.memory_bytes = total.memory_bytes * std::min(double(jobs), runs) +
                         std::min(2.0 * jobs * std::max(ranks, 1u), runs) * largest_output;
  return total;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int k = 0;
  while (bytes >= 1000 && k < 6) bytes /= 1000, ++k;
  char text[32];
  std::snprintf(text, sizeof text, k == 0 ? "%.0f %s" : "%.3g %s", bytes, units[k]);
  return text;
}

double parse_bytes(const std::string& text) {
  std::size_t begin = 0;
  while (begin < text.size() && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  double number = 0;
  const auto [end, error] = std::from_chars(text.data() + begin, text.data() + text.size(), number);
  if (error != std::errc() || !(number >= 0) || !std::isfinite(number)) return -1;
  std::string unit(end, text.data() + text.size());
  unit.erase(std::remove_if(unit.begin(), unit.end(), [](unsigned char c) { return std::isspace(c); }), unit.end());
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  const struct {
    const char* name;
    double factor;
  } units[] = {{"", 1},      {"b", 1},        {"kb", 1e3},        {"mb", 1e6},           {"gb", 1e9},
               {"tb", 1e12}, {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0}};
  for (const auto& u : units)
    if (unit == u.name) return number * u.factor;
  return -1;
}

}  // namespace ebsim
