#pragma once
// The mean-field reference of a spiking run: the continuous engine on the same network and
// protocol, and the spiking run's error against it.
#include <atomic>
#include <functional>
#include <optional>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/recorders.hpp"
#include "sim/run/results.hpp"

namespace ebsim {

// The continuous engine's prediction for the same protocol (sigma = 0, dt = theory_dt), binned as
// the spiking run was, under /theory; errors under /analysis/theory_check. Nothing (nullopt, nothing
// written) if `stop` was set before it finished. `progress` (if set) hears its fraction done.
std::optional<std::vector<TheoryError>> run_theory(const Config& cfg, const EngineParams& params, const Network& net,
                                                   const std::vector<PhaseDrive>& drives, const RateRecorder& spiking,
                                                   Sink& sink, const std::atomic<bool>* stop,
                                                   const std::function<void(double)>& progress = {});

}  // namespace ebsim
