#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "sim/io/hdf5_sink.hpp"
#include "sim/io/info.hpp"
#include "sim/io/recording_sink.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using ebsim::Hdf5Sink;
using ebsim::test::example_metadata;

namespace {

std::vector<hsize_t> dims_of(const H5::DataSet& dataset) {
  const H5::DataSpace space = dataset.getSpace();
  std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  return dims;
}

template <class T>
std::vector<T> read_all(const H5::H5File& file, const std::string& path, const H5::PredType& memory_type) {
  const H5::DataSet dataset = file.openDataSet(path);
  std::vector<T> values(static_cast<std::size_t>(dataset.getSpace().getSimpleExtentNpoints()));
  if (!values.empty()) dataset.read(values.data(), memory_type);
  return values;
}

template <class T>
T read_attribute(const H5::H5Object& object, const std::string& name, const H5::PredType& memory_type) {
  T value{};
  object.openAttribute(name).read(memory_type, &value);
  return value;
}

std::string read_text_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute attribute = object.openAttribute(name);
  std::string value;
  attribute.read(attribute.getStrType(), value);
  return value;
}

// The SONATA `sorting` attribute: an HDF5 enum; returns the name of its value ("" if not an enum).
std::string sorting_name(const H5::H5Object& object) {
  const H5::Attribute attribute = object.openAttribute("sorting");
  if (attribute.getTypeClass() != H5T_ENUM) return "";
  const H5::EnumType type = attribute.getEnumType();
  std::int8_t value = -1;
  attribute.read(type, &value);
  return type.nameOf(&value, 16);
}

std::int64_t complete_flag(const std::string& path) {
  const H5::H5File file(path, H5F_ACC_RDONLY);
  return read_attribute<std::int64_t>(file.openGroup("/"), "complete", H5::PredType::NATIVE_INT64);
}

// Row k of the test report: values that identify their row and column exactly in float32.
std::vector<float> report_row(std::uint32_t k, std::uint32_t n) {
  std::vector<float> row(n);
  for (std::uint32_t i = 0; i < n; ++i) row[i] = static_cast<float>(k * 1000 + i);
  return row;
}

constexpr std::uint32_t kNodes = 300;
constexpr std::uint32_t kRows = 1000;    // more than one 864-row write block at 300 nodes
constexpr std::size_t kSpikes = 200000;  // more than one 131072-spike write block
constexpr std::size_t kSpikesPerAppend = 1000;
constexpr std::size_t kSynapses = 20000;  // large enough to be stored chunked

// Writes every kind of output once, as a run would.
void write_full_run(Hdf5Sink& sink) {
  sink.begin_run(example_metadata());
  sink.declare_report("h1", kNodes, 10.0, 0.5);
  for (std::uint32_t k = 0; k < kRows; ++k) sink.append_report("h1", report_row(k, kNodes));

  sink.declare_spikes("h1");
  sink.declare_spikes("v");  // never spikes: its datasets must exist, empty
  for (std::size_t begin = 0; begin < kSpikes; begin += kSpikesPerAppend) {
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    for (std::size_t i = begin; i < begin + kSpikesPerAppend; ++i) {
      times.push_back(0.01 * static_cast<double>(i / 2));  // pairs of simultaneous spikes
      ids.push_back(i % kNodes);
    }
    sink.append_spikes("h1", times, ids);
  }

  ebsim::WeightTable initial{"v_h1", "v", "h1", true, 1.0, 0.5, {0, 1, 3}, {2, 2, 299}, {0.1, -0.2, 0.3}, 1.0, {}};
  sink.write_weights("initial", initial);
  ebsim::WeightTable final_weights{"v_h1", "v", "h1", true, 1.0, 0.5, {}, {}, {}, 1.0, {}};
  for (std::size_t s = 0; s < kSynapses; ++s) {
    final_weights.pre.push_back(s % 4);
    final_weights.post.push_back(s % kNodes);
    final_weights.weight.push_back(1e-3 * static_cast<double>(s));
  }
  sink.write_weights("final", final_weights);

  const std::vector<double> steps{12.0};
  sink.write_array("/analysis/settle/steps", steps, {});
  const std::vector<double> rates{1, 2, 3, 4, 5, 6};
  sink.write_array("/analysis/rates", rates, {2, 3});
  std::vector<double> trace(10000);
  for (std::size_t i = 0; i < trace.size(); ++i) trace[i] = static_cast<double>(i) * 0.25;
  sink.write_array("/analysis/trace", trace, {trace.size()});

  sink.write_attribute("/analysis/settle", "passed", std::int64_t{1});
  sink.write_attribute("/analysis/rates", "units", std::string("Hz"));  // on a dataset
  sink.write_attribute("/analysis/new/group", "tolerance", 0.5);        // creates the group
  sink.write_attribute("/", "note", std::string("first"));
  sink.write_attribute("/", "note", std::string("replaced"));
}

}  // namespace

TEST_CASE("Hdf5Sink writes the SONATA layout, weights and analysis and renames when complete") {
  // Written once: doctest runs this body again for each SUBCASE, which all read the same file.
  static const ebsim::test::TempDir dir;
  const std::string path = dir.file("run.h5");
  static bool written = false;
  if (!written) {
    written = true;
    Hdf5Sink sink(path);
    CHECK(sink.partial_path() == path + ".partial");
    write_full_run(sink);
    CHECK(fs::exists(sink.partial_path()));
    CHECK_FALSE(fs::exists(path));
    sink.end_run(true);
    CHECK_THROWS_AS(sink.end_run(true), std::logic_error);
    CHECK_THROWS_AS(sink.declare_spikes("late"), std::logic_error);
  }
  REQUIRE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));

  const H5::H5File file(path, H5F_ACC_RDONLY);
  const H5::Group root = file.openGroup("/");

  SUBCASE("provenance and populations") {
    CHECK(read_attribute<std::uint32_t>(root, "magic", H5::PredType::NATIVE_UINT32) == 0x0A7A);
    const H5::Attribute version = root.openAttribute("version");
    CHECK(version.getSpace().getSimpleExtentNpoints() == 2);
    std::uint32_t sonata_version[2] = {9, 9};
    version.read(H5::PredType::NATIVE_UINT32, sonata_version);
    CHECK(sonata_version[0] == 0);
    CHECK(sonata_version[1] == 1);
    CHECK(read_attribute<std::int64_t>(root, "complete", H5::PredType::NATIVE_INT64) == 1);
    CHECK(read_attribute<std::uint64_t>(root, "seed", H5::PredType::NATIVE_UINT64) == 18446744073709551615ull);
    CHECK(read_text_attribute(root, "ebsim_version") == "0.1.0");
    CHECK(read_text_attribute(root, "git_revision") == "abc1234");
    CHECK(read_text_attribute(root, "command_line") == "ebsim run configs/example.yaml --seed 7");
    CHECK(read_text_attribute(root, "engine") == "continuous");
    CHECK(read_text_attribute(root, "note") == "replaced");

    const H5::DataSet config = file.openDataSet("/config");
    CHECK(config.getSpace().getSimpleExtentType() == H5S_SCALAR);
    std::string config_text;
    config.read(config_text, config.getStrType());
    CHECK(config_text == "network:\n  h1: {size: 300}\n");

    const H5::Group h1 = file.openGroup("/populations/h1");
    CHECK(read_text_attribute(h1, "role") == "hidden");
    CHECK(read_attribute<std::uint64_t>(h1, "size", H5::PredType::NATIVE_UINT64) == 300);
    CHECK(read_text_attribute(file.openGroup("/populations/v"), "role") == "visible");
  }

  SUBCASE("report data is time x nodes float32, chunked by whole rows, every row intact") {
    const H5::DataSet data = file.openDataSet("/report/h1/data");
    CHECK(data.getTypeClass() == H5T_FLOAT);
    CHECK(data.getFloatType().getSize() == 4);
    CHECK(dims_of(data) == std::vector<hsize_t>{kRows, kNodes});
    hsize_t max_dims[2] = {0, 0};
    data.getSpace().getSimpleExtentDims(nullptr, max_dims);
    CHECK(max_dims[0] == H5S_UNLIMITED);
    CHECK(max_dims[1] == kNodes);
    const H5::DSetCreatPropList properties = data.getCreatePlist();
    hsize_t chunk[2] = {0, 0};
    REQUIRE(properties.getChunk(2, chunk) == 2);
    CHECK(chunk[0] == 65536 / (kNodes * 4));
    CHECK(chunk[1] == kNodes);
    CHECK(properties.allFiltersAvail());
    CHECK(read_text_attribute(data, "units") == "1");

    const std::vector<float> values = read_all<float>(file, "/report/h1/data", H5::PredType::NATIVE_FLOAT);
    REQUIRE(values.size() == std::size_t{kRows} * kNodes);
    bool all_rows_match = true;
    for (std::uint32_t k = 0; k < kRows; ++k) {
      const std::vector<float> expected = report_row(k, kNodes);
      all_rows_match =
          all_rows_match && std::equal(expected.begin(), expected.end(), values.begin() + std::ptrdiff_t{k} * kNodes);
    }
    CHECK(all_rows_match);
  }

  SUBCASE("report mapping follows SONATA, time = [start, start + rows * step, step] in ms") {
    const auto node_ids = read_all<std::uint64_t>(file, "/report/h1/mapping/node_ids", H5::PredType::NATIVE_UINT64);
    REQUIRE(node_ids.size() == kNodes);
    for (std::uint64_t i = 0; i < kNodes; ++i) CHECK(node_ids[i] == i);
    const H5::DataSet element_ids = file.openDataSet("/report/h1/mapping/element_ids");
    CHECK(element_ids.getIntType().getSize() == 4);
    CHECK(element_ids.getIntType().getSign() == H5T_SGN_NONE);
    const auto elements = read_all<std::uint32_t>(file, "/report/h1/mapping/element_ids", H5::PredType::NATIVE_UINT32);
    CHECK(elements == std::vector<std::uint32_t>(kNodes, 0));
    const auto pointers =
        read_all<std::uint64_t>(file, "/report/h1/mapping/index_pointers", H5::PredType::NATIVE_UINT64);
    REQUIRE(pointers.size() == kNodes + 1);
    for (std::uint64_t i = 0; i <= kNodes; ++i) CHECK(pointers[i] == i);
    const auto time = read_all<double>(file, "/report/h1/mapping/time", H5::PredType::NATIVE_DOUBLE);
    CHECK(time == std::vector<double>{10.0, 10.0 + kRows * 0.5, 0.5});
    CHECK(read_text_attribute(file.openDataSet("/report/h1/mapping/time"), "units") == "ms");
    const H5::DataSet ids = file.openDataSet("/report/h1/mapping/node_ids");
    CHECK(read_attribute<std::int8_t>(ids, "sorted", H5::PredType::NATIVE_INT8) == 1);
    CHECK(ids.openAttribute("sorted").getIntType().getSize() == 1);
    const H5::DataSet pos = file.openDataSet("/report/h1/mapping/element_pos");
    CHECK(pos.getFloatType().getSize() == 4);
    CHECK(read_all<float>(file, "/report/h1/mapping/element_pos", H5::PredType::NATIVE_FLOAT) ==
          std::vector<float>(kNodes, 0.5f));
    // bmtk's spelling, a soft link to the guide's.
    H5L_info_t link{};
    REQUIRE(H5Lget_info(file.getId(), "/report/h1/mapping/index_pointer", &link, H5P_DEFAULT) >= 0);
    CHECK(link.type == H5L_TYPE_SOFT);
    CHECK(read_all<std::uint64_t>(file, "/report/h1/mapping/index_pointer", H5::PredType::NATIVE_UINT64) == pointers);
    for (const char* name : {"node_ids", "element_ids", "element_pos", "index_pointers"})
      CHECK(read_text_attribute(file.openDataSet(std::string("/report/h1/mapping/") + name), "units") == "1");
  }

  SUBCASE("the network as SONATA nodes and edges, with both indices") {
    CHECK(read_all<std::uint64_t>(file, "/nodes/v/node_id", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{0, 1, 2, 3});
    CHECK(read_all<std::uint32_t>(file, "/nodes/v/node_type_id", H5::PredType::NATIVE_UINT32) ==
          std::vector<std::uint32_t>(4, 1));  // the population's index in the metadata
    CHECK(read_all<std::uint32_t>(file, "/nodes/h1/node_group_id", H5::PredType::NATIVE_UINT32).size() == kNodes);
    CHECK(read_all<std::uint64_t>(file, "/nodes/v/node_group_index", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{0, 1, 2, 3});
    CHECK(file.nameExists("/nodes/h1/0"));

    const H5::DataSet source = file.openDataSet("/edges/v_h1/source_node_id");
    CHECK(read_text_attribute(source, "node_population") == "v");
    CHECK(read_text_attribute(file.openDataSet("/edges/v_h1/target_node_id"), "node_population") == "h1");
    CHECK(read_all<std::uint64_t>(file, "/edges/v_h1/source_node_id", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{0, 1, 3});
    CHECK(read_all<std::uint64_t>(file, "/edges/v_h1/target_node_id", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{2, 2, 299});
    CHECK(read_all<std::uint32_t>(file, "/edges/v_h1/edge_type_id", H5::PredType::NATIVE_UINT32) ==
          std::vector<std::uint32_t>(3, 0));
    CHECK(read_all<std::uint32_t>(file, "/edges/v_h1/edge_group_id", H5::PredType::NATIVE_UINT32) ==
          std::vector<std::uint32_t>(3, 0));
    CHECK(read_all<std::uint64_t>(file, "/edges/v_h1/edge_group_index", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{0, 1, 2});
    CHECK(read_all<double>(file, "/edges/v_h1/0/syn_weight", H5::PredType::NATIVE_DOUBLE) ==
          std::vector<double>{0.1, -0.2, 0.3});
    CHECK(read_all<double>(file, "/edges/v_h1/0/delay", H5::PredType::NATIVE_DOUBLE) == std::vector<double>(3, 1.0));
    CHECK(read_text_attribute(file.openDataSet("/edges/v_h1/0/delay"), "units") == "ms");
    // Source index: v has 4 nodes; node 2 has no edges (an empty range).
    CHECK(read_all<std::int64_t>(file, "/edges/v_h1/indices/source_to_target/node_id_to_ranges",
                                 H5::PredType::NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 1, 2, 2, 2, 2, 3});
    CHECK(read_all<std::int64_t>(file, "/edges/v_h1/indices/source_to_target/range_to_edge_id",
                                 H5::PredType::NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 1, 2, 2, 3});
    // Target index: edges 0 and 1 share target 2 (one range), edge 2 goes to 299.
    const auto to_ranges = read_all<std::int64_t>(file, "/edges/v_h1/indices/target_to_source/node_id_to_ranges",
                                                  H5::PredType::NATIVE_INT64);
    REQUIRE(to_ranges.size() == 2 * kNodes);
    CHECK(to_ranges[4] == 0);
    CHECK(to_ranges[5] == 1);
    CHECK(to_ranges[2 * 299] == 1);
    CHECK(to_ranges[2 * 299 + 1] == 2);
    CHECK(read_all<std::int64_t>(file, "/edges/v_h1/indices/target_to_source/range_to_edge_id",
                                 H5::PredType::NATIVE_INT64) == std::vector<std::int64_t>{0, 2, 2, 3});
    CHECK(read_all<std::int64_t>(file, "/edges/v_h1/indices/target_to_source/node_id_to_range",
                                 H5::PredType::NATIVE_INT64) == to_ranges);  // bmtk's spelling
    CHECK_FALSE(file.nameExists("/edges/v_h1/final"));                       // only the network as built
  }

  SUBCASE("spikes are stored by time with units, and a silent population has empty datasets") {
    const H5::Group h1 = file.openGroup("/spikes/h1");
    CHECK(sorting_name(h1) == "by_time");
    {
      // The guide's enum: none 0, by_id 1, by_time 2, on an 8-bit base as libsonata reads it.
      const H5::EnumType type = h1.openAttribute("sorting").getEnumType();
      CHECK(type.getNmembers() == 3);
      CHECK(type.getSize() == 1);
      for (const auto& [name, value] : {std::pair{"none", 0}, std::pair{"by_id", 1}, std::pair{"by_time", 2}}) {
        std::int8_t v = -1;
        type.valueOf(name, &v);
        CHECK(v == value);
      }
    }
    CHECK(read_text_attribute(file.openDataSet("/spikes/h1/node_ids"), "units") == "1");
    CHECK(read_text_attribute(file.openDataSet("/spikes/h1/timestamps"), "units") == "ms");
    CHECK(file.openDataSet("/spikes/h1/node_ids").getIntType().getSize() == 8);
    const auto times = read_all<double>(file, "/spikes/h1/timestamps", H5::PredType::NATIVE_DOUBLE);
    const auto ids = read_all<std::uint64_t>(file, "/spikes/h1/node_ids", H5::PredType::NATIVE_UINT64);
    REQUIRE(times.size() == kSpikes);
    REQUIRE(ids.size() == kSpikes);
    bool all_spikes_match = true;
    for (std::size_t i = 0; i < kSpikes; ++i)
      all_spikes_match = all_spikes_match && times[i] == 0.01 * static_cast<double>(i / 2) && ids[i] == i % kNodes;
    CHECK(all_spikes_match);

    CHECK(dims_of(file.openDataSet("/spikes/v/timestamps")) == std::vector<hsize_t>{0});
    CHECK(dims_of(file.openDataSet("/spikes/v/node_ids")) == std::vector<hsize_t>{0});
    CHECK(sorting_name(file.openGroup("/spikes/v")) == "by_time");
  }

  SUBCASE("weights per label and projection with their attributes") {
    const H5::Group initial = file.openGroup("/weights/initial/v_h1");
    CHECK(read_text_attribute(initial, "source") == "v");
    CHECK(read_text_attribute(initial, "target") == "h1");
    CHECK(read_attribute<std::int64_t>(initial, "symmetric", H5::PredType::NATIVE_INT64) == 1);
    CHECK(read_attribute<double>(initial, "gain_forward", H5::PredType::NATIVE_DOUBLE) == 1.0);
    CHECK(read_attribute<double>(initial, "gain_backward", H5::PredType::NATIVE_DOUBLE) == 0.5);
    CHECK(read_all<std::uint64_t>(file, "/weights/initial/v_h1/pre", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{0, 1, 3});
    CHECK(read_all<std::uint64_t>(file, "/weights/initial/v_h1/post", H5::PredType::NATIVE_UINT64) ==
          std::vector<std::uint64_t>{2, 2, 299});
    CHECK(read_all<double>(file, "/weights/initial/v_h1/weight", H5::PredType::NATIVE_DOUBLE) ==
          std::vector<double>{0.1, -0.2, 0.3});

    const auto final_weights = read_all<double>(file, "/weights/final/v_h1/weight", H5::PredType::NATIVE_DOUBLE);
    REQUIRE(final_weights.size() == kSynapses);
    CHECK(final_weights[kSynapses - 1] == 1e-3 * static_cast<double>(kSynapses - 1));
    CHECK(file.openDataSet("/weights/final/v_h1/weight").getCreatePlist().getLayout() == H5D_CHUNKED);
  }

  SUBCASE("arrays keep their shape and values; attributes land on groups and datasets") {
    const H5::DataSet steps = file.openDataSet("/analysis/settle/steps");
    CHECK(steps.getSpace().getSimpleExtentType() == H5S_SCALAR);
    CHECK(read_all<double>(file, "/analysis/settle/steps", H5::PredType::NATIVE_DOUBLE) == std::vector<double>{12.0});
    CHECK(dims_of(file.openDataSet("/analysis/rates")) == std::vector<hsize_t>{2, 3});
    CHECK(read_all<double>(file, "/analysis/rates", H5::PredType::NATIVE_DOUBLE) ==
          std::vector<double>{1, 2, 3, 4, 5, 6});
    const auto trace = read_all<double>(file, "/analysis/trace", H5::PredType::NATIVE_DOUBLE);
    REQUIRE(trace.size() == 10000);
    CHECK(trace[9999] == 9999 * 0.25);

    CHECK(read_attribute<std::int64_t>(file.openGroup("/analysis/settle"), "passed", H5::PredType::NATIVE_INT64) == 1);
    CHECK(read_text_attribute(file.openDataSet("/analysis/rates"), "units") == "Hz");
    CHECK(read_attribute<double>(file.openGroup("/analysis/new/group"), "tolerance", H5::PredType::NATIVE_DOUBLE) ==
          0.5);
  }

  SUBCASE("ebsim info lists every dataset with type and shape") {
    std::ostringstream out, err;
    CHECK(ebsim::print_info(path, out, err) == 0);
    CHECK(err.str().empty());
    const std::string text = out.str();
    const auto line_of = [&](const std::string& needle) {
      const std::size_t at = text.find(needle);
      if (at == std::string::npos) return std::string();
      const std::size_t begin = text.rfind('\n', at) + 1;
      return text.substr(begin, text.find('\n', at) - begin);
    };
    CHECK(line_of("/report/h1/data").find("float32 [1000 x 300]") != std::string::npos);
    CHECK(line_of("/spikes/v/node_ids").find("uint64 [0]") != std::string::npos);
    CHECK(line_of("/analysis/settle/steps").find("float64 scalar = 12") != std::string::npos);
    CHECK(line_of("status").find("complete") != std::string::npos);
    CHECK(line_of("engine").find("continuous") != std::string::npos);
    CHECK(line_of("seed").find("18446744073709551615") != std::string::npos);
    CHECK(line_of("h1  ").find("hidden, 300 nodes") != std::string::npos);
  }
}

TEST_CASE("end_run(false) keeps the .partial file, marked incomplete, and writes no final file") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("interrupted.h5");
  {
    Hdf5Sink sink(path);
    sink.begin_run(example_metadata());
    sink.declare_report("h1", 20, 0.0, 1.0);
    for (std::uint32_t k = 0; k < 5; ++k) sink.append_report("h1", report_row(k, 20));
    sink.end_run(false);
  }
  CHECK_FALSE(fs::exists(path));
  REQUIRE(fs::exists(path + ".partial"));
  CHECK(complete_flag(path + ".partial") == 0);
  const H5::H5File file(path + ".partial", H5F_ACC_RDONLY);
  CHECK(dims_of(file.openDataSet("/report/h1/data")) == std::vector<hsize_t>{5, 20});

  std::ostringstream out, err;
  CHECK(ebsim::print_info(path + ".partial", out, err) == 0);
  CHECK(out.str().find("INCOMPLETE") != std::string::npos);
}

TEST_CASE("an Hdf5Sink destroyed without end_run leaves a readable .partial file with its data") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("abandoned.h5");
  {
    Hdf5Sink sink(path);
    sink.begin_run(example_metadata());
    sink.declare_report("h1", 20, 0.0, 1.0);
    for (std::uint32_t k = 0; k < 7; ++k) sink.append_report("h1", report_row(k, 20));
    sink.declare_spikes("h1");
    const std::vector<double> times{1.0, 2.0};
    const std::vector<std::uint64_t> ids{3, 4};
    sink.append_spikes("h1", times, ids);
  }
  CHECK_FALSE(fs::exists(path));
  REQUIRE(fs::exists(path + ".partial"));
  CHECK(complete_flag(path + ".partial") == 0);
  const H5::H5File file(path + ".partial", H5F_ACC_RDONLY);
  CHECK(dims_of(file.openDataSet("/report/h1/data")) == std::vector<hsize_t>{7, 20});
  CHECK(read_all<double>(file, "/report/h1/mapping/time", H5::PredType::NATIVE_DOUBLE) ==
        std::vector<double>{0.0, 7.0, 1.0});
  CHECK(read_all<double>(file, "/spikes/h1/timestamps", H5::PredType::NATIVE_DOUBLE) == std::vector<double>{1.0, 2.0});
}

TEST_CASE("Hdf5Sink rejects overwrites and contract violations with messages naming the path") {
  const ebsim::test::TempDir dir;
  Hdf5Sink sink(dir.file("errors.h5"));
  sink.begin_run(example_metadata());
  const std::vector<double> one{1.0};
  sink.write_array("/analysis/x", one, {});

  SUBCASE("write_array to an existing path") {
    try {
      sink.write_array("/analysis/x", one, {});
      FAIL("expected std::runtime_error");
    } catch (const std::runtime_error& error) {
      CHECK(std::string(error.what()).find("/analysis/x") != std::string::npos);
    }
    CHECK_THROWS_AS(sink.write_array("/analysis", one, {}), std::runtime_error);  // a group
  }
  SUBCASE("malformed arrays and paths") {
    CHECK_THROWS_AS(sink.write_array("/analysis/y", one, {2}), std::invalid_argument);
    CHECK_THROWS_AS(sink.write_array("analysis/y", one, {}), std::invalid_argument);
    CHECK_THROWS_AS(sink.write_array("/analysis//y", one, {}), std::invalid_argument);
    CHECK_THROWS_AS(sink.write_array("/analysis/x/below_a_dataset", one, {}), std::runtime_error);
  }
  SUBCASE("reports and spikes") {
    sink.declare_report("h1", 3, 0.0, 1.0);
    CHECK_THROWS_AS(sink.declare_report("h1", 3, 0.0, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(sink.append_report("nope", std::vector<float>(3)), std::invalid_argument);
    CHECK_THROWS_AS(sink.append_report("h1", std::vector<float>(2)), std::invalid_argument);
    CHECK_THROWS_AS(sink.declare_report("a/b", 3, 0.0, 1.0), std::invalid_argument);
    sink.declare_spikes("h1");
    const std::vector<double> late{5.0}, early{4.0};
    const std::vector<std::uint64_t> id{0};
    sink.append_spikes("h1", late, id);
    CHECK_THROWS_AS(sink.append_spikes("h1", early, id), std::invalid_argument);
    CHECK_THROWS_AS(sink.append_spikes("h1", late, std::vector<std::uint64_t>{}), std::invalid_argument);
  }
  SUBCASE("weights written twice") {
    const ebsim::WeightTable table{"p", "a", "b", false, 1.0, 0.0, {0}, {0}, {0.5}, 1.0, {}};
    sink.write_weights("initial", table);
    CHECK_THROWS_AS(sink.write_weights("initial", table), std::runtime_error);
  }
  sink.end_run(true);
}

TEST_CASE("Hdf5Sink reports an unwritable destination as std::runtime_error naming the file") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("missing_directory/run.h5");
  try {
    Hdf5Sink sink(path);
    FAIL("expected std::runtime_error");
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    CHECK(message.find(path + ".partial") != std::string::npos);
    CHECK(message.find("No such file or directory") != std::string::npos);
  }
}

TEST_CASE("end_run(true) never replaces a file that appeared under the final name during the run") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("run.h5");
  Hdf5Sink sink(path);
  sink.begin_run(example_metadata());
  ebsim::test::write_file(path, "someone else's results");
  CHECK_THROWS_AS(sink.end_run(true), std::runtime_error);
  std::ifstream in(path);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "someone else's results");
  REQUIRE(fs::exists(path + ".partial"));
  CHECK(complete_flag(path + ".partial") == 1);  // finished: only its name is not the final one
}

TEST_CASE("end_run(true) replaces an existing file only when the sink was made to (--force)") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("run.h5");
  ebsim::test::write_file(path, "an older run");
  Hdf5Sink sink(path, true);
  sink.begin_run(example_metadata());
  sink.end_run(true);
  CHECK_FALSE(fs::exists(path + ".partial"));
  CHECK(complete_flag(path) == 1);
}

TEST_CASE("a copy of the partial file taken while the sink writes (as a SIGKILL would leave it) opens with its rows") {
  // The file on disk must be a consistent state at every moment, not only after end_run: the copy
  // is what a process killed right then would leave behind.
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("running.h5"), copy = dir.file("killed.h5");
  Hdf5Sink sink(path);
  sink.begin_run(example_metadata());
  sink.declare_report("h1", kNodes, 0.0, 1.0);
  constexpr std::uint32_t kWritten = 3000;  // several 1 MiB blocks of 1200-byte rows
  for (std::uint32_t k = 0; k < kWritten; ++k) sink.append_report("h1", report_row(k, kNodes));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a flush is due at the next write
  sink.append_report("h1", report_row(kWritten, kNodes));
  fs::copy_file(path + ".partial", copy);
  {
    const H5::H5File file(copy, H5F_ACC_RDONLY);
    CHECK(complete_flag(copy) == 0);
    const std::vector<hsize_t> dims = dims_of(file.openDataSet("/report/h1/data"));
    REQUIRE(dims.size() == 2);
    CHECK(dims[0] >= 1000);  // whole blocks only: the rest is still buffered
    CHECK(dims[0] <= kWritten + 1);
    const auto data = read_all<float>(file, "/report/h1/data", H5::PredType::NATIVE_FLOAT);
    CHECK(data[(dims[0] - 1) * kNodes + 7] == report_row(std::uint32_t(dims[0] - 1), kNodes)[7]);
    const auto time = read_all<double>(file, "/report/h1/mapping/time", H5::PredType::NATIVE_DOUBLE);
    CHECK(time[1] == double(dims[0]));  // stop = start + rows * step for the rows in the file
  }
  sink.end_run(false);
}

TEST_CASE("write_array takes units from the one list and stores integer quantities as int64, never changing a value") {
  const ebsim::test::TempDir dir;
  const std::string path = dir.file("units.h5");
  {
    Hdf5Sink sink(path);
    sink.begin_run(example_metadata());
    sink.write_array("/training/epoch", std::vector<double>{0, 1, 2}, {3});
    sink.write_array("/training/test_predictions", std::vector<double>{3, 0.5}, {2});  // not integers: float64
    sink.write_array("/rates/h1/rate_hz", std::vector<double>{1.5, 2.5}, {1, 2});
    sink.set_scope("/sweep/3");
    sink.write_array("/analysis/phases/settle/held_low", std::vector<double>{1, 2}, {1, 2});
    sink.write_array("/populations/h1/bias", std::vector<double>{0.125}, {1});
    sink.set_scope("");
    sink.write_array("/populations/v/bias", std::vector<double>{0.5, 0.25, 0, 1}, {4});
    sink.write_array("/analysis/unlisted", std::vector<double>{1}, {1});
    sink.end_run(true);
  }
  const H5::H5File file(path, H5F_ACC_RDONLY);
  const H5::DataSet epoch = file.openDataSet("/training/epoch");
  CHECK(epoch.getTypeClass() == H5T_INTEGER);
  CHECK(epoch.getIntType().getSize() == 8);
  CHECK(read_all<std::int64_t>(file, "/training/epoch", H5::PredType::NATIVE_INT64) ==
        std::vector<std::int64_t>{0, 1, 2});
  CHECK(read_text_attribute(epoch, "units") == "1");
  CHECK(file.openDataSet("/training/test_predictions").getTypeClass() == H5T_FLOAT);
  CHECK(read_text_attribute(file.openDataSet("/rates/h1/rate_hz"), "units") == "Hz");
  // A scope does not change a dataset's units or storage.
  const H5::DataSet held = file.openDataSet("/sweep/3/analysis/phases/settle/held_low");
  CHECK(held.getTypeClass() == H5T_INTEGER);
  CHECK(read_text_attribute(held, "units") == "1");
  // Biases are the nodes' dynamics parameters too; a sweep run gets node populations of its own
  // (the root's node type, its own biases), so that it is a whole SONATA network.
  CHECK(read_all<double>(file, "/nodes/v/0/dynamics_params/bias", H5::PredType::NATIVE_DOUBLE) ==
        std::vector<double>{0.5, 0.25, 0, 1});
  CHECK(read_all<double>(file, "/sweep/3/nodes/h1/0/dynamics_params/bias", H5::PredType::NATIVE_DOUBLE) ==
        std::vector<double>{0.125});
  CHECK(read_all<std::uint64_t>(file, "/sweep/3/nodes/h1/node_id", H5::PredType::NATIVE_UINT64) ==
        std::vector<std::uint64_t>{0});
  CHECK(read_all<std::uint32_t>(file, "/sweep/3/nodes/h1/node_type_id", H5::PredType::NATIVE_UINT32).at(0) ==
        read_all<std::uint32_t>(file, "/nodes/h1/node_type_id", H5::PredType::NATIVE_UINT32).at(0));
  CHECK_FALSE(file.nameExists("/sweep/3/nodes/v"));  // only populations whose biases the run wrote
  CHECK_FALSE(file.openDataSet("/analysis/unlisted").attrExists("units"));
}

TEST_CASE("chunks encoded by a recording give the file the same datasets as rows, and only where they fit") {
  const ebsim::test::TempDir dir;
  // 20,000 spikes (2 whole chunks and a rest) and 2,000 report rows of 20 (2 chunks of 819 and a
  // rest): once as rows, once through a recording that encodes them.
  auto feed = [](ebsim::Sink& sink) {
    sink.declare_report("h1", 20, 0.0, 1.0);
    sink.declare_spikes("h1");
    for (std::uint32_t k = 0; k < 2000; ++k) {
      sink.append_report("h1", report_row(k, 20));
      std::vector<double> times;
      std::vector<std::uint64_t> ids;
      for (std::uint64_t j = 0; j < 10; ++j) times.push_back(k + 0.1 * double(j)), ids.push_back((k * 7 + j) % 20);
      sink.append_spikes("h1", times, ids);
    }
  };
  for (const bool encoded : {false, true}) {
    Hdf5Sink sink(dir.file(encoded ? "encoded.h5" : "rows.h5"));
    CHECK(sink.stores_chunks());
    sink.begin_run(example_metadata());
    if (encoded) {
      ebsim::RecordingSink rec(true);
      feed(rec);
      rec.finish_chunks();
      rec.replay(sink);
    } else {
      feed(sink);
    }
    sink.end_run(true);
  }
  const H5::H5File rows(dir.file("rows.h5"), H5F_ACC_RDONLY), encoded(dir.file("encoded.h5"), H5F_ACC_RDONLY);
  CHECK(read_all<double>(rows, "/spikes/h1/timestamps", H5::PredType::NATIVE_DOUBLE) ==
        read_all<double>(encoded, "/spikes/h1/timestamps", H5::PredType::NATIVE_DOUBLE));
  CHECK(read_all<std::uint64_t>(rows, "/spikes/h1/node_ids", H5::PredType::NATIVE_UINT64) ==
        read_all<std::uint64_t>(encoded, "/spikes/h1/node_ids", H5::PredType::NATIVE_UINT64));
  CHECK(read_all<float>(rows, "/report/h1/data", H5::PredType::NATIVE_FLOAT) ==
        read_all<float>(encoded, "/report/h1/data", H5::PredType::NATIVE_FLOAT));
  CHECK(dims_of(encoded.openDataSet("/report/h1/data")) == std::vector<hsize_t>{2000, 20});
  CHECK(read_all<double>(encoded, "/report/h1/mapping/time", H5::PredType::NATIVE_DOUBLE) ==
        std::vector<double>{0.0, 2000.0, 1.0});

  // A chunk goes only where the rows so far end on a chunk boundary, next in order.
  Hdf5Sink sink(dir.file("misplaced.h5"));
  sink.begin_run(example_metadata());
  sink.declare_spikes("h1");
  std::vector<double> t(8192);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = double(i);
  const std::vector<std::uint64_t> ids(t.size(), 1);
  std::vector<ebsim::EncodedChunk> times, nodes;
  ebsim::ChunkEncoder<double>(1).append(t, times);
  ebsim::ChunkEncoder<std::uint64_t>(1).append(ids, nodes);
  REQUIRE(times.size() == 1);
  CHECK_THROWS_AS(sink.append_spike_chunks("h2", times, nodes), std::invalid_argument);  // not declared
  CHECK_THROWS_AS(sink.append_spike_chunks("h1", times, {}), std::invalid_argument);
  sink.append_spikes("h1", std::vector<double>{0.0}, std::vector<std::uint64_t>{0});
  CHECK_THROWS_AS(sink.append_spike_chunks("h1", times, nodes), std::logic_error);  // inside chunk 0
  sink.end_run(false);
}
