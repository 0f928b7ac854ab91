#include "sim/io/overrides.hpp"

#include <algorithm>
#include <sstream>

#include "sim/core/random.hpp"

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

namespace {

// One key path with its list of values, at `kp` ("sweep", "sweep.grid", ...).
SweepAxis read_axis(const MapReader& r, const YAML::Node& key, const YAML::Node& values, const std::string& where,
                    std::size_t min_values) {
  SweepAxis axis;
  axis.key = r.key_name(key, where);
  const std::string kp = where + "." + axis.key;
  axis.key_location = r.ctx().locate(key, kp);
  if (axis.key.rfind("sweep", 0) == 0 || axis.key.rfind("seed", 0) == 0 || axis.key.rfind("output", 0) == 0)
    r.fail(key, kp, "cannot sweep `" + axis.key + "`" + (axis.key == "seed" ? " (use `replicates` or `seeds`)" : ""));
  if (!values.IsSequence() || values.size() < min_values)
    r.fail(values, kp,
           "expected a list of " + std::string(min_values > 1 ? "at least two values" : "values") +
               ", e.g. `[100 Hz, 400 Hz]`");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string vp = kp + "[" + std::to_string(i) + "]";
    if (!values[i].IsScalar()) r.fail(values[i], vp, "expected a scalar value");
    axis.values.push_back(values[i].Scalar());
    axis.value_locations.push_back(r.ctx().locate(values[i], vp));
  }
  return axis;
}

std::vector<SweepAxis> read_axes(MapReader& sw, const std::string& form) {
  const YAML::Node node = sw.get(form);
  if (!node.IsMap() || node.size() == 0)
    sw.fail(node, sw.key_path(form),
            "expected a mapping of key paths to lists of values, e.g. `{model.r_max: [100 Hz, 400 Hz]}`");
  const MapReader keys(sw.ctx(), node, sw.key_path(form));  // rejects duplicate and complex keys
  std::vector<SweepAxis> axes;
  for (const auto& kv : node) axes.push_back(read_axis(keys, kv.first, kv.second, sw.key_path(form), 1));
  return axes;
}

}  // namespace

Sweep read_sweep(MapReader& top, std::uint64_t base_seed, std::uint64_t max_runs) {
  const YAML::Node sw = top.get("sweep");
  Sweep sweep;
  const std::vector<std::string> forms{"grid", "zip", "replicates", "seeds"};
  // The structured form as soon as one of its words is a key (then any other key is unknown).
  bool structured = false;
  if (sw.IsMap())
    for (const auto& kv : sw)
      structured = structured ||
                   (kv.first.IsScalar() && std::find(forms.begin(), forms.end(), kv.first.Scalar()) != forms.end());
  if (!sw.IsMap() || (!structured && sw.size() != 1))
    top.fail(sw, "sweep",
             "expected one key path with a list of values (`{model.r_max: [100 Hz, 400 Hz]}`), or `grid:` or `zip:` "
             "(a mapping of key paths to lists) and/or `replicates: N` or `seeds: [...]`");
  if (!structured) {
    sweep.form = Sweep::Form::single;
    sweep.axes.push_back(read_axis(top, sw.begin()->first, sw.begin()->second, "sweep", 2));
    return sweep;
  }
  MapReader m(top.ctx(), sw, "sweep");
  const bool grid = m.has("grid"), zip = m.has("zip"), replicates = m.has("replicates"), seeds = m.has("seeds");
  if (grid && zip)
    m.fail(sw, "sweep", "give either `grid` (every combination) or `zip` (values taken together), not both");
  if (grid) {
    sweep.form = Sweep::Form::grid;
    sweep.axes = read_axes(m, "grid");
  } else if (zip) {
    sweep.form = Sweep::Form::zip;
    sweep.axes = read_axes(m, "zip");
    const YAML::Node zip_node = m.get("zip");
    for (std::size_t k = 1; k < sweep.axes.size(); ++k)
      if (sweep.axes[k].values.size() != sweep.axes[0].values.size()) {
        const std::string kp = "sweep.zip." + sweep.axes[k].key;
        m.fail(zip_node[sweep.axes[k].key], kp,
               "zip takes the i-th value of every key together: expected " +
                   std::to_string(sweep.axes[0].values.size()) + " values, as `" + sweep.axes[0].key + "` has, got " +
                   std::to_string(sweep.axes[k].values.size()));
      }
  } else {
    sweep.form = Sweep::Form::grid;  // replicates of the one point the config is
  }
  if (replicates && seeds)
    m.fail(sw, "sweep", "give either `replicates: N` (derived seeds) or `seeds: [...]` (given ones), not both");
  if (replicates) {
    const std::int64_t n = m.integer("replicates");
    check(n >= 1 && n <= kMaxReplicates, m, "replicates",
          "expected 1 to 1e6 replicates per point, got " + std::to_string(n));
    for (std::int64_t r = 0; r < n; ++r) sweep.seeds.push_back(replicate_seed(base_seed, std::uint64_t(r)));
  }
  if (seeds) {
    const YAML::Node list = m.get("seeds");
    if (!list.IsSequence() || list.size() == 0 || list.size() > std::size_t(kMaxReplicates))
      m.fail(list, "sweep.seeds", "expected a non-empty list of seeds (integers >= 0)");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string kp = "sweep.seeds[" + std::to_string(i) + "]";
      const std::int64_t v = m.as_integer(list[i], kp);
      if (v < 0) m.fail(list[i], kp, "expected a seed >= 0");
      sweep.seeds.push_back(static_cast<std::uint64_t>(v));
    }
  }
  m.finish();
  if (sweep.axes.empty() && sweep.seeds.empty())
    m.fail(sw, "sweep", "expected `grid:` or `zip:` with key paths to sweep, or `replicates: N`");
  // Count before anything is loaded: a typo of 10^6 points should not take minutes to report.
  double runs = double(sweep.replicates());
  if (sweep.form == Sweep::Form::zip)
    runs *= double(sweep.axes.front().values.size());
  else
    for (const SweepAxis& a : sweep.axes) runs *= double(a.values.size());
  if (runs > double(max_runs))
    m.fail(sw, "sweep",
           "the sweep has " + std::to_string(std::uint64_t(runs)) + " runs (points x replicates), more than " +
               std::to_string(max_runs) + "; run it with --yes if you mean it");
  return sweep;
}

std::vector<Config> load_sweep_points(const Sweep& sweep, const std::vector<std::string>& overrides,
                                      const std::function<Config(const std::vector<std::string>&)>& load_point,
                                      std::vector<SweepRun>& runs) {
  // Each point is the same file with one more override per key, validated now: a bad value is
  // reported before anything runs. Replicates differ only in the seed, which no reader uses.
  std::vector<Config> configs;
  runs.clear();
  const std::size_t points = sweep.point_count();
  for (std::size_t p = 0; p < points; ++p) {
    const std::vector<std::size_t> idx = sweep.indices(p);
    std::vector<std::string> point = overrides;
    for (std::size_t k = 0; k < sweep.axes.size(); ++k)
      point.push_back(sweep.axes[k].key + "=" + sweep.axes[k].values[idx[k]]);
    Config cfg;
    try {
      cfg = load_point(point);
    } catch (const ConfigError& e) {
      // Which axis caused it: the error's key path lies under one of the swept keys.
      std::size_t k = 0;
      for (std::size_t j = 0; j < sweep.axes.size(); ++j)
        if (e.key_path() == sweep.axes[j].key || e.key_path().rfind(sweep.axes[j].key + ".", 0) == 0 ||
            e.location().find(sweep.axes[j].key + "=") != std::string::npos)
          k = j;
      if (sweep.axes.empty()) throw;
      const SweepAxis& axis = sweep.axes[k];
      const std::string form = sweep.form == Sweep::Form::single ? "sweep."
                               : sweep.form == Sweep::Form::grid ? "sweep.grid."
                                                                 : "sweep.zip.";
      const bool unknown_key = e.message().rfind("unknown key", 0) == 0;
      throw ConfigError(unknown_key ? axis.key_location : axis.value_locations[idx[k]],
                        form + axis.key + (unknown_key ? "" : "[" + std::to_string(idx[k]) + "]"),
                        e.message() + " (at " + e.key_path() + ")");
    }
    for (std::size_t r = 0; r < sweep.replicates(); ++r) {
      SweepRun run{p, r, cfg.seed};
      if (sweep.replicated()) run.seed = sweep.seeds[r];
      configs.push_back(cfg);
      configs.back().seed = run.seed;
      runs.push_back(run);
    }
  }
  return configs;
}

}  // namespace ebsim
