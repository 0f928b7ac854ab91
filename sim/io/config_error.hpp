#pragma once
// The one error a config can raise: where (file:line:col, or the --set that caused it), which key
// path, and what was expected.
#include <stdexcept>
#include <string>

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

}  // namespace ebsim
