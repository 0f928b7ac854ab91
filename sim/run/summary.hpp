#pragma once
// Short human summaries of a run and of a sweep (what the CLI prints at the end).
#include <string>

#include "sim/core/config.hpp"
#include "sim/run/results.hpp"
#include "sim/run/sweep.hpp"

namespace ebsim {

std::string format_summary(const Config& cfg, const RunResult& result);
std::string format_sweep_summary(const Config& cfg, const SweepResult& result);

}  // namespace ebsim
