// Bad input gets a clear error (file, line, column, key path, what was expected), exit code 2,
// and nothing is run or written.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support.hpp"
#include "sim/cli/cli.hpp"

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
