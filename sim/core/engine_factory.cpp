#include "sim/core/engine_factory.hpp"

#include <stdexcept>

#include "sim/core/continuous_engine.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/spiking_engine.hpp"

namespace ebsim {

std::unique_ptr<Engine> make_engine(const EngineParams& params, const Network& net) {
  switch (params.kind) {
    case EngineKind::continuous: return std::make_unique<ContinuousEngine>(params, net);
    case EngineKind::spiking:
      if (params.partitions > 1 || params.comm)
        return std::make_unique<PartitionedEngine>(params, net, params.partitions, params.comm);
      return std::make_unique<SpikingEngine>(params, net);
  }
  throw std::logic_error("unknown engine kind");
}

}  // namespace ebsim
