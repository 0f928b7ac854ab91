// What the CLI says about its own inputs: option values, the key lists in errors, records the
// engine cannot make, and the command line kept in the file so that it can be pasted back.
#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <algorithm>

#include "tests/support.hpp"

using namespace ebsim;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("--seed takes an integer from 0 to 2^63 - 1 (the config's range) and says so about --seed") {
  test::TempDir dir;
  test::write_file(dir.file("net.yaml"), test::kSmallNet);
  for (const char* bad : {"-1", "9223372036854775808", "1e3", "seven", ""}) {
    CAPTURE(bad);
    const test::CliOutcome r = test::run_cli({"ebsim", "check", dir.file("net.yaml"), "--seed", bad});
    CHECK(r.code == 2);
    CHECK(r.err.find(std::string("--seed ") + bad + ": expected an integer from 0 to 9223372036854775807 (2^63 - 1)") !=
          std::string::npos);
  }
  CHECK(test::run_cli({"ebsim", "check", dir.file("net.yaml"), "--seed", "9223372036854775807"}).code == 0);
}

TEST_CASE("an unknown key's error lists each allowed key once") {
  test::TempDir dir;
  test::write_file(dir.file("net.yaml"), std::string(test::kSmallNet) + "protocl: {}\n");
  const test::CliOutcome r = test::run_cli({"ebsim", "check", dir.file("net.yaml")});
  CHECK(r.code == 2);
  REQUIRE(r.err.find("unknown key `protocl` (did you mean `protocol`?)") != std::string::npos);
  for (const char* key : {"`seed`", "`projections`", "`populations`", "`protocol`", "`record`"}) {
    CAPTURE(key);
    CHECK(count_of(r.err.substr(r.err.find("allowed here")), key) == 1);
  }
}

TEST_CASE("recording spikes from the continuous engine is a config error, not empty datasets") {
  test::TempDir dir;
  test::write_file(dir.file("net.yaml"), std::string(test::kSmallNet) + "  spikes: {populations: [h]}\n");
  const test::CliOutcome r = test::run_cli({"ebsim", "run", dir.file("net.yaml"), "-o", dir.file("out.h5")});
  CHECK(r.code == 2);
  CHECK(r.err.find("net.yaml:17:") != std::string::npos);
  CHECK(r.err.find("record.spikes.populations: the continuous engine emits no spikes") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.h5")));
  CHECK_FALSE(std::filesystem::exists(dir.file("out.h5.partial")));
}

TEST_CASE("the stored command line keeps its quoting, so that it can be pasted back into a shell") {
  test::TempDir dir;
  test::write_file(dir.file("net.yaml"), test::kSmallNet);
  const std::string out = dir.file("a run's output.h5");
  REQUIRE(test::run_cli(
              {"ebsim", "run", dir.file("net.yaml"), "-o", out, "--quiet", "--set", "protocol.phases.0.duration=20 ms"})
              .code == 0);
  H5::H5File f(out, H5F_ACC_RDONLY);
  std::string stored;
  H5::Attribute a = f.openAttribute("command_line");
  a.read(a.getStrType(), stored);
  CHECK(stored == "ebsim run " + dir.file("net.yaml") + " -o '" + dir.path().string() +
                      "/a run'\\''s output.h5' --quiet --set " + "'protocol.phases.0.duration=20 ms'");
}
