#pragma once
// Changing a config from outside the file: `--set key.path=value` overrides, and the `sweep:`
// section, which runs the same file once per value of one key (each point is the file with one
// more override).
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

// Applies one --set key.path=value to the tree (before validation, so it is validated the same
// way) and remembers in ctx which key path it set, so that errors there point at the --set.
void apply_override(YAML::Node root, const std::string& text, Context& ctx);

// The `sweep:` section of the top-level mapping (the forms are described at Sweep in
// sim/core/config.hpp); replicate seeds derive from base_seed. More than max_runs runs is an error.
Sweep read_sweep(MapReader& top, std::uint64_t base_seed, std::uint64_t max_runs);

// One validated config per run of the sweep (points x replicates): load_point(overrides + one
// "key=value" per axis) for each point, so a bad value is reported before anything runs, at the
// value (or, for a key that does not exist, at the key) in the file; `runs` says which point and
// replicate each config is.
std::vector<Config> load_sweep_points(const Sweep& sweep, const std::vector<std::string>& overrides,
                                      const std::function<Config(const std::vector<std::string>&)>& load_point,
                                      std::vector<SweepRun>& runs);

}  // namespace ebsim
