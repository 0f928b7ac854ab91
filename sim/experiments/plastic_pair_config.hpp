#pragma once
// Shared by the readers of the plasticity experiments (STDP window, saturation): the plastic
// pre -> post projection they measure.
#include <string>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;

// Reads `pre`, `post` and `projection` of m: pre is an input population (of one unit if
// pre_single), post one hidden or output unit, the projection between them plastic, and the engine
// spiking.
const ProjectionConfig& read_plastic_pair(MapReader& m, const Config& cfg, bool pre_single, std::string& pre_name,
                                          std::string& post_name, std::string& projection);

}  // namespace ebsim
