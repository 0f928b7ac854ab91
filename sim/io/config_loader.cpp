#include "sim/io/config_loader.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "sim/io/overrides.hpp"
#include "sim/io/projection_reader.hpp"
#include "sim/io/quantity.hpp"
#include "sim/io/stored_run.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

std::string to_string(Role role) {
  switch (role) {
    case Role::input: return "input";
    case Role::hidden: return "hidden";
    case Role::output: return "output";
  }
  return "unknown";
}

namespace {

models::RateFunction read_rate(MapReader& m) {
  models::RateFunction rate;
  const std::string kind = m.choice("rate", {"hard_sigmoid", "logistic"}, "hard_sigmoid");
  rate.kind = kind == "logistic" ? models::RateKind::logistic : models::RateKind::hard_sigmoid;
  rate.beta1 = m.number("beta1", -0.5);
  check(rate.beta1 < 0.0 && rate.beta1 > -1.0, m, "beta1",
        "expected -1 < beta1 < 0 (Eq. 7 needs beta1 < 0 < beta2 = beta1 + 1), got " + scalar_text(m.node()["beta1"]));
  rate.gain = m.number("gain", 4.0);
  check(rate.gain > 0.0 && rate.gain <= kMaxValue, m, "gain", "expected a logistic gain > 0 (and <= 1e6)");
  return rate;
}

ModelConfig read_model(MapReader m) {
  ModelConfig model;
  model.rate = read_rate(m);
  model.tau_ms = m.quantity("tau", Dimension::time, "10 ms");
  check(model.tau_ms >= kMinTauMs, m, "tau", "expected tau >= 1 us");
  model.r_max_hz = m.quantity("r_max", Dimension::rate, "200 Hz");
  check(model.r_max_hz >= kMinRateHz, m, "r_max", "expected r_max >= 0.001 Hz");
  model.symmetrise = m.choice("asymmetric_weights", {"symmetrise", "directed"}, "symmetrise") == "symmetrise";
  m.finish();
  return model;
}

EngineConfig read_engine(MapReader m, const ModelConfig& model) {
  EngineConfig e;
  e.kind = m.choice("kind", {"continuous", "spiking"}, "continuous") == "spiking" ? EngineKind::spiking
                                                                                  : EngineKind::continuous;
  e.dt_ms = m.quantity("dt", Dimension::time, "0.1 ms");
  check(e.dt_ms >= kMinStepMs && e.dt_ms <= model.tau_ms, m, "dt",
        "expected 0 < dt <= tau (eps = dt/tau must lie in (0, 1]) and dt >= 1e-6 ms");
  e.sigma = m.number("sigma", 0.0);
  check(e.sigma >= 0 && e.sigma <= kMaxValue, m, "sigma", "expected a noise standard deviation 0 <= sigma <= 1e6");
  e.boundary =
      m.choice("boundary", {"project", "literal"}, "project") == "literal" ? Boundary::literal : Boundary::project;
  m.finish();
  return e;
}

PopulationConfig read_population(MapReader m, const std::string& name) {
  PopulationConfig p;
  p.name = name;
  const std::string role = m.choice("role", {"input", "hidden", "output"});
  p.role = role == "input" ? Role::input : role == "output" ? Role::output : Role::hidden;
  const std::int64_t size = m.integer("size");
  check(size > 0 && size <= kMaxPopulationSize, m, "size",
        "expected a population size between 1 and 1e8, got " + std::to_string(size));
  p.size = static_cast<std::uint32_t>(size);
  m.set_default("bias", YAML::Node(0.0));
  p.bias = read_pattern(m, m.get("bias"), m.key_path("bias"), true);
  check_pattern_size(m, m.get("bias"), m.key_path("bias"), p.bias, p.size);
  m.set_default("initial", YAML::Node(0.0));
  if (const YAML::Node initial = m.get("initial"); initial.IsMap() && initial["from_file"]) {
    // initial: {from_file: run.h5, trial: 0}: the state an earlier run ended a trial with.
    MapReader ir(m.ctx(), initial, m.key_path("initial"));
    const std::string path = ir.string("from_file");
    const std::int64_t trial = ir.integer("trial", 0);
    check(trial >= 0, ir, "trial", "expected a trial index >= 0");
    const std::string stored_name = ir.string("population", p.name);
    ir.finish();
    try {
      p.initial_state.values = read_stored_state(path, stored_name, std::uint64_t(trial));
    } catch (const StoredRunError& e) {
      ir.fail(initial["from_file"], ir.key_path("from_file"), e.what());
    }
    if (p.initial_state.values.size() != p.size)
      ir.fail(initial["from_file"], ir.key_path("from_file"),
              "the stored state of `" + stored_name + "` has " + std::to_string(p.initial_state.values.size()) +
                  " units, population `" + p.name + "` " + std::to_string(p.size));
    for (const double v : p.initial_state.values)
      if (!(std::abs(v) <= kMaxValue))
        ir.fail(initial["from_file"], ir.key_path("from_file"), "a stored state beyond +-1e6");
  } else {
    p.initial_state = read_pattern(m, initial, m.key_path("initial"), true);
    check_pattern_size(m, initial, m.key_path("initial"), p.initial_state, p.size);
  }
  m.finish();
  return p;
}

PhaseConfig read_phase(MapReader m, const Config& cfg, std::size_t index) {
  PhaseConfig ph;
  ph.name = m.string("name", "phase" + std::to_string(index));
  check_name(m, m.get("name"), m.key_path("name"), ph.name, "phase");
  ph.duration_ms = m.quantity("duration", Dimension::time);
  check(ph.duration_ms > 0, m, "duration", "expected a duration > 0");
  if (m.has("settle")) {
    MapReader s = m.map("settle");
    Settle settle;
    settle.tol = s.number("tol", 1e-9);
    check(settle.tol > 0, s, "tol", "expected a tolerance > 0");
    settle.max_duration_ms = ph.duration_ms;
    s.finish();
    ph.settle = settle;
  }
  if (m.has("clamp")) {
    MapReader c = m.map("clamp");
    for (const auto& kv : c.node()) {
      const std::string pop = kv.first.Scalar();  // MapReader checked that keys are scalars
      const PopulationConfig& p = find_population(cfg, c, pop, pop);
      if (p.role != Role::input)
        c.fail(kv.first, c.key_path(pop),
               "only input populations can be clamped; `" + pop + "` is " + to_string(p.role));
      Pattern pat = read_pattern(c, kv.second, c.key_path(pop), true);
      check_pattern_size(c, kv.second, c.key_path(pop), pat, p.size);
      ph.clamp[pop] = std::move(pat);
    }
  }
  if (m.has("nudge")) {
    MapReader nm = m.map("nudge");
    for (const auto& kv : nm.node()) {
      const std::string pop = kv.first.Scalar();  // MapReader checked that keys are scalars
      const PopulationConfig& p = find_population(cfg, nm, pop, pop);
      if (p.role != Role::output)
        nm.fail(kv.first, nm.key_path(pop),
                "only output populations can be nudged; `" + pop + "` is " + to_string(p.role));
      MapReader one(nm.ctx(), kv.second, nm.key_path(pop));
      Nudge nudge;
      nudge.target = read_pattern(one, one.require("target", "the target values"), one.key_path("target"), true);
      check_pattern_size(one, one.get("target"), one.key_path("target"), nudge.target, p.size);
      nudge.beta = one.number("beta", 1.0);
      check(nudge.beta >= 0 && nudge.beta <= 1, one, "beta", "expected a nudge strength beta in [0, 1]");
      one.finish();
      ph.nudge[pop] = std::move(nudge);
    }
  }
  m.finish();
  return ph;
}

ProtocolConfig read_protocol(MapReader m, const Config& cfg) {
  ProtocolConfig pr;
  const std::int64_t trials = m.integer("trials", 1);
  check(trials >= 1 && trials <= kMaxTrials, m, "trials", "expected 1 to 1e6 trials, got " + std::to_string(trials));
  pr.trials = static_cast<std::uint32_t>(trials);
  const YAML::Node phases = m.require("phases", "a list of phases, each with a duration");
  if (!phases.IsSequence() || phases.size() == 0)
    m.fail(phases, m.key_path("phases"), "expected a non-empty list of phases");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const std::string kp = m.key_path("phases") + "[" + std::to_string(i) + "]";
    pr.phases.push_back(read_phase(MapReader(m.ctx(), phases[i], kp), cfg, i));
    for (std::size_t k = 0; k < i; ++k)
      if (pr.phases[k].name == pr.phases[i].name)
        m.fail(phases[i]["name"], kp + ".name",
               "duplicate phase name `" + pr.phases[i].name + "` (also phase " + std::to_string(k) +
                   "): results are stored per phase name");
  }
  // Trials lie back to back on one time axis: keep a trial's length within the range of a time.
  if (!(pr.total_duration_ms() <= kMaxTimeMs))
    m.fail(phases, m.key_path("phases"),
           "the phases last " + std::to_string(pr.total_duration_ms()) + " ms in all: expected at most 1e9 ms");
  // Every input population must be clamped from the first phase on: an input has no dynamics.
  for (const auto& pop : cfg.populations)
    if (pop.role == Role::input && !pr.phases.front().clamp.count(pop.name))
      m.fail(phases[0], m.key_path("phases") + "[0].clamp",
             "input population `" + pop.name + "` must be clamped in the first phase");
  m.finish();
  return pr;
}

RecordConfig read_record(MapReader m, const Config& cfg) {
  RecordConfig rec;
  MapReader st = m.map("states");
  rec.states.populations = read_population_list(st, "populations", cfg);
  rec.states.period_ms = st.quantity("period", Dimension::time, "1 ms");
  check(rec.states.period_ms >= kMinStepMs, st, "period", "expected a recording period >= 1e-6 ms");
  st.finish();
  MapReader sp = m.map("spikes");
  rec.spikes = read_population_list(sp, "populations", cfg);
  sp.finish();
  rec.weights = m.boolean("weights", true);
  rec.weight_snapshots = m.boolean("weight_snapshots", false);
  MapReader ra = m.map("rates");
  rec.rates.populations = read_population_list(ra, "populations", cfg);
  rec.rates.bin_ms = ra.quantity("bin", Dimension::time, "10 ms");
  check(rec.rates.bin_ms >= kMinStepMs, ra, "bin", "expected a bin width >= 1e-6 ms");
  rec.rates.theory = ra.boolean("theory", false);
  rec.rates.theory_dt_ms = ra.quantity("theory_dt", Dimension::time, "0.01 ms");
  check(rec.rates.theory_dt_ms >= kMinStepMs && rec.rates.theory_dt_ms <= cfg.model.tau_ms / 10, ra, "theory_dt",
        "expected 1e-6 ms <= theory_dt <= tau / 10 (the reference needs a small eps)");
  ra.finish();
  m.finish();
  return rec;
}

// Checks that need several sections at once: what each engine can run.
void check_engine_fits(const Config& cfg, const YAML::Node& root, const Context& ctx) {
  const YAML::Node phases = root["protocol"]["phases"];
  auto fail = [&](const YAML::Node& at, const std::string& kp, const std::string& msg) {
    throw ConfigError(ctx.locate(at, kp), kp, msg);
  };
  auto is_multiple = [](double x, double step) { return std::abs(x / step - std::round(x / step)) < 1e-6; };
  for (std::size_t i = 0; i < cfg.protocol.phases.size(); ++i) {
    const PhaseConfig& ph = cfg.protocol.phases[i];
    const std::string kp = "protocol.phases[" + std::to_string(i) + "]";
    if (cfg.engine.kind == EngineKind::continuous && !is_multiple(ph.duration_ms, cfg.engine.dt_ms))
      fail(phases[i]["duration"], kp + ".duration",
           "expected a multiple of engine.dt (" + std::to_string(cfg.engine.dt_ms) + " ms)");
    if (cfg.engine.kind == EngineKind::spiking && ph.settle)
      fail(phases[i]["settle"], kp + ".settle",
           "settling to a tolerance needs the continuous engine; give the spiking engine a fixed duration");
  }
  if (!cfg.record.spikes.empty() && cfg.engine.kind == EngineKind::continuous)
    fail(root["record"]["spikes"]["populations"], "record.spikes.populations",
         "the continuous engine emits no spikes; record spikes with engine.kind: spiking, or record states or rates");
  if (!cfg.record.states.populations.empty() && cfg.engine.kind == EngineKind::continuous &&
      !is_multiple(cfg.record.states.period_ms, cfg.engine.dt_ms))
    fail(root["record"]["states"]["period"], "record.states.period", "expected a multiple of engine.dt");
  if (cfg.protocol.trials > 1 && !cfg.record.states.populations.empty() &&
      !is_multiple(cfg.protocol.total_duration_ms(), cfg.record.states.period_ms))
    fail(root["record"]["states"]["period"], "record.states.period",
         "with several trials the protocol's total duration must be a multiple of the recording period");
  if (!cfg.record.rates.populations.empty()) {
    const YAML::Node rates = root["record"]["rates"];
    if (!is_multiple(cfg.protocol.total_duration_ms(), cfg.record.rates.bin_ms))
      fail(rates["bin"], "record.rates.bin",
           "expected a bin that divides the protocol's duration (" + std::to_string(cfg.protocol.total_duration_ms()) +
               " ms)");
    if (cfg.engine.kind == EngineKind::continuous && !is_multiple(cfg.record.rates.bin_ms, cfg.engine.dt_ms))
      fail(rates["bin"], "record.rates.bin", "expected a multiple of engine.dt");
    if (cfg.record.rates.theory) {
      for (const ProjectionConfig& pc : cfg.projections)
        if (pc.plasticity && pc.plasticity->lr != 0.0)
          fail(rates["theory"], "record.rates.theory",
               "the theory reference is the mean field of fixed weights; projection `" + pc.name + "` is plastic");
      if (cfg.engine.kind != EngineKind::spiking)
        fail(rates["theory"], "record.rates.theory",
             "the theory reference compares the spiking engine with the continuous one; use engine.kind: spiking");
      if (!is_multiple(cfg.record.rates.bin_ms, cfg.record.rates.theory_dt_ms))
        fail(rates["theory_dt"], "record.rates.theory_dt", "expected a step that divides the bin");
      for (std::size_t i = 0; i < cfg.protocol.phases.size(); ++i)
        if (!is_multiple(cfg.protocol.phases[i].duration_ms, cfg.record.rates.theory_dt_ms))
          fail(rates["theory_dt"], "record.rates.theory_dt", "expected a step that divides every phase's duration");
    }
  }
  for (std::size_t k = 0; k < cfg.projections.size(); ++k) {
    const auto& pl = cfg.projections[k].plasticity;
    if (!pl) continue;
    const std::string kp = "projections[" + std::to_string(k) + "].plasticity";
    const YAML::Node at = root["projections"][k]["plasticity"];
    for (const std::string& name : pl->phases) {
      bool found = false;
      for (const PhaseConfig& ph : cfg.protocol.phases) found = found || ph.name == name;
      if (!found) fail(at["phases"], kp + ".phases", "unknown phase `" + name + "`");
    }
  }
  if (cfg.engine.kind == EngineKind::spiking && cfg.model.rate.kind != models::RateKind::hard_sigmoid)
    fail(root["model"]["rate"], "model.rate",
         "the spiking engine integrates exactly only the piecewise-linear hard_sigmoid");
}

Config load_from_root(YAML::Node root, Context& ctx, const std::vector<std::string>& overrides, bool as_sweep_point,
                      const ExperimentCatalog& experiments, std::uint64_t max_runs) {
  if (!root || root.IsNull())
    throw ConfigError(ctx.file, "", "the file is empty: expected an experiment (model, populations, protocol, ...)");
  if (!root.IsMap()) throw ConfigError(ctx.locate(root, ""), "", "expected a mapping of top-level keys");
  for (const auto& o : overrides) apply_override(root, o, ctx);
  // After the overrides: a --set that creates the sweep must not create it again in each point.
  if (as_sweep_point) root.remove("sweep");

  Config cfg;
  cfg.source_path = ctx.file;
  MapReader top(ctx, root, "");
  const std::int64_t seed = top.integer("seed", 1);
  check(seed >= 0, top, "seed", "expected a seed >= 0");
  cfg.seed = static_cast<std::uint64_t>(seed);
  cfg.model = read_model(top.map("model"));
  cfg.engine = read_engine(top.map("engine"), cfg.model);

  const YAML::Node pops = top.require("populations", "a mapping from population name to {role, size}");
  if (!pops.IsMap() || pops.size() == 0)
    top.fail(pops, "populations", "expected a non-empty mapping from population name to {role, size}");
  const MapReader by_name(ctx, pops, "populations");  // rejects duplicate and complex keys
  std::uint64_t units = 0;
  for (const auto& kv : pops) {
    const std::string name = kv.first.Scalar();
    check_name(by_name, kv.first, "populations." + name, name, "population");
    cfg.populations.push_back(read_population(MapReader(ctx, kv.second, "populations." + name), name));
    units += cfg.populations.back().size;
    if (units > kMaxUnits)
      top.fail(kv.first, "populations." + name,
               "the populations hold more than 1e9 units in all (unit indices are 32-bit)");
  }
  if (cfg.populations.size() > kMaxPopulations)
    top.fail(pops, "populations", "expected at most 65535 populations, got " + std::to_string(cfg.populations.size()));
  top.set_default("projections", YAML::Node(YAML::NodeType::Sequence));
  const YAML::Node projs = top.get("projections");
  if (!projs.IsSequence()) top.fail(projs, "projections", "expected a list of projections");
  if (projs.size() > kMaxProjections)
    top.fail(projs, "projections", "expected at most 65535 projections, got " + std::to_string(projs.size()));
  for (std::size_t i = 0; i < projs.size(); ++i)
    cfg.projections.push_back(read_projection(MapReader(ctx, projs[i], "projections[" + std::to_string(i) + "]"), cfg));
  std::set<std::string> names;
  for (std::size_t i = 0; i < cfg.projections.size(); ++i)
    if (!names.insert(cfg.projections[i].name).second)
      top.fail(projs[i], "projections[" + std::to_string(i) + "].name",
               "duplicate projection name `" + cfg.projections[i].name + "`: give each projection a distinct `name`");

  if (top.has("sweep")) cfg.sweep = read_sweep(top, cfg.seed, max_runs);
  cfg.protocol = read_protocol(MapReader(ctx, top.require("protocol", "phases to run"), "protocol"), cfg);
  cfg.record = read_record(top.map("record"), cfg);
  if (top.has("experiment")) {
    MapReader ex(ctx, top.get("experiment"), "experiment");
    std::vector<std::string> kinds;
    for (const ExperimentCatalogEntry& entry : experiments) kinds.push_back(entry.kind);
    cfg.experiment_kind = ex.choice("kind", kinds);
    for (const ExperimentCatalogEntry& entry : experiments)
      if (entry.kind == cfg.experiment_kind) cfg.experiment = entry.read(ex, cfg);
  }
  check_engine_fits(cfg, root, ctx);
  MapReader out = top.map("output");
  cfg.output.path = out.string("path", "");
  out.finish();
  top.finish();

  YAML::Emitter em;
  em << root;
  cfg.resolved_yaml = std::string(em.c_str()) + "\n";
  if (cfg.experiment)
    if (const auto problem = cfg.experiment->check_resolved(cfg.resolved_yaml))
      top.fail(root["experiment"][problem->key], "experiment." + problem->key, problem->message);
  return cfg;
}

// Where a second YAML document starts, if the text has one. Asks the parser for two documents at
// most: yaml-cpp's LoadAll never ends on some malformed input (a lone `,`), where the parser
// returns the same empty document again and again without moving on.
std::optional<YAML::Mark> second_document(const std::string& text) {
  struct DocumentStarts : YAML::EventHandler {
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  } documents;
  std::istringstream in(text);
  YAML::Parser parser(in);
  if (!parser.HandleNextDocument(documents) || !parser.HandleNextDocument(documents)) return std::nullopt;
  if (documents.starts.size() < 2 || documents.starts[1].pos == documents.starts[0].pos) return std::nullopt;
  return documents.starts[1];
}

std::string located(const std::string& name, const YAML::Mark& mark) {
  if (mark.is_null()) return name;
  return name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

Config load_impl(const std::string& text, const std::string& name, const std::vector<std::string>& overrides,
                 bool as_sweep_point, const ExperimentCatalog& experiments, std::uint64_t max_runs) {
  Context ctx;
  ctx.file = name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
    // A second document (after `---`) would be ignored silently: one file, one experiment.
    if (const auto second = second_document(text))
      throw ConfigError(located(name, *second), "",
                        "a second YAML document: a config file holds one experiment (remove the `---` and what "
                        "follows, or split the file)");
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(located(name, e.mark), "",
                      "YAML nesting too deep (yaml-cpp stops at 2000 levels of lists and mappings)");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(located(name, e.mark), "", "YAML syntax error: " + e.msg);
  }
  Config cfg;
  try {
    cfg = load_from_root(root, ctx, overrides, as_sweep_point, experiments, max_runs);
  } catch (const YAML::Exception& e) {
    // The readers check a node's kind before they convert it; this is the net under them.
    throw ConfigError(located(name, e.mark), "", "unexpected YAML structure: " + e.msg);
  }
  if (cfg.sweep)
    cfg.sweep_points = load_sweep_points(
        *cfg.sweep, overrides,
        [&](const std::vector<std::string>& point) {
          return load_impl(text, name, point, true, experiments, max_runs);
        },
        cfg.sweep_runs);
  return cfg;
}
}  // namespace

Config load_config_text(const std::string& text, const std::string& name, const std::vector<std::string>& overrides,
                        const ExperimentCatalog& experiments, std::uint64_t max_sweep_runs) {
  return load_impl(text, name, overrides, false, experiments, max_sweep_runs);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const ExperimentCatalog& experiments, std::uint64_t max_sweep_runs) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "", "cannot open the config file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path, overrides, experiments, max_sweep_runs);
}

}  // namespace ebsim
