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

// The `sweep:` section of the top-level mapping: one key path with a list of values.
Sweep read_sweep(MapReader& top);

// One validated config per value of the sweep: load_point(overrides + "key=value") for each, so a
// bad value is reported before anything runs, at the value in the file (`text`).
std::vector<Config> load_sweep_points(const Sweep& sweep, const std::string& text, const Context& ctx,
                                      const std::vector<std::string>& overrides,
                                      const std::function<Config(const std::vector<std::string>&)>& load_point);

}  // namespace ebsim
