#pragma once
// The protocol's phases resolved to per-unit arrays: which units are clamped and to what, which
// are nudged toward which target with which strength.
#include <cstdint>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/network.hpp"

namespace ebsim {

struct PhaseDrive {
  std::vector<std::uint8_t> clamped;  // 1: state held at clamp_value (input units)
  std::vector<double> clamp_value;
  std::vector<double> beta;    // nudge strength; 0 for units that are not nudged
  std::vector<double> target;  // nudge target y*
};

// One PhaseDrive per phase. Clamps carry over to later phases until changed; nudges last one
// phase. Random patterns are drawn once per run from keyed streams (the same in every trial).
std::vector<PhaseDrive> resolve_phases(const Config& cfg, const Network& net);

}  // namespace ebsim
