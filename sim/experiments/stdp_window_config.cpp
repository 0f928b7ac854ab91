#include "sim/experiments/stdp_window_config.hpp"

#include <algorithm>
#include <cmath>

#include "sim/experiments/plastic_pair_config.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

std::shared_ptr<const ExperimentSpec> read_stdp_window_experiment(MapReader& m, const Config& cfg) {
  StdpWindowExperiment e;
  const ProjectionConfig* proj = &read_plastic_pair(m, cfg, true, e.pre, e.post, e.projection);
  MapReader off = m.map("offsets");
  const double from = off.quantity("from", Dimension::time, "-100 ms"),
               to = off.quantity("to", Dimension::time, "100 ms");
  const double step = off.quantity("step", Dimension::time, "2 ms");
  check(step > 0 && to >= from, off, "step", "expected from <= to and step > 0");
  check((to - from) / step <= 1e5, off, "step", "expected at most 1e5 offsets from `from` to `to`");
  off.finish();
  for (double dt = from; dt <= to + 1e-9; dt += step) e.offsets_ms.push_back(std::round(dt * 1e6) / 1e6);
  const std::int64_t pairings = m.integer("pairings", 10), trials = m.integer("trials", 10);
  check(pairings >= 1 && pairings <= 100000, m, "pairings", "expected 1 to 1e5 pairings");
  check(trials >= 2 && trials <= 100000, m, "trials", "expected 2 to 1e5 trials (the confidence intervals need two)");
  e.pairings = std::uint32_t(pairings);
  e.trials = std::uint32_t(trials);
  e.spacing_ms = m.quantity("spacing", Dimension::time, "300 ms");
  e.pulse = m.number("pulse", 1.0);
  const double span =
      std::max(std::abs(from), std::abs(to)) + proj->plasticity->window_ms + proj->delay_max_ms + proj->delay_ms;
  check(e.spacing_ms > 2 * span, m, "spacing",
        "expected a spacing longer than twice the largest offset plus the plasticity window");
  m.finish();
  return std::make_shared<const StdpWindowExperiment>(std::move(e));
}

}  // namespace ebsim
