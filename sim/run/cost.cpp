#include "sim/run/cost.hpp"

#include <algorithm>
#include <cmath>

namespace ebsim {

CostEstimate estimated_cost(const Config& cfg) {
  double units = 0.0, synapses = 0.0;
  for (const PopulationConfig& p : cfg.populations) units += p.size;
  for (const ProjectionConfig& pc : cfg.projections) {
    const double pre = cfg.find_population(pc.from)->size, post = cfg.find_population(pc.to)->size;
    double n = pre * post;
    switch (pc.connectivity) {
      case Connectivity::all_to_all: break;
      case Connectivity::one_to_one: n = std::min(pre, post); break;
      case Connectivity::random: n *= pc.probability; break;
      case Connectivity::fixed_indegree: n = double(pc.indegree) * post; break;
      case Connectivity::explicit_list: n = double(pc.synapses.size()); break;
    }
    synapses += pc.symmetric || cfg.model.symmetrise ? 2 * n : n;  // deliveries in both directions
  }
  const double trial_ms = cfg.protocol.total_duration_ms(), all_ms = trial_ms * cfg.protocol.trials;
  constexpr double kPerEvent = 0.7, kPerUnitMs = 1.5, kPerStepElement = 0.015, kPerSpikeWritten = 8.0;
  CostEstimate c;
  if (cfg.engine.kind == EngineKind::spiking) {
    const double per_ms = cfg.model.r_max_hz * 1e-3;
    c.run = all_ms * (kPerEvent * per_ms * (units + 0.5 * synapses) + kPerUnitMs * units);
    double recorded = 0.0;
    for (const std::string& name : cfg.record.spikes) recorded += cfg.find_population(name)->size;
    c.write = kPerSpikeWritten * all_ms * per_ms * 0.5 * recorded;
  } else {
    c.run = all_ms / cfg.engine.dt_ms * (units + synapses) * kPerStepElement;
  }
  if (cfg.record.rates.theory)
    c.theory = trial_ms / cfg.record.rates.theory_dt_ms * (units + synapses) * kPerStepElement;
  return c;
}

std::vector<unsigned> threads_per_run(const std::vector<double>& cost, unsigned jobs, unsigned processes) {
  jobs = std::max(jobs, 1u);
  double total = 0.0;
  for (double c : cost) total += c;
  const double share = total / (double(jobs) * std::max(processes, 1u));
  std::vector<unsigned> out;
  for (double c : cost)
    out.push_back(share > 0.0 ? unsigned(std::clamp(std::ceil(c / share - 1e-9), 1.0, double(jobs))) : 1u);
  return out;
}

double sweep_tail_cost(std::size_t runs) { return 9e5 + 1.9e4 * double(runs); }

}  // namespace ebsim
