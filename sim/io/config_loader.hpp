#pragma once
// YAML experiment file -> validated Config. Every error names the file, line, column and key path.
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/config_error.hpp"

namespace ebsim {

// overrides: "key.path=value" strings (--set); list elements by index ("projections.0.delay=2 ms").
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The same, from YAML text (tests); `name` stands for the file name in messages.
Config load_config_text(const std::string& text, const std::string& name,
                        const std::vector<std::string>& overrides = {});

}  // namespace ebsim
