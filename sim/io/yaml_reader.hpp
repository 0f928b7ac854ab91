#pragma once
// The toolkit every section reader of a config uses (the core schema in config_loader.cpp, each
// experiment's reader in sim/experiments/<kind>_config.cpp): a MapReader that reads one mapping,
// writes its defaults back (so that the resolved config carries them) and rejects unknown keys
// with a did-you-mean; errors located at file:line:col, or at the --set that caused them.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/config_error.hpp"
#include "sim/io/config_limits.hpp"
#include "sim/io/quantity.hpp"

namespace ebsim {

std::size_t edit_distance(const std::string& a, const std::string& b);
// " (did you mean `option`?)" for the closest option within a few edits; "" if none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& options);
// "`a`, `b`, `c`"
std::string join(const std::vector<std::string>& items);
// A node as the user wrote it, for messages.
std::string scalar_text(const YAML::Node& n);

// Where errors point: the file, and which key paths came from --set.
struct Context {
  std::string file;
  std::map<std::string, std::string> overrides;  // key path -> "k=v" as typed

  std::string locate(const YAML::Node& node, const std::string& key_path) const;
};

// Reads one YAML mapping, remembers which keys were read, writes defaults into the node (so that
// the resolved config carries them) and rejects keys nobody asked for.
class MapReader {
 public:
  MapReader(const Context& ctx, YAML::Node node, std::string path);

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key_path, const std::string& msg) const;
  // A mapping's key as a name; a complex key (`? [a, b]`) or a null key is an error at the key,
  // reported under `where` (the key path of the mapping holding it).
  std::string key_name(const YAML::Node& key, const std::string& where) const;
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node& node() const { return node_; }
  const Context& ctx() const { return ctx_; }

  bool has(const std::string& key);
  YAML::Node get(const std::string& key);
  YAML::Node require(const std::string& key, const std::string& what);
  void set_default(const std::string& key, const YAML::Node& value);

  // Each reads `key`; without a default the key is required.
  double number(const std::string& key, std::optional<double> dflt = std::nullopt);
  double as_number(const YAML::Node& n, const std::string& kp) const;
  double quantity(const std::string& key, Dimension dim, std::optional<std::string> dflt = std::nullopt);
  double as_quantity(const YAML::Node& n, const std::string& kp, Dimension dim) const;
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> dflt = std::nullopt);
  std::int64_t as_integer(const YAML::Node& n, const std::string& kp) const;
  bool boolean(const std::string& key, bool dflt);
  std::string string(const std::string& key, std::optional<std::string> dflt = std::nullopt);
  std::string choice(const std::string& key, const std::vector<std::string>& options,
                     std::optional<std::string> dflt = std::nullopt);
  MapReader map(const std::string& key);

  // Every key that was not read is unknown.
  void finish() const;

 private:
  void note_known(const std::string& key);  // each key once, in the order first read

  const Context& ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

// A range check with the expectation spelled out.
void check(bool ok, const MapReader& r, const std::string& key, const std::string& expected);

// A name that becomes one component of an HDF5 path in the output (population, projection, phase):
// not empty, not `.` or `..`, no `/`.
void check_name(const MapReader& r, const YAML::Node& at, const std::string& kp, const std::string& name,
                const std::string& what);

// number | [values...] | {uniform: [lo, hi]} | {normal: [mean, sd]}, every number within +-kMaxValue
Pattern read_pattern(const MapReader& parent, const YAML::Node& n, const std::string& kp, bool allow_list);
void check_pattern_size(const MapReader& r, const YAML::Node& n, const std::string& kp, const Pattern& p,
                        std::uint32_t size);

// The population called `name`, read from `key` of r (an error with the known names otherwise).
const PopulationConfig& find_population(const Config& cfg, const MapReader& r, const std::string& key,
                                        const std::string& name);
// A list of population names, or `all`.
std::vector<std::string> read_population_list(MapReader& r, const std::string& key, const Config& cfg);

}  // namespace ebsim
