// Output you can trust: a run never destroys a file it did not make, two runs to one path cannot
// corrupt each other, and whatever signal comes when, the file left behind opens and says whether
// it is complete. Runs that must be signalled or overlap run the built binary as a child process.
#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/sim/experiments/learning_support.hpp"
#include "tests/subprocess.hpp"
#include "tests/support.hpp"

using namespace ebsim;
namespace fs = std::filesystem;

namespace {

using test::Child;
using test::write_file;

// A spiking run that lasts until it is stopped: 100,000 s of simulated time, nothing recorded on
// the way (weights only).
const char* const kEndlessSpiking = R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: 0.05}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  phases:
    - {name: free, duration: 100000 s, clamp: {x: [0.3, -0.2, 0.1]}}
)";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::int64_t complete_flag(const H5::H5File& file) {
  std::int64_t complete = -1;
  file.openAttribute("complete").read(H5::PredType::NATIVE_INT64, &complete);
  return complete;
}

std::string config_text(const H5::H5File& file) {
  const H5::DataSet config = file.openDataSet("/config");
  std::string text;
  config.read(text, config.getStrType());
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("a second run to the same output is refused at once and leaves the first run's file intact") {
  test::TempDir dir;
  const std::string cfg = dir.file("endless.yaml"), out = dir.file("out.h5");
  write_file(cfg, kEndlessSpiking);
  Child first({"run", cfg, "-o", out, "--quiet"}, dir.file("first.log"));
  REQUIRE(test::wait_until([&] { return test::nonempty_file(out + ".partial"); }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the first run is writing now
  for (const bool force : {false, true}) {
    CAPTURE(force);
    std::vector<std::string> args{"ebsim", "run", cfg, "-o", out, "--quiet"};
    if (force) args.push_back("--force");
    const auto start = std::chrono::steady_clock::now();
    const test::CliOutcome second = test::run_cli(args);
    CAPTURE(second.err);
    CHECK(second.code == 2);
    CHECK(second.err.find("is being written by another ebsim run") != std::string::npos);
    CHECK(seconds_since(start) < 1.0);
  }
  first.signal(SIGINT);
  const auto status = first.wait_for(20);
  INFO("first run: ", test::describe_status(status), "\n", read_text(dir.file("first.log")));
  CHECK(test::exited_with(status, 130));
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(out + ".lock"));
  const H5::H5File file(out + ".partial", H5F_ACC_RDONLY);
  CHECK(complete_flag(file) == 0);
  CHECK(config_text(file).find("r_max: 100 Hz") != std::string::npos);
  CHECK(file.nameExists("/weights/initial/h->y/weight"));
}

TEST_CASE("a partial output kept from an interrupted run is not erased without --force") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml"), out = dir.file("out.h5");
  write_file(cfg, test::kSmallNet);
  write_file(out + ".partial", "kept from an interrupted run");
  const test::CliOutcome refused = test::run_cli({"ebsim", "run", cfg, "-o", out, "--quiet"});
  CAPTURE(refused.err);
  CHECK(refused.code == 2);
  CHECK(refused.err.find("partial output kept from an interrupted run") != std::string::npos);
  CHECK(read_text(out + ".partial") == "kept from an interrupted run");
  CHECK_FALSE(fs::exists(out));
  CHECK(test::run_cli({"ebsim", "run", cfg, "-o", out, "--quiet", "--force"}).code == 0);
  CHECK(fs::exists(out));
  CHECK_FALSE(fs::exists(out + ".partial"));
}

TEST_CASE("an output that is the config or the data file is refused, even with --force") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, test::kSmallNet);
  const test::CliOutcome as_config = test::run_cli({"ebsim", "run", cfg, "-o", cfg, "--quiet", "--force"});
  CAPTURE(as_config.err);
  CHECK(as_config.code == 2);
  CHECK(as_config.err.find("an input of this run") != std::string::npos);
  CHECK(read_text(cfg) == test::kSmallNet);
  // The same file under another spelling.
  const std::string other_spelling = dir.file("./cfg.yaml");
  CHECK(test::run_cli({"ebsim", "run", cfg, "-o", other_spelling, "--quiet", "--force"}).code == 2);
  CHECK(read_text(cfg) == test::kSmallNet);

  const std::string data = dir.file("data.csv"), learn = dir.file("learn.yaml");
  const std::string rows = "0,1,0\n1,0,1\n1,1,0\n0,0,1\n0,1,0\n";
  write_file(data, rows);
  write_file(learn, test::learning_yaml(data, 2, 3, 2, "  epochs: 1\n"));
  REQUIRE(test::run_cli({"ebsim", "check", learn}).code == 0);
  const test::CliOutcome as_data = test::run_cli({"ebsim", "run", learn, "-o", data, "--quiet", "--force"});
  CAPTURE(as_data.err);
  CHECK(as_data.code == 2);
  CHECK(as_data.err.find(data) != std::string::npos);
  CHECK(read_text(data) == rows);
}

TEST_CASE("output paths the system refuses are bad input: exit 2, nothing written") {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, test::kSmallNet);
  SUBCASE("a file system that takes no new files") {
    const test::CliOutcome o = test::run_cli({"ebsim", "run", cfg, "-o", "/proc/ebsim-out.h5", "--quiet"});
    CAPTURE(o.err);
    CHECK(o.code == 2);
  }
  SUBCASE("a name too long for the file system") {
    const test::CliOutcome o =
        test::run_cli({"ebsim", "run", cfg, "-o", dir.file(std::string(300, 'a') + ".h5"), "--quiet"});
    CAPTURE(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find("File name too long") != std::string::npos);
  }
  SUBCASE("the partial file's name taken by a directory") {
    const std::string out = dir.file("out.h5");
    fs::create_directory(out + ".partial");
    const test::CliOutcome o = test::run_cli({"ebsim", "run", cfg, "-o", out, "--quiet", "--force"});
    CAPTURE(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find("is a directory") != std::string::npos);
    CHECK(fs::is_directory(out + ".partial"));
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("a signal the moment the first output file appears still leaves a readable, incomplete partial") {
  // The handlers are installed before any file is created: a signal that comes as soon as there
  // is a file asks the run to stop (exit 130) instead of killing it halfway through creating it.
  test::TempDir dir;
  const std::string cfg = dir.file("endless.yaml"), out = dir.file("out.h5");
  write_file(cfg, kEndlessSpiking);
  for (int attempt = 0; attempt < 5; ++attempt) {
    CAPTURE(attempt);
    Child run({"run", cfg, "-o", out, "--quiet"}, dir.file("run.log"));
    REQUIRE(test::wait_until([&] { return fs::exists(out + ".lock") || fs::exists(out + ".partial"); }, 30,
                             std::chrono::microseconds(20)));
    run.signal(SIGINT);
    const auto status = run.wait_for(20);
    INFO(test::describe_status(status), "\n", read_text(dir.file("run.log")));
    REQUIRE(test::exited_with(status, 130));
    const H5::H5File file(out + ".partial", H5F_ACC_RDONLY);
    CHECK(complete_flag(file) == 0);
    fs::remove(out + ".partial");
  }
}

TEST_CASE("a signal while the last results are computed stops the run: the output is not published") {
  // The spiking run takes milliseconds; its mean-field reference (theory: true, 2e7 steps of the
  // continuous engine) takes seconds and comes after it.
  test::TempDir dir;
  const std::string cfg = dir.file("theory.yaml"), out = dir.file("out.h5");
  write_file(cfg, R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: 0.05}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  phases:
    - {name: free, duration: 20 s, clamp: {x: [0.3, -0.2, 0.1]}}
record:
  rates: {populations: [h], bin: 100 ms, theory: true, theory_dt: 0.001 ms}
)");
  Child run({"run", cfg, "-o", out, "--quiet"}, dir.file("run.log"));
  REQUIRE(test::wait_until([&] { return test::nonempty_file(out + ".partial"); }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run.signal(SIGINT);
  const auto status = run.wait_for(1.0);
  INFO(test::describe_status(status), "\n", read_text(dir.file("run.log")));
  CHECK(test::exited_with(status, 130));
  CHECK_FALSE(fs::exists(out));
}
