#pragma once
// The experiment as plain value types, units already converted (times in ms, rates in Hz).
// Produced once by load_config() (sim/io/config_loader.hpp), which validates every key; everything
// downstream trusts these structs.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/plasticity.hpp"
#include "models/rate_function.hpp"

namespace ebsim {

enum class Role { input, hidden, output };

// A scalar per unit: a constant, or drawn from a distribution with the run's seed.
struct Distribution {
  enum class Kind { constant, uniform, normal };
  Kind kind = Kind::constant;
  double a = 0.0;  // constant value, uniform low, normal mean
  double b = 0.0;  // uniform high, normal standard deviation
};

// Values for a whole population (clamp values, targets): one Distribution, or explicit values.
struct Pattern {
  Distribution dist;
  std::vector<double> values;  // non-empty: explicit values, one per unit
};

struct ModelConfig {
  models::RateFunction rate;
  double tau_ms = 10.0;
  double r_max_hz = 200.0;
  // Eq. 8: asymmetric W acts as (W + W^T)/2 ("symmetrise", the energy-based model). "directed"
  // uses W as given (R_i = rho'(s_i)(b_i + sum_j W_ij rho(s_j)) with no energy behind it).
  bool symmetrise = true;
};

enum class EngineKind { continuous, spiking };
enum class Boundary { project, literal };

struct EngineConfig {
  EngineKind kind = EngineKind::continuous;
  double dt_ms = 0.1;  // continuous engine step; eps = dt / tau
  double sigma = 0.0;  // std of eta in R(s + eta) (Eq. 1-2)
  Boundary boundary = Boundary::project;
};

struct PopulationConfig {
  std::string name;
  Role role = Role::hidden;
  std::uint32_t size = 0;
  Pattern bias;
  Pattern initial_state;  // state at t = 0 for free units
};

enum class Connectivity { all_to_all, one_to_one, random, fixed_indegree, explicit_list };

struct WeightInit {
  enum class Kind { constant, uniform, normal, glorot };
  Kind kind = Kind::glorot;
  double a = 0.0;  // constant value, uniform low, normal mean, glorot gain
  double b = 0.0;  // uniform high, normal standard deviation
};

struct Synapse {
  std::uint32_t pre = 0;
  std::uint32_t post = 0;
  double weight = 0.0;
};

// The synaptic rule Delta W_ij ∝ ds_i/dt rho(s_j) (Eq. 26), per projection.
struct Plasticity {
  using Post = models::PostFactor;  // the rule's postsynaptic factor (models/plasticity.hpp)
  double lr = 0.0;
  Post post = Post::state_derivative;  // ds_i/dt (Eq. 26), or d rho(s_i)/dt = rho'(s_i) ds_i/dt
  bool symmetric = true;               // apply Delta W_ij + Delta W_ji to both directions
  std::optional<double> w_min, w_max;  // optional bounds
  std::vector<std::string> phases;     // phases in which it learns; empty: all
  double window_ms = 10.0;             // spiking estimator of ds_i/dt: (s_i(t + T) - s_i(t)) / T
};

struct ProjectionConfig {
  std::string name;  // "<from>-><to>" unless given
  std::string from, to;
  Connectivity connectivity = Connectivity::all_to_all;
  double probability = 1.0;       // random
  std::uint32_t indegree = 0;     // fixed_indegree
  std::vector<Synapse> synapses;  // explicit_list (weights given there)
  WeightInit weights;
  bool symmetric = false;     // W_ij = W_ji: stored once, acts in both directions
  double delay_ms = 1.0;      // spiking engine only; the lower end with per-synapse delays
  double delay_max_ms = 0.0;  // > delay_ms: per-synapse delays uniform in [delay_ms, delay_max_ms]
  std::optional<Plasticity> plasticity;
};

struct Nudge {
  Pattern target;
  double beta = 1.0;  // (1 - beta) R_y + beta y_target (Eq. 12 is beta = 1)
};

struct Settle {
  double tol = 1e-9;           // stop when max_i |R_i(s) - s_i| < tol (per unit of eps-normalised step)
  double max_duration_ms = 0;  // cap
};

struct PhaseConfig {
  std::string name;
  double duration_ms = 0.0;              // for settle phases: the cap
  std::map<std::string, Pattern> clamp;  // input populations; inherited by later phases
  std::map<std::string, Nudge> nudge;    // output populations; this phase only
  std::optional<Settle> settle;
};

struct ProtocolConfig {
  std::vector<PhaseConfig> phases;
  std::uint32_t trials = 1;
  double total_duration_ms() const {
    double t = 0;
    for (const auto& p : phases) t += p.duration_ms;
    return t;
  }
};

struct StateRecording {
  std::vector<std::string> populations;  // empty: none
  double period_ms = 1.0;
};

// Rate-averaged quantities on a grid of bins within each trial: firing rates (Hz) and
// window-averaged states, and, with theory, the continuous engine's prediction in the same shapes.
struct RateRecording {
  std::vector<std::string> populations;  // empty: none
  double bin_ms = 10.0;
  bool theory = false;
  double theory_dt_ms = 0.01;  // the mean-field reference's step (sigma = 0, small eps)
};

struct RecordConfig {
  RateRecording rates;
  StateRecording states;
  std::vector<std::string> spikes;  // populations whose spikes are written (spiking engine)
  bool weights = true;              // initial and final weights of every projection
  bool weight_snapshots = false;    // also at the end of every phase of every trial
};

struct OutputConfig {
  std::string path;  // may be empty: no file (ebsim check), or the CLI's -o
};

// What an experiment reads from its `experiment:` section. Each kind derives its own (e.g.
// LearningExperiment in sim/experiments/learning_config.hpp) and registers its reader and runner in
// sim/experiments/registry.cpp; the core config knows no experiment.
struct ExperimentSpec {
  virtual ~ExperimentSpec() = default;
  // Files the experiment reads (a run's output must not overwrite them).
  virtual std::vector<std::string> input_files() const { return {}; }
  // Once the whole config is read: a problem only the resolved config (YAML text, defaults filled
  // in) shows, as {key under `experiment`, message}; none by default.
  struct Problem {
    std::string key, message;
  };
  virtual std::optional<Problem> check_resolved(const std::string& /*resolved_yaml*/) const { return std::nullopt; }
};

// A parameter sweep: the experiment is run once per point (as with --set key=value for each key of
// the point), and, with replicates, once per seed at each point.
//   single: `sweep: {key: [v...]}`, one key (the original form; its analysis is the error table)
//   grid:   `sweep: {grid: {k1: [...], k2: [...]}}`, every combination (the last key varies fastest)
//   zip:    `sweep: {zip: {k1: [...], k2: [...]}}`, the i-th values of every key together
// `replicates: N` runs each point with the seeds replicate_seed(seed, 0..N-1) (sim/core/random.hpp),
// `seeds: [...]` with the given ones; without either a point runs once with the config's seed.
struct SweepAxis {
  std::string key;                  // e.g. "model.r_max"
  std::vector<std::string> values;  // YAML text, e.g. "400 Hz"
  // Where the loader found them ("file:line:col" or "--set ..."), for errors found at the points.
  std::string key_location;
  std::vector<std::string> value_locations;
};

struct Sweep {
  enum class Form { single, grid, zip };
  Form form = Form::single;
  std::vector<SweepAxis> axes;
  std::vector<std::uint64_t> seeds;  // one per replicate; empty: one run per point, the config's seed
  bool replicated() const { return !seeds.empty(); }
  std::size_t replicates() const { return seeds.empty() ? 1 : seeds.size(); }
  std::size_t point_count() const {
    if (axes.empty()) return 1;
    if (form == Form::zip) return axes.front().values.size();
    std::size_t n = 1;
    for (const SweepAxis& a : axes) n *= a.values.size();
    return n;
  }
  // The value index of each axis at point p (grid: the last axis varies fastest).
  std::vector<std::size_t> indices(std::size_t p) const {
    std::vector<std::size_t> idx(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      const std::size_t n = axes[k].values.size();
      idx[k] = form == Form::zip ? p : p % n;
      if (form != Form::zip) p /= n;
    }
    return idx;
  }
  // "model.r_max=1600 Hz, engine.sigma=0.1"
  std::string label(std::size_t p) const {
    const std::vector<std::size_t> idx = indices(p);
    std::string s;
    for (std::size_t k = 0; k < axes.size(); ++k) s += (k ? ", " : "") + axes[k].key + "=" + axes[k].values[idx[k]];
    return s;
  }
  // The original one-key form, without replicates: the output keeps its original layout.
  bool legacy() const { return form == Form::single && !replicated(); }
};

// One run of a sweep: point `point` with seed number `replicate` (run index point * R + replicate).
struct SweepRun {
  std::size_t point = 0, replicate = 0;
  std::uint64_t seed = 0;
};

struct Config {
  std::string source_path;  // the YAML file it came from
  std::optional<Sweep> sweep;
  std::vector<Config> sweep_points;                  // one validated config per run of the sweep
  std::vector<SweepRun> sweep_runs;                  // which point and replicate each of them is
  std::string experiment_kind;                       // `experiment: {kind: ...}`; empty: a plain protocol run
  std::shared_ptr<const ExperimentSpec> experiment;  // that kind's parameters; null when none
  std::string resolved_yaml;                         // after defaults and --set overrides
  std::uint64_t seed = 1;
  ModelConfig model;
  EngineConfig engine;
  std::vector<PopulationConfig> populations;
  std::vector<ProjectionConfig> projections;
  ProtocolConfig protocol;
  RecordConfig record;
  OutputConfig output;

  // Index of the projection called `name` (the loader has checked that it exists).
  std::size_t projection_index(const std::string& name) const {
    for (std::size_t k = 0; k < projections.size(); ++k)
      if (projections[k].name == name) return k;
    return projections.size();
  }

  const PopulationConfig* find_population(const std::string& name) const {
    for (const auto& p : populations)
      if (p.name == name) return &p;
    return nullptr;
  }

  // The experiment's parameters as its own type E; asking for another kind than the config holds
  // is a programming error.
  template <class E>
  const E& experiment_as() const {
    const E* e = dynamic_cast<const E*>(experiment.get());
    if (!e)
      throw std::logic_error(experiment_kind.empty()
                                 ? "the config has no experiment"
                                 : "the config's experiment is `" + experiment_kind + "`, not the one asked for");
    return *e;
  }
};

std::string to_string(Role role);

}  // namespace ebsim
