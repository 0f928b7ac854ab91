#include "sim/core/engine_params.hpp"

#include "sim/core/network.hpp"
#include "sim/core/random.hpp"

namespace ebsim {

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
