#pragma once
// Small helpers shared by the tests.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.hpp"
#include "sim/experiments/registry.hpp"
#include "sim/io/config_loader.hpp"
#include "sim/io/sink.hpp"

namespace ebsim::test {

// Two arrays of doubles equal bit for bit (NaN and -0 included).
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// A fresh, empty directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("ebsim-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A config as ebsim loads it, with every registered experiment kind.
inline Config config_from(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_config_text(yaml, "test.yaml", overrides, experiment_catalog());
}
inline Config config_file(const std::string& path, const std::vector<std::string>& overrides = {}) {
  return load_config(path, overrides, experiment_catalog());
}

// Provenance with every field set (the seed at the top of the uint64 range).
inline RunMetadata example_metadata() {
  RunMetadata meta;
  meta.resolved_config = "network:\n  h1: {size: 300}\n";
  meta.seed = 18446744073709551615ull;  // the full uint64 range must survive
  meta.version = "0.1.0";
  meta.git_revision = "abc1234";
  meta.command_line = "ebsim run configs/example.yaml --seed 7";
  meta.engine = "continuous";
  meta.populations = {{"h1", "hidden", 300}, {"v", "visible", 4}};
  return meta;
}

// Debian's copy of scikit-learn's 8x8 digits (python3-sklearn).
inline const std::string kDigits = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
// True, with a message in the test's output, where that file is absent (python3-sklearn not
// installed): a test that needs it returns instead of failing on a machine without it.
inline bool digits_missing() {
  if (std::filesystem::is_regular_file(kDigits)) return false;
  MESSAGE("skipped: " << kDigits << " is absent (Debian's python3-sklearn ships it)");
  return true;
}

inline std::string source_dir() { return EBSIM_SOURCE_DIR; }

inline void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The CLI run in-process: its exit code and what it wrote to stderr.
struct CliOutcome {
  int code;
  std::string err;
};
inline CliOutcome run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = cli::main(args, out, err);
  return {code, err.str()};
}

// A small layered network x -> h -> y with symmetric weights: the tests' workhorse.
inline const char* const kSmallNet = R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 0.1 ms}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: 0.05}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  phases:
    - {name: free, duration: 2000 ms, clamp: {x: [0.3, -0.2, 0.1]}}
record:
  states: {populations: all, period: 10 ms}
)";

}  // namespace ebsim::test
