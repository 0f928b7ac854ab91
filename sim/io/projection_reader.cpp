#include "sim/io/projection_reader.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "sim/io/stored_run.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

namespace {

// Synapses read from a file fit this projection: indices within the populations, no
// self-connection inside one, no pair twice (for a symmetric projection inside a population, not
// in either direction).
void check_stored_synapses(const MapReader& r, const std::string& kp, const ProjectionConfig& p, std::uint32_t n_src,
                           std::uint32_t n_tgt, bool recurrent) {
  const YAML::Node at = r.node()["from_file"];
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  pairs.reserve(p.synapses.size());
  for (std::size_t k = 0; k < p.synapses.size(); ++k) {
    const Synapse& s = p.synapses[k];
    if (s.pre >= n_src || s.post >= n_tgt)
      r.fail(at, kp,
             "stored synapse " + std::to_string(k) + " (" + std::to_string(s.pre) + " -> " + std::to_string(s.post) +
                 ") does not fit populations of " + std::to_string(n_src) + " and " + std::to_string(n_tgt) +
                 " units: was the file made with another network?");
    if (recurrent && s.pre == s.post) r.fail(at, kp, "stored synapse " + std::to_string(k) + " is a self-connection");
    if (!(std::abs(s.weight) <= kMaxValue))
      r.fail(at, kp, "stored synapse " + std::to_string(k) + " has a weight beyond +-1e6 (or not a number)");
    const bool both_ways = recurrent && p.symmetric;
    pairs.emplace_back(both_ways ? std::min(s.pre, s.post) : s.pre, both_ways ? std::max(s.pre, s.post) : s.post);
  }
  std::sort(pairs.begin(), pairs.end());
  if (const auto twice = std::adjacent_find(pairs.begin(), pairs.end()); twice != pairs.end())
    r.fail(at, kp,
           "the file lists the synapse " + std::to_string(twice->first) + " -> " + std::to_string(twice->second) +
               " twice");
}

}  // namespace

ProjectionConfig read_projection(MapReader m, const Config& cfg) {
  ProjectionConfig p;
  p.from = m.string("from");
  p.to = m.string("to");
  const PopulationConfig& src = find_population(cfg, m, "from", p.from);
  const PopulationConfig& tgt = find_population(cfg, m, "to", p.to);
  p.name = m.string("name", p.from + "->" + p.to);
  check_name(m, m.get("name"), m.key_path("name"), p.name, "projection");
  const bool recurrent = p.from == p.to;

  // weights: {from_file: run.h5, snapshot: final}: the synapses and weights an earlier run stored.
  const YAML::Node given_weights = m.node()["weights"];
  const bool from_file = given_weights && given_weights.IsMap() && given_weights["from_file"];
  if (from_file) {
    const std::string wkp = m.key_path("weights");
    if (m.has("connectivity"))
      m.fail(m.get("connectivity"), m.key_path("connectivity"),
             "the weights come from a file, with their synapses: omit `connectivity`");
    MapReader wr(m.ctx(), m.get("weights"), wkp);
    const std::string path = wr.string("from_file");
    const std::string snapshot = wr.string("snapshot", "final");
    const std::string stored_name = wr.string("projection", p.name);
    wr.finish();
    try {
      p.synapses = read_stored_weights(path, snapshot, stored_name);
    } catch (const StoredRunError& e) {
      wr.fail(wr.node()["from_file"], wkp + ".from_file", e.what());
    }
    p.connectivity = Connectivity::explicit_list;
  }
  if (!from_file) m.set_default("connectivity", YAML::Node("all_to_all"));
  const YAML::Node c = m.get("connectivity");
  const std::string ckp = m.key_path("connectivity");
  const std::string c_expected =
      "expected `all_to_all`, `one_to_one`, `{random: p}`, `{fixed_indegree: k}` or `{explicit: [[pre, post, w], "
      "...]}`";
  if (from_file) {
    // read above
  } else if (c.IsScalar()) {
    const std::string kind = c.Scalar();
    if (kind == "all_to_all") {
      p.connectivity = Connectivity::all_to_all;
    } else if (kind == "one_to_one") {
      p.connectivity = Connectivity::one_to_one;
      if (src.size != tgt.size)
        m.fail(c, ckp,
               "one_to_one needs equal sizes, got " + std::to_string(src.size) + " and " + std::to_string(tgt.size));
      if (recurrent)
        m.fail(c, ckp,
               "one_to_one within one population would connect units to themselves (Eq. 6 has no self-coupling)");
    } else {
      m.fail(c, ckp, c_expected + ", got `" + kind + "`" + did_you_mean(kind, {"all_to_all", "one_to_one"}));
    }
  } else if (c.IsMap() && c.size() == 1) {
    const std::string kind = m.key_name(c.begin()->first, ckp);
    const YAML::Node arg = c.begin()->second;
    const std::string akp = ckp + "." + kind;
    if (kind == "random") {
      p.connectivity = Connectivity::random;
      p.probability = m.as_number(arg, akp);
      if (!(p.probability >= 0 && p.probability <= 1)) m.fail(arg, akp, "expected a probability in [0, 1]");
    } else if (kind == "fixed_indegree") {
      p.connectivity = Connectivity::fixed_indegree;
      const std::int64_t k = m.as_integer(arg, akp);
      const std::int64_t max_k = static_cast<std::int64_t>(src.size) - (recurrent ? 1 : 0);
      if (k < 0 || k > max_k) m.fail(arg, akp, "expected an in-degree between 0 and " + std::to_string(max_k));
      p.indegree = static_cast<std::uint32_t>(k);
    } else if (kind == "explicit") {
      p.connectivity = Connectivity::explicit_list;
      if (!arg.IsSequence()) m.fail(arg, akp, "expected a list of [pre, post, weight] triples");
      for (std::size_t i = 0; i < arg.size(); ++i) {
        const std::string ekp = akp + "[" + std::to_string(i) + "]";
        const YAML::Node e = arg[i];
        if (!e.IsSequence() || e.size() != 3) m.fail(e, ekp, "expected [pre, post, weight]");
        const std::int64_t pre = m.as_integer(e[0], ekp + "[0]");
        const std::int64_t post = m.as_integer(e[1], ekp + "[1]");
        if (pre < 0 || pre >= src.size)
          m.fail(e[0], ekp + "[0]", "pre index out of range [0, " + std::to_string(src.size) + ")");
        if (post < 0 || post >= tgt.size)
          m.fail(e[1], ekp + "[1]", "post index out of range [0, " + std::to_string(tgt.size) + ")");
        if (recurrent && pre == post) m.fail(e, ekp, "self-connection (Eq. 6 has no self-coupling)");
        const double weight = m.as_number(e[2], ekp + "[2]");
        if (!(std::abs(weight) <= kMaxValue)) m.fail(e[2], ekp + "[2]", "expected a weight within +-1e6");
        p.synapses.push_back({static_cast<std::uint32_t>(pre), static_cast<std::uint32_t>(post), weight});
        for (std::size_t k = 0; k + 1 < p.synapses.size(); ++k)
          if (p.synapses[k].pre == pre && p.synapses[k].post == post)
            m.fail(e, ekp,
                   "synapse " + std::to_string(pre) + " -> " + std::to_string(post) + " is listed twice (first at [" +
                       std::to_string(k) + "])");
      }
    } else {
      m.fail(c.begin()->first, akp, c_expected + did_you_mean(kind, {"random", "fixed_indegree", "explicit"}));
    }
  } else {
    m.fail(c, ckp, c_expected);
  }

  // weights: number | {uniform: [a, b]} | {normal: [m, sd]} | {glorot: gain}
  m.set_default("weights", YAML::Node(YAML::NodeType::Map));
  YAML::Node w = m.get("weights");
  if (w.IsMap() && w.size() == 0) w["glorot"] = 1.0;
  const std::string wkp = m.key_path("weights");
  if (p.connectivity == Connectivity::explicit_list) {
    p.weights = {WeightInit::Kind::constant, 0.0, 0.0};  // given per synapse (or by the file)
  } else if (w.IsMap() && w.size() == 1 && m.key_name(w.begin()->first, wkp) == "glorot") {
    p.weights = {WeightInit::Kind::glorot, m.as_number(w.begin()->second, wkp + ".glorot"), 0.0};
    if (!(p.weights.a >= 0 && p.weights.a <= kMaxValue))
      m.fail(w.begin()->second, wkp + ".glorot", "expected a gain between 0 and 1e6");
  } else {
    if (w.IsMap() && w.size() == 1) {
      const std::string kind = m.key_name(w.begin()->first, wkp);
      if (kind != "uniform" && kind != "normal")
        m.fail(w.begin()->first, wkp + "." + kind,
               "unknown weight initialiser `" + kind + "`" + did_you_mean(kind, {"uniform", "normal", "glorot"}) +
                   "; expected a number, {uniform: [low, high]}, {normal: [mean, sd]} or {glorot: gain}");
    }
    const Pattern pat = read_pattern(m, w, wkp, false);
    const auto kind = pat.dist.kind == Distribution::Kind::constant  ? WeightInit::Kind::constant
                      : pat.dist.kind == Distribution::Kind::uniform ? WeightInit::Kind::uniform
                                                                     : WeightInit::Kind::normal;
    p.weights = {kind, pat.dist.a, pat.dist.b};
  }
  p.symmetric = m.boolean("symmetric", false);
  if (from_file)
    check_stored_synapses(MapReader(m.ctx(), m.node()["weights"], m.key_path("weights")),
                          m.key_path("weights") + ".from_file", p, src.size, tgt.size, recurrent);
  if (recurrent && p.symmetric) {
    // A symmetric synapse inside a population is stored once and acts both ways (W_ij = W_ji = w).
    if (p.connectivity == Connectivity::fixed_indegree)
      m.fail(c, ckp,
             "a symmetric projection within a population stores each pair once; a fixed in-degree cannot hold in "
             "both directions: use `{random: p}`, `all_to_all` or an explicit list");
    for (std::size_t a = 0; a < (from_file ? 0 : p.synapses.size()); ++a)  // (from a file: checked above)
      for (std::size_t b = 0; b < a; ++b)
        if (p.synapses[b].pre == p.synapses[a].post && p.synapses[b].post == p.synapses[a].pre)
          m.fail(c.begin()->second[a], ckp + ".explicit[" + std::to_string(a) + "]",
                 "the pair " + std::to_string(p.synapses[a].pre) + " - " + std::to_string(p.synapses[a].post) +
                     " is already listed as [" + std::to_string(b) +
                     "]: a symmetric projection stores each pair once, for both directions");
  }
  // delay: `1 ms`, or per synapse `{uniform: [1 ms, 3 ms]}` (rounded to 0.1 ms steps).
  m.set_default("delay", YAML::Node("1 ms"));
  const YAML::Node d = m.get("delay");
  const std::string dkp = m.key_path("delay");
  if (d.IsMap()) {
    if (d.size() != 1 || m.key_name(d.begin()->first, dkp) != "uniform" || !d.begin()->second.IsSequence() ||
        d.begin()->second.size() != 2)
      m.fail(d, dkp, "expected a time such as `1 ms`, or `{uniform: [1 ms, 3 ms]}` for per-synapse delays");
    p.delay_ms = m.as_quantity(d.begin()->second[0], dkp + ".uniform[0]", Dimension::time);
    p.delay_max_ms = m.as_quantity(d.begin()->second[1], dkp + ".uniform[1]", Dimension::time);
    if (!(p.delay_max_ms >= p.delay_ms)) m.fail(d, dkp, "expected low <= high");
    if (p.delay_max_ms - p.delay_ms > 25.5 + 1e-9)
      m.fail(d, dkp, "per-synapse delays span at most 25.5 ms (256 steps of 0.1 ms)");
  } else {
    p.delay_ms = m.as_quantity(d, dkp, Dimension::time);
  }
  if (p.delay_ms < kMinDelayMs - 1e-12 || std::max(p.delay_ms, p.delay_max_ms) > kMaxDelayMs)
    m.fail(d, dkp, "expected delays from 0.1 ms to 1 s");
  if (m.has("plasticity")) {
    MapReader pl = m.map("plasticity");
    Plasticity rule;
    rule.lr = pl.number("lr");
    check(std::abs(rule.lr) <= kMaxValue, pl, "lr", "expected a learning rate within +-1e6");
    rule.post = pl.choice("post", {"state_derivative", "rate_derivative"}, "state_derivative") == "rate_derivative"
                    ? Plasticity::Post::rate_derivative
                    : Plasticity::Post::state_derivative;
    rule.symmetric = pl.boolean("symmetric", true);
    if (p.symmetric && !rule.symmetric)
      pl.fail(pl.node()["symmetric"], pl.key_path("symmetric"),
              "a symmetric projection stores one weight for both directions: its rule must be symmetric: true");
    if (pl.has("bounds")) {
      const YAML::Node b = pl.get("bounds");
      if (!b.IsSequence() || b.size() != 2) pl.fail(b, pl.key_path("bounds"), "expected [w_min, w_max]");
      rule.w_min = pl.as_number(b[0], pl.key_path("bounds") + "[0]");
      rule.w_max = pl.as_number(b[1], pl.key_path("bounds") + "[1]");
      if (!(*rule.w_min <= *rule.w_max)) pl.fail(b, pl.key_path("bounds"), "expected w_min <= w_max");
      if (!(std::abs(*rule.w_min) <= kMaxValue && std::abs(*rule.w_max) <= kMaxValue))
        pl.fail(b, pl.key_path("bounds"), "expected bounds within +-1e6");
    }
    if (pl.has("phases")) {
      const YAML::Node ph = pl.get("phases");
      if (!ph.IsSequence()) pl.fail(ph, pl.key_path("phases"), "expected a list of phase names");
      for (std::size_t i = 0; i < ph.size(); ++i) {
        if (!ph[i].IsScalar())
          pl.fail(ph[i], pl.key_path("phases") + "[" + std::to_string(i) + "]", "expected a phase name");
        rule.phases.push_back(ph[i].Scalar());
      }
    }
    rule.window_ms = pl.quantity("window", Dimension::time, "10 ms");
    check(rule.window_ms > 0 && rule.window_ms <= kMaxDelayMs, pl, "window", "expected a window > 0 and at most 1 s");
    pl.finish();
    p.plasticity = rule;
  }
  // Synapse positions are 32-bit: the most a projection can hold (for random connectivity, its
  // mean plus six standard deviations, as the network builder reserves). At the projection when
  // the connectivity is the default.
  const double n_src = src.size, n_tgt = tgt.size;
  double most = 0;
  switch (p.connectivity) {
    case Connectivity::all_to_all: most = n_src * n_tgt; break;
    case Connectivity::one_to_one: most = n_src; break;
    case Connectivity::random: {
      const double n = n_src * n_tgt, q = p.probability;
      most = n * q + 6.0 * std::sqrt(n * q * (1.0 - q)) + 16.0;
      break;
    }
    case Connectivity::fixed_indegree: most = double(p.indegree) * n_tgt; break;
    case Connectivity::explicit_list: most = double(p.synapses.size()); break;
  }
  if (most > kMaxSynapsesPerProjection)
    m.fail(
        c.Mark().is_null() ? m.node() : c, ckp,
        "up to " + std::to_string(std::llround(most)) + " synapses: a projection holds at most 2^32 - 1 (4294967295)");
  m.finish();
  return p;
}

}  // namespace ebsim
