#include "sim/core/engine_params.hpp"

#include <algorithm>
#include <string>

#include "sim/core/network.hpp"
#include "sim/core/random.hpp"

namespace ebsim {

double expected_synapses(const ProjectionConfig& p, double n_src, double n_tgt) {
  const bool recurrent = p.from == p.to;
  const double pairs = recurrent ? (p.symmetric ? n_src * (n_src - 1) / 2 : n_src * (n_src - 1)) : n_src * n_tgt;
  switch (p.connectivity) {
    case Connectivity::all_to_all: return pairs;
    case Connectivity::one_to_one: return n_src;
    case Connectivity::random: return pairs * p.probability;
    case Connectivity::fixed_indegree: return double(p.indegree) * n_tgt;
    case Connectivity::explicit_list: return double(p.synapses.size());
  }
  return 0;
}

std::vector<PopulationCost> partition_costs(const Config& cfg) {
  constexpr double kCandidateNs = 100.0, kKickNs = 5.5;
  std::vector<PopulationCost> out;
  for (const PopulationConfig& p : cfg.populations) out.push_back({p.size, kCandidateNs});
  const auto index = [&](const std::string& name) {
    const PopulationConfig* p = cfg.find_population(name);
    return p ? std::size_t(p - cfg.populations.data()) : cfg.populations.size();
  };
  for (const ProjectionConfig& pc : cfg.projections) {
    const std::size_t s = index(pc.from), t = index(pc.to);
    if (s == out.size() || t == out.size()) continue;  // the loader refuses such a config
    const double n = expected_synapses(pc, out[s].size, out[t].size);
    // A spike of each sender kicks its targets; where the projection acts backward, its sources too.
    out[t].per_unit += kKickNs * 0.5 * n / std::max<double>(out[t].size, 1);
    if (pc.symmetric || cfg.model.symmetrise) out[s].per_unit += kKickNs * 0.5 * n / std::max<double>(out[s].size, 1);
  }
  return out;
}

EngineParams lower_engine_params(const Config& cfg) {
  EngineParams p;
  p.kind = cfg.engine.kind;
  p.rate = cfg.model.rate;
  p.tau_ms = cfg.model.tau_ms;
  p.r_max_hz = cfg.model.r_max_hz;
  p.r_max_per_ms = cfg.model.r_max_hz / 1000.0;
  p.dt_ms = cfg.engine.dt_ms;
  p.sigma = cfg.engine.sigma;
  p.boundary = cfg.engine.boundary;
  p.seed = cfg.seed;
  p.unit_costs = partition_costs(cfg);
  for (std::size_t k = 0; k < cfg.populations.size(); ++k) {
    const auto init =
        draw_pattern(cfg.populations[k].initial_state, cfg.populations[k].size, cfg.seed, Purpose::initial_state, k, 0);
    p.initial_state.insert(p.initial_state.end(), init.begin(), init.end());
  }
  return p;
}

EngineParams EngineParams::with_kind(EngineKind k) const {
  EngineParams p = *this;
  p.kind = k;
  return p;
}

EngineParams EngineParams::with_r_max(double hz) const {
  EngineParams p = *this;
  p.r_max_hz = hz;
  p.r_max_per_ms = hz / 1000.0;
  return p;
}

EngineParams EngineParams::with_dt(double dt) const {
  EngineParams p = *this;
  p.dt_ms = dt;
  return p;
}

EngineParams EngineParams::with_sigma(double s) const {
  EngineParams p = *this;
  p.sigma = s;
  return p;
}

EngineParams EngineParams::with_rate(const models::RateFunction& r) const {
  EngineParams p = *this;
  p.rate = r;
  return p;
}

EngineParams EngineParams::with_partitions(unsigned p, PartitionComm* comm) const {
  EngineParams q = *this;
  q.partitions = p;
  q.comm = comm;
  return q;
}

}  // namespace ebsim
