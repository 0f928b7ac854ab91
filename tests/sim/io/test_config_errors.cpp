// Every error the config loader can raise, one row each: the config that raises it, where the error
// must point (file:line:column, marked `^` in the row's YAML), its key path and its message. A last
// test reads the loader's sources and fails when an error site has no row, so a new check cannot be
// added without showing that it fires, where it points and what it says.
#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/sim/experiments/learning_support.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

const std::string kLoader = "sim/io/config_loader.cpp";
const std::string kReader = "sim/io/yaml_reader.cpp";
const std::string kOverrides = "sim/io/overrides.cpp";
const std::string kProjection = "sim/io/projection_reader.cpp";
const std::string kQuantity = "sim/io/quantity.cpp";
const std::string kBackprop = "sim/experiments/backprop_config.cpp";
const std::string kLearning = "sim/experiments/learning_config.cpp";
const std::string kPair = "sim/experiments/plastic_pair_config.cpp";
const std::string kSaturation = "sim/experiments/saturation_config.cpp";
const std::string kStdp = "sim/experiments/stdp_window_config.cpp";
const std::string kStats = "sim/experiments/stdp_statistics_config.cpp";

struct Row {
  std::string file;      // the source file holding the error site
  std::string message;   // must appear in the error; found in `file` to name the site unless `site` is given
  std::string key_path;  // the error's key path, exactly
  std::string yaml;      // the config; `^` marks where the error must point
  std::vector<std::string> set = {};  // --set overrides
  std::string where = "";             // the location when the YAML has no `^` (`@missing`: no file)
  std::string site = "";              // text of the site's statement, when `message` does not name it
  bool cli = false;                   // also run through `ebsim run`: exit 2, nothing written
};

// `text` with each `from` replaced (it must occur) by `to`.
std::string edit(std::string text, const std::vector<std::pair<std::string, std::string>>& edits) {
  for (const auto& [from, to] : edits) {
    const auto pos = text.find(from);
    if (pos == std::string::npos) throw std::logic_error("edit: `" + from + "` is not in the text");
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The YAML without its `^`, and "test.yaml:LINE:COL" of the `^` (empty without one).
std::pair<std::string, std::string> split_marker(const std::string& marked, const std::string& name) {
  const auto pos = marked.find('^');
  if (pos == std::string::npos) return {marked, ""};
  const std::string before = marked.substr(0, pos);
  const auto line = std::count(before.begin(), before.end(), '\n') + 1;
  const auto line_start = before.rfind('\n');
  const auto column = pos - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
  return {before + marked.substr(pos + 1), name + ":" + std::to_string(line) + ":" + std::to_string(column)};
}

const std::string kNet = test::kSmallNet;
const std::string kSpiking = edit(kNet, {{"kind: continuous", "kind: spiking"}});
const std::string kProtocolBlock =
    "protocol:\n  phases:\n    - {name: free, duration: 2000 ms, clamp: {x: [0.3, -0.2, 0.1]}}\n";
const std::string kProjectionsBlock =
    "projections:\n  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}\n"
    "  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}\n";
const std::string kProj0 = "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}";
// A recurrent projection h -> h appended to kNet's two: projections[2].
std::string with_recurrent(const std::string& spec) {
  return edit(kNet, {{"protocol:", "  - " + spec + "\nprotocol:"}});
}

const std::string kBackpropNet = R"(model: {beta1: -0.5, tau: 10 ms}
populations:
  x: {role: input, size: 2}
  h: {role: hidden, size: 2}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, symmetric: true}
  - {from: h, to: y, symmetric: true}
protocol:
  phases:
    - {name: settle, duration: 1 s, settle: {tol: 1.0e-9}, clamp: {x: 0.1}}
    - {name: nudge, duration: 1 ms, nudge: {y: {target: 0.1}}}
experiment:
  kind: backprop
  layers: [y, h]
  continuous_time: {eps: 0.001}
  spiking: {r_max: [1 kHz], branches: 10, settle: 10 ms, spacing: 20 ms, window: 10 ms, sample: 0.5 ms, report_at: 5 ms}
)";

const std::string kPairNet = R"(model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 1}
projections:
  - {from: x, to: h, weights: 0.1, plasticity: {lr: 0.01}}
protocol:
  phases:
    - {name: run, duration: 10 ms, clamp: {x: 0}}
experiment:
  kind: stdp_window
  pre: x
  post: h
)";
const std::string kSaturationNet = edit(kPairNet, {{"kind: stdp_window", "kind: saturation"}});

// Data files for the learning rows, written once: three features, two classes; and one with
// enough examples that 1e5 epochs reach 2^31 example visits.
struct LearningData {
  test::TempDir dir;
  std::string small = dir.file("small.csv"), big = dir.file("big.csv");
  LearningData() {
    test::write_file(small, "0,1,2,0\n3,4,5,1\n");
    std::ofstream out(big);
    for (int k = 0; k < 21475; ++k) out << "0,0,0," << (k % 2) << "\n";
  }
};
const LearningData& learning_data() {
  static const LearningData data;
  return data;
}

// A crafted ebsim output: the attributes that mark one (`magic`, `ebsim_version`) and the given
// datasets (name, shape, values), uint64 for synapse indices (`.../pre`, `.../post`), else doubles.
using Dataset = std::tuple<std::string, std::vector<hsize_t>, std::vector<double>>;
void write_crafted(const std::string& path, const std::vector<Dataset>& datasets) {
  H5::H5File f(path, H5F_ACC_TRUNC);
  const std::uint32_t magic = 0x0A7A;
  f.createAttribute("magic", H5::PredType::NATIVE_UINT32, H5::DataSpace()).write(H5::PredType::NATIVE_UINT32, &magic);
  const H5::StrType str(H5::PredType::C_S1, 8);
  f.createAttribute("ebsim_version", str, H5::DataSpace()).write(str, std::string("crafted"));
  for (const auto& [name, shape, values] : datasets) {
    for (auto at = name.find('/', 1); at != std::string::npos; at = name.find('/', at + 1))
      if (!f.nameExists(name.substr(0, at))) f.createGroup(name.substr(0, at));
    const H5::DataSpace space(int(shape.size()), shape.data());
    const bool index =
        name.size() > 4 && (name.substr(name.size() - 4) == "/pre" || name.substr(name.size() - 5) == "/post");
    if (index) {
      const std::vector<std::uint64_t> v(values.begin(), values.end());
      f.createDataSet(name, H5::PredType::NATIVE_UINT64, space).write(v.data(), H5::PredType::NATIVE_UINT64);
    } else {
      f.createDataSet(name, H5::PredType::NATIVE_DOUBLE, space).write(values.data(), H5::PredType::NATIVE_DOUBLE);
    }
  }
}

// Files of earlier runs for the rows that read one (`from_file`, `resume`), written once: kNet's
// run (x -> h stored from 3 x 4 units, h's final state of 4 units), one epoch of learning, and
// crafted files that no run writes (a self-connection, a weight or a state beyond 1e6, a synapse
// listed twice, a learning file with no epoch or no checkpoint).
struct StoredRuns {
  test::TempDir dir;
  std::string run = dir.file("run.h5"), learn = dir.file("learn.h5");
  std::string self = dir.file("self.h5"), big_weight = dir.file("big_weight.h5"), twice = dir.file("twice.h5");
  std::string big_state = dir.file("big_state.h5"), no_epoch = dir.file("no_epoch.h5");
  std::string no_checkpoint = dir.file("no_checkpoint.h5");
  StoredRuns() {
    write_crafted(self, {{"/weights/final/h->h/pre", {1}, {1}},
                         {"/weights/final/h->h/post", {1}, {1}},
                         {"/weights/final/h->h/weight", {1}, {0.1}}});
    write_crafted(big_weight, {{"/weights/final/x->h/pre", {1}, {0}},
                               {"/weights/final/x->h/post", {1}, {0}},
                               {"/weights/final/x->h/weight", {1}, {1e9}}});
    write_crafted(twice, {{"/weights/final/x->h/pre", {2}, {0, 0}},
                          {"/weights/final/x->h/post", {2}, {1, 1}},
                          {"/weights/final/x->h/weight", {2}, {0.1, 0.2}}});
    write_crafted(big_state, {{"/analysis/final_state/h", {1, 4}, {0, 0, 1e9, 0}}});
    write_crafted(no_epoch, {{"/training/epoch", {0}, {}}});
    write_crafted(no_checkpoint, {{"/training/epoch", {1}, {1}}});
    test::write_file(dir.file("run.yaml"), test::kSmallNet);
    test::write_file(dir.file("learn.yaml"), test::learning_yaml(learning_data().small, 3, 2, 2, "  epochs: 1\n"));
    for (const auto& [cfg, out] : {std::pair{dir.file("run.yaml"), run}, std::pair{dir.file("learn.yaml"), learn}}) {
      const test::CliOutcome o = test::run_cli({"ebsim", "run", cfg, "-o", out, "--quiet"});
      if (o.code != 0) throw std::runtime_error("StoredRuns: `ebsim run " + cfg + "` failed: " + o.err);
    }
  }
};
const StoredRuns& stored_runs() {
  static const StoredRuns runs;
  return runs;
}

std::vector<Row> rows() {
  const std::string learn = test::learning_yaml(learning_data().small, 3, 2, 2);
  const std::string learn_big = test::learning_yaml(learning_data().big, 3, 2, 2);
  const std::string missing_h5 = learning_data().dir.file("missing.h5");
  const std::string kStatsNet = edit(kPairNet, {{"kind: stdp_window", "kind: stdp_statistics"}});
  const std::string h_from = "h: {role: hidden, size: 4, bias: 0.05}";
  // 9 units, then 1e8 per population: the tenth of them, big9, takes the total past 1e9.
  std::string bigs;
  for (int k = 0; k < 11; ++k)
    bigs += "  " + std::string(k == 9 ? "^" : "") + "big" + std::to_string(k) + ": {role: hidden, size: 100000000}\n";
  const std::string many_units =
      edit(kNet, {{"  y: {role: output, size: 2}\n", "  y: {role: output, size: 2}\n" + bigs}});
  // One row per error, as written (clang-format would put each field of a long row on its own line).
  // clang-format off
  return {
      // --- quantity.cpp: times and rates with units (parse_quantity's messages)
      {kQuantity, "expected a time with a unit (ms, s or us), such as `10 ms`, got `fast ms`", "model.tau",
       edit(kNet, {{"tau: 10 ms", "tau: ^fast ms"}}), {}, "", R"("expected " + unit_examples(dim) + ", got `" + text)"},
      {kQuantity, "missing unit: expected ", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^10"}}), {}, "", "", true},
      {kQuantity, "not a finite number: `", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^inf ms"}})},
      {kQuantity, "wrong unit `", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^10 Hz"}})},
      {kQuantity, "times lie within +-1e9 ms", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^1e10 s"}})},
      {kQuantity, "unknown unit `", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^10 min"}})},

      // --- yaml_reader.cpp: the toolkit every section reader uses
      {kReader, "expected a mapping of keys, got `", "model",
       edit(kNet, {{"model: {beta1: -0.5, tau: 10 ms}", "model: ^5"}})},
      {kReader, "duplicate key `", "seed", edit(kNet, {{"seed: 5\n", "seed: 5\n^seed: 6\n"}})},
      {kReader, "expected a plain name as the key", "model",
       edit(kNet, {{"tau: 10 ms}", "tau: 10 ms, ? ^[a] : 1}"}})},
      {kReader, "missing required key `protocol` (phases to run)", "protocol",
       edit(kNet, {{"seed: 5", "^seed: 5"}, {kProtocolBlock, ""}}), {}, "", R"("` (" + what)"},
      {kReader, "missing required number `", "projections[0].plasticity.lr",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: ^{}}"}})},
      {kReader, "expected a number, got `", "populations.h.bias", edit(kNet, {{"bias: 0.05", "bias: ^lots"}})},
      {kReader, "missing required key `duration`: a time with a unit", "protocol.phases[0].duration",
       edit(kNet, {{"{name: free, duration: 2000 ms,", "^{name: free,"}}), {}, "",
       R"("missing required key `" + key + "`: ")"},
      {kReader, "expected a time with a unit (ms, s or us), such as `10 ms`, got `[1 ms]`", "model.tau",
       edit(kNet, {{"tau: 10 ms", "tau: ^[1 ms]"}}), {}, "",
       R"(if (!n.IsScalar()) fail(n, kp, "expected " + unit_examples(dim))"},
      {kReader, "missing required integer `", "populations.y.size",
       edit(kNet, {{"y: {role: output, size: 2}", "y: ^{role: output}"}})},
      {kReader, "expected an integer, got `", "populations.y.size", edit(kNet, {{"size: 2}", "size: ^2.5}"}})},
      {kReader, "expected true or false, got `", "projections[0].symmetric",
       edit(kNet, {{"symmetric: true}", "symmetric: ^maybe}"}})},
      {kReader, "missing required key `from`", "projections[0].from",
       edit(kNet, {{"- {from: x, to: h,", "- ^{to: h,"}}),
       {}, "", R"("missing required key `" + key + "`");)"},
      {kReader, "expected a string, got `", "projections[0].from", edit(kNet, {{"{from: x,", "{from: ^[x],"}})},
      {kReader, "expected one of `continuous`, `spiking`, got `spikng` (did you mean `spiking`?)", "engine.kind",
       edit(kNet, {{"kind: continuous", "kind: ^spikng"}}), {}, "", R"("expected one of " + join(options))", true},
      {kReader, "unknown key `tua` (did you mean `tau`?)", "model.tua",
       edit(kNet, {{"tau: 10 ms}", "tau: 10 ms, ^tua: 1}"}}), {}, "",
       R"("unknown key `" + k + "`" + did_you_mean(k, known_))"},
      {kReader, "cannot name a group in the output file", "protocol.phases[0].name",
       edit(kNet, {{"name: free", "name: ^a/b"}})},
      {kReader, "expected a value within +-1e6, got `", "populations.h.bias",
       edit(kNet, {{"bias: 0.05", "bias: ^1e300"}})},
      {kReader, "expected a number, a list of numbers, `{uniform: [low, high]}` or `{normal: [mean, sd]}`, got `{}`",
       "populations.h.bias", edit(kNet, {{"bias: 0.05", "bias: ^{}"}}), {}, "",
       R"(if (!n.IsMap() || n.size() != 1) parent.fail(n, kp, expected + ", got `")"},
      {kReader, "unknown distribution `gauss`", "populations.h.bias.gauss",
       edit(kNet, {{"bias: 0.05", "bias: {^gauss: [0, 1]}"}}), {}, "", R"("unknown distribution `")"},
      {kReader, "expected two numbers [low, high]", "populations.h.bias.uniform",
       edit(kNet, {{"bias: 0.05", "bias: {uniform: ^[0]}"}}), {}, "", R"("expected two numbers [")"},
      {kReader, "expected low <= high, got [1, 0]", "populations.h.bias.uniform",
       edit(kNet, {{"bias: 0.05", "bias: {uniform: ^[1, 0]}"}}), {}, "", R"("expected low <= high, got [")"},
      {kReader, "expected a standard deviation >= 0", "populations.h.bias.normal[1]",
       edit(kNet, {{"bias: 0.05", "bias: {normal: [0, ^-1]}"}})},
      {kReader, "expected 4 values (the population's size), got 2", "populations.h.bias",
       edit(kNet, {{"bias: 0.05", "bias: ^[1, 2]"}}), {}, "", R"(" values (the population's size), got ")"},
      {kReader, "unknown population `hh` (did you mean `h`?); populations are `x`, `h`, `y`", "projections[1].from",
       edit(kNet, {{"{from: h, to: y,", "{from: ^hh, to: y,"}}), {}, "", R"("unknown population `" + name + "`")"},
      {kReader, "expected a list of population names or `all`", "record.states.populations",
       edit(kNet, {{"populations: all", "populations: ^some"}})},
      {kReader, "expected a population name", "record.states.populations[0]",
       edit(kNet, {{"populations: all", "populations: [^[x]]"}})},
      {kReader, "unknown population `q`", "record.states.populations[0]",
       edit(kNet, {{"populations: all", "populations: [^q]"}}), {}, "", R"("unknown population `" + pops[i].Scalar())"},

      // --- overrides.cpp: --set and sweeps
      {kOverrides, "expected key.path=value", "", kNet, {"novalue"}, "--set novalue", "", true},
      {kOverrides, "value is not valid YAML: ", "model.tau", kNet, {"model.tau=[1"}, "--set model.tau=[1"},
      {kOverrides, "expected a list index, got `first`", "projections", kNet, {"projections.first.delay=1 ms"},
       "--set projections.first.delay=1 ms", R"("expected a list index, got `")"},
      {kOverrides, "index 7 out of range (the list has 2 entries)", "projections", kNet, {"projections.7.delay=1 ms"},
       "--set projections.7.delay=1 ms", R"(" out of range (the list has ")"},
      {kOverrides, "is not a mapping, cannot set `x` inside it", "seed", kNet, {"seed.x=1"}, "--set seed.x=1",
       R"("is not a mapping, cannot set `")"},
      {kOverrides, "expected one key path with a list of values (`{model.r_max: [100 Hz, 400 Hz]}`), or `grid:`",
       "sweep", kNet + "sweep: ^5\n"},
      {kOverrides, "expected a list of at least two values, e.g. `[100 Hz, 400 Hz]`", "sweep.model.tau",
       kNet + "sweep: {model.tau: ^[1 ms]}\n", {}, "", R"("expected a list of " + std::string(min_values > 1)"},
      {kOverrides, "expected a scalar value", "sweep.model.tau[0]", kNet + "sweep: {model.tau: [^[1 ms], 2 ms]}\n"},
      {kOverrides, "cannot sweep `seed` (use `replicates` or `seeds`)", "sweep.seed", kNet + "sweep: {^seed: [1, 2]}\n",
       {}, "", R"("cannot sweep `")"},
      {kOverrides, "expected a mapping of key paths to lists of values", "sweep.grid", kNet + "sweep: {grid: ^5}\n"},
      {kOverrides, "give either `grid` (every combination) or `zip` (values taken together), not both", "sweep",
       kNet + "sweep: ^{grid: {model.tau: [1 ms]}, zip: {model.tau: [2 ms]}}\n"},
      {kOverrides, "zip takes the i-th value of every key together: expected 2 values, as `model.tau` has, got 1",
       "sweep.zip.model.r_max", kNet + "sweep: {zip: {model.tau: [1 ms, 2 ms], model.r_max: ^[1 Hz]}}\n", {}, "",
       R"("zip takes the i-th value of every key together: expected ")"},
      {kOverrides, "give either `replicates: N` (derived seeds) or `seeds: [...]` (given ones), not both", "sweep",
       kNet + "sweep: ^{replicates: 2, seeds: [1, 2]}\n"},
      {kOverrides, "expected 1 to 1e6 replicates per point, got 0", "sweep.replicates",
       kNet + "sweep: {replicates: ^0}\n", {}, "", "expected 1 to 1e6 replicates per point, got "},
      {kOverrides, "expected a non-empty list of seeds (integers >= 0)", "sweep.seeds", kNet + "sweep: {seeds: ^[]}\n"},
      {kOverrides, "expected a seed >= 0", "sweep.seeds[1]", kNet + "sweep: {seeds: [1, ^-2]}\n"},
      {kOverrides, "the sweep has 100001 runs (points x replicates), more than 100000; run it with --yes", "sweep",
       kNet + "sweep: ^{replicates: 100001}\n", {}, "", R"(" runs (points x replicates), more than ")"},
      {kOverrides, "expected a time with a unit (ms, s or us), such as `10 ms`, got `fast` (at model.tau)",
       "sweep.model.tau[1]", kNet + "sweep: {model.tau: [1 ms, ^fast]}\n", {}, "",
       R"x(e.message() + " (at " + e.key_path() + ")");)x", true},
      {kOverrides, "unknown key `tua` (did you mean `tau`?)", "sweep.grid.model.tua",
       kNet + "sweep: {grid: {^model.tua: [1 ms, 2 ms]}}\n", {}, "",
       "throw ConfigError(unknown_key ? axis.key_location"},

      // --- config_loader.cpp: the core schema and the checks across sections
      {kLoader, "expected -1 < beta1 < 0 (Eq. 7 needs beta1 < 0 < beta2 = beta1 + 1), got 0.2", "model.beta1",
       edit(kNet, {{"beta1: -0.5", "beta1: ^0.2"}}), {}, "", "expected -1 < beta1 < 0", true},
      {kLoader, "expected a logistic gain > 0", "model.gain", edit(kNet, {{"tau: 10 ms}", "tau: 10 ms, gain: ^0}"}})},
      {kLoader, "expected tau >= 1 us", "model.tau", edit(kNet, {{"tau: 10 ms", "tau: ^0.1 us"}})},
      {kLoader, "expected r_max >= 0.001 Hz", "model.r_max",
       edit(kNet, {{"tau: 10 ms", "tau: 10 ms, r_max: ^0.0001 Hz"}})},
      {kLoader, "expected 0 < dt <= tau", "engine.dt", edit(kNet, {{"dt: 0.1 ms", "dt: ^20 ms"}})},
      {kLoader, "expected a noise standard deviation 0 <= sigma <= 1e6", "engine.sigma",
       edit(kNet, {{"dt: 0.1 ms", "dt: 0.1 ms, sigma: ^-1"}})},
      {kLoader, "expected a population size between 1 and 1e8, got 0", "populations.h.size",
       edit(kNet, {{"size: 4", "size: ^0"}}), {}, "", "expected a population size between 1 and 1e8"},
      {kLoader, "expected a duration > 0", "protocol.phases[0].duration",
       edit(kNet, {{"duration: 2000 ms", "duration: ^-1 ms"}})},
      {kLoader, "expected a tolerance > 0", "protocol.phases[0].settle.tol",
       edit(kNet, {{"duration: 2000 ms,", "duration: 2000 ms, settle: {tol: ^0},"}})},
      {kLoader, "only input populations can be clamped; `h` is hidden", "protocol.phases[0].clamp.h",
       edit(kNet, {{"clamp: {x: [0.3, -0.2, 0.1]}", "clamp: {x: [0.3, -0.2, 0.1], ^h: 0.1}"}}), {}, "",
       "only input populations can be clamped"},
      {kLoader, "only output populations can be nudged; `h` is hidden", "protocol.phases[0].nudge.h",
       edit(kNet, {{"0.1]}}", "0.1]}, nudge: {^h: {target: 0.1}}}"}}), {}, "", "only output populations can be nudged"},
      {kLoader, "expected a nudge strength beta in [0, 1]", "protocol.phases[0].nudge.y.beta",
       edit(kNet, {{"0.1]}}", "0.1]}, nudge: {y: {target: 0.1, beta: ^2}}}"}})},
      {kLoader, "expected 1 to 1e6 trials, got 0", "protocol.trials",
       edit(kNet, {{"protocol:\n", "protocol:\n  trials: ^0\n"}}), {}, "", "expected 1 to 1e6 trials"},
      {kLoader, "expected a non-empty list of phases", "protocol.phases",
       edit(kNet, {{kProtocolBlock, "protocol: {phases: ^[]}\n"}})},
      {kLoader, "duplicate phase name `free` (also phase 0)", "protocol.phases[1].name",
       edit(kNet, {{"0.1]}}\n", "0.1]}}\n    - {name: ^free, duration: 10 ms}\n"}}), {}, "", "duplicate phase name `"},
      {kLoader, "ms in all: expected at most 1e9 ms", "protocol.phases",
       edit(kNet, {{"    - {name: free, duration: 2000 ms", "    ^- {name: free, duration: 1e9 ms"},
                   {"0.1]}}\n", "0.1]}}\n    - {name: b, duration: 1 ms}\n"}})},
      {kLoader, "input population `x` must be clamped in the first phase", "protocol.phases[0].clamp",
       edit(kNet,
       {{"- {name: free, duration: 2000 ms, clamp: {x: [0.3, -0.2, 0.1]}}", "- ^{name: free, duration: 2000 ms}"}}),
       {}, "", "` must be clamped in the first phase"},
      {kLoader, "expected a multiple of engine.dt (0.1", "protocol.phases[0].duration",
       edit(kNet, {{"duration: 2000 ms", "duration: ^10.05 ms"}}), {}, "", R"("expected a multiple of engine.dt (")"},
      {kLoader, "settling to a tolerance needs the continuous engine", "protocol.phases[0].settle",
       edit(kSpiking, {{"duration: 2000 ms,", "duration: 2000 ms, settle: ^{tol: 0.001},"}})},
      {kLoader, "the continuous engine emits no spikes", "record.spikes.populations",
       kNet + "  spikes: {populations: ^[h]}\n"},
      {kLoader, "expected a recording period >= 1e-6 ms", "record.states.period",
       edit(kNet, {{"period: 10 ms", "period: ^1e-7 ms"}})},
      {kLoader, "expected a bin width >= 1e-6 ms", "record.rates.bin",
       kNet + "  rates: {populations: all, bin: ^1e-7 ms}\n"},
      {kLoader, "expected 1e-6 ms <= theory_dt <= tau / 10", "record.rates.theory_dt",
       kNet + "  rates: {populations: all, bin: 10 ms, theory_dt: ^2 ms}\n"},
      {kLoader, "expected a multiple of engine.dt", "record.states.period",
       edit(kNet, {{"period: 10 ms", "period: ^10.05 ms"}}), {}, "",
       R"(fail(root["record"]["states"]["period"], "record.states.period", "expected a multiple of engine.dt");)"},
      {kLoader, "with several trials the protocol's total duration must be a multiple of the recording period",
       "record.states.period",
       edit(kNet, {{"protocol:\n", "protocol:\n  trials: 2\n"}, {"period: 10 ms", "period: ^30 ms"}})},
      {kLoader, "expected a bin that divides the protocol's duration", "record.rates.bin",
       kNet + "  rates: {populations: all, bin: ^300 ms}\n"},
      {kLoader, "expected a multiple of engine.dt", "record.rates.bin",
       kNet + "  rates: {populations: all, bin: ^0.05 ms}\n",
       {}, "", R"(fail(rates["bin"], "record.rates.bin", "expected a multiple of engine.dt");)"},
      {kLoader, "the theory reference is the mean field of fixed weights; projection `x->h` is plastic",
       "record.rates.theory",
       edit(kSpiking, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1}}"}}) +
           "  rates: {populations: all, bin: 100 ms, theory: ^true}\n",
       {}, "", "the theory reference is the mean field of fixed weights"},
      {kLoader, "the theory reference compares the spiking engine with the continuous one", "record.rates.theory",
       kNet + "  rates: {populations: all, bin: 100 ms, theory: ^true}\n"},
      {kLoader, "expected a step that divides the bin", "record.rates.theory_dt",
       kSpiking + "  rates: {populations: all, bin: 10 ms, theory: true, theory_dt: ^0.3 ms}\n"},
      {kLoader, "expected a step that divides every phase's duration", "record.rates.theory_dt",
       edit(kSpiking,
       {{"duration: 2000 ms", "duration: 2000.1 ms"}, {"0.1]}}\n", "0.1]}}\n    - {name: b, duration: 9.9 ms}\n"}}) +
           "  rates: {populations: all, bin: 10 ms, theory: true, theory_dt: ^0.5 ms}\n"},
      {kLoader, "unknown phase `nudge`", "projections[0].plasticity.phases",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, phases: ^[nudge]}}"}}), {}, "",
       R"(fail(at["phases"], kp + ".phases", "unknown phase `")"},
      {kLoader, "the spiking engine integrates exactly only the piecewise-linear hard_sigmoid", "model.rate",
       edit(kSpiking, {{"tau: 10 ms}", "tau: 10 ms, rate: ^logistic}"}})},
      {kLoader, "the file is empty", "", "", {}, "test.yaml", "", true},
      {kLoader, "expected a mapping of top-level keys", "", "^[1, 2]\n"},
      {kLoader, "expected a seed >= 0", "seed", edit(kNet, {{"seed: 5", "seed: ^-1"}})},
      {kLoader, "expected a non-empty mapping from population name to {role, size}", "populations",
       edit(kNet, {{"populations:\n  x: {role: input, size: 3}\n  h: {role: hidden, size: 4, bias: 0.05}\n  y: {role: "
                    "output, size: 2}\n",
                    "populations: ^{}\n"}})},
      {kLoader, "the populations hold more than 1e9 units in all", "populations.big9", many_units},
      {kLoader, "expected a list of projections", "projections",
       edit(kNet, {{kProjectionsBlock, "projections: ^{}\n"}})},
      {kLoader, "duplicate projection name `a`", "projections[1].name",
       edit(kNet,
       {{"{from: x, to: h,", "{from: x, to: h, name: a,"}, {"{from: h, to: y,", "^{from: h, to: y, name: a,"}}),
       {}, "", "duplicate projection name `"},
      {kLoader, "expected a trial index >= 0", "populations.h.initial.trial",
       edit(kNet, {{h_from, "h: {role: hidden, size: 4, initial: {from_file: " + missing_h5 + ", trial: ^-1}}"}})},
      {kLoader, "no such file", "populations.h.initial.from_file",
       edit(kNet, {{h_from, "h: {role: hidden, size: 4, initial: {from_file: ^" + missing_h5 + "}}"}}), {}, "",
       R"(ir.fail(initial["from_file"], ir.key_path("from_file"), e.what());)"},
      {kLoader, "the stored state of `h` has 4 units, population `h` 5", "populations.h.initial.from_file",
       edit(kNet, {{h_from, "h: {role: hidden, size: 5, initial: {from_file: ^" + stored_runs().run + "}}"}}), {}, "",
       R"("the stored state of `" + stored_name + "` has ")"},
      {kLoader, "a stored state beyond +-1e6", "populations.h.initial.from_file",
       edit(kNet, {{h_from, "h: {role: hidden, size: 4, initial: {from_file: ^" + stored_runs().big_state + "}}"}})},
      {kLoader, "` was made with another config (`seed` differ)", "experiment.resume",
       edit(learn, {{"seed: 3", "seed: 4"}}) + "  epochs: 2\n  resume: ^" + stored_runs().learn + "\n", {}, "",
       R"(top.fail(root["experiment"][problem->key], "experiment." + problem->key, problem->message);)"},
      {kLoader, "a second YAML document", "", kNet + "^---\nseed: 6\n", {}, "", R"("a second YAML document: )"},
      // yaml-cpp marks the end of the nested value.
      {kLoader, "YAML nesting too deep", "",
       kNet + "extra: " + std::string(3000, '[') + std::string(3000, ']') + "^\n"},
      {kLoader, "YAML syntax error: ", "", edit(kNet, {{"bias: 0.05}", "bias: [0.05^}"}})},
      // load_config on a file that is not there: `yaml` holds the missing file's name.
      {kLoader, "cannot open the config file (does it exist and is it readable?)", "", "", {}, "@missing"},

      // --- projection_reader.cpp: connectivity, weights, delays, plasticity
      {kProjection, "one_to_one needs equal sizes, got 3 and 4", "projections[0].connectivity",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: ^one_to_one,"}}), {}, "",
       "one_to_one needs equal sizes"},
      {kProjection, "one_to_one within one population would connect units to themselves", "projections[2].connectivity",
       with_recurrent("{from: h, to: h, connectivity: ^one_to_one}")},
      {kProjection, "expected `all_to_all`, `one_to_one`, `{random: p}`", "projections[0].connectivity",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: ^alltoall,"}}), {}, "",
       R"(m.fail(c, ckp, c_expected + ", got `" + kind)"},
      {kProjection, "expected a probability in [0, 1]", "projections[0].connectivity.random",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {random: ^1.5},"}})},
      {kProjection, "expected an in-degree between 0 and 3", "projections[0].connectivity.fixed_indegree",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {fixed_indegree: ^9},"}}), {}, "",
       "expected an in-degree between 0 and "},
      {kProjection, "expected a list of [pre, post, weight] triples", "projections[0].connectivity.explicit",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: ^5},"}})},
      {kProjection, "expected [pre, post, weight]", "projections[0].connectivity.explicit[0]",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: [^[0, 1]]},"}}), {}, "",
       R"("expected [pre, post, weight]")"},
      {kProjection, "pre index out of range [0, 3)", "projections[0].connectivity.explicit[0][0]",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: [[^5, 0, 0.1]]},"}}), {}, "",
       "pre index out of range [0, "},
      {kProjection, "post index out of range [0, 4)", "projections[0].connectivity.explicit[0][1]",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: [[0, ^9, 0.1]]},"}}), {}, "",
       "post index out of range [0, "},
      {kProjection, "self-connection (Eq. 6 has no self-coupling)", "projections[2].connectivity.explicit[0]",
       with_recurrent("{from: h, to: h, connectivity: {explicit: [^[1, 1, 0.1]]}}")},
      {kProjection, "expected a weight within +-1e6", "projections[0].connectivity.explicit[0][2]",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: [[0, 0, ^1e9]]},"}})},
      {kProjection, "synapse 0 -> 0 is listed twice (first at [0])", "projections[0].connectivity.explicit[1]",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {explicit: [[0, 0, 0.1], ^[0, 0, 0.2]]},"}}),
       {},
       "", R"(" is listed twice (first at [")"},
      {kProjection, "(did you mean `random`?)", "projections[0].connectivity.randm",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: {^randm: 0.5},"}}), {}, "",
       R"(m.fail(c.begin()->first, akp, c_expected + did_you_mean(kind)"},
      {kProjection, "expected `all_to_all`, `one_to_one`, `{random: p}`", "projections[0].connectivity",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, connectivity: ^[1],"}}), {}, "",
       "m.fail(c, ckp, c_expected);"},
      {kProjection, "expected a gain between 0 and 1e6", "projections[0].weights.glorot",
       edit(kNet, {{"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}", "{from: x, to: h, weights: {glorot: ^-1}"}})},
      {kProjection, "unknown weight initialiser `gaussian`", "projections[0].weights.gaussian",
       edit(kNet, {{"{from: x, to: h, weights: {uniform:", "{from: x, to: h, weights: {^gaussian:"}}), {}, "",
       R"("unknown weight initialiser `")"},
      {kProjection, "a fixed in-degree cannot hold in both directions", "projections[2].connectivity",
       with_recurrent("{from: h, to: h, connectivity: ^{fixed_indegree: 1}, symmetric: true}"), {}, "",
       "a fixed in-degree cannot hold in \""},
      {kProjection, "the pair 1 - 0 is already listed as [0]", "projections[2].connectivity.explicit[1]",
       with_recurrent("{from: h, to: h, connectivity: {explicit: [[0, 1, 0.1], ^[1, 0, 0.1]]}, symmetric: true}"), {},
       "",
       R"(" is already listed as [")"},
      {kProjection, "for per-synapse delays", "projections[0].delay",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, delay: ^{normal: [1 ms, 2 ms]},"}})},
      {kProjection, "expected low <= high", "projections[0].delay",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, delay: ^{uniform: [3 ms, 1 ms]},"}})},
      {kProjection, "per-synapse delays span at most 25.5 ms", "projections[0].delay",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, delay: ^{uniform: [1 ms, 30 ms]},"}})},
      {kProjection, "expected delays from 0.1 ms to 1 s", "projections[0].delay",
       edit(kNet, {{"{from: x, to: h,", "{from: x, to: h, delay: ^0.01 ms,"}})},
      {kProjection, "its rule must be symmetric: true", "projections[0].plasticity.symmetric",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, symmetric: ^false}}"}})},
      {kProjection, "expected [w_min, w_max]", "projections[0].plasticity.bounds",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, bounds: ^1}}"}})},
      {kProjection, "expected w_min <= w_max", "projections[0].plasticity.bounds",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, bounds: ^[1, 0]}}"}})},
      {kProjection, "expected bounds within +-1e6", "projections[0].plasticity.bounds",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, bounds: ^[-1e9, 1]}}"}})},
      {kProjection, "expected a list of phase names", "projections[0].plasticity.phases",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, phases: ^free}}"}})},
      {kProjection, "expected a phase name", "projections[0].plasticity.phases[0]",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, phases: [^[free]]}}"}}), {}, "",
       R"("expected a phase name")"},
      {kProjection, "a projection holds at most 2^32 - 1 (4294967295)", "projections[1].connectivity",
       edit(kNet, {{"size: 4,", "size: 100000000,"},
                   {"y: {role: output, size: 2}", "y: {role: output, size: 100000}"},
                   {"  - {from: h, to: y,", "  - ^{from: h, to: y,"}})},
      {kProjection, "expected a learning rate within +-1e6", "projections[0].plasticity.lr",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: ^1e9}}"}})},
      {kProjection, "expected a window > 0 and at most 1 s", "projections[0].plasticity.window",
       edit(kNet, {{"symmetric: true}", "symmetric: true, plasticity: {lr: 0.1, window: ^2 s}}"}})},
      {kProjection, "the weights come from a file, with their synapses: omit `connectivity`",
       "projections[0].connectivity",
       edit(kNet, {{"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                    "{from: x, to: h, connectivity: ^all_to_all, weights: {from_file: " + missing_h5 + "}"}})},
      {kProjection, "is not an HDF5 file", "projections[0].weights.from_file",
       edit(kNet, {{"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                    "{from: x, to: h, weights: {from_file: ^" + learning_data().small + "}"}}), {}, "",
       R"(wr.fail(wr.node()["from_file"], wkp + ".from_file", e.what());)"},
      // x -> h stored from 3 x 4 units: 2 inputs are too few.
      {kProjection, ") does not fit populations of 2 and 4 units: was the file made with another network?",
       "projections[0].weights.from_file",
       edit(kNet, {{"x: {role: input, size: 3}", "x: {role: input, size: 2}"},
                   {"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                    "{from: x, to: h, weights: {from_file: ^" + stored_runs().run + "}"}}), {}, "",
       R"(") does not fit populations of ")"},
      {kProjection, "stored synapse 0 is a self-connection", "projections[2].weights.from_file",
       with_recurrent("{from: h, to: h, weights: {from_file: ^" + stored_runs().self + "}}"), {}, "",
       R"(" is a self-connection")"},
      {kProjection, "stored synapse 0 has a weight beyond +-1e6 (or not a number)", "projections[0].weights.from_file",
       edit(kNet, {{"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                    "{from: x, to: h, weights: {from_file: ^" + stored_runs().big_weight + "}"}}), {}, "",
       R"(" has a weight beyond +-1e6)"},
      {kProjection, "the file lists the synapse 0 -> 1 twice", "projections[0].weights.from_file",
       edit(kNet, {{"{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                    "{from: x, to: h, weights: {from_file: ^" + stored_runs().twice + "}"}}), {}, "",
       R"("the file lists the synapse ")"},

      // --- backprop_config.cpp
      {kBackprop, "expected the output and at least one hidden layer", "experiment.layers",
       edit(kBackpropNet, {{"layers: [y, h]", "layers: ^[y]"}}), {}, "", "", true},
      {kBackprop, "expected the nudged output population first", "experiment.layers[0]",
       edit(kBackpropNet, {{"layers: [y, h]", "layers: ^[h, y]"}})},
      {kBackprop, "the backprop experiment settles with the continuous engine", "experiment.kind",
       edit(kBackpropNet,
       {{"populations:", "engine: {kind: spiking}\npopulations:"}, {"kind: backprop", "^kind: backprop"}})},
      {kBackprop, "expected protocol phases [settle (with `settle`), nudge (with a nudge on `y`)]", "experiment.kind",
       edit(kBackpropNet, {{" settle: {tol: 1.0e-9},", ""}, {"kind: backprop", "^kind: backprop"}}), {}, "",
       "expected protocol phases [settle (with `settle`), nudge (with a nudge on `"},
      {kBackprop, "expected a list of at least two eps values", "experiment.eps", kBackpropNet + "  eps: ^[0.1]\n"},
      {kBackprop, "expected 0 < eps <= 1", "experiment.eps[1]", kBackpropNet + "  eps: [0.1, ^2]\n"},
      {kBackprop, "expected 0 < eps <= 0.01 (the continuous-time limit)", "experiment.continuous_time.eps",
       edit(kBackpropNet, {{"{eps: 0.001}", "{eps: ^0.1}"}})},
      {kBackprop, "expected between 10 and 1e6 steps", "experiment.continuous_time.steps",
       edit(kBackpropNet, {{"{eps: 0.001}", "{eps: 0.001, steps: ^5}"}})},
      {kBackprop, "expected a list of rates", "experiment.spiking.r_max",
       edit(kBackpropNet, {{"r_max: [1 kHz]", "r_max: ^1 kHz"}})},
      {kBackprop, "expected r_max >= 0.001 Hz", "experiment.spiking.r_max",
       edit(kBackpropNet, {{"r_max: [1 kHz]", "r_max: [^0.0001 Hz]"}})},
      {kBackprop, "expected a list of noise levels, e.g. [0.5, 2]", "experiment.spiking.langevin_sigma",
       edit(kBackpropNet, {{"r_max: [1 kHz]", "r_max: [1 kHz], langevin_sigma: ^0.5"}})},
      {kBackprop, "expected 0 < sigma <= 1000", "experiment.spiking.langevin_sigma[1]",
       edit(kBackpropNet, {{"r_max: [1 kHz]", "r_max: [1 kHz], langevin_sigma: [0.5, ^0]"}})},
      {kBackprop, "expected between 1 and 1e7 branches", "experiment.spiking.branches",
       edit(kBackpropNet, {{"branches: 10", "branches: ^0"}})},
      {kBackprop, "expected settle >= 0", "experiment.spiking.settle",
       edit(kBackpropNet, {{"settle: 10 ms", "settle: ^-1 ms"}})},
      {kBackprop, "expected spacing > 0", "experiment.spiking.spacing",
       edit(kBackpropNet, {{"spacing: 20 ms", "spacing: ^0 ms"}})},
      {kBackprop, "expected window > 0", "experiment.spiking.window",
       edit(kBackpropNet, {{"window: 10 ms", "window: ^0 ms"}})},
      {kBackprop, "expected 0 < sample <= window", "experiment.spiking.sample",
       edit(kBackpropNet, {{"sample: 0.5 ms", "sample: ^20 ms"}})},
      {kBackprop, "expected 0 < report_at <= window", "experiment.spiking.report_at",
       edit(kBackpropNet, {{"report_at: 5 ms", "report_at: ^20 ms"}})},
      {kBackprop, "expected a multiple of `sample`", "experiment.spiking.report_at",
       edit(kBackpropNet, {{"report_at: 5 ms", "report_at: ^0.7 ms"}}), {}, "",
       R"(check(multiple_of_sample(e.report_at_ms), sp, "report_at")"},
      {kBackprop, "expected a multiple of `sample`", "experiment.spiking.window",
       edit(kBackpropNet, {{"window: 10 ms", "window: ^10.2 ms"}}), {}, "",
       R"(check(multiple_of_sample(e.window_ms), sp, "window")"},
      {kBackprop, "expected at most 1e6 samples per window", "experiment.spiking.sample",
       edit(kBackpropNet, {{"sample: 0.5 ms", "sample: ^0.001 us"}})},
      {kBackprop, "the spiking engine integrates exactly only the piecewise-linear hard_sigmoid",
       "experiment.spiking.r_max",
       edit(kBackpropNet, {{"tau: 10 ms}", "tau: 10 ms, rate: logistic}"}, {"spiking: {r_max", "spiking: ^{r_max"}})},

      // --- learning_config.cpp (data: three features, two classes)
      {kLearning, "the learning experiment needs model.rate: hard_sigmoid", "experiment.kind",
       edit(learn, {{"tau: 10 ms}", "tau: 10 ms, rate: logistic}"}, {"kind: learning", "^kind: learning"}})},
      {kLearning, "bad data file: ", "experiment.data.path",
       edit(learn, {{"path: " + learning_data().small, "path: ^" + learning_data().dir.file("missing.csv")}}), {}, "",
       "", true},
      {kLearning, "expected an input population (it is clamped to the features)", "experiment.data.input",
       edit(learn, {{"input: x", "input: ^h"}})},
      {kLearning, "expected an output population (it is nudged toward the targets)", "experiment.data.output",
       edit(learn, {{"output: y", "output: ^h"}})},
      {kLearning, "population `x` has 2 units but the data have 3 features per example", "experiment.data.input",
       edit(learn, {{"x: {role: input, size: 3}", "x: {role: input, size: 2}"}, {"input: x", "input: ^x"}}), {}, "",
       R"(" features per example")"},
      {kLearning, "population `y` has 3 units but the data have 2 classes (labels 0..1)", "experiment.data.output",
       edit(learn, {{"y: {role: output, size: 2}", "y: {role: output, size: 3}"}, {"output: y", "output: ^y"}}), {}, "",
       R"(" classes (labels 0..")"},
      {kLearning, "expected feature_max > 0", "experiment.data.feature_max",
       edit(learn, {{"output: y}", "output: y, feature_max: ^0}"}})},
      {kLearning, "outside [0, feature_max]", "experiment.data.feature_max",
       edit(learn, {{"output: y}", "output: y, feature_max: ^2}"}})},
      {kLearning, "expected 0 < test_fraction <= 0.5", "experiment.data.test_fraction",
       edit(learn, {{"output: y}", "output: y, test_fraction: ^0.9}"}})},
      {kLearning, "expected 0 (all) or a number of examples up to the data set's size",
       "experiment.data.train_examples",
       edit(learn, {{"output: y}", "output: y, train_examples: ^3}"}}), {}, "", "check(n_train >= 0"},
      {kLearning, "expected 0 (all) or a number of examples up to the data set's size", "experiment.data.test_examples",
       edit(learn, {{"output: y}", "output: y, test_examples: ^-1}"}}), {}, "", "check(n_test >= 0"},
      {kLearning, "expected 1 to 1e5 epochs", "experiment.epochs", learn + "  epochs: ^0\n"},
      {kLearning, "expected a batch of 1 (online) or more examples", "experiment.batch", learn + "  batch: ^0\n"},
      {kLearning, "expected epochs x examples < 2^31", "experiment.epochs", learn_big + "  epochs: ^100000\n"},
      {kLearning, "expected 0 < lr_decay <= 1", "experiment.lr_decay", learn + "  lr_decay: ^2\n"},
      {kLearning, "expected target rates 0 <= off < on <= 1", "experiment.target_rates.on",
       learn + "  target_rates: {on: ^0.1, off: 0.5}\n"},
      {kLearning, "expected 0 to 1e6 examples", "experiment.alignment_examples", learn + "  alignment_examples: ^-1\n"},
      {kLearning, "expected a learning rate > 0", "experiment.baseline.lr", learn + "  baseline: {lr: ^0}\n"},
      {kLearning, "persistent free-phase states need engine.kind: continuous", "experiment.persistent",
       edit(learn, {{"kind: continuous", "kind: spiking"}}) + "  persistent: ^true\n"},
      {kLearning, "a run with persistent free-phase states cannot be resumed (the file does not hold them)",
       "experiment.resume", learn + "  persistent: true\n  resume: ^" + missing_h5 + "\n"},
      {kLearning, "no such file", "experiment.resume", learn + "  resume: ^" + missing_h5 + "\n", {}, "",
       R"(m.fail(at, m.key_path("resume"), err.what());)"},
      {kLearning, "` trained no epoch", "experiment.resume", learn + "  resume: ^" + stored_runs().no_epoch + "\n"},
      {kLearning, "` has no `/training/checkpoint`: resume from a complete learning run's file", "experiment.resume",
       learn + "  resume: ^" + stored_runs().no_checkpoint + "\n", {}, "", R"("` has no `" + name + "`: resume from)"},
      {kLearning, "` has trained 1 epochs already: set epochs above that to continue", "experiment.epochs",
       learn + "  epochs: ^1\n  resume: " + stored_runs().learn + "\n", {}, "", R"(" epochs already: set epochs above)"},
      {kLearning, "expected a layered network: `x` projects to both `h` and `y`", "experiment.kind",
       edit(learn,
       {{"protocol:", "  - {from: x, to: y, symmetric: true}\nprotocol:"}, {"kind: learning", "^kind: learning"}}),
       {}, "", R"("` projects to both `")"},
      {kLearning, "expected a chain of projections from `x` to `y`; it stops at `h`", "experiment.kind",
       edit(learn,
       {{"  - {from: h, to: y, weights: {glorot: 1}, symmetric: true, plasticity: {lr: 0.05, phases: [nudge]}}\n",
                     ""},
                    {"kind: learning", "^kind: learning"}}),
       {}, "", "expected a chain of projections from `"},
      {kLearning, "projection `h->x` goes back to `x`", "experiment.kind",
       edit(learn, {{"{from: h, to: y,", "{from: h, to: x,"}, {"kind: learning", "^kind: learning"}}), {}, "",
       R"("` goes back to `")"},
      {kLearning, "projection `x->h` must be `symmetric: true`", "experiment.kind",
       edit(learn,
       {{"{glorot: 1}, symmetric: true, plasticity: {lr: 0.1", "{glorot: 1}, symmetric: false, plasticity: {lr: 0.1"},
                    {"kind: learning", "^kind: learning"}}),
       {}, "", R"("` must be `symmetric: true`)"},
      {kLearning, "projection `y->h` is not part of the chain from `x` to `y`", "experiment.kind",
       edit(learn,
       {{"protocol:", "  - {from: y, to: h, symmetric: true}\nprotocol:"}, {"kind: learning", "^kind: learning"}}),
       {}, "", R"("` is not part of the chain from `")"},
      {kLearning, "population `h` between the input and the output must be hidden", "experiment.kind",
       edit(learn, {{"h: {role: hidden", "h: {role: output"}, {"kind: learning", "^kind: learning"}}), {}, "",
       R"("` between the input and the output must be hidden")"},
      {kLearning, "expected protocol phases [free, nudge (with a nudge on `y`), ...]", "experiment.kind",
       edit(learn, {{", nudge: {y: {target: 0, beta: 1}}", ""}, {"kind: learning", "^kind: learning"}}), {}, "",
       "expected protocol phases [free, nudge (with a nudge on `"},
      {kLearning, "the continuous engine's free phase (protocol phase 0) must settle", "experiment.kind",
       edit(learn, {{" settle: {tol: 1.0e-4},", ""}, {"kind: learning", "^kind: learning"}})},
      {kLearning, "expected 0 (the free phase's duration) or a duration", "experiment.evaluation_free",
       learn + "  evaluation_free: ^-1 ms\n"},
      {kLearning, "expected 0 < readout <= the evaluation's free phase", "experiment.readout",
       edit(learn, {{"kind: continuous", "kind: spiking"}}) + "  readout: ^3 s\n"},
      {kLearning, "projection `x->h` learns in the free phase `free`", "experiment.kind",
       edit(learn, {{"lr: 0.1, phases: [nudge]", "lr: 0.1, phases: [free]"}, {"kind: learning", "^kind: learning"}}),
       {}, "",
       R"("` learns in the free phase `")"},

      // --- plastic_pair_config.cpp (the STDP window and saturation experiments' pre -> post pair)
      {kPair, "expected an input population of one unit", "experiment.pre", edit(kPairNet, {{"pre: x", "pre: ^h"}}),
       {}, "",
       R"(m.fail(m.node()["pre"], m.key_path("pre"),)"},
      {kPair, "expected a hidden or output population of one unit", "experiment.post",
       edit(kPairNet, {{"post: h", "post: ^x"}})},
      {kPair, "expected the name of a projection from `x` to `h`", "experiment.projection",
       edit(kPairNet, {{"kind: stdp_window", "^kind: stdp_window"}}) + "  projection: nope\n", {}, "",
       R"("expected the name of a projection from `")", true},
      {kPair, "projection `x->h` has no plasticity", "experiment.projection",
       edit(kPairNet, {{", plasticity: {lr: 0.01}", ""}, {"kind: stdp_window", "^kind: stdp_window"}}), {}, "",
       R"("` has no plasticity")"},
      {kPair, "this experiment needs engine.kind: spiking", "experiment.kind",
       edit(kPairNet, {{"kind: spiking", "kind: continuous"}, {"kind: stdp_window", "^kind: stdp_window"}})},

      // --- saturation_config.cpp
      {kSaturation, "expected at least two clamp values for the presynaptic population", "experiment.drives",
       kSaturationNet + "  drives: ^[0.5]\n"},
      {kSaturation, "expected a pulse > 1", "experiment.pulse", kSaturationNet + "  pulse: ^1\n"},
      {kSaturation, "expected settle >= 0", "experiment.settle", kSaturationNet + "  settle: ^-1 ms\n"},
      {kSaturation, "expected 2 to 1e5 trials", "experiment.trials", kSaturationNet + "  trials: ^1\n"},

      // --- stdp_window_config.cpp
      {kStdp, "expected from <= to and step > 0", "experiment.offsets.step", kPairNet + "  offsets: {step: ^0 ms}\n"},
      {kStdp, "expected at most 1e5 offsets from `from` to `to`", "experiment.offsets.step",
       kPairNet + "  offsets: {step: ^1 us}\n"},
      {kStdp, "expected 1 to 1e5 pairings", "experiment.pairings", kPairNet + "  pairings: ^0\n"},
      {kStdp, "expected 2 to 1e5 trials (the confidence intervals need two)", "experiment.trials",
       kPairNet + "  trials: ^1\n"},
      {kStdp, "expected a spacing longer than twice the largest offset plus the plasticity window",
       "experiment.spacing",
       kPairNet + "  spacing: ^100 ms\n"},

      // --- stdp_statistics_config.cpp (the pair as above; defaults: sample 0.25 ms, bin 2 ms, span 100 ms)
      {kStats, "expected 2 to 1e5 trials (the confidence intervals need two)", "experiment.trials",
       kStatsNet + "  trials: ^1\n"},
      {kStats, "expected a sampling step of at least 0.01 ms", "experiment.sample", kStatsNet + "  sample: ^0.001 ms\n"},
      {kStats, "expected a multiple of `sample`", "experiment.bin", kStatsNet + "  bin: ^0.3 ms\n"},
      {kStats, "expected a multiple of `bin`, at most 1e4 bins", "experiment.span", kStatsNet + "  span: ^3 ms\n"},
      {kStats, "expected a non-negative warm-up", "experiment.warmup", kStatsNet + "  warmup: ^-1 ms\n"},
      {kStats, "expected a trial longer than the warm-up plus four times (span + delay + window)", "experiment.duration",
       kStatsNet + "  duration: ^100 ms\n"},
      {kStats, "expected the projection's delay and the plasticity window to be multiples of `sample`",
       "experiment.sample", edit(kStatsNet, {{"weights: 0.1,", "weights: 0.1, delay: 1.1 ms,"}}) + "  sample: ^0.25 ms\n"},
      {kStats, "expected one delay for the plastic projection (no delay range)", "experiment.projection",
       edit(kStatsNet, {{"weights: 0.1,", "weights: 0.1, delay: {uniform: [1 ms, 2 ms]},"},
                        {"kind: stdp_statistics", "^kind: stdp_statistics"}})},
  };
  // clang-format on
}

// One line of `text` with a caret under `column`, for messages.
std::string show(const std::string& text, const std::string& location) {
  const std::regex at(R"(:(\d+):(\d+)$)");
  std::smatch m;
  if (!std::regex_search(location, m, at)) return "";
  const int line = std::stoi(m[1]), column = std::stoi(m[2]);
  std::istringstream in(text);
  std::string l;
  for (int k = 0; k < line && std::getline(in, l); ++k) {
  }
  if (l.size() > 200) return "(line " + std::to_string(line) + ": long)";
  return l + "\n" + std::string(std::max(0, column - 1), ' ') + "^";
}

std::string row_name(const Row& row) { return row.file + ": " + row.message; }

// The error a row raises, loaded in-process.
std::optional<ConfigError> load_error(const Row& row, const std::string& yaml) {
  try {
    if (row.where == "@missing")
      test::config_file(learning_data().dir.file("no-such-config.yaml"), row.set);
    else
      test::config_from(yaml, row.set);
  } catch (const ConfigError& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("every config error site: located at file:line:column, with its key path and message") {
  for (const Row& row : rows()) {
    const auto [yaml, marked_at] = split_marker(row.yaml, "test.yaml");
    std::string expected_at = marked_at.empty() ? row.where : marked_at;
    if (row.where == "@missing") expected_at = learning_data().dir.file("no-such-config.yaml");
    CAPTURE(row_name(row));
    const std::optional<ConfigError> error = load_error(row, yaml);
    REQUIRE_MESSAGE(error.has_value(), "the config loaded without an error");
    const std::string shown = error->what();
    CAPTURE(shown);
    CHECK_MESSAGE(error->location() == expected_at, "points at\n", show(yaml, error->location()), "\ninstead of\n",
                  show(yaml, expected_at));
    CHECK(error->key_path() == row.key_path);
    CHECK(error->message().find(row.message) != std::string::npos);
    // What the user reads: "location: key.path: message".
    CHECK(shown.rfind(expected_at + ": " + (row.key_path.empty() ? "" : row.key_path + ": "), 0) == 0);
  }
}

TEST_CASE("config errors through `ebsim run`: exit 2, the same located message, nothing written") {
  int rows_run = 0;
  for (const Row& row : rows()) {
    if (!row.cli) continue;
    ++rows_run;
    CAPTURE(row_name(row));
    const auto [yaml, marked_at] = split_marker(row.yaml, "cfg.yaml");
    test::TempDir dir;
    const std::string cfg = dir.file("cfg.yaml"), out = dir.file("out.h5");
    test::write_file(cfg, yaml);
    std::vector<std::string> args{"ebsim", "run", cfg, "-o", out, "--quiet"};
    for (const std::string& s : row.set) args.insert(args.end(), {"--set", s});
    const test::CliOutcome o = test::run_cli(args);
    CAPTURE(o.err);
    CHECK(o.code == 2);
    const std::string at =
        marked_at.empty() ? (row.where == "test.yaml" ? cfg : row.where) : (dir.path() / marked_at).string();
    CHECK(o.err.find(at + ": " + (row.key_path.empty() ? "" : row.key_path + ": ")) != std::string::npos);
    CHECK(o.err.find(row.message) != std::string::npos);
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) left.push_back(entry.path().filename());
    CHECK(left == std::vector<std::string>{"cfg.yaml"});
  }
  CHECK(rows_run >= 8);
}

// --- The rows cover every site -------------------------------------------------------------------

namespace {

// Lines that match the site pattern but raise nothing of their own: definitions of the helpers, and
// the helpers' bodies that pass a caller's message on (each caller is a site with a row).
const std::set<std::pair<std::string, std::string>> kNotSites{
    {kReader,
     "void MapReader::fail(const YAML::Node& at, const std::string& key_path, const std::string& msg) const {"},
    {kReader, "throw ConfigError(ctx_.locate(at, key_path), key_path, msg);"},
    {kReader, "void check(bool ok, const MapReader& r, const std::string& key, const std::string& expected) {"},
    {kReader, "if (!ok) r.fail(r.node()[key], r.key_path(key), expected);"},
    {kReader, "if (!q.value) fail(n, kp, q.error);"},  // parse_quantity's messages: the quantity.cpp rows
    {kLoader, "throw ConfigError(ctx.locate(at, kp), kp, msg);"},
};

// Sites no in-process row reaches, each with the reason.
const std::map<std::pair<std::string, std::string>, std::string> kUnreachable{
    {{kLoader, R"(throw ConfigError(located(name, e.mark), "", "unexpected YAML structure: " + e.msg);)"},
     "the net under the section readers (they check a node's kind before converting it): no known input reaches it; "
     "the fuzzer (scripts/fuzz.sh) would keep one in tests/fuzz/regressions"},
    // 65536 entries take 2 s (populations) and 0.6 s (projections) to load in a release build, several
    // times that under ASan: too slow for the suite, for a check of a count against a constant.
    {{kLoader,
      R"(top.fail(pops, "populations", "expected at most 65535 populations, got " + std::to_string(cfg.populations.size()));)"},
     "65536 populations take 2 s to load"},
    {{kLoader,
      R"(top.fail(projs, "projections", "expected at most 65535 projections, got " + std::to_string(projs.size()));)"},
     "65536 projections take 0.6 s to load"},
    {{kOverrides, R"(m.fail(sw, "sweep", "expected `grid:` or `zip:` with key paths to sweep, or `replicates: N`");)"},
     "a structured sweep names a form, and each form that passes its own check adds an axis (`grid`, `zip`: "
     "non-empty) or a seed (`replicates` >= 1, `seeds` non-empty): no input reaches it"},
};

struct Site {
  std::string file;
  int line;
  std::string text;  // trimmed
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// The loader's sources: sim/io and sim/experiments (`ebsim info`'s own failures are not config errors).
std::vector<std::string> loader_sources() {
  std::vector<std::string> files;
  for (const std::string dir : {"sim/io", "sim/experiments"})
    for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() + "/" + dir))
      if (entry.path().extension() == ".cpp" && entry.path().filename() != "info.cpp")
        files.push_back(dir + "/" + entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

// A line raises a config error with a message of its own when it calls fail( or check(, throws a
// ConfigError, or returns parse_quantity's error.
std::vector<Site> error_sites() {
  const std::regex site(R"((\bfail\(|\bcheck\(|throw ConfigError\(|return \{std::nullopt, ))");
  std::vector<Site> sites;
  for (const std::string& file : loader_sources()) {
    const auto lines = read_lines(test::source_dir() + "/" + file);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string t = trim(lines[i]);
      if (t.rfind("//", 0) == 0 || !std::regex_search(t, site) || kNotSites.count({file, t})) continue;
      sites.push_back({file, int(i) + 1, t});
    }
  }
  return sites;
}

}  // namespace

TEST_CASE("every error site in the loader's sources has a row in the table above") {
  const std::vector<Site> sites = error_sites();
  REQUIRE(sites.size() > 150);  // the scan found the sources
  std::set<std::pair<std::string, int>> covered;
  for (const Row& row : rows()) {
    const std::string needle = row.site.empty() ? row.message : row.site;
    CAPTURE(row_name(row));
    CAPTURE(needle);
    const auto lines = read_lines(test::source_dir() + "/" + row.file);
    int found_line = 0, found = 0;
    for (std::size_t i = 0; i < lines.size(); ++i)
      for (auto p = lines[i].find(needle); p != std::string::npos; p = lines[i].find(needle, p + 1))
        ++found, found_line = int(i) + 1;
    CHECK_MESSAGE(found == 1, "the row's site text must occur exactly once in ", row.file, " (found ", found,
                  " times): give the row a `site` text from the statement that raises it");
    if (found != 1) continue;
    // The site is the statement holding the text: the last site line at or before it, within a
    // few lines (a statement clang-format spreads over several lines).
    const Site* best = nullptr;
    for (const Site& s : sites)
      if (s.file == row.file && s.line <= found_line && found_line - s.line <= 4) best = &s;
    CHECK_MESSAGE(best != nullptr, "no error site at or just before ", row.file, ":", found_line);
    if (!best) continue;
    covered.insert({best->file, best->line});
  }
  std::string missing;
  int exempt = 0;
  for (const Site& s : sites) {
    if (covered.count({s.file, s.line})) continue;
    if (kUnreachable.count({s.file, s.text})) {
      ++exempt;
      continue;
    }
    missing += "\n  " + s.file + ":" + std::to_string(s.line) + ": " + s.text;
  }
  CHECK_MESSAGE(missing.empty(),
                "config error sites without a row in tests/sim/io/test_config_errors.cpp (add a row "
                "whose config raises the error; or, for a line that only passes a caller's message "
                "on, add it to kNotSites):",
                missing);
  CHECK(exempt == int(kUnreachable.size()));  // an exemption whose line changed is stale
  MESSAGE(sites.size(), " error sites: ", covered.size(), " covered by rows, ", exempt, " exempt");
}
