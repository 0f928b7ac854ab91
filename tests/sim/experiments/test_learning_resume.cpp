// A learning run continued from its own file (`experiment.resume`) gives the file an uninterrupted
// run of the same total epochs gives: the random streams, the baseline and the rule's
// double-precision weights are brought to where the first run stopped.
#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/sim/experiments/learning_support.hpp"

using namespace ebsim;

namespace {

// Every numeric dataset of an HDF5 file, read as doubles, by path.
std::map<std::string, std::vector<double>> numeric_datasets(const std::string& path) {
  std::map<std::string, std::vector<double>> found;
  H5::H5File file(path, H5F_ACC_RDONLY);
  struct Visit {
    static herr_t call(hid_t root, const char* name, const H5O_info_t* info, void* out) {
      if (info->type != H5O_TYPE_DATASET) return 0;
      const hid_t ds = H5Dopen2(root, name, H5P_DEFAULT);
      const hid_t type = H5Dget_type(ds);
      const H5T_class_t kind = H5Tget_class(type);
      if (kind == H5T_INTEGER || kind == H5T_FLOAT) {
        const hid_t space = H5Dget_space(ds);
        std::vector<double> v(std::size_t(H5Sget_simple_extent_npoints(space)));
        if (!v.empty()) H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        (*static_cast<std::map<std::string, std::vector<double>>*>(out))[std::string("/") + name] = v;
        H5Sclose(space);
      }
      H5Tclose(type);
      H5Dclose(ds);
      return 0;
    }
  };
  H5Ovisit2(file.getId(), H5_INDEX_NAME, H5_ITER_INC, &Visit::call, &found, H5O_INFO_BASIC);
  return found;
}

// Equal as stored, NaN included (epoch 0 has no training speed).
bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (!(a[k] == b[k] || (std::isnan(a[k]) && std::isnan(b[k])))) return false;
  return true;
}

}  // namespace

TEST_CASE("learning: a run resumed from its own file equals an uninterrupted run of the same total epochs") {
  test::TempDir dir;
  const std::string cfg = dir.file("learn.yaml");
  // Shuffled order, random nudge signs and minibatches: every stream and every piece of state a
  // resume must carry; the back-propagation baseline trains alongside.
  test::write_file(cfg,
                   test::learning_yaml(test::kDigits, 64, 20, 10, "  epochs: 3\n  random_sign: true\n  batch: 2\n"));
  const std::vector<std::string> small{"--quiet", "--set", "experiment.data.train_examples=60", "--set",
                                       "experiment.data.test_examples=30"};
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"ebsim", "run", cfg});
    args.insert(args.end(), small.begin(), small.end());
    const test::CliOutcome r = test::run_cli(args);
    CAPTURE(r.err);
    REQUIRE(r.code == 0);
  };
  run({"-o", dir.file("full.h5")});
  run({"-o", dir.file("first.h5"), "--set", "experiment.epochs=1"});
  run({"-o", dir.file("resumed.h5"), "--set", "experiment.resume=" + dir.file("first.h5")});

  const auto full = numeric_datasets(dir.file("full.h5"));
  const auto resumed = numeric_datasets(dir.file("resumed.h5"));
  const auto first = numeric_datasets(dir.file("first.h5"));
  CHECK(full.size() == resumed.size());
  std::size_t compared = 0;
  for (const auto& [name, values] : full) {
    CAPTURE(name);
    REQUIRE(resumed.count(name));
    // Wall-clock figures are measured, not computed; the resumed run copies the first run's rows.
    if (name == "/training/wall_s" || name == "/training/examples_per_s") continue;
    CHECK(same(values, resumed.at(name)));
    ++compared;
  }
  CHECK(compared > 10);
  // The continuation did change something: the first run's final weights are not the full run's.
  CHECK_FALSE(same(first.at("/training/checkpoint/x->h/weight"), full.at("/training/checkpoint/x->h/weight")));
}

TEST_CASE("learning: resume checks the file and the config before anything runs") {
  test::TempDir dir;
  const std::string cfg = dir.file("learn.yaml"), out = dir.file("out.h5");
  test::write_file(cfg, test::learning_yaml(test::kDigits, 64, 20, 10, "  epochs: 1\n"));
  const std::vector<std::string> small{"--set", "experiment.data.train_examples=20", "--set",
                                       "experiment.data.test_examples=10", "--quiet"};
  std::vector<std::string> args{"ebsim", "run", cfg, "-o", dir.file("one.h5")};
  args.insert(args.end(), small.begin(), small.end());
  REQUIRE(test::run_cli(args).code == 0);
  const auto rejected = [&](const std::vector<std::string>& more, const std::string& message) {
    std::vector<std::string> a{"ebsim", "run", cfg, "-o", out};
    a.insert(a.end(), small.begin(), small.end());
    a.insert(a.end(), more.begin(), more.end());
    const test::CliOutcome r = test::run_cli(a);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(message) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_FALSE(std::filesystem::exists(out + ".partial"));
  };
  const std::string resume = "experiment.resume=" + dir.file("one.h5");
  rejected({"--set", resume}, "experiment.epochs: `" + dir.file("one.h5") + "` has trained 1 epochs already");
  rejected({"--set", resume, "--set", "experiment.epochs=2", "--set", "projections.0.plasticity.lr=0.2"},
           "was made with another config (`projections` differ)");
  rejected({"--set", "experiment.resume=" + dir.file("none.h5"), "--set", "experiment.epochs=2"},
           "experiment.resume: no such file");
  rejected({"--set", "experiment.resume=" + cfg, "--set", "experiment.epochs=2"}, "is not an HDF5 file");
  rejected({"--set", resume, "--set", "experiment.epochs=2", "--set", "experiment.persistent=true"},
           "persistent free-phase states cannot be resumed");
}
