// A run that starts from an earlier run's file: its weights (`weights: {from_file: ...}`) and its
// final state (`initial: {from_file: ...}`), and the config errors when the file does not fit.
#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <string>
#include <vector>

#include "sim/io/stored_run.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

template <class T>
std::vector<T> read(const std::string& file, const std::string& name, const H5::PredType& type) {
  H5::H5File f(file, H5F_ACC_RDONLY);
  H5::DataSet ds = f.openDataSet(name);
  std::vector<T> v(std::size_t(ds.getSpace().getSimpleExtentNpoints()));
  ds.read(v.data(), type);
  return v;
}

// kSmallNet with a recurrent symmetric projection inside h (so that a stored list must also
// respect "no self-connection" and "each pair once"), plastic so that the final weights differ
// from the initial ones.
std::string net() {
  std::string yaml = test::kSmallNet;
  const std::string plastic = "  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}\n";
  yaml.replace(yaml.find(plastic), plastic.size(),
               "  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true, plasticity: {lr: 0.5}}\n"
               "  - {from: h, to: h, connectivity: {random: 0.5}, weights: {uniform: [-0.2, 0.2]}, symmetric: true}\n");
  return yaml;
}

}  // namespace

TEST_CASE("weights and states from an earlier run's file are the ones it stored") {
  test::TempDir dir;
  test::write_file(dir.file("a.yaml"), net());
  REQUIRE(test::run_cli({"ebsim", "run", dir.file("a.yaml"), "-o", dir.file("a.h5"), "--quiet"}).code == 0);
  std::string b = net();
  for (const char* w : {"weights: {uniform: [-0.4, 0.4]}", "weights: {uniform: [-0.4, 0.4]}",
                        "connectivity: {random: 0.5}, weights: {uniform: [-0.2, 0.2]}"})
    b.replace(b.find(w), std::string(w).size(), "weights: {from_file: " + dir.file("a.h5") + "}");
  b.replace(b.find("h: {role: hidden, size: 4, bias: 0.05}"), 38,
            "h: {role: hidden, size: 4, bias: 0.05, initial: {from_file: " + dir.file("a.h5") + "}}");
  test::write_file(dir.file("b.yaml"), b);
  const test::CliOutcome r = test::run_cli({"ebsim", "run", dir.file("b.yaml"), "-o", dir.file("b.h5"), "--quiet"});
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  for (const char* proj : {"x->h", "h->y", "h->h"}) {
    CAPTURE(proj);
    const std::string was = std::string("/weights/final/") + proj, is = std::string("/weights/initial/") + proj;
    CHECK(read<double>(dir.file("a.h5"), was + "/weight", H5::PredType::NATIVE_DOUBLE) ==
          read<double>(dir.file("b.h5"), is + "/weight", H5::PredType::NATIVE_DOUBLE));
    CHECK(read<std::uint64_t>(dir.file("a.h5"), was + "/pre", H5::PredType::NATIVE_UINT64) ==
          read<std::uint64_t>(dir.file("b.h5"), is + "/pre", H5::PredType::NATIVE_UINT64));
    CHECK(read<std::uint64_t>(dir.file("a.h5"), was + "/post", H5::PredType::NATIVE_UINT64) ==
          read<std::uint64_t>(dir.file("b.h5"), is + "/post", H5::PredType::NATIVE_UINT64));
  }
  // The plastic projection moved in run a: b starts where a ended, not where a started.
  CHECK(read<double>(dir.file("a.h5"), "/weights/initial/h->y/weight", H5::PredType::NATIVE_DOUBLE) !=
        read<double>(dir.file("b.h5"), "/weights/initial/h->y/weight", H5::PredType::NATIVE_DOUBLE));
  // h starts at a's final state (the first sample of the report, float32 as stored).
  const std::vector<double> final_h = read_stored_state(dir.file("a.h5"), "h", 0);
  const std::vector<float> first = read<float>(dir.file("b.h5"), "/report/h/data", H5::PredType::NATIVE_FLOAT);
  for (std::size_t i = 0; i < final_h.size(); ++i) CHECK(first[i] == static_cast<float>(final_h[i]));
}

TEST_CASE("a file that does not fit is a config error at the key that names it") {
  test::TempDir dir;
  test::write_file(dir.file("a.yaml"), net());
  REQUIRE(test::run_cli({"ebsim", "run", dir.file("a.yaml"), "-o", dir.file("a.h5"), "--quiet"}).code == 0);
  test::write_file(dir.file("b.yaml"), net());
  const std::string from = "projections.0.weights={from_file: " + dir.file("a.h5");
  const auto rejected = [&](const std::vector<std::string>& sets, const std::string& message) {
    std::vector<std::string> args{"ebsim", "check", dir.file("b.yaml")};
    for (const std::string& s : sets) args.insert(args.end(), {"--set", s});
    const test::CliOutcome r = test::run_cli(args);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(message) != std::string::npos);
  };
  rejected({"projections.0.weights={from_file: " + dir.file("none.h5") + "}"},
           "projections[0].weights.from_file: no such file");
  rejected({"projections.0.weights={from_file: " + dir.file("a.yaml") + "}"}, "is not an HDF5 file");
  rejected({from + ", snapshot: trial0_free}"}, "has no weight snapshot `trial0_free` (it holds `final`, `initial`)");
  rejected({from + ", projection: y->x}"}, "has no projection `y->x` in snapshot `final`");
  rejected({from + "}", "projections.0.connectivity=all_to_all"}, "omit `connectivity`");
  // x -> h stored from 3 x 4 units: 2 inputs are too few.
  rejected({from + "}", "populations.x.size=2", "protocol.phases.0.clamp.x=0"}, "does not fit populations of 2 and 4");
  rejected({"populations.h.initial={from_file: " + dir.file("a.h5") + ", trial: 1}"},
           "holds 1 trial(s) of `h`: no trial 1");
  rejected({"populations.h.initial={from_file: " + dir.file("a.h5") + "}", "populations.h.size=5"},
           "the stored state of `h` has 4 units, population `h` 5");
  // The recurrent projection's own list fits it (symmetric, no self-connection, each pair once).
  CHECK(
      test::run_cli({"ebsim", "check", dir.file("b.yaml"), "--set",
                     "projections.2={from: h, to: h, weights: {from_file: " + dir.file("a.h5") + "}, symmetric: true}"})
          .code == 0);
}
