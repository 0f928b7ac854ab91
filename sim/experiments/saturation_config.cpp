#include "sim/experiments/saturation_config.hpp"

#include "sim/experiments/plastic_pair_config.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

std::shared_ptr<const ExperimentSpec> read_saturation_experiment(MapReader& m, const Config& cfg) {
  SaturationExperiment e;
  read_plastic_pair(m, cfg, false, e.pre, e.post, e.projection);
  m.set_default("drives", YAML::Load("[-0.5, 0.0, 0.5]"));
  const YAML::Node d = m.get("drives");
  if (!d.IsSequence() || d.size() < 2)
    m.fail(d, m.key_path("drives"), "expected at least two clamp values for the presynaptic population");
  for (std::size_t i = 0; i < d.size(); ++i)
    e.drives.push_back(m.as_number(d[i], m.key_path("drives") + "[" + std::to_string(i) + "]"));
  e.pulse = m.number("pulse", 1.5);
  check(e.pulse > 1.0, m, "pulse",
        "expected a pulse > 1 (it must carry the unit beyond beta2 or below beta1 from anywhere inside)");
  e.settle_ms = m.quantity("settle", Dimension::time, "100 ms");
  check(e.settle_ms >= 0, m, "settle", "expected settle >= 0");
  const std::int64_t trials = m.integer("trials", 20);
  check(trials >= 2 && trials <= 100000, m, "trials", "expected 2 to 1e5 trials");
  e.trials = std::uint32_t(trials);
  m.finish();
  return std::make_shared<const SaturationExperiment>(std::move(e));
}

}  // namespace ebsim
