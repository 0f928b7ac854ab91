#include "sim/experiments/learning_config.hpp"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "sim/io/dataset.hpp"
#include "sim/io/stored_run.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

std::shared_ptr<const ExperimentSpec> read_learning_experiment(MapReader& m, const Config& cfg) {
  LearningExperiment e;
  if (cfg.model.rate.kind != models::RateKind::hard_sigmoid)
    m.fail(m.node(), m.key_path("kind"),
           "the learning experiment needs model.rate: hard_sigmoid (its back-propagation baseline is the same "
           "network's feedforward pass)");
  MapReader d = m.map("data");
  e.data_path = d.string("path", "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz");
  const std::string& resolved = e.data_path;  // relative paths start in the current directory, as output.path does
  try {
    e.data = std::make_shared<const Dataset>(load_csv_dataset(resolved));
  } catch (const DatasetError& err) {
    d.fail(d.node()["path"], d.key_path("path"), "bad data file: " + std::string(err.what()));
  }
  const Dataset& data = *e.data;
  e.input = d.string("input");
  e.output = d.string("output");
  const PopulationConfig& in = find_population(cfg, d, "input", e.input);
  const PopulationConfig& out = find_population(cfg, d, "output", e.output);
  if (in.role != Role::input)
    d.fail(d.node()["input"], d.key_path("input"), "expected an input population (it is clamped to the features)");
  if (out.role != Role::output)
    d.fail(d.node()["output"], d.key_path("output"), "expected an output population (it is nudged toward the targets)");
  if (in.size != data.n_features)
    d.fail(d.node()["input"], d.key_path("input"),
           "population `" + e.input + "` has " + std::to_string(in.size) + " units but the data have " +
               std::to_string(data.n_features) + " features per example");
  if (out.size != data.n_classes)
    d.fail(d.node()["output"], d.key_path("output"),
           "population `" + e.output + "` has " + std::to_string(out.size) + " units but the data have " +
               std::to_string(data.n_classes) + " classes (labels 0.." + std::to_string(data.n_classes - 1) + ")");
  e.feature_max = d.number("feature_max", 16.0);
  check(e.feature_max > 0, d, "feature_max", "expected feature_max > 0");
  for (std::size_t k = 0; k < data.features.size(); ++k)
    if (data.features[k] < 0 || data.features[k] > e.feature_max)
      d.fail(d.node()["feature_max"], d.key_path("feature_max"),
             "example " + std::to_string(k / data.n_features) + ", feature " + std::to_string(k % data.n_features) +
                 " of `" + resolved + "` is " + std::to_string(data.features[k]) +
                 ", outside [0, feature_max]: the input rate rho(x) = value / feature_max must lie in [0, 1]");
  e.split = d.choice("split", {"interleaved", "last"}, "interleaved") == "last"
                ? LearningExperiment::Split::last
                : LearningExperiment::Split::interleaved;
  e.test_fraction = d.number("test_fraction", 0.2);
  check(e.test_fraction > 0 && e.test_fraction <= 0.5, d, "test_fraction", "expected 0 < test_fraction <= 0.5");
  const std::int64_t n_train = d.integer("train_examples", 0), n_test = d.integer("test_examples", 0);
  check(n_train >= 0 && n_train <= std::int64_t(data.size()), d, "train_examples",
        "expected 0 (all) or a number of examples up to the data set's size");
  check(n_test >= 0 && n_test <= std::int64_t(data.size()), d, "test_examples",
        "expected 0 (all) or a number of examples up to the data set's size");
  e.train_examples = std::uint32_t(n_train);
  e.test_examples = std::uint32_t(n_test);
  d.finish();

  const std::int64_t epochs = m.integer("epochs", 10), batch = m.integer("batch", 1);
  check(epochs >= 1 && epochs <= 100000, m, "epochs", "expected 1 to 1e5 epochs");
  check(batch >= 1 && batch <= 100000, m, "batch", "expected a batch of 1 (online) or more examples");
  // Each training visit keys its spiking streams by epoch * examples + index, below the keys of
  // the evaluation passes (2^31 + index).
  check(std::uint64_t(epochs) * data.size() < (std::uint64_t(1) << 31), m, "epochs",
        "expected epochs x examples < 2^31");
  e.epochs = std::uint32_t(epochs);
  e.batch = std::uint32_t(batch);
  e.lr_decay = m.number("lr_decay", 1.0);
  check(e.lr_decay > 0 && e.lr_decay <= 1, m, "lr_decay",
        "expected 0 < lr_decay <= 1 (learning rates x lr_decay^(epoch - 1))");
  e.shuffle = m.boolean("shuffle", true);
  e.random_sign = m.boolean("random_sign", false);
  e.persistent = m.boolean("persistent", false);
  e.evaluate_train = m.boolean("evaluate_train", true);
  MapReader t = m.map("target_rates");
  e.target_on = t.number("on", 0.9);
  e.target_off = t.number("off", 0.1);
  check(e.target_on >= 0 && e.target_on <= 1 && e.target_off >= 0 && e.target_off < e.target_on, t, "on",
        "expected target rates 0 <= off < on <= 1 (the targets are states beta1 + rate, inside [beta1, beta2])");
  t.finish();
  e.readout_ms = m.quantity("readout", Dimension::time, "20 ms");
  e.evaluation_free_ms = m.quantity("evaluation_free", Dimension::time, "0 ms");
  e.mean_field_readout = m.boolean("mean_field_readout", true);
  const std::int64_t align = m.integer("alignment_examples", 50);
  check(align >= 0 && align <= 1000000, m, "alignment_examples", "expected 0 to 1e6 examples");
  e.alignment_examples = std::uint32_t(align);
  if (m.has("baseline") && m.get("baseline").IsScalar() && m.get("baseline").Scalar() == "false") {
    e.baseline = false;
  } else {
    MapReader b = m.map("baseline");
    e.baseline_lr = b.number("lr", 0.05);
    check(e.baseline_lr > 0, b, "lr", "expected a learning rate > 0");
    e.baseline_output_derivative = b.boolean("output_derivative", false);
    b.finish();
  }
  e.resume_path = m.string("resume", "");
  if (!e.resume_path.empty()) {
    const YAML::Node at = m.node()["resume"];
    if (e.persistent)
      m.fail(at, m.key_path("resume"),
             "a run with persistent free-phase states cannot be resumed (the file does not hold them)");
    try {
      const StoredArray epoch = read_stored_array(e.resume_path, "/training/epoch");
      if (epoch.values.empty()) m.fail(at, m.key_path("resume"), "`" + e.resume_path + "` trained no epoch");
      e.resumed_epochs = std::uint32_t(epoch.values.back());
      for (const char* name : {"/training/checkpoint", "/training/test_predictions"})
        if (!stored_exists(e.resume_path, name))
          m.fail(at, m.key_path("resume"),
                 "`" + e.resume_path + "` has no `" + name + "`: resume from a complete learning run's file");
    } catch (const StoredRunError& err) {
      m.fail(at, m.key_path("resume"), err.what());
    }
    if (e.resumed_epochs >= e.epochs)
      m.fail(m.node()["epochs"], m.key_path("epochs"),
             "`" + e.resume_path + "` has trained " + std::to_string(e.resumed_epochs) +
                 " epochs already: set epochs above that to continue");
  }
  if (e.persistent && cfg.engine.kind != EngineKind::continuous)
    m.fail(m.node()["persistent"], m.key_path("persistent"),
           "persistent free-phase states need engine.kind: continuous");

  // The architecture: a chain input -> hidden... -> output of symmetric projections, one per pair of
  // neighbouring layers (the feedforward net of the baseline is the same chain).
  e.layers.push_back(e.input);
  std::vector<bool> used(cfg.projections.size(), false);
  while (e.layers.back() != e.output) {
    std::size_t found = cfg.projections.size();
    for (std::size_t k = 0; k < cfg.projections.size(); ++k)
      if (!used[k] && cfg.projections[k].from == e.layers.back()) {
        if (found != cfg.projections.size())
          m.fail(m.node(), m.key_path("kind"),
                 "expected a layered network: `" + e.layers.back() + "` projects to both `" +
                     cfg.projections[found].to + "` and `" + cfg.projections[k].to + "`");
        found = k;
      }
    if (found == cfg.projections.size())
      m.fail(m.node(), m.key_path("kind"),
             "expected a chain of projections from `" + e.input + "` to `" + e.output + "`; it stops at `" +
                 e.layers.back() + "`");
    const ProjectionConfig& p = cfg.projections[found];
    if (std::find(e.layers.begin(), e.layers.end(), p.to) != e.layers.end())
      m.fail(m.node(), m.key_path("kind"),
             "expected a layered network; projection `" + p.name + "` goes back to `" + p.to + "`");
    if (!p.symmetric)
      m.fail(
          m.node(), m.key_path("kind"),
          "projection `" + p.name +
              "` must be `symmetric: true` (the rule keeps W symmetric; the baseline uses the same weights both ways)");
    used[found] = true;
    e.layers.push_back(p.to);
    e.layer_projections.push_back(found);
  }
  for (std::size_t k = 0; k < cfg.projections.size(); ++k)
    if (!used[k])
      m.fail(m.node(), m.key_path("kind"),
             "projection `" + cfg.projections[k].name + "` is not part of the chain from `" + e.input + "` to `" +
                 e.output + "`");
  for (const std::string& name : e.layers)
    if (name != e.input && name != e.output && cfg.find_population(name)->role != Role::hidden)
      m.fail(m.node(), m.key_path("kind"), "population `" + name + "` between the input and the output must be hidden");

  const auto& phases = cfg.protocol.phases;
  if (phases.size() < 2 || !phases[1].nudge.count(e.output))
    m.fail(m.node(), m.key_path("kind"),
           "expected protocol phases [free, nudge (with a nudge on `" + e.output + "`), ...]");
  if (cfg.engine.kind == EngineKind::continuous && !phases[0].settle)
    m.fail(m.node(), m.key_path("kind"),
           "the continuous engine's free phase (protocol phase 0) must settle: give it `settle: {tol: ...}`");
  const double evaluation_free = e.evaluation_free_ms > 0 ? e.evaluation_free_ms : phases[0].duration_ms;
  check(e.evaluation_free_ms >= 0, m, "evaluation_free", "expected 0 (the free phase's duration) or a duration");
  if (cfg.engine.kind == EngineKind::spiking && !(e.readout_ms > 0 && e.readout_ms <= evaluation_free))
    m.fail(m.node()["readout"], m.key_path("readout"),
           "expected 0 < readout <= the evaluation's free phase (evaluation_free, or the free phase's duration)");
  for (const ProjectionConfig& p : cfg.projections)
    if (p.plasticity &&
        (p.plasticity->phases.empty() || std::find(p.plasticity->phases.begin(), p.plasticity->phases.end(),
                                                   phases[0].name) != p.plasticity->phases.end()))
      m.fail(m.node(), m.key_path("kind"),
             "projection `" + p.name + "` learns in the free phase `" + phases[0].name +
                 "`: set its plasticity.phases to the nudge phase (e.g. [" + phases[1].name + "])");
  m.finish();
  return std::make_shared<const LearningExperiment>(std::move(e));
}

namespace {

// The config without what a resumed run may change: the epochs, `resume` itself and the output.
std::string without_resumable_keys(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  if (root["experiment"]) {
    root["experiment"].remove("epochs");
    root["experiment"].remove("resume");
  }
  root.remove("output");
  YAML::Emitter em;
  em << root;
  return em.c_str();
}

}  // namespace

std::optional<ExperimentSpec::Problem> LearningExperiment::check_resolved(const std::string& resolved_yaml) const {
  if (resume_path.empty()) return std::nullopt;
  try {
    const YAML::Node stored = YAML::Load(without_resumable_keys(read_stored_config(resume_path)));
    const YAML::Node here = YAML::Load(without_resumable_keys(resolved_yaml));
    std::string differs;
    for (const YAML::Node* side : {&stored, &here})
      for (const auto& kv : *side) {
        const std::string key = kv.first.Scalar();
        const auto text = [&](const YAML::Node& side_root) {
          if (!side_root[key]) return std::string("(absent)");
          YAML::Emitter em;
          em << side_root[key];
          return std::string(em.c_str());
        };
        if (text(stored) != text(here) && differs.find("`" + key + "`") == std::string::npos)
          differs += (differs.empty() ? "`" : ", `") + key + "`";
      }
    if (!differs.empty())
      return Problem{"resume", "`" + resume_path + "` was made with another config (" + differs +
                                   " differ): a resumed run may change only experiment.epochs and the output"};
  } catch (const StoredRunError& err) {
    return Problem{"resume", err.what()};
  } catch (const YAML::Exception& err) {
    return Problem{"resume", "the config stored in `" + resume_path + "` does not parse: " + err.msg};
  }
  return std::nullopt;
}

}  // namespace ebsim
