#pragma once
// A config, its network, its resolved phases and an engine of type E in phase 0, optionally with
// the config's plasticity switched on: what most engine tests start from.
#include <memory>
#include <string>
#include <vector>

#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "support.hpp"

namespace ebsim::test {

template <class E>
struct EngineFixture {
  Config cfg;
  Network net;
  std::vector<PhaseDrive> drives;
  E engine;
  std::unique_ptr<PlasticityRule> rule;

  explicit EngineFixture(const std::string& yaml, const std::vector<std::string>& overrides = {}, bool plastic = false)
      : cfg(config_from(yaml, overrides)),
        net(build_network(cfg)),
        drives(resolve_phases(cfg, net)),
        engine(lower_engine_params(cfg), net) {
    if (plastic) {
      rule = std::make_unique<PlasticityRule>(cfg, net);
      engine.set_plasticity(rule.get());
      rule->set_phase(0);
    }
    engine.set_phase(drives[0]);
    for (const std::string& name : cfg.record.spikes)
      for (std::uint32_t k = 0; k < net.populations.size(); ++k)
        if (net.populations[k].name == name) engine.record_spikes(k);
  }
  double state(std::uint32_t i) {
    std::vector<double> s(net.n_units);
    engine.sample_states(s);
    return s[i];
  }
};

}  // namespace ebsim::test
