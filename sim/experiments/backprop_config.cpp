#include "sim/experiments/backprop_config.hpp"

#include <cmath>

#include "sim/io/yaml_reader.hpp"

namespace ebsim {

std::shared_ptr<const ExperimentSpec> read_backprop_experiment(MapReader& m, const Config& cfg) {
  BackpropExperiment e;
  e.layers = read_population_list(m, "layers", cfg);
  if (e.layers.size() < 2)
    m.fail(m.node()["layers"], m.key_path("layers"), "expected the output and at least one hidden layer");
  const PopulationConfig* out = cfg.find_population(e.layers.front());
  if (out->role != Role::output)
    m.fail(m.node()["layers"], m.key_path("layers") + "[0]", "expected the nudged output population first");
  if (cfg.engine.kind != EngineKind::continuous)
    m.fail(m.node(), m.key_path("kind"),
           "the backprop experiment settles with the continuous engine (engine.kind: continuous); its spiking part is "
           "under experiment.spiking");
  const auto& phases = cfg.protocol.phases;
  if (phases.size() < 2 || !phases[0].settle || !phases[1].nudge.count(e.layers.front()))
    m.fail(m.node(), m.key_path("kind"),
           "expected protocol phases [settle (with `settle`), nudge (with a nudge on `" + e.layers.front() + "`)]");
  m.set_default("eps", YAML::Load("[0.001, 0.002, 0.005, 0.01, 0.02, 0.05]"));
  const YAML::Node eps = m.get("eps");
  if (!eps.IsSequence() || eps.size() < 2) m.fail(eps, m.key_path("eps"), "expected a list of at least two eps values");
  for (std::size_t i = 0; i < eps.size(); ++i) {
    const double v = m.as_number(eps[i], m.key_path("eps") + "[" + std::to_string(i) + "]");
    if (!(v > 0 && v <= 1)) m.fail(eps[i], m.key_path("eps") + "[" + std::to_string(i) + "]", "expected 0 < eps <= 1");
    e.eps.push_back(v);
  }
  e.logistic = m.boolean("logistic", true);
  MapReader ct = m.map("continuous_time");
  e.ct_eps = ct.number("eps", 0.001);
  check(e.ct_eps > 0 && e.ct_eps <= 0.01, ct, "eps", "expected 0 < eps <= 0.01 (the continuous-time limit)");
  const std::int64_t steps = ct.integer("steps", 300);
  check(steps >= 10 && steps <= 1000000, ct, "steps", "expected between 10 and 1e6 steps");
  e.ct_steps = static_cast<std::uint32_t>(steps);
  ct.finish();
  if (m.has("spiking")) {
    MapReader sp = m.map("spiking");
    const YAML::Node r = sp.require("r_max", "a list of rates, e.g. [1 kHz, 4 kHz]");
    if (!r.IsSequence() || r.size() == 0) sp.fail(r, sp.key_path("r_max"), "expected a list of rates");
    for (std::size_t i = 0; i < r.size(); ++i) {
      const double v = sp.as_quantity(r[i], sp.key_path("r_max") + "[" + std::to_string(i) + "]", Dimension::rate);
      if (!(v >= kMinRateHz)) sp.fail(r[i], sp.key_path("r_max"), "expected r_max >= 0.001 Hz");
      e.spiking_r_max_hz.push_back(v);
    }
    if (sp.has("langevin_sigma")) {
      const YAML::Node sig = sp.get("langevin_sigma");
      if (!sig.IsSequence())
        sp.fail(sig, sp.key_path("langevin_sigma"), "expected a list of noise levels, e.g. [0.5, 2]");
      for (std::size_t i = 0; i < sig.size(); ++i) {
        const std::string at = sp.key_path("langevin_sigma") + "[" + std::to_string(i) + "]";
        const double v = sp.as_number(sig[i], at);
        if (!(v > 0 && v <= 1e3)) sp.fail(sig[i], at, "expected 0 < sigma <= 1000");
        e.langevin_sigma.push_back(v);
      }
    }
    const std::int64_t b = sp.integer("branches", 1000);
    check(b >= 1 && b <= 10'000'000, sp, "branches", "expected between 1 and 1e7 branches");
    e.branches = static_cast<std::uint32_t>(b);
    e.spiking_settle_ms = sp.quantity("settle", Dimension::time, "100 ms");
    e.spacing_ms = sp.quantity("spacing", Dimension::time, "20 ms");
    e.window_ms = sp.quantity("window", Dimension::time, "10 ms");
    e.sample_ms = sp.quantity("sample", Dimension::time, "0.5 ms");
    e.report_at_ms = sp.quantity("report_at", Dimension::time, "5 ms");
    check(e.spiking_settle_ms >= 0, sp, "settle", "expected settle >= 0");
    check(e.spacing_ms > 0, sp, "spacing", "expected spacing > 0");
    check(e.window_ms > 0, sp, "window", "expected window > 0");
    check(e.sample_ms > 0 && e.sample_ms <= e.window_ms, sp, "sample", "expected 0 < sample <= window");
    check(e.report_at_ms > 0 && e.report_at_ms <= e.window_ms, sp, "report_at", "expected 0 < report_at <= window");
    const auto multiple_of_sample = [&](double v) {
      return std::abs(v / e.sample_ms - std::round(v / e.sample_ms)) < 1e-6 && v >= e.sample_ms - 1e-9;
    };
    check(multiple_of_sample(e.report_at_ms), sp, "report_at", "expected a multiple of `sample`");
    check(multiple_of_sample(e.window_ms), sp, "window", "expected a multiple of `sample`");
    check(e.window_ms / e.sample_ms <= 1e6, sp, "sample", "expected at most 1e6 samples per window");
    // 4. The spiking part needs the hard sigmoid; say so now, not after the continuous parts ran.
    if (cfg.model.rate.kind != models::RateKind::hard_sigmoid)
      sp.fail(sp.node(), sp.key_path("r_max"),
              "the spiking engine integrates exactly only the piecewise-linear hard_sigmoid");
    sp.finish();
  }
  m.finish();
  return std::make_shared<const BackpropExperiment>(std::move(e));
}

}  // namespace ebsim
