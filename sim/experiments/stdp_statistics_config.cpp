#include "sim/experiments/stdp_statistics_config.hpp"

#include <cmath>

#include "sim/experiments/plastic_pair_config.hpp"
#include "sim/io/yaml_reader.hpp"

namespace ebsim {

namespace {
bool multiple_of(double x, double step) { return std::abs(x / step - std::round(x / step)) < 1e-6; }
}  // namespace

std::shared_ptr<const ExperimentSpec> read_stdp_statistics_experiment(MapReader& m, const Config& cfg) {
  StdpStatisticsExperiment e;
  const ProjectionConfig& proj = read_plastic_pair(m, cfg, false, e.pre, e.post, e.projection);
  const std::int64_t trials = m.integer("trials", 20);
  check(trials >= 2 && trials <= 100000, m, "trials", "expected 2 to 1e5 trials (the confidence intervals need two)");
  e.trials = std::uint32_t(trials);
  e.sample_ms = m.quantity("sample", Dimension::time, "0.25 ms");
  check(e.sample_ms >= 0.01, m, "sample", "expected a sampling step of at least 0.01 ms");
  e.bin_ms = m.quantity("bin", Dimension::time, "2 ms");
  check(e.bin_ms > 0 && multiple_of(e.bin_ms, e.sample_ms), m, "bin", "expected a multiple of `sample`");
  e.span_ms = m.quantity("span", Dimension::time, "100 ms");
  check(e.span_ms > 0 && multiple_of(e.span_ms, e.bin_ms) && e.span_ms / e.bin_ms <= 10000, m, "span",
        "expected a multiple of `bin`, at most 1e4 bins");
  e.warmup_ms = m.quantity("warmup", Dimension::time, "100 ms");
  check(e.warmup_ms >= 0, m, "warmup", "expected a non-negative warm-up");
  const double window = proj.plasticity->window_ms, reach = 2 * (e.span_ms + proj.delay_ms + window);
  e.duration_ms = m.quantity("duration", Dimension::time, "50 s");
  check(e.duration_ms > e.warmup_ms + 2 * reach && e.duration_ms / e.sample_ms <= 1e8, m, "duration",
        "expected a trial longer than the warm-up plus four times (span + delay + window), at most 1e8 samples (0.8 GB "
        "of states)");
  // The prediction combines the spike-triggered average's bins at offsets d - dt and d + T - dt:
  // they line up with its sampling grid only if d and T are multiples of the step.
  check(multiple_of(proj.delay_ms, e.sample_ms) && multiple_of(window, e.sample_ms), m, "sample",
        "expected the projection's delay and the plasticity window to be multiples of `sample`");
  if (proj.delay_max_ms > proj.delay_ms)
    m.fail(m.node(), m.key_path("projection"), "expected one delay for the plastic projection (no delay range)");
  m.finish();
  return std::make_shared<const StdpStatisticsExperiment>(std::move(e));
}

}  // namespace ebsim
