#include "sim/experiments/backprop_branches.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "sim/core/continuous_engine.hpp"
#include "sim/core/fit.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/run/farm.hpp"
#include "sim/run/in_order.hpp"

namespace ebsim {

using Vec = std::vector<double>;

void MomentSums::add(std::span<const double> x) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    sum[i] += x[i];
    sum_sq[i] += x[i] * x[i];
  }
  ++n;
}

Vec MomentSums::mean() const {
  Vec m(sum.size(), std::nan(""));
  if (n == 0) return m;
  for (std::size_t i = 0; i < sum.size(); ++i) m[i] = sum[i] / double(n);
  return m;
}

Vec MomentSums::variances() const {
  Vec v(sum.size(), std::nan(""));
  if (n < 2) return v;
  for (std::size_t i = 0; i < sum.size(); ++i) v[i] = (sum_sq[i] - sum[i] * sum[i] / double(n)) / double(n - 1);
  return v;
}

double MomentSums::variance_trace() const {
  double t = 0;
  for (double v : variances()) t += v;
  return t;
}

double Detectability::trials_needed(double target) const {
  if (!resolved() || !std::isfinite(variance_per_trial)) return std::nan("");
  const double margin = a * a - target * target * b;
  if (a <= 0 || margin <= 0) return std::numeric_limits<double>::infinity();
  return std::max(1.0, target * target * variance_per_trial / margin);  // one trial is the fewest
}

double Detectability::trials_at_least(double target) const {
  const double upper = b + 2 * b_se;
  if (!(upper > 0)) return std::numeric_limits<double>::infinity();
  return std::max(1.0, target * target * variance_per_trial / ((1 - target * target) * upper));
}

Detectability detectability(const MomentSums& m, const Vec& direction, double variance_per_trial) {
  Detectability d;
  const Vec mean = m.mean(), var = m.variances();
  const double n = double(m.n);
  double a = 0, b = 0, b_var = 0, uu = 0;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    a += mean[i] * direction[i];
    uu += direction[i] * direction[i];
    const double noise = var[i] / n;  // of the mean's component
    b += mean[i] * mean[i] - noise;
    // var(m^_i^2 - s_i^2/n) ~ 4 m_i^2 s_i^2/n + 2 s_i^4/n^2 (Gaussian components)
    b_var += 4 * std::max(mean[i] * mean[i] - noise, 0.0) * noise + 2 * noise * noise;
  }
  if (!(uu > 0) || m.n < 2) return d;
  d.a = a / std::sqrt(uu);
  d.b = b;
  d.b_se = std::sqrt(b_var);
  d.variance_per_trial = variance_per_trial;
  return d;
}

namespace {

// Branch counts at which the cosines are recorded: 10, 30, 100, 300, ... and the total.
bool is_checkpoint(std::uint32_t done, std::uint32_t total) {
  if (done == total) return true;
  for (std::uint64_t m = 10; m < total; m *= 10)
    if (done == m || done == 3 * m) return true;
  return false;
}

Vec difference(const Vec& a, const Vec& b) {
  Vec d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

void restore(SpikingEngine& engine, const std::string& state, const PhaseDrive&) { engine.load_state(state); }
void restore(ContinuousEngine& engine, const std::string& state, const PhaseDrive& drive) {
  engine.load_state(state, drive);
}

}  // namespace

template <class Engine>
BranchResult run_branches(Engine& base, const BranchSetup& setup, const std::string& sg, Sink& sink,
                          const RunOptions& options, const std::function<void(double)>& progress) {
  const BackpropExperiment& ex = setup.ex;
  const std::vector<BranchLayer>& layers = setup.layers;
  const std::size_t L = layers.size();
  BranchResult result;
  // Over processes (MPI ranks), process 0 advances the free run and the others continue the
  // branches from its state (farm_in_order): the same trials, bit for bit.
  constexpr bool kSavesState = !std::is_same_v<Engine, PartitionedEngine>;
  const bool farmed = options.comm && options.comm->size() > 1;
  if (farmed && !kSavesState) throw std::logic_error("run_branches: a partitioned engine's branches are not farmed");
  const bool leads = !farmed || options.comm->rank() == 0;  // advances the free run, takes the results
  base.set_stop_flag(options.stop);                         // and so the branches copied from it
  if (leads) {
    base.reset(0);
    base.set_phase(setup.free_drive);
    base.advance_to(ex.spiking_settle_ms);
  }
  const auto n_samples = static_cast<std::uint32_t>(std::llround(ex.window_ms / ex.sample_ms));
  const auto report_index = static_cast<std::uint32_t>(std::llround(ex.report_at_ms / ex.sample_ms)) - 1;
  std::vector<Vec> minus_delta;
  for (const Vec& d : setup.delta) {
    minus_delta.push_back(d);
    for (double& x : minus_delta.back()) x = -x;
  }
  std::vector<std::vector<Vec>> sum(n_samples, std::vector<Vec>(L));
  for (auto& row : sum)
    for (std::size_t k = 0; k < L; ++k) row[k].assign(layers[k].size, 0.0);
  std::vector<MomentSums> paired, nudged, free_runs;
  for (const BranchLayer& l : layers) {
    paired.emplace_back(l.size);
    nudged.emplace_back(l.size);
    free_runs.emplace_back(l.size);
  }
  std::vector<double> checkpoints;
  std::vector<Vec> cos_vs_branches(L), unpaired_vs_branches(L);
  std::size_t layer_units = 0;
  for (const BranchLayer& l : layers) layer_units += l.size;
  // Branch b from its two copies of the free run at t_b returns, for the layers' units: the paired
  // differences at every sample (samples x units), then the nudged and the free copy's change since
  // t_b at report_at (units each).
  auto continue_pair = [&](std::uint32_t b, Engine& nudged_run, Engine& free_run) {
    const double t_branch = ex.spiking_settle_ms + double(b) * ex.spacing_ms;
    nudged_run.set_phase(setup.nudge_drive);
    free_run.set_phase(setup.free_drive);
    Vec start(setup.n_units), a_state(setup.n_units), b_state(setup.n_units), out;
    free_run.sample_states(start);
    out.reserve(std::size_t(n_samples + 2) * layer_units);
    Vec changes;
    for (std::uint32_t j = 0; j < n_samples; ++j) {
      nudged_run.advance_to(t_branch + double(j + 1) * ex.sample_ms);
      free_run.advance_to(t_branch + double(j + 1) * ex.sample_ms);
      nudged_run.sample_states(a_state);
      free_run.sample_states(b_state);
      for (const BranchLayer& l : layers)
        for (std::uint32_t u = 0; u < l.size; ++u) out.push_back(a_state[l.offset + u] - b_state[l.offset + u]);
      if (j == report_index) {
        for (const Vec* s : {&a_state, &b_state})
          for (const BranchLayer& l : layers)
            for (std::uint32_t u = 0; u < l.size; ++u) changes.push_back((*s)[l.offset + u] - start[l.offset + u]);
      }
    }
    out.insert(out.end(), changes.begin(), changes.end());
    return out;
  };
  // The free run advanced to branch b's time.
  auto advance_free_run = [&](std::uint32_t b) { base.advance_to(ex.spiking_settle_ms + double(b) * ex.spacing_ms); };
  auto make = [&](std::uint32_t b) -> std::function<Vec()> {
    advance_free_run(b);
    return [&, b, nudged_run = base, free_run = base]() mutable { return continue_pair(b, nudged_run, free_run); };
  };
  auto take = [&](std::uint32_t b, const Vec& out) {
    std::size_t at = 0;
    for (std::uint32_t j = 0; j < n_samples; ++j)
      for (std::size_t k = 0; k < L; ++k) {
        const std::span<const double> d(out.data() + at, layers[k].size);
        for (std::uint32_t u = 0; u < layers[k].size; ++u) sum[j][k][u] += d[u];
        if (j == report_index) paired[k].add(d);
        at += layers[k].size;
      }
    // Unpaired: the nudged copy of an even branch, the free copy of an odd one.
    const std::size_t nudged_at = at, free_at = at + layer_units;
    std::size_t offset = 0;
    for (std::size_t k = 0; k < L; ++k) {
      if (b % 2 == 0)
        nudged[k].add(std::span<const double>(out.data() + nudged_at + offset, layers[k].size));
      else
        free_runs[k].add(std::span<const double>(out.data() + free_at + offset, layers[k].size));
      offset += layers[k].size;
    }
    const std::uint32_t done = b + 1;
    if (is_checkpoint(done, ex.branches)) {
      checkpoints.push_back(done);
      for (std::size_t k = 0; k < L; ++k) {
        cos_vs_branches[k].push_back(cosine(sum[report_index][k], minus_delta[k]));
        unpaired_vs_branches[k].push_back(
            free_runs[k].n ? cosine(difference(nudged[k].mean(), free_runs[k].mean()), minus_delta[k]) : std::nan(""));
      }
    }
    if (progress) progress(double(done) / ex.branches);
    return !(options.stop && options.stop->load());
  };
  // The calling thread advances the free run (about half the work: 20 ms per branch against
  // 2 x 10 ms of continuations) and runs branches while it would wait: jobs - 1 workers, so none
  // competes with it for a core (with as many workers as jobs it got about three quarters of one).
  // Over processes, process 0 advances it and the others run the branches.
  if (farmed) {
    if constexpr (kSavesState) {
      Farm farm;
      farm.make = [&](std::uint32_t b) {
        advance_free_run(b);
        return base.save_state();
      };
      farm.compute = [&](std::uint32_t b, const std::string& state) {
        restore(base, state, setup.free_drive);  // the next item's state replaces all of it
        Engine nudged_run = base;
        const Vec out = continue_pair(b, nudged_run, base);
        return std::string(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(double));
      };
      farm.take = [&](std::uint32_t b, const std::string& bytes) {
        Vec out(bytes.size() / sizeof(double));
        std::memcpy(out.data(), bytes.data(), out.size() * sizeof(double));
        return take(b, out);
      };
      // The other processes end here with nothing accumulated: what follows writes into their
      // discarding sinks.
      if (!farm_in_order(*options.comm, ex.branches, farm)) return result;
    }
  } else if (!run_in_order<Vec>(ex.branches, options.jobs > 1 ? options.jobs - 1 : 0, make, take)) {
    return result;
  }

  sink.write_attribute(sg, "branches", std::int64_t(ex.branches));
  sink.write_attribute(sg, "unpaired",
                       std::string("nudged trials from the even branch points, free trials from the odd ones (no "
                                   "shared interval or random draw); each trial's change since it began; "
                                   "cosine_vs_branches_unpaired at branches_at uses half of them of each kind"));
  sink.write_attribute(sg, "trials_needed",
                       std::string("trials for an expected cosine >= 0.9 with -delta_k: 0.81 V / (a^2 - 0.81 b), "
                                   "a = m.u, b = |m|^2 from the paired trials (noise-corrected), V = the design's "
                                   "per-trial noise variance trace; inf: the mean's own cosine is below 0.9; NaN: b "
                                   "not resolved (within 2 standard errors of 0), see trials_at_least = 0.81 V / "
                                   "(0.19 (b + 2 se)); an unpaired trial is one nudged and one free continuation, as "
                                   "a paired one"));
  Vec t_ms(n_samples);
  for (std::uint32_t j = 0; j < n_samples; ++j) t_ms[j] = double(j + 1) * ex.sample_ms;
  sink.write_array(sg + "/t_ms", t_ms, {n_samples});
  sink.write_array(sg + "/branches_at", checkpoints, {checkpoints.size()});
  for (std::size_t k = 0; k < L; ++k) {
    Vec mean, cos_t(n_samples);
    for (std::uint32_t j = 0; j < n_samples; ++j) {
      Vec m = sum[j][k];
      for (double& x : m) x /= ex.branches;
      mean.insert(mean.end(), m.begin(), m.end());
      cos_t[j] = cosine(m, minus_delta[k]);
    }
    // The signal (a, b) from the paired trials for both designs; each design's own noise.
    result.paired.push_back(detectability(paired[k], minus_delta[k], paired[k].variance_trace()));
    result.unpaired.push_back(
        detectability(paired[k], minus_delta[k], nudged[k].variance_trace() + free_runs[k].variance_trace()));
    const std::string lg = sg + "/" + layers[k].name;
    sink.write_array(lg + "/mean_delta", mean, {n_samples, layers[k].size});
    sink.write_array(lg + "/cosine", cos_t, {n_samples});
    sink.write_array(lg + "/cosine_vs_branches", cos_vs_branches[k], {cos_vs_branches[k].size()});
    sink.write_array(lg + "/cosine_vs_branches_unpaired", unpaired_vs_branches[k], {unpaired_vs_branches[k].size()});
    for (const auto& [name, d] : {std::pair{"paired", result.paired.back()}, {"unpaired", result.unpaired.back()}}) {
      sink.write_array(lg + "/" + name + "/trials_needed", Vec{d.trials_needed(kDetectableCosine)}, {});
      sink.write_array(lg + "/" + name + "/trials_at_least", Vec{d.trials_at_least(kDetectableCosine)}, {});
      sink.write_array(lg + "/" + name + "/cosine_of_mean", Vec{d.cosine_of_mean()}, {});
      sink.write_array(lg + "/" + name + "/variance_per_trial", Vec{d.variance_per_trial}, {});
      sink.write_array(lg + "/" + name + "/mean_along_minus_delta", Vec{d.a}, {});
      sink.write_array(lg + "/" + name + "/mean_norm_sq", Vec{d.b}, {});
      sink.write_array(lg + "/" + name + "/mean_norm_sq_se", Vec{d.b_se}, {});
    }
    result.cosine.push_back(cos_t[report_index]);
  }
  result.complete = true;
  return result;
}

template BranchResult run_branches<SpikingEngine>(SpikingEngine&, const BranchSetup&, const std::string&, Sink&,
                                                  const RunOptions&, const std::function<void(double)>&);
template BranchResult run_branches<PartitionedEngine>(PartitionedEngine&, const BranchSetup&, const std::string&, Sink&,
                                                      const RunOptions&, const std::function<void(double)>&);
template BranchResult run_branches<ContinuousEngine>(ContinuousEngine&, const BranchSetup&, const std::string&, Sink&,
                                                     const RunOptions&, const std::function<void(double)>&);

}  // namespace ebsim
