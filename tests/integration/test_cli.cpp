// End to end: `ebsim run` on a config, then the HDF5 file read back with the HDF5 C++ API.
#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "sim/cli/cli.hpp"
#include "sim/io/version.hpp"
#include "tests/subprocess.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

int run_cli(const std::vector<std::string>& args, std::string* out_text = nullptr) {
  std::ostringstream out, err;
  const int code = cli::main(args, out, err);
  if (out_text) *out_text = out.str();
  if (code != 0) MESSAGE(err.str());
  return code;
}

std::vector<hsize_t> shape_of(const H5::DataSet& ds) {
  H5::DataSpace sp = ds.getSpace();
  std::vector<hsize_t> dims(sp.getSimpleExtentNdims());
  sp.getSimpleExtentDims(dims.data());
  return dims;
}

template <class T>
std::vector<T> read_all(const H5::H5File& f, const std::string& path, const H5::PredType& type) {
  H5::DataSet ds = f.openDataSet(path);
  std::size_t n = 1;
  for (hsize_t d : shape_of(ds)) n *= d;
  std::vector<T> v(n);
  ds.read(v.data(), type);
  return v;
}

const std::string kSettleNet = std::string(test::kSmallNet) + R"(
output: {path: ignored.h5}
)";

}  // namespace

TEST_CASE("ebsim run writes the SONATA report layout, weights, config and provenance") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml"), out = dir.file("run.h5");
  std::ofstream(cfg) << kSettleNet;
  std::string summary;
  REQUIRE(run_cli({"ebsim", "run", cfg, "-o", out, "--set", "protocol.phases.0.settle={tol: 1e-10}"}, &summary) == 0);
  CHECK(summary.find("settled in") != std::string::npos);
  CHECK(summary.find("output: " + out) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out + ".partial"));

  H5::H5File f(out, H5F_ACC_RDONLY);
  std::uint32_t magic = 0;
  f.openAttribute("magic").read(H5::PredType::NATIVE_UINT32, &magic);
  CHECK(magic == 0x0A7A);
  std::int64_t complete = 0;
  f.openAttribute("complete").read(H5::PredType::NATIVE_INT64, &complete);
  CHECK(complete == 1);

  // 2000 ms sampled every 10 ms, both ends included: 201 rows.
  H5::DataSet data = f.openDataSet("/report/h/data");
  CHECK(data.getDataType() == H5::PredType::NATIVE_FLOAT);
  CHECK(shape_of(data) == std::vector<hsize_t>{201, 4});
  CHECK(read_all<std::uint64_t>(f, "/report/h/mapping/node_ids", H5::PredType::NATIVE_UINT64) ==
        std::vector<std::uint64_t>{0, 1, 2, 3});
  CHECK(read_all<std::uint64_t>(f, "/report/h/mapping/index_pointers", H5::PredType::NATIVE_UINT64) ==
        std::vector<std::uint64_t>{0, 1, 2, 3, 4});
  CHECK(read_all<std::uint32_t>(f, "/report/h/mapping/element_ids", H5::PredType::NATIVE_UINT32).size() == 4);
  const auto time = read_all<double>(f, "/report/h/mapping/time", H5::PredType::NATIVE_DOUBLE);
  REQUIRE(time.size() == 3);
  CHECK(time[0] == 0.0);
  CHECK(time[2] == 10.0);
  CHECK(time[1] == doctest::Approx(2010.0));

  // The clamped input holds x from the first sample on; the last sample is the final state.
  const auto x = read_all<float>(f, "/report/x/data", H5::PredType::NATIVE_FLOAT);
  CHECK(x[0] == doctest::Approx(0.3f));
  CHECK(x[1] == doctest::Approx(-0.2f));
  CHECK(x[x.size() - 1] == doctest::Approx(0.1f));
  const auto h = read_all<float>(f, "/report/h/data", H5::PredType::NATIVE_FLOAT);
  const auto final_h = read_all<double>(f, "/analysis/final_state/h", H5::PredType::NATIVE_DOUBLE);
  for (int u = 0; u < 4; ++u) CHECK(h[200 * 4 + u] == static_cast<float>(final_h[u]));
  CHECK(read_all<double>(f, "/analysis/phases/free/converged", H5::PredType::NATIVE_DOUBLE)[0] == 1.0);

  // Weights: 3 x 4 and 4 x 2 all-to-all, identical before and after (no plasticity).
  CHECK(read_all<double>(f, "/weights/initial/x->h/weight", H5::PredType::NATIVE_DOUBLE).size() == 12);
  CHECK(read_all<double>(f, "/weights/final/h->y/weight", H5::PredType::NATIVE_DOUBLE) ==
        read_all<double>(f, "/weights/initial/h->y/weight", H5::PredType::NATIVE_DOUBLE));

  // The resolved config (with the --set override and the defaults) and provenance.
  H5::DataSet config = f.openDataSet("/config");
  std::string text;
  config.read(text, config.getStrType());
  CHECK(text.find("tol: 1e-10") != std::string::npos);
  CHECK(text.find("r_max: 200 Hz") != std::string::npos);
  for (const char* attr : {"seed", "ebsim_version", "git_revision", "command_line", "engine"})
    CHECK(f.attrExists(attr));
}

TEST_CASE("same config and seed give bit-identical datasets; another seed gives other noise") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml");
  std::ofstream(cfg) << kSettleNet;
  const std::vector<std::string> noisy{"--set", "engine.sigma=0.05", "--quiet"};
  auto run_to = [&](const std::string& name, const std::string& seed) {
    std::vector<std::string> args{"ebsim", "run", cfg, "-o", dir.file(name), "--seed", seed};
    args.insert(args.end(), noisy.begin(), noisy.end());
    REQUIRE(run_cli(args) == 0);
    H5::H5File f(dir.file(name), H5F_ACC_RDONLY);
    return read_all<float>(f, "/report/h/data", H5::PredType::NATIVE_FLOAT);
  };
  const auto a = run_to("a.h5", "3"), b = run_to("b.h5", "3"), c = run_to("c.h5", "4");
  REQUIRE(a.size() == 201 * 4);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  CHECK(a != c);
}

TEST_CASE("several trials lie back to back on one regular time axis") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml"), out = dir.file("t.h5");
  std::ofstream(cfg) << kSettleNet;
  REQUIRE(run_cli({"ebsim", "run", cfg, "-o", out, "--quiet", "--set", "protocol.trials=3", "--set",
                   "engine.sigma=0.02"}) == 0);
  H5::H5File f(out, H5F_ACC_RDONLY);
  CHECK(shape_of(f.openDataSet("/report/h/data")) == std::vector<hsize_t>{601, 4});
  const auto time = read_all<double>(f, "/report/h/mapping/time", H5::PredType::NATIVE_DOUBLE);
  CHECK(time[1] == doctest::Approx(6010.0));
  const auto finals = read_all<double>(f, "/analysis/final_state/h", H5::PredType::NATIVE_DOUBLE);
  REQUIRE(finals.size() == 12);
  CHECK(finals[0] != finals[4]);  // independent noise per trial
}

TEST_CASE("ebsim check validates without writing; ebsim info describes a file") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml"), out = dir.file("r.h5");
  std::ofstream(cfg) << kSettleNet;
  std::string text;
  CHECK(run_cli({"ebsim", "check", cfg}, &text) == 0);
  CHECK(text.find(": OK (3 populations, 2 projections") != std::string::npos);
  // output.path is relative: a run would write it in the current directory, not next to the config.
  CHECK_FALSE(std::filesystem::exists(std::filesystem::current_path() / "ignored.h5"));
  CHECK_FALSE(std::filesystem::exists(dir.file("ignored.h5")));
  REQUIRE(run_cli({"ebsim", "run", cfg, "-o", out, "--quiet"}) == 0);
  CHECK(run_cli({"ebsim", "info", out}, &text) == 0);
  CHECK(text.find("/report/h/data") != std::string::npos);
  CHECK(run_cli({"ebsim", "info", dir.file("none.h5")}) == 2);
  CHECK(run_cli({"ebsim", "run", "--help"}, &text) == 0);
  CHECK(text.find("--set") != std::string::npos);
  CHECK(run_cli({"ebsim", "frobnicate"}) == 2);
}

TEST_CASE("the shipped configs are valid") {
  for (const char* name : {"relax.yaml", "theory_check.yaml", "bench/random_10k.yaml", "backprop_equivalence.yaml",
                           "stdp_window.yaml", "stdp_statistics.yaml", "saturation.yaml"}) {
    CAPTURE(name);
    CHECK(run_cli({"ebsim", "check", test::source_dir() + "/configs/" + name}) == 0);
  }
}

TEST_CASE("issue 13: every experiment kind runs under a grid with replicates, with per-point statistics") {
  test::TempDir dir;
  const std::string sweep = "sweep={grid: {model.tau: [10 ms, 20 ms]}, replicates: 2}";
  struct Kind {
    std::string config, statistic;
    std::vector<std::string> shorten;
  };
  const std::vector<Kind> kinds{
      {"stdp_window",
       "/analysis/stdp_window/dw_per_pairing",
       {"experiment.trials=3", "experiment.pairings=3", "experiment.offsets={from: -20 ms, to: 20 ms, step: 10 ms}"}},
      {"saturation", "/analysis/saturation/above_beta2/dw_state_derivative", {"experiment.trials=3"}},
      {"backprop_equivalence", "/analysis/backprop/continuous_time/h1/slope", {"experiment.spiking.branches=20"}},
      {"learn_digits",
       "/training/test_accuracy",
       {"experiment.epochs=1", "experiment.data.train_examples=60", "experiment.data.test_examples=30"}},
  };
  for (const Kind& k : kinds) {
    CAPTURE(k.config);
    const std::string out = dir.file(k.config + ".h5");
    std::vector<std::string> args{
        "ebsim", "run", test::source_dir() + "/configs/" + k.config + ".yaml", "-o", out, "--quiet", "--jobs", "2",
        "--set", sweep};
    for (const std::string& s : k.shorten) args.insert(args.end(), {"--set", s});
    const auto o = test::run_cli(args);
    CAPTURE(o.err);
    REQUIRE(o.code == 0);
    H5::H5File f(out, H5F_ACC_RDONLY);
    for (int run = 0; run < 4; ++run) CHECK(f.nameExists("/sweep/" + std::to_string(run) + k.statistic));
    const std::vector<double> n =
        read_all<double>(f, "/analysis/sweep/stats" + k.statistic + "/n", H5::PredType::NATIVE_DOUBLE);
    REQUIRE(n.size() >= 2);
    CHECK(n.back() == 2.0);  // two points x ... elements; the last element has both replicates
    const std::vector<double> mean =
        read_all<double>(f, "/analysis/sweep/stats" + k.statistic + "/mean", H5::PredType::NATIVE_DOUBLE);
    CHECK(std::isfinite(mean.back()));
  }
}

// --- The command line's promises (README, "Using ebsim") ------------------------------------------

namespace {

struct Outcome {
  int code;
  std::string out, err;
};
Outcome cli_main(const std::vector<std::string>& args, bool terminal = false) {
  std::ostringstream out, err;
  const int code = cli::main(args, out, err, terminal);
  return {code, out.str(), err.str()};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::int64_t complete_flag(const std::string& path) {
  const H5::H5File file(path, H5F_ACC_RDONLY);
  std::int64_t complete = -1;
  file.openAttribute("complete").read(H5::PredType::NATIVE_INT64, &complete);
  return complete;
}

// A spiking run that lasts until it is stopped (100,000 s of simulated time, weights only).
const char* const kEndless = R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: 0.05}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  phases:
    - {name: free, duration: 100000 s, clamp: {x: [0.3, -0.2, 0.1]}}
)";

}  // namespace

TEST_CASE("--version prints the version and revision, --quiet prints nothing on success") {
  const Outcome version = cli_main({"ebsim", "--version"});
  CHECK(version.code == 0);
  CHECK(version.out == std::string("ebsim ") + kVersion + " (" + kGitRevision + ")\n");
  CHECK(std::string(kVersion).find('.') != std::string::npos);

  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml");
  std::ofstream(cfg) << test::kSmallNet;
  const Outcome quiet = cli_main({"ebsim", "run", cfg, "-o", dir.file("q.h5"), "--quiet"}, true);
  CHECK(quiet.code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());  // not even the progress bar on a terminal
  CHECK(complete_flag(dir.file("q.h5")) == 1);
  const Outcome loud = cli_main({"ebsim", "run", cfg, "-o", dir.file("l.h5")});
  CHECK(loud.code == 0);
  CHECK(loud.out.find("output: " + dir.file("l.h5")) != std::string::npos);
}

TEST_CASE("the progress bar is drawn on a terminal only, and cleared at the end") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml");
  std::ofstream(cfg) << test::kSmallNet;
  // The last update (100 %) is always drawn, however short the run.
  const Outcome tty = cli_main({"ebsim", "run", cfg, "-o", dir.file("t.h5")}, true);
  CHECK(tty.code == 0);
  CAPTURE(tty.err);
  CHECK(tty.err.find("\r[" + std::string(30, '#') + "] 100.0%  elapsed ") != std::string::npos);
  CHECK(tty.err.size() >= 4);
  CHECK(tty.err.substr(tty.err.size() - 4) == "\r\x1b[K");  // the line is cleared (return, erase to its end)
  const Outcome pipe = cli_main({"ebsim", "run", cfg, "-o", dir.file("p.h5")}, false);
  CHECK(pipe.code == 0);
  CHECK(pipe.err.empty());
}

TEST_CASE("ebsim check --print shows the resolved config, which loads back to the same config") {
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml");
  std::ofstream(cfg) << test::kSmallNet;
  const Outcome printed = cli_main({"ebsim", "check", cfg, "--print", "--set", "model.tau=20 ms"});
  REQUIRE(printed.code == 0);
  const std::string first_line =
      cfg + ": OK (3 populations, 2 projections, 1 phases x 1 trial(s), continuous engine)\n";
  REQUIRE(printed.out.rfind(first_line, 0) == 0);
  // After the summary (that line and its indented details, e.g. the resource estimate) comes the
  // resolved config, whose top-level keys start at column 0.
  std::size_t start = first_line.size();
  while (printed.out.compare(start, 2, "  ") == 0) start = printed.out.find('\n', start) + 1;
  const std::string resolved = printed.out.substr(start);
  CHECK(resolved == test::config_from(test::kSmallNet, {"model.tau=20 ms"}).resolved_yaml);
  // Defaults filled in, the override applied.
  CHECK(resolved.find("r_max: 200 Hz") != std::string::npos);
  CHECK(resolved.find("boundary: project") != std::string::npos);
  CHECK(resolved.find("tau: 20 ms") != std::string::npos);
  const Config again = test::config_from(resolved);
  CHECK(again.model.tau_ms == 20.0);
  CHECK(again.seed == 5);
  CHECK(again.projections.size() == 2);
  CHECK(again.projections[1].weights.b == 0.4);
  // Loading it again changes nothing more (the first round only restyles empty lists).
  CHECK(test::config_from(again.resolved_yaml).resolved_yaml == again.resolved_yaml);
  CHECK(cli_main({"ebsim", "check", cfg}).out.find("r_max") == std::string::npos);  // only with --print
}

TEST_CASE("exit 1: a run whose output someone else creates meanwhile keeps their file and its own partial") {
  // README: the final rename never replaces a file; the finished run stays at OUT.partial, exit 1.
  test::TempDir dir;
  const std::string cfg = dir.file("net.yaml"), out = dir.file("out.h5");
  std::ofstream(cfg) << kEndless;
  std::thread intruder([&] {
    // Once the run writes, create OUT; the run goes on for 1000 s of simulated time (0.3 s or more).
    if (test::wait_until([&] { return test::nonempty_file(out + ".partial"); }, 30))
      test::write_file(out, "someone else's file");
  });
  const Outcome o = cli_main({"ebsim", "run", cfg, "-o", out, "--quiet", "--set", "protocol.phases.0.duration=1000 s"});
  intruder.join();
  CAPTURE(o.err);
  CHECK(o.code == 1);
  CHECK(read_text(out) == "someone else's file");
  CHECK(complete_flag(out + ".partial") == 1);
}

TEST_CASE("SIGINT and SIGTERM stop `ebsim run --force` with exit 130 and leave the previous output as it was") {
  for (const int sig : {SIGINT, SIGTERM}) {
    CAPTURE(sig);
    test::TempDir dir;
    const std::string cfg = dir.file("endless.yaml"), out = dir.file("out.h5"), log = dir.file("run.log");
    std::ofstream(cfg) << kEndless;
    test::write_file(out, "the previous run's results");
    test::Child run({"run", cfg, "-o", out, "--quiet", "--force"}, log);
    REQUIRE(test::wait_until([&] { return test::nonempty_file(out + ".partial"); }, 30));
    run.signal(sig);
    const auto status = run.wait_for(20);
    INFO(test::describe_status(status), "\n", read_text(log));
    CHECK(test::exited_with(status, 130));
    CHECK(read_text(out) == "the previous run's results");
    CHECK(complete_flag(out + ".partial") == 0);
    CHECK(read_text(log).find("interrupted; the partial output is kept at") != std::string::npos);
  }
}
