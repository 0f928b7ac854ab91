#include "sim/core/protocol.hpp"

#include "sim/core/random.hpp"

namespace ebsim {

std::vector<PhaseDrive> resolve_phases(const Config& cfg, const Network& net) {
  std::vector<PhaseDrive> out;
  PhaseDrive current;
  current.clamped.assign(net.n_units, 0);
  current.clamp_value.assign(net.n_units, 0.0);
  for (std::size_t ph = 0; ph < cfg.protocol.phases.size(); ++ph) {
    const PhaseConfig& phase = cfg.protocol.phases[ph];
    current.beta.assign(net.n_units, 0.0);
    current.target.assign(net.n_units, 0.0);
    for (std::size_t k = 0; k < net.populations.size(); ++k) {
      const Population& pop = net.populations[k];
      if (auto it = phase.clamp.find(pop.name); it != phase.clamp.end()) {
        const auto v = draw_pattern(it->second, pop.size, cfg.seed, Purpose::clamp, ph, k);
        for (std::uint32_t u = 0; u < pop.size; ++u) {
          current.clamped[pop.offset + u] = 1;
          current.clamp_value[pop.offset + u] = v[u];
        }
      }
      if (auto it = phase.nudge.find(pop.name); it != phase.nudge.end()) {
        const auto v = draw_pattern(it->second.target, pop.size, cfg.seed, Purpose::target, ph, k);
        for (std::uint32_t u = 0; u < pop.size; ++u) {
          current.beta[pop.offset + u] = it->second.beta;
          current.target[pop.offset + u] = v[u];
        }
      }
    }
    out.push_back(current);
  }
  return out;
}

}  // namespace ebsim
