#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "sim/io/hdf5_sink.hpp"
#include "sim/io/info.hpp"
#include "tests/support.hpp"

TEST_CASE("ebsim info on a missing or non-HDF5 file prints one line and returns 2") {
  const ebsim::test::TempDir dir;
  std::ostringstream out, err;
  CHECK(ebsim::print_info(dir.file("absent.h5"), out, err) == 2);
  CHECK(err.str() == "ebsim info: cannot open " + dir.file("absent.h5") + ": no such file\n");

  const std::string text_file = dir.file("notes.h5");
  std::ofstream(text_file) << "not hdf5\n";
  std::ostringstream out2, err2;
  CHECK(ebsim::print_info(text_file, out2, err2) == 2);
  CHECK(err2.str() == "ebsim info: cannot open " + text_file + ": not an HDF5 file\n");
  CHECK(out.str().empty());
  CHECK(out2.str().empty());
}

namespace {

// The description on the listing line of `object` (entries are aligned: any run of spaces).
std::string described(const std::string& text, const std::string& object) {
  const std::size_t at = text.find("\n  " + object + " ");
  if (at == std::string::npos) return "(not listed)";
  const std::size_t begin = text.find_first_not_of(' ', at + 3 + object.size());
  return text.substr(begin, text.find('\n', begin) - begin);
}

std::string info_of(const std::string& path, int expected_code = 0) {
  std::ostringstream out, err;
  const int code = ebsim::print_info(path, out, err);
  CAPTURE(err.str());
  CHECK(code == expected_code);
  return out.str();
}

}  // namespace

TEST_CASE("ebsim info lists a file ebsim did not write as a plain HDF5 file, not as an incomplete run") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("other.h5");
  {
    H5::H5File file(path, H5F_ACC_TRUNC);
    const H5::Group group = file.createGroup("/measurements");
    const hsize_t n = 5;
    group.createDataSet("trace", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &n));
    // SONATA's magic alone does not make an ebsim output.
    const std::uint32_t magic = 0x0A7A;
    file.openGroup("/")
        .createAttribute("magic", H5::PredType::NATIVE_UINT32, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_UINT32, &magic);
  }
  const std::string text = info_of(path);
  // SONATA's magic without ebsim's provenance: a SONATA file someone else wrote.
  CHECK(text.rfind("SONATA file " + path + " (not written by ebsim", 0) == 0);
  CHECK(text.find("INCOMPLETE") == std::string::npos);
  CHECK(text.find("  @magic = 2682\n") != std::string::npos);
  CHECK(described(text, "/measurements/trace") == "float64 [5]");
}

TEST_CASE("ebsim info shows units and attributes, the SONATA parts of a file, and a sweep point per line") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    ebsim::Hdf5Sink sink(path);
    sink.begin_run(ebsim::test::example_metadata());
    sink.declare_spikes("v");
    sink.append_spikes("v", std::vector<double>{1.0, 2.0}, std::vector<std::uint64_t>{0, 3});
    sink.set_scope("/sweep/0");
    sink.write_attribute("/", "value", 100.0);
    sink.write_array("/rates/v/rate_hz", std::vector<double>{1, 2}, {1, 2});
    sink.set_scope("/sweep/1");
    sink.write_attribute("/", "value", 400.0);
    sink.write_array("/rates/v/rate_hz", std::vector<double>{1, 2}, {1, 2});
    sink.set_scope("");
    sink.end_run(true);
  }
  const std::string text = info_of(path);
  CHECK(described(text, "/spikes/v/timestamps") == "float64 [2], units ms");
  CHECK(text.find("  spikes v  ") != std::string::npos);
  CHECK(text.find("2 spikes, sorting by_time") != std::string::npos);
  CHECK(text.find("nodes h1") != std::string::npos);
  CHECK(text.find("      @sorting = by_time\n") != std::string::npos);
  CHECK(text.find("      @model_type = point_neuron\n") != std::string::npos);
  CHECK(described(text, "/sweep/1").rfind("sweep point, value = 400", 0) == 0);
  CHECK(described(text, "/sweep/1/rates/v/rate_hz") == "(not listed)");
  std::ostringstream all, err;
  REQUIRE(ebsim::print_info(path, all, err, {false, true}) == 0);
  CHECK(described(all.str(), "/sweep/1/rates/v/rate_hz") == "float64 [1 x 2], units Hz");
  std::ostringstream json;
  REQUIRE(ebsim::print_info(path, json, err, {true, false}) == 0);
  CHECK(json.str().rfind("{\"path\": ", 0) == 0);
  CHECK(json.str().find("\"format\": \"ebsim\"") != std::string::npos);
  CHECK(json.str().find("{\"path\": \"/spikes/v/timestamps\", \"kind\": \"dataset\", \"type\": \"float64\", "
                        "\"shape\": [2], \"units\": \"ms\"") != std::string::npos);
}

TEST_CASE("ebsim info shows dangling soft links and external links instead of aborting") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("links.h5");
  {
    H5::H5File file(path, H5F_ACC_TRUNC);
    file.createGroup("/a");
    H5Lcreate_soft("/nowhere", file.getId(), "/a/dangling", H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_soft("/a", file.getId(), "/to_a", H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_external("missing.h5", "/x", file.getId(), "/a/elsewhere", H5P_DEFAULT, H5P_DEFAULT);
    file.createGroup("/z");
  }
  const std::string text = info_of(path);
  CHECK(described(text, "/a/dangling") == "soft link -> /nowhere (dangling)");
  CHECK(described(text, "/a/elsewhere") == "external link -> missing.h5:/x");
  CHECK(described(text, "/to_a") == "soft link -> /a");
  CHECK(described(text, "/z") == "group");  // the listing went on after the links
}

TEST_CASE("ebsim info lists an object with two names once and survives a hard-link cycle") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("cycle.h5");
  {
    H5::H5File file(path, H5F_ACC_TRUNC);
    file.createGroup("/a");
    file.createGroup("/a/b");
    H5Lcreate_hard(file.getId(), "/a", file.getId(), "/a/b/back_to_a", H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_hard(file.getId(), "/", file.getId(), "/a/root", H5P_DEFAULT, H5P_DEFAULT);
  }
  const std::string text = info_of(path);
  CHECK(described(text, "/a/b/back_to_a") == "hard link to /a (listed there)");
  CHECK(described(text, "/a/root") == "hard link to / (listed there)");
  CHECK(described(text, "/a/b") == "group");
}

namespace {

// A chain /g/g/.../g of `depth` groups.
void write_chain(const std::string& path, int depth) {
  H5::H5File file(path, H5F_ACC_TRUNC);
  hid_t group = H5Gopen2(file.getId(), "/", H5P_DEFAULT);
  for (int k = 0; k < depth; ++k) {
    const hid_t child = H5Gcreate2(group, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(group);
    group = child;
  }
  H5Gclose(group);
}

}  // namespace

TEST_CASE("ebsim info lists a deep chain of groups in time linear in its length") {
  // Opening each group by its full path from the root costs its depth: the listing of a chain of n
  // groups took n^2 / 2 lookups, n / 2 times the cost of opening the deepest group once by its full
  // path (n lookups). Opening each group relative to its parent costs n lookups in all, about one
  // such opening. The baseline, timed in this process (best of five, so that load slows both alike
  // and a momentary stall does not count): one opening of the deepest group by its full path. At
  // n = 2000 the quadratic listing takes about 1000 baselines; the linear one measures about 2 (its
  // own work per group and the n^2 characters of paths it prints; more under ASan), so the bound
  // of 100 baselines keeps a margin of 10 below the quadratic listing.
  const ebsim::test::TempDir dir;
  constexpr int kDepth = 2000;
  const std::string path = dir.file("deep.h5");
  write_chain(path, kDepth);
  std::string deepest;
  for (int k = 0; k < kDepth; ++k) deepest += "/g";
  double listing_s = 1e300, baseline_s = 1e300;
  std::string text;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    text = info_of(path);
    listing_s = std::min(listing_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    H5::H5File file(path, H5F_ACC_RDONLY);
    start = std::chrono::steady_clock::now();
    const hid_t group = H5Gopen2(file.getId(), deepest.c_str(), H5P_DEFAULT);
    baseline_s = std::min(baseline_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    REQUIRE(group >= 0);
    H5Gclose(group);
  }
  CHECK(described(text, deepest) == "group");
  MESSAGE("listing " << kDepth << " groups: " << listing_s << " s; opening the deepest by its path: " << baseline_s
                     << " s (ratio " << listing_s / baseline_s << ")");
  CHECK(listing_s < 100 * baseline_s);
}
