#pragma once
// YAML experiment file -> validated Config. Every error names the file, line, column and key path.
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string location, std::string key_path, std::string message);
  const std::string& location() const { return location_; }  // "file:line:col" or "--set k=v"
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  std::string location_, key_path_, message_;
};

// overrides: "key.path=value" strings (--set); list elements by index ("projections.0.delay=2 ms").
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The same, from YAML text (tests); `name` stands for the file name in messages.
Config load_config_text(const std::string& text, const std::string& name,
                        const std::vector<std::string>& overrides = {});

}  // namespace ebsim
