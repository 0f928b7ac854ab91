#include "sim/io/overrides.hpp"

#include <sstream>

namespace ebsim {

void apply_override(YAML::Node root, const std::string& text, Context& ctx) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError("--set " + text, "", "expected key.path=value");
  const std::string path = text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + text, path, "value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  std::string part;
  std::istringstream is(path);
  while (std::getline(is, part, '.')) parts.push_back(part);
  YAML::Node cur = root;
  std::string canonical;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& k = parts[i];
    const bool last = i + 1 == parts.size();
    if (cur.IsSequence()) {
      std::size_t idx = 0;
      try {
        idx = std::stoul(k);
      } catch (...) {
        throw ConfigError("--set " + text, canonical, "expected a list index, got `" + k + "`");
      }
      if (idx >= cur.size())
        throw ConfigError("--set " + text, canonical,
                          "index " + k + " out of range (the list has " + std::to_string(cur.size()) + " entries)");
      canonical += "[" + k + "]";
      if (last)
        cur[idx] = value;
      else
        cur.reset(cur[idx]);
    } else {
      if (!cur.IsMap() && !cur.IsNull())
        throw ConfigError("--set " + text, canonical, "is not a mapping, cannot set `" + k + "` inside it");
      canonical += (canonical.empty() ? "" : ".") + k;
      if (last) {
        cur[k] = value;
      } else {
        YAML::Node next = cur[k];
        if (!next) {
          cur[k] = YAML::Node(YAML::NodeType::Map);
          next = cur[k];
        }
        cur.reset(next);
      }
    }
  }
  ctx.overrides[canonical] = text;
}

Sweep read_sweep(MapReader& top) {
  const YAML::Node sw = top.get("sweep");
  const std::string expected = "expected one key path with a list of values, e.g. `{model.r_max: [100 Hz, 400 Hz]}`";
  if (!sw.IsMap() || sw.size() != 1) top.fail(sw, "sweep", expected);
  Sweep sweep;
  sweep.key = top.key_name(sw.begin()->first, "sweep");
  const YAML::Node values = sw.begin()->second;
  if (!values.IsSequence() || values.size() < 2)
    top.fail(values, "sweep." + sweep.key, expected + " (at least two values)");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i].IsScalar())
      top.fail(values[i], "sweep." + sweep.key + "[" + std::to_string(i) + "]", "expected a scalar value");
    sweep.values.push_back(values[i].Scalar());
  }
  if (sweep.key.rfind("sweep", 0) == 0 || sweep.key.rfind("seed", 0) == 0 || sweep.key.rfind("output", 0) == 0)
    top.fail(sw.begin()->first, "sweep", "cannot sweep `" + sweep.key + "`");
  return sweep;
}
std::vector<Config> load_sweep_points(const Sweep& sweep, const std::string& text, const Context& ctx,
                                      const std::vector<std::string>& overrides,
                                      const std::function<Config(const std::vector<std::string>&)>& load_point) {
  // Each point is the same file with one more override, validated now: a bad value is reported
  // before anything runs.
  std::vector<Config> points;
  const YAML::Node in_file = YAML::Load(text)["sweep"];
  const YAML::Node values = in_file && in_file.IsMap() && in_file.size() == 1 ? in_file.begin()->second : YAML::Node();
  for (std::size_t k = 0; k < sweep.values.size(); ++k) {
    std::vector<std::string> point = overrides;
    point.push_back(sweep.key + "=" + sweep.values[k]);
    try {
      points.push_back(load_point(point));
    } catch (const ConfigError& e) {
      const YAML::Node at = values.IsSequence() && k < values.size() ? values[k] : values;
      throw ConfigError(ctx.locate(at, "sweep"), "sweep." + sweep.key + "[" + std::to_string(k) + "]",
                        e.message() + " (at " + e.key_path() + ")");
    }
  }
  return points;
}

}  // namespace ebsim
