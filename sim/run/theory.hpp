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
// the spiking run is: one trial's rates and states. It needs nothing of the spiking run, so it may
// run beside its trials. Nothing (nullopt) if `stop` was set before it finished. `progress` (if
// set) hears its fraction done.
std::optional<RateRecorder> theory_reference(const Config& cfg, const EngineParams& params, const Network& net,
                                             const std::vector<PhaseDrive>& drives, const std::atomic<bool>* stop,
                                             const std::function<void(double)>& progress = {});

// Writes the reference under /theory and the spiking run's errors against it under
// /analysis/theory_check; returns the errors.
std::vector<TheoryError> write_theory(const Config& cfg, const RateRecorder& reference, const RateRecorder& spiking,
                                      Sink& sink);

}  // namespace ebsim
