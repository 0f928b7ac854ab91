#pragma once
// The one place that turns lowered parameters into an engine of the kind they name.
#include <memory>

#include "sim/core/engine.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"

namespace ebsim {

std::unique_ptr<Engine> make_engine(const EngineParams& params, const Network& net);

}  // namespace ebsim
