#include "sim/io/yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace ebsim {

ConfigError::ConfigError(std::string location, std::string key_path, std::string message)
    : std::runtime_error(location + ": " + (key_path.empty() ? "" : key_path + ": ") + message),
      location_(std::move(location)),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1u : 0u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& options) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& o : options) {
    const std::size_t d = edit_distance(word, o);
    if (d < best_d) best_d = d, best = o;
  }
  return best.empty() ? "" : " (did you mean `" + best + "`?)";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + ("`" + s + "`");
  return out;
}

std::string Context::locate(const YAML::Node& node, const std::string& key_path) const {
  for (const auto& [k, text] : overrides)
    if (key_path == k || key_path.rfind(k + ".", 0) == 0 || key_path.rfind(k + "[", 0) == 0) return "--set " + text;
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  std::ostringstream os;
  os << n;
  return os.str();
}

MapReader::MapReader(const Context& ctx, YAML::Node node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!node_.IsMap()) fail(node_, path_, "expected a mapping of keys, got `" + scalar_text(node_) + "`");
  // YAML parsers keep one of two equal keys silently: a second `record:` would vanish unseen.
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const std::string k = key_name(kv.first, path_);
    if (!seen.insert(k).second) fail(kv.first, key_path(k), "duplicate key `" + k + "`");
  }
}

void MapReader::fail(const YAML::Node& at, const std::string& key_path, const std::string& msg) const {
  throw ConfigError(ctx_.locate(at, key_path), key_path, msg);
}

std::string MapReader::key_name(const YAML::Node& key, const std::string& where) const {
  if (!key.IsScalar())
    fail(key, where,
         "expected a plain name as the key, got " +
             std::string(key.IsNull() ? "an empty key" : "`" + scalar_text(key) + "`"));
  return key.Scalar();
}

void MapReader::note_known(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
}
bool MapReader::has(const std::string& key) {
  note_known(key);
  return static_cast<bool>(node_[key]) && !node_[key].IsNull();
}
YAML::Node MapReader::get(const std::string& key) {
  note_known(key);
  return node_[key];
}
YAML::Node MapReader::require(const std::string& key, const std::string& what) {
  if (!has(key)) fail(node_, key_path(key), "missing required key `" + key + "` (" + what + ")");
  return node_[key];
}
void MapReader::set_default(const std::string& key, const YAML::Node& value) {
  if (!has(key)) node_[key] = value;
}

double MapReader::number(const std::string& key, std::optional<double> dflt) {
  if (!has(key)) {
    if (!dflt) fail(node_, key_path(key), "missing required number `" + key + "`");
    node_[key] = *dflt;
    return *dflt;
  }
  return as_number(node_[key], key_path(key));
}
double MapReader::as_number(const YAML::Node& n, const std::string& kp) const {
  if (n.IsScalar()) {
    const std::string& t = n.Scalar();
    double v = 0;
    std::istringstream is(t);
    is >> v;
    if (is && (is >> std::ws).eof() && std::isfinite(v)) return v;
  }
  fail(n, kp, "expected a number, got `" + scalar_text(n) + "`");
}
double MapReader::quantity(const std::string& key, Dimension dim, std::optional<std::string> dflt) {
  if (!has(key)) {
    if (!dflt) fail(node_, key_path(key), "missing required key `" + key + "`: " + unit_examples(dim));
    node_[key] = *dflt;
  }
  return as_quantity(node_[key], key_path(key), dim);
}
double MapReader::as_quantity(const YAML::Node& n, const std::string& kp, Dimension dim) const {
  if (!n.IsScalar()) fail(n, kp, "expected " + unit_examples(dim) + ", got `" + scalar_text(n) + "`");
  const QuantityParse q = parse_quantity(n.Scalar(), dim);
  if (!q.value) fail(n, kp, q.error);
  return *q.value;
}
std::int64_t MapReader::integer(const std::string& key, std::optional<std::int64_t> dflt) {
  if (!has(key)) {
    if (!dflt) fail(node_, key_path(key), "missing required integer `" + key + "`");
    node_[key] = *dflt;
    return *dflt;
  }
  return as_integer(node_[key], key_path(key));
}
std::int64_t MapReader::as_integer(const YAML::Node& n, const std::string& kp) const {
  if (n.IsScalar()) {
    std::istringstream is(n.Scalar());
    long long v = 0;
    is >> v;
    if (is && (is >> std::ws).eof()) return v;
  }
  fail(n, kp, "expected an integer, got `" + scalar_text(n) + "`");
}
bool MapReader::boolean(const std::string& key, bool dflt) {
  if (!has(key)) {
    node_[key] = dflt;
    return dflt;
  }
  const YAML::Node n = node_[key];
  if (n.IsScalar()) {
    const std::string& t = n.Scalar();
    if (t == "true" || t == "True" || t == "yes") return true;
    if (t == "false" || t == "False" || t == "no") return false;
  }
  fail(n, key_path(key), "expected true or false, got `" + scalar_text(n) + "`");
}
std::string MapReader::string(const std::string& key, std::optional<std::string> dflt) {
  if (!has(key)) {
    if (!dflt) fail(node_, key_path(key), "missing required key `" + key + "`");
    node_[key] = *dflt;
    return *dflt;
  }
  const YAML::Node n = node_[key];
  if (!n.IsScalar()) fail(n, key_path(key), "expected a string, got `" + scalar_text(n) + "`");
  return n.Scalar();
}
std::string MapReader::choice(const std::string& key, const std::vector<std::string>& options,
                              std::optional<std::string> dflt) {
  const std::string v = string(key, dflt);
  if (std::find(options.begin(), options.end(), v) == options.end())
    fail(node_[key], key_path(key),
         "expected one of " + join(options) + ", got `" + v + "`" + did_you_mean(v, options));
  return v;
}
MapReader MapReader::map(const std::string& key) {
  if (!has(key)) node_[key] = YAML::Node(YAML::NodeType::Map);
  return MapReader(ctx_, node_[key], key_path(key));
}

void MapReader::finish() const {
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();  // the constructor checked that keys are scalars
    if (std::find(known_.begin(), known_.end(), k) == known_.end())
      fail(kv.first, key_path(k),
           "unknown key `" + k + "`" + did_you_mean(k, known_) + "; allowed here: " + join(known_));
  }
}

void check(bool ok, const MapReader& r, const std::string& key, const std::string& expected) {
  if (!ok) r.fail(r.node()[key], r.key_path(key), expected);
}

void check_name(const MapReader& r, const YAML::Node& at, const std::string& kp, const std::string& name,
                const std::string& what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    r.fail(at, kp,
           "the " + what + " name `" + name +
               "` cannot name a group in the output file: expected a name that is not empty, "
               "`.` or `..` and has no `/`");
}

namespace {
double bounded_value(const MapReader& r, const YAML::Node& n, const std::string& kp) {
  const double v = r.as_number(n, kp);
  if (!(std::abs(v) <= kMaxValue)) r.fail(n, kp, "expected a value within +-1e6, got `" + scalar_text(n) + "`");
  return v;
}
}  // namespace

Pattern read_pattern(const MapReader& parent, const YAML::Node& n, const std::string& kp, bool allow_list) {
  Pattern p;
  if (n.IsScalar()) {
    p.dist = {Distribution::Kind::constant, bounded_value(parent, n, kp), 0.0};
    return p;
  }
  if (n.IsSequence() && allow_list) {
    for (std::size_t i = 0; i < n.size(); ++i)
      p.values.push_back(bounded_value(parent, n[i], kp + "[" + std::to_string(i) + "]"));
    return p;
  }
  const std::string expected = std::string("expected a number") + (allow_list ? ", a list of numbers" : "") +
                               ", `{uniform: [low, high]}` or `{normal: [mean, sd]}`";
  if (!n.IsMap() || n.size() != 1) parent.fail(n, kp, expected + ", got `" + scalar_text(n) + "`");
  const std::string kind = parent.key_name(n.begin()->first, kp);
  const YAML::Node args = n.begin()->second;
  if (kind != "uniform" && kind != "normal")
    parent.fail(n.begin()->first, kp + "." + kind,
                "unknown distribution `" + kind + "`" + did_you_mean(kind, {"uniform", "normal"}) + "; " + expected);
  if (!args.IsSequence() || args.size() != 2)
    parent.fail(args, kp + "." + kind,
                "expected two numbers [" + std::string(kind == "uniform" ? "low, high" : "mean, sd") + "]");
  const double a = bounded_value(parent, args[0], kp + "." + kind + "[0]");
  const double b = bounded_value(parent, args[1], kp + "." + kind + "[1]");
  if (kind == "uniform") {
    if (!(a <= b))
      parent.fail(args, kp + ".uniform",
                  "expected low <= high, got [" + scalar_text(args[0]) + ", " + scalar_text(args[1]) + "]");
    p.dist = {Distribution::Kind::uniform, a, b};
  } else {
    if (!(b >= 0)) parent.fail(args[1], kp + ".normal[1]", "expected a standard deviation >= 0");
    p.dist = {Distribution::Kind::normal, a, b};
  }
  return p;
}

void check_pattern_size(const MapReader& r, const YAML::Node& n, const std::string& kp, const Pattern& p,
                        std::uint32_t size) {
  if (!p.values.empty() && p.values.size() != size)
    r.fail(
        n, kp,
        "expected " + std::to_string(size) + " values (the population's size), got " + std::to_string(p.values.size()));
}

const PopulationConfig& find_population(const Config& cfg, const MapReader& r, const std::string& key,
                                        const std::string& name) {
  if (const PopulationConfig* p = cfg.find_population(name)) return *p;
  std::vector<std::string> names;
  for (const auto& p : cfg.populations) names.push_back(p.name);
  r.fail(r.node()[key], r.key_path(key),
         "unknown population `" + name + "`" + did_you_mean(name, names) + "; populations are " + join(names));
}

std::vector<std::string> read_population_list(MapReader& r, const std::string& key, const Config& cfg) {
  r.set_default(key, YAML::Node(YAML::NodeType::Sequence));
  const YAML::Node pops = r.get(key);
  std::vector<std::string> out, names;
  for (const auto& p : cfg.populations) names.push_back(p.name);
  if (pops.IsScalar() && pops.Scalar() == "all") return names;
  if (!pops.IsSequence()) r.fail(pops, r.key_path(key), "expected a list of population names or `all`");
  for (std::size_t i = 0; i < pops.size(); ++i) {
    const std::string kp = r.key_path(key) + "[" + std::to_string(i) + "]";
    if (!pops[i].IsScalar()) r.fail(pops[i], kp, "expected a population name");
    if (!cfg.find_population(pops[i].Scalar()))
      r.fail(pops[i], kp,
             "unknown population `" + pops[i].Scalar() + "`" + did_you_mean(pops[i].Scalar(), names) +
                 "; populations are " + join(names));
    out.push_back(pops[i].Scalar());
  }
  return out;
}

}  // namespace ebsim
