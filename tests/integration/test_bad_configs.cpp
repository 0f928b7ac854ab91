// Bad input gets a clear error (file, line, column, key path, what was expected), exit code 2,
// and nothing is run or written.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "sim/cli/cli.hpp"
#include "tests/sim/experiments/learning_support.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

using Outcome = test::CliOutcome;
using test::write_file;
const auto run = test::run_cli;

// Writes `yaml` as cfg.yaml, runs `ebsim run` into out.h5, and checks the message and that no file
// (final or partial) appeared.
void expect_rejected(const std::string& yaml, const std::vector<std::string>& must_contain,
                     const std::vector<std::string>& extra_args = {}) {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml"), out = dir.file("out.h5");
  write_file(cfg, yaml);
  std::vector<std::string> args{"ebsim", "run", cfg, "-o", out, "--quiet"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const Outcome o = run(args);
  CAPTURE(o.err);
  CHECK(o.code == 2);
  for (const std::string& s : must_contain) CHECK(o.err.find(s) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK_FALSE(std::filesystem::exists(out + ".partial"));
  // `ebsim check` rejects the same config the same way (unless the problem is the output).
  if (extra_args.empty()) CHECK(run({"ebsim", "check", cfg}).code == 2);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

const std::string kNet = test::kSmallNet;

}  // namespace

TEST_CASE("bad YAML syntax names the line and column") {
  expect_rejected(replace(kNet, "h: {role: hidden, size: 4, bias: 0.05}", "h: {role: hidden, size: 4, bias: [0.05}"),
                  {"cfg.yaml:", "YAML syntax error"});
}

TEST_CASE("an unknown key is rejected with a did-you-mean suggestion") {
  expect_rejected(replace(kNet, "model: {beta1: -0.5, tau: 10 ms}", "model: {beta1: -0.5, tua: 10 ms}"),
                  {"cfg.yaml:3:", "model.tua", "unknown key `tua`", "did you mean `tau`"});
}

TEST_CASE("a missing unit is rejected") {
  expect_rejected(replace(kNet, "tau: 10 ms", "tau: 10"), {"cfg.yaml:3:", "model.tau", "missing unit"});
}

TEST_CASE("a wrong unit is rejected") {
  expect_rejected(replace(kNet, "tau: 10 ms", "tau: 10 Hz"), {"model.tau", "wrong unit `Hz`"});
}

TEST_CASE("beta1 >= 0 is rejected, citing Eq. 7") {
  expect_rejected(replace(kNet, "beta1: -0.5", "beta1: 0.2"), {"cfg.yaml:3:", "model.beta1", "beta1 < 0 < beta2"});
}

TEST_CASE("a negative population size is rejected") {
  expect_rejected(replace(kNet, "size: 4", "size: -4"), {"cfg.yaml:7:", "populations.h.size", "between 1 and"});
}

TEST_CASE("a reference to a population that does not exist is rejected") {
  expect_rejected(replace(kNet, "{from: h, to: y,", "{from: hh, to: y,"),
                  {"cfg.yaml:11:", "projections[1].from", "unknown population `hh`", "did you mean `h`"});
}

TEST_CASE("a non-numeric value is rejected") {
  expect_rejected(replace(kNet, "bias: 0.05", "bias: lots"), {"populations.h.bias", "expected a number"});
}

TEST_CASE("a duplicate key is rejected, not silently dropped") {
  expect_rejected(kNet + "record: {weights: false}\n", {"cfg.yaml:", "record", "duplicate key `record`"});
}

TEST_CASE("an empty file is rejected") { expect_rejected("", {"cfg.yaml", "empty"}); }

TEST_CASE("a missing config file is rejected") {
  test::TempDir dir;
  const Outcome o = run({"ebsim", "run", dir.file("nope.yaml"), "-o", dir.file("out.h5")});
  CHECK(o.code == 2);
  CHECK(o.err.find("nope.yaml: cannot open the config file") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.h5")));
}

TEST_CASE("an output directory that does not exist or is not writable is rejected before running") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, kNet);
  Outcome o = run({"ebsim", "run", cfg, "-o", dir.file("missing/out.h5")});
  CHECK(o.code == 2);
  CHECK(o.err.find("does not exist") != std::string::npos);
  const std::filesystem::path ro = dir.path() / "readonly";
  std::filesystem::create_directory(ro);
  std::filesystem::permissions(ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  std::string target = (ro / "out.h5").string();
  if (::access(ro.c_str(), W_OK) == 0) {
    // Root writes anywhere it has permission bits for; /proc/sys is read-only for everybody where
    // it is mounted so (containers, CI). Skip the check where even that is writable.
    if (::access("/proc/sys", W_OK) == 0) {
      MESSAGE("cannot make a directory this user cannot write: not-writable check skipped");
      return;
    }
    target = "/proc/sys/ebsim-out.h5";
  }
  o = run({"ebsim", "run", cfg, "-o", target});
  CHECK(o.code == 2);
  CHECK(o.err.find("not writable") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK(std::filesystem::is_empty(ro));
}

TEST_CASE("an existing output is never overwritten without --force") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml"), out = dir.file("out.h5");
  write_file(cfg, kNet);
  write_file(out, "precious results");
  const Outcome o = run({"ebsim", "run", cfg, "-o", out, "--quiet"});
  CHECK(o.code == 2);
  CHECK(o.err.find("already exists (use --force") != std::string::npos);
  std::ifstream in(out);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  CHECK(content == "precious results");
  CHECK(run({"ebsim", "run", cfg, "-o", out, "--quiet", "--force"}).code == 0);
  CHECK(std::filesystem::file_size(out) > 1000);
}

TEST_CASE("more bad configs: out-of-range values, bad --set, a missing section") {
  expect_rejected(replace(kNet, "dt: 0.1 ms", "dt: 20 ms"), {"engine.dt", "0 < dt <= tau"});
  expect_rejected(replace(kNet, "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                          "{from: x, to: h, weights: {gaussian: [-0.4, 0.4]}"),
                  {"projections[0].weights.gaussian", "unknown weight initialiser"});
  expect_rejected(kNet, {"--set model.tau=fast", "model.tau"}, {"--set", "model.tau=fast"});
  expect_rejected(replace(kNet, "protocol:", "protocl:"), {"missing required key `protocol`"});
  expect_rejected(replace(kNet, "{from: h, to: y,", "{from: h, to: y, connectivity: {random: 1.5},"),
                  {"projections[1].connectivity.random", "probability in [0, 1]"});
}

// Validation of what the engines rely on: every value converted, counted and named is checked
// before anything runs, and every failure is a located error, never a crash or a run that cannot end.

TEST_CASE("a time that overflows when converted to ms is out of range, not a multiple of dt") {
  expect_rejected(replace(kNet, "duration: 2000 ms", "duration: 1e308 s"),
                  {"cfg.yaml:14:", "protocol.phases[0].duration", "out of range"});
  // The spiking engine has no dt to trip over: it used to run for ever.
  expect_rejected(replace(replace(kNet, "duration: 2000 ms", "duration: 1e308 s"), "kind: continuous", "kind: spiking"),
                  {"cfg.yaml:14:", "protocol.phases[0].duration", "out of range"});
  // Finite, but longer than a trial may last.
  expect_rejected(replace(replace(kNet, "duration: 2000 ms", "duration: 1e7 s"), "kind: continuous", "kind: spiking"),
                  {"cfg.yaml:14:", "protocol.phases[0].duration", "out of range"});
}

TEST_CASE("delays must be finite and at most 1 s: a delay of 1e308 s never delivers a spike") {
  const std::string spiking = replace(kNet, "kind: continuous", "kind: spiking");
  expect_rejected(replace(spiking, "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                          "{from: x, to: h, delay: 1e308 s, weights: {uniform: [-0.4, 0.4]}"),
                  {"cfg.yaml:10:", "projections[0].delay", "out of range"});
  expect_rejected(replace(spiking, "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                          "{from: x, to: h, delay: 10 s, weights: {uniform: [-0.4, 0.4]}"),
                  {"cfg.yaml:10:", "projections[0].delay", "from 0.1 ms to 1 s"});
}

TEST_CASE("rates and time constants that would overflow the spiking kick are rejected") {
  expect_rejected(replace(kNet, "tau: 10 ms", "tau: 10 ms, r_max: 1e-300 Hz"),
                  {"cfg.yaml:3:", "model.r_max", ">= 0.001 Hz"});
  expect_rejected(replace(kNet, "tau: 10 ms", "tau: 1e-300 ms"), {"cfg.yaml:3:", "model.tau", ">= 1 us"});
  expect_rejected(replace(kNet, "tau: 10 ms", "tau: 10 ms, r_max: 1e300 Hz"),
                  {"cfg.yaml:3:", "model.r_max", "out of range"});
}

TEST_CASE("trials: 4294967296 is a located error, not a wrap to 0 trials") {
  expect_rejected(replace(kNet, "protocol:", "protocol:\n  trials: 4294967296"),
                  {"cfg.yaml:13:", "protocol.trials", "expected 1 to 1e6 trials"});
}

TEST_CASE("a population defined twice is rejected by check, not by HDF5 halfway through a run") {
  expect_rejected(
      replace(kNet, "  y: {role: output, size: 2}", "  y: {role: output, size: 2}\n  h: {role: hidden, size: 3}"),
      {"cfg.yaml:9:", "populations.h", "duplicate key `h`"});
}

TEST_CASE("population, projection and phase names that cannot name an HDF5 group are rejected") {
  for (const char* name : {"\"\"", "\".\"", "a/b"}) {
    CAPTURE(name);
    expect_rejected(replace(kNet, "  y: {role: output, size: 2}",
                            std::string("  y: {role: output, size: 2}\n  ") + name + ": {role: hidden, size: 3}"),
                    {"cfg.yaml:9:", "cannot name a group"});
  }
  expect_rejected(replace(kNet, "{from: h, to: y,", "{from: h, to: y, name: h/y,"),
                  {"cfg.yaml:11:", "projections[1].name", "cannot name a group"});
  expect_rejected(replace(kNet, "{name: free,", "{name: ..,"),
                  {"cfg.yaml:14:", "protocol.phases[0].name", "cannot name a group"});
  expect_rejected(
      replace(
          kNet, "    - {name: free, duration: 2000 ms, clamp: {x: [0.3, -0.2, 0.1]}}",
          "    - {name: free, duration: 2000 ms, clamp: {x: [0.3, -0.2, 0.1]}}\n    - {name: free, duration: 10 ms}"),
      {"cfg.yaml:15:", "protocol.phases[1].name", "duplicate phase name `free`"});
}

TEST_CASE("a second YAML document in the file is an error at the document, not ignored") {
  expect_rejected(kNet + "---\nseed: 6\n", {"cfg.yaml:17:1:", "second YAML document"});
}

TEST_CASE("a complex YAML key is a located error, not an abort") {
  expect_rejected(replace(kNet, "model: {beta1: -0.5, tau: 10 ms}", "model: {beta1: -0.5, tau: 10 ms, ? [tau, x] : 1}"),
                  {"cfg.yaml:3:", "model", "expected a plain name as the key"});
  expect_rejected(replace(kNet, "populations:\n", "populations:\n  ? [a, b]\n  : {role: hidden, size: 1}\n"),
                  {"cfg.yaml:6:", "populations", "expected a plain name as the key"});
  expect_rejected(replace(kNet, "weights: {uniform: [-0.4, 0.4]}, symmetric: true}\n  - {from: h",
                          "weights: {? [uniform] : [-0.4, 0.4]}, symmetric: true}\n  - {from: h"),
                  {"cfg.yaml:10:", "projections[0].weights", "expected a plain name as the key"});
}

TEST_CASE("YAML nested deeper than yaml-cpp allows is reported as such") {
  expect_rejected(kNet + "extra: " + std::string(3000, '[') + std::string(3000, ']') + "\n",
                  {"cfg.yaml:", "nesting too deep"});
}

TEST_CASE("--set that creates a sweep gives each sweep point the value, not the sweep again") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, kNet);
  std::ostringstream out, err;
  CHECK(cli::main({"ebsim", "check", cfg, "--set", "sweep={model.tau: [1 ms, 2 ms]}"}, out, err) == 0);
  CAPTURE(err.str());
  CHECK(out.str().find(": OK") != std::string::npos);
  const Config loaded = test::config_file(cfg, {"sweep={model.tau: [1 ms, 2 ms]}"});
  REQUIRE(loaded.sweep_points.size() == 2);
  CHECK(loaded.sweep_points[0].model.tau_ms == 1.0);
  CHECK(loaded.sweep_points[1].model.tau_ms == 2.0);
  CHECK_FALSE(loaded.sweep_points[0].sweep);
}

TEST_CASE("sizes beyond the engines' 32-bit indices are rejected before anything is built") {
  std::string many = kNet;
  for (int k = 0; k < 11; ++k)
    many = replace(many, "  y: {role: output, size: 2}",
                   "  y: {role: output, size: 2}\n  big" + std::to_string(k) + ": {role: hidden, size: 100000000}");
  expect_rejected(many, {"cfg.yaml:", "populations.big", "1e9 units"});
  const std::string huge =
      replace(replace(kNet, "h: {role: hidden, size: 4, bias: 0.05}", "h: {role: hidden, size: 100000000, bias: 0.05}"),
              "y: {role: output, size: 2}", "y: {role: output, size: 100000}");
  expect_rejected(huge, {"cfg.yaml:11:", "projections[1].connectivity", "at most 2^32 - 1"});
}

TEST_CASE("numbers and weights beyond +-1e6 are rejected: sums and float weights stay finite") {
  expect_rejected(replace(kNet, "bias: 0.05", "bias: 1e300"), {"cfg.yaml:7:", "populations.h.bias", "within +-1e6"});
  expect_rejected(replace(kNet, "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}",
                          "{from: x, to: h, weights: {normal: [0, 1e300]}"),
                  {"cfg.yaml:10:", "projections[0].weights.normal[1]", "within +-1e6"});
  expect_rejected(
      replace(kNet, "{from: x, to: h, weights: {uniform: [-0.4, 0.4]}", "{from: x, to: h, weights: {glorot: 1e300}"),
      {"cfg.yaml:10:", "projections[0].weights.glorot", "between 0 and 1e6"});
}

TEST_CASE("a learning data path that is a device is rejected instead of read for ever") {
  test::TempDir dir;
  const std::string cfg = dir.file("learn.yaml");
  write_file(cfg, test::learning_yaml("/dev/zero", 2, 3, 2));
  std::ostringstream out, err;
  CHECK(cli::main({"ebsim", "check", cfg}, out, err) == 2);
  CHECK(err.str().find("experiment.data.path") != std::string::npos);
  CHECK(err.str().find("not a regular file") != std::string::npos);
}

TEST_CASE("an STDP window experiment with more offsets than it can hold is rejected at load") {
  const std::string yaml = std::string(R"(
seed: 1
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 1}
projections:
  - {from: x, to: h, weights: 0.1, delay: 1 ms, plasticity: {lr: 0.01, window: 10 ms, symmetric: false}}
protocol:
  phases:
    - {name: run, duration: 10 ms, clamp: {x: 0}}
experiment:
  kind: stdp_window
  pre: x
  post: h
  offsets: {from: -1000 s, to: 1000 s, step: 1 us}
  spacing: 5000 s
)");
  expect_rejected(yaml, {"cfg.yaml:17:", "experiment.offsets.step", "at most 1e5 offsets"});
}

TEST_CASE("a statistical STDP window whose delay is off the sampling grid, or too short a trial, is rejected") {
  // The prediction combines the spike-triggered average's bins at d - dt and d + T - dt: d and T
  // must be multiples of `sample`.
  const std::string net = R"(
seed: 1
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 2}
  h: {role: hidden, size: 1}
projections:
  - {from: x, to: h, weights: 0.1, delay: 1.1 ms, plasticity: {lr: 0.01, window: 10 ms, symmetric: false}}
protocol:
  phases:
    - {name: run, duration: 10 ms, clamp: {x: 0}}
experiment:
  kind: stdp_statistics
  pre: x
  post: h
)";
  expect_rejected(net + "  sample: 0.25 ms\n", {"cfg.yaml:", "experiment.sample", "multiples of `sample`"});
  expect_rejected(net + "  sample: 0.1 ms\n  duration: 300 ms\n", {"experiment.duration", "longer than the warm-up"});
}

TEST_CASE("a lone `,` (on which yaml-cpp's multi-document loader never ends) is an error, at once") {
  // Found by the fuzzer: the parser hands back the same empty document for ever.
  expect_rejected(",\n", {"cfg.yaml", "empty"});
  expect_rejected(kNet + "---\n,\n", {"cfg.yaml:17:1:", "second YAML document"});
}

TEST_CASE("issue 13: bad sweeps are located errors, and nothing is run or written") {
  // A grid key that does not exist: at the key, with its key path.
  expect_rejected(kNet + "sweep:\n  grid: {model.tau: [1 ms, 2 ms], model.r_mx: [1 Hz]}\n",
                  {"cfg.yaml:18:35", "sweep.grid.model.r_mx", "unknown key `r_mx`"});
  // A bad value: at the value.
  expect_rejected(kNet + "sweep:\n  grid: {model.tau: [1 ms, 2]}\n",
                  {"cfg.yaml:18:28", "sweep.grid.model.tau[1]", "missing unit"});
  // zip with lists of unequal length.
  expect_rejected(kNet + "sweep:\n  zip: {model.tau: [1 ms, 2 ms], engine.dt: [0.1 ms]}\n",
                  {"cfg.yaml:18:45", "sweep.zip.engine.dt", "expected 2 values"});
  expect_rejected(kNet + "sweep: {grid: {model.tau: [1 ms]}, replicates: 0}\n",
                  {"cfg.yaml:17:48", "sweep.replicates", "expected 1 to 1e6 replicates"});
  expect_rejected(kNet + "sweep: {grid: {model.tau: [1 ms]}, zip: {model.tau: [1 ms]}}\n",
                  {"cfg.yaml:17:8", "not both"});
  expect_rejected(kNet + "sweep: {grid: {model.tau: [1 ms]}, repeats: 2}\n",
                  {"cfg.yaml:17:36", "sweep.repeats", "unknown key `repeats`"});
  expect_rejected(kNet + "sweep: {grid: {seed: [1, 2]}}\n", {"cfg.yaml:17:16", "sweep.grid.seed", "replicates"});
  expect_rejected(kNet + "sweep: {seeds: [1, -2]}\n", {"cfg.yaml:17:20", "sweep.seeds[1]", "seed >= 0"});
  // --jobs 0.
  expect_rejected(kNet + "sweep: {grid: {model.tau: [1 ms, 2 ms]}}\n", {"--jobs 0", "expected 1 to 4096"},
                  {"--jobs", "0"});
}

TEST_CASE("issue 13: a sweep of more than 100,000 runs needs --yes, and is refused before any point is loaded") {
  std::string many = "[";
  for (int k = 1; k <= 400; ++k) many += (k > 1 ? ", " : "") + std::to_string(k) + " ms";
  many += "]";
  const std::string yaml = kNet + "sweep: {grid: {model.tau: " + many + "}, replicates: 300}\n";
  expect_rejected(yaml, {"cfg.yaml:17:8", "sweep", "120000 runs", "--yes"});
  // With --yes the count is accepted (a smaller sweep is loaded to keep the test short).
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, kNet + "sweep: {grid: {model.tau: [1 ms, 2 ms]}, replicates: 3}\n");
  CHECK(run({"ebsim", "check", cfg, "--yes"}).code == 0);
  CHECK_THROWS_AS(load_config(cfg, {}, experiment_catalog(), 5), ConfigError);
}

TEST_CASE("a network that needs more memory than the machine has is refused with the numbers, before it is built") {
  // 40 projections of 1e5 x 4e4 synapses: 1.6e11 synapses, over a terabyte.
  std::string yaml =
      replace(kNet, "  y: {role: output, size: 2}",
              "  y: {role: output, size: 2}\n  big: {role: input, size: 100000}\n  wide: {role: hidden, size: 40000}");
  yaml = replace(yaml, "protocol:", "protocol:\n  trials: 1");
  std::string projections;
  for (int k = 0; k < 40; ++k)
    projections += "  - {from: big, to: wide, name: p" + std::to_string(k) + ", weights: 0.001}\n";
  yaml = replace(yaml, "projections:\n", "projections:\n" + projections);
  yaml = replace(yaml, "clamp: {x: [0.3, -0.2, 0.1]}", "clamp: {x: [0.3, -0.2, 0.1], big: 0}");
  expect_rejected(yaml, {"the run needs memory about", "1.6e+11 synapses", "--max-memory"}, {"--max-memory", "100GB"});
}

TEST_CASE("a recording larger than the limit is refused before anything is written, and --max-output sets the limit") {
  // 1e5 units sampled every 1 us for 1000 s: 4e14 bytes.
  std::string huge = replace(kNet, "kind: continuous, dt: 0.1 ms", "kind: spiking");
  huge = replace(replace(huge, "duration: 2000 ms", "duration: 1000 s"), "period: 10 ms", "period: 0.001 ms");
  huge = replace(huge, "h: {role: hidden, size: 4, bias: 0.05}", "h: {role: hidden, size: 100000, bias: 0.05}");
  expect_rejected(huge, {"the output may grow to 4", "TB", "--max-output"}, {"--max-output", "1TB"});
  // The small run writes about 100 kB: 1 kB is too little, the default (the disk's free space) enough.
  expect_rejected(kNet, {"more than the 1 kB allowed by --max-output"}, {"--max-output", "1kB"});
  expect_rejected(kNet, {"--max-output lots: expected a size"}, {"--max-output", "lots"});
  test::TempDir dir;
  write_file(dir.file("cfg.yaml"), kNet);
  CHECK(
      run({"ebsim", "run", dir.file("cfg.yaml"), "-o", dir.file("out.h5"), "--quiet", "--max-output", "100MB"}).code ==
      0);
}

TEST_CASE("issue 15: --threads 0, and more threads than the network has units, are refused; nothing is written") {
  expect_rejected(kNet, {"--threads 0", "expected 1 to 4096"}, {"--threads", "0"});
  const std::string spiking = replace(kNet, "engine: {kind: continuous, dt: 0.1 ms}", "engine: {kind: spiking}");
  expect_rejected(spiking, {"--threads 10", "the network has 9 units", "at most one partition per unit"},
                  {"--threads", "10"});
  // Accepted up to one partition per unit; the continuous engine says that it runs on one thread.
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, replace(spiking, "duration: 2000 ms", "duration: 50 ms"));
  CHECK(run({"ebsim", "run", cfg, "-o", dir.file("a.h5"), "--quiet", "--threads", "9"}).code == 0);
  write_file(cfg, replace(kNet, "duration: 2000 ms", "duration: 50 ms"));
  const Outcome o = run({"ebsim", "run", cfg, "-o", dir.file("b.h5"), "--quiet", "--threads", "2"});
  CHECK(o.code == 0);
  CHECK(o.err.find("--threads 2 has no effect here: the continuous engine runs each network on one thread") !=
        std::string::npos);
}
