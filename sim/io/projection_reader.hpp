#pragma once
// The schema of one entry of `projections:`: its populations, connectivity, initial weights,
// symmetry, delays and plasticity rule.
#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// Reads one projection between populations of cfg (already read).
ProjectionConfig read_projection(MapReader m, const Config& cfg);

}  // namespace ebsim
