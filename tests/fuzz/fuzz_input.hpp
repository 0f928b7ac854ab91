#pragma once
// One input of the config fuzzer: YAML text, then --set overrides, separated by NUL bytes
// ("model: ...\0model.tau=5 ms\0sweep={...}"). Loading it must give a Config or a ConfigError;
// anything else escapes (libFuzzer reports it, and the regression test fails).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/experiments/registry.hpp"
#include "sim/io/config_loader.hpp"

namespace ebsim::fuzz {

inline void load_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = all.find('\0', begin);
    parts.emplace_back(all.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  try {
    (void)load_config_text(parts.front(), "fuzz.yaml", overrides, experiment_catalog());
  } catch (const ConfigError&) {
    // The one way a config may fail.
  }
}

}  // namespace ebsim::fuzz
