// One concept, the HDF5 writer (Sink): the SONATA spike, report, node and edge layouts, weights, free-form
// arrays and attributes, the .partial file and its rename, and the HDF5 C++ API calls that serve them.
#include "sim/io/hdf5_sink.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/io/chunk_codec.hpp"
#include "sim/io/output_claim.hpp"
#include "sim/io/units.hpp"

namespace ebsim {

namespace {

// Crash consistency. HDF5 1.10 writes changed metadata (object headers, chunk indices) whenever its
// cache evicts it, so a file killed mid-run holds a mix of old and new metadata and does not open.
// With evictions off, metadata reaches the disk only at a flush, and between flushes only raw data
// is written, each chunk once, to fresh space (GrowingDataset writes whole chunks; the last partial
// chunk only when the dataset is finished). So after a SIGKILL the file is the state of the last
// flush, which comes at least this often while data arrive. (SWMR would give readers the same, but
// in HDF5 1.10 a SWMR writer cannot create objects, and the sink creates them during the run.)
constexpr std::chrono::seconds kFlushPeriod{1};
// SONATA files identify themselves by these root attributes.
constexpr std::uint32_t kSonataMagic = 0x0A7A;
constexpr std::array<std::uint32_t, 2> kSonataVersion{0, 1};

// Element types as stored (fixed little-endian, so the file does not depend on the writer's
// machine) and as held in memory.
template <class T>
struct Element;
template <>
struct Element<float> {
  static const H5::PredType& file() { return H5::PredType::IEEE_F32LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_FLOAT; }
};
template <>
struct Element<double> {
  static const H5::PredType& file() { return H5::PredType::IEEE_F64LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_DOUBLE; }
};
template <>
struct Element<std::uint32_t> {
  static const H5::PredType& file() { return H5::PredType::STD_U32LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_UINT32; }
};
template <>
struct Element<std::uint64_t> {
  static const H5::PredType& file() { return H5::PredType::STD_U64LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_UINT64; }
};
template <>
struct Element<std::int8_t> {
  static const H5::PredType& file() { return H5::PredType::STD_I8LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT8; }
};
template <>
struct Element<std::int64_t> {
  static const H5::PredType& file() { return H5::PredType::STD_I64LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT64; }
};

// The SONATA spike file's `sorting`: an HDF5 enum (none 0, by_id 1, by_time 2) on an 8-bit base,
// as libsonata defines it.
enum class Sorting : std::int8_t { none = 0, by_id = 1, by_time = 2 };
H5::EnumType sorting_type() {
  H5::EnumType type{H5::IntType{H5::PredType::STD_I8LE}};
  for (auto [name, value] :
       {std::pair{"none", Sorting::none}, std::pair{"by_id", Sorting::by_id}, std::pair{"by_time", Sorting::by_time}})
    type.insert(name, &value);
  return type;
}

// Variable-length UTF-8: h5py reads these as str (attributes) or bytes (datasets).
H5::StrType text_type() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

// Names only the failing call: HDF5's error stack, which says more, is already cleared by the C++
// wrappers' cleanup while the exception unwinds. Callers pre-check the common mistakes (existing
// paths, missing directories) so that those get a precise message instead.
std::runtime_error hdf5_failure(const std::string& file, const std::string& operation, const H5::Exception& error) {
  return std::runtime_error(file + ": " + operation + " failed: " + error.getDetailMsg() + " (in " +
                            error.getFuncName() + ")");
}

H5::LinkCreatPropList with_intermediate_groups() {
  H5::LinkCreatPropList properties;
  properties.setCreateIntermediateGroup(true);
  return properties;
}

// Population, projection and label names become single path components.
void require_plain_name(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos)
    throw std::invalid_argument(std::string(what) + " name `" + name +
                                "` cannot be an HDF5 group name (empty, `.` or containing `/`)");
}

// "/a/b/c" -> {"a", "b", "c"}; "/" -> {}.
std::vector<std::string> path_components(const std::string& path) {
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("HDF5 path `" + path + "` must be absolute (start with `/`)");
  std::vector<std::string> parts;
  std::size_t begin = 1;
  while (begin < path.size()) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    const std::string part = path.substr(begin, end - begin);
    if (part.empty() || part == "." || part == "..")
      throw std::invalid_argument("HDF5 path `" + path + "` has an empty, `.` or `..` component");
    parts.push_back(part);
    begin = end + 1;
  }
  if (path.size() > 1 && path.back() == '/') throw std::invalid_argument("HDF5 path `" + path + "` ends with `/`");
  return parts;
}

// H5Lexists fails rather than answering when a link on the way is missing or not a group: walk
// the path and say which.
bool object_exists(const H5::H5File& file, const std::string& path) {
  std::string prefix;
  for (const std::string& part : path_components(path)) {
    if (!prefix.empty() && file.childObjType(prefix) != H5O_TYPE_GROUP)
      throw std::runtime_error(file.getFileName() + ": " + path + ": " + prefix + " is not a group");
    prefix += "/" + part;
    if (!file.nameExists(prefix)) return false;
  }
  return true;
}

// Output is written once: a second write to a path is a bug in the caller, named as such rather
// than as HDF5's "H5Gcreate2 failed".
void require_absent(const H5::H5File& file, const std::string& path, const char* operation) {
  if (object_exists(file, path))
    throw std::runtime_error(file.getFileName() + ": " + operation + "(" + path + "): the path already exists");
}

H5::Attribute fresh_attribute(const H5::H5Object& object, const std::string& name, const H5::DataType& type,
                              const H5::DataSpace& space) {
  if (object.attrExists(name)) object.removeAttr(name);
  return object.createAttribute(name, type, space);
}

template <class T>
void set_attribute(const H5::H5Object& object, const std::string& name, T value) {
  fresh_attribute(object, name, Element<T>::file(), H5::DataSpace(H5S_SCALAR)).write(Element<T>::memory(), &value);
}

void set_text_attribute(const H5::H5Object& object, const std::string& name, const std::string& value) {
  const H5::StrType type = text_type();
  fresh_attribute(object, name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

// The `units` attribute of a dataset the sink writes itself, from the one list (sim/io/units.hpp);
// `path` is the layout path without the sweep scope. A path missing from the list is a bug here.
void set_units(const H5::DataSet& dataset, const std::string& path) {
  const DatasetUnits* entry = find_dataset_units(path);
  if (!entry) throw std::logic_error("no units listed for " + path + " (sim/io/units.cpp)");
  set_text_attribute(dataset, "units", std::string(entry->units));
}

void set_text_list_attribute(const H5::H5Object& object, const std::string& name,
                             const std::vector<std::string>& values) {
  const H5::StrType type = text_type();
  std::vector<const char*> pointers;
  for (const std::string& v : values) pointers.push_back(v.c_str());
  const hsize_t n = pointers.size();
  fresh_attribute(object, name, type, H5::DataSpace(1, &n)).write(type, pointers.data());
}

// A soft link `name` -> `target` (relative to the same group), for a reader that spells a name
// differently from the SONATA guide.
void alias(const H5::Group& group, const std::string& name, const std::string& target) {
  if (H5Lcreate_soft(target.c_str(), group.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
    throw std::runtime_error("cannot link " + name + " to " + target);
}

void set_value_attribute(const H5::H5Object& object, const std::string& name, const AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>)
          set_text_attribute(object, name, v);
        else if constexpr (std::is_same_v<V, std::vector<std::string>>)
          set_text_list_attribute(object, name, v);
        else
          set_attribute<V>(object, name, v);
      },
      value);
}

// A fixed-size dataset. Chunked and compressed only when it spans more than one chunk: for small
// arrays the chunk index costs more than compression saves.
template <class T>
H5::DataSet write_dataset(const H5::Group& parent, const std::string& name, std::span<const T> values,
                          const std::vector<hsize_t>& dims,
                          const H5::LinkCreatPropList& link_properties = H5::LinkCreatPropList::DEFAULT) {
  const int rank = static_cast<int>(dims.size());
  const H5::DataSpace space = rank == 0 ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(rank, dims.data());
  H5::DSetCreatPropList properties;
  if (values.size() * sizeof(T) > kChunkBytes) {
    const std::size_t row_bytes = values.size() * sizeof(T) / dims[0];
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::min<hsize_t>(dims[0], std::max<std::size_t>(1, kChunkBytes / row_bytes));
    properties.setChunk(rank, chunk.data());
    properties.setShuffle();
    properties.setDeflate(kDeflateLevel);
  }
  H5::DataSet dataset =
      parent.createDataSet(name, Element<T>::file(), space, properties, H5::DSetAccPropList::DEFAULT, link_properties);
  if (!values.empty()) dataset.write(values.data(), Element<T>::memory());
  return dataset;
}

// A SONATA edge index (the guide's "optional indexing"): the edges of each node, as ranges of
// consecutive edges. node_id_to_ranges[node] = [first, past-the-end) rows of range_to_edge_id, whose
// rows are [first, past-the-end) edges; a node without edges has an empty range.
void write_edge_index(const H5::Group& indices, const std::string& name, std::span<const std::uint64_t> node_of_edge,
                      std::uint64_t n_nodes, const std::string& path) {
  struct Range {
    std::uint64_t node;
    std::int64_t begin, end;
  };
  std::vector<Range> ranges;
  for (std::size_t i = 0; i < node_of_edge.size(); ++i) {
    if (node_of_edge[i] >= n_nodes)
      throw std::invalid_argument(path + ": node " + std::to_string(node_of_edge[i]) + " outside its population of " +
                                  std::to_string(n_nodes));
    if (!ranges.empty() && ranges.back().node == node_of_edge[i])
      ++ranges.back().end;
    else
      ranges.push_back({node_of_edge[i], std::int64_t(i), std::int64_t(i) + 1});
  }
  std::stable_sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.node < b.node; });
  std::vector<std::int64_t> node_to_ranges(2 * n_nodes), range_to_edge(2 * ranges.size());
  std::size_t r = 0;
  for (std::uint64_t node = 0; node < n_nodes; ++node) {
    node_to_ranges[2 * node] = std::int64_t(r);
    for (; r < ranges.size() && ranges[r].node == node; ++r) {
      range_to_edge[2 * r] = ranges[r].begin;
      range_to_edge[2 * r + 1] = ranges[r].end;
    }
    node_to_ranges[2 * node + 1] = std::int64_t(r);
  }
  const H5::Group group = indices.createGroup(name);
  set_units(write_dataset<std::int64_t>(group, "node_id_to_ranges", node_to_ranges, {n_nodes, 2}),
            path + "/indices/" + name + "/node_id_to_ranges");
  set_units(write_dataset<std::int64_t>(group, "range_to_edge_id", range_to_edge, {ranges.size(), 2}),
            path + "/indices/" + name + "/range_to_edge_id");
  alias(group, "node_id_to_range", "node_id_to_ranges");  // bmtk 1.0.6 reads the singular
}

// One projection as a SONATA edge population: /edges/<projection> with the required datasets, one
// edge type (unique in the file: bmtk does not resolve ids by population as the guide allows) and one edge group ("0":
// syn_weight and delay), and both indices. `path` is unscoped.
void write_edge_population(const H5::Group& group, const WeightTable& table, std::uint32_t edge_type,
                           std::uint64_t n_source, std::uint64_t n_target, const std::string& path) {
  const std::size_t n = table.pre.size();
  const H5::DataSet source = write_dataset<std::uint64_t>(group, "source_node_id", table.pre, {n});
  set_text_attribute(source, "node_population", table.source);
  set_units(source, path + "/source_node_id");
  const H5::DataSet target = write_dataset<std::uint64_t>(group, "target_node_id", table.post, {n});
  set_text_attribute(target, "node_population", table.target);
  set_units(target, path + "/target_node_id");
  set_units(write_dataset<std::uint32_t>(group, "edge_type_id", std::vector<std::uint32_t>(n, edge_type), {n}),
            path + "/edge_type_id");
  set_units(write_dataset<std::uint32_t>(group, "edge_group_id", std::vector<std::uint32_t>(n, 0), {n}),
            path + "/edge_group_id");
  std::vector<std::uint64_t> index(n);
  std::iota(index.begin(), index.end(), std::uint64_t{0});
  set_units(write_dataset<std::uint64_t>(group, "edge_group_index", index, {n}), path + "/edge_group_index");
  const H5::Group edge_group = group.createGroup("0");
  set_units(write_dataset<double>(edge_group, "syn_weight", table.weight, {n}), path + "/0/syn_weight");
  const std::vector<double> delays = table.delays_ms.empty() ? std::vector<double>(n, table.delay_ms) : table.delays_ms;
  set_units(write_dataset<double>(edge_group, "delay", delays, {n}), path + "/0/delay");
  const H5::Group indices = group.createGroup("indices");
  write_edge_index(indices, "source_to_target", table.pre, n_source, path);
  write_edge_index(indices, "target_to_source", table.post, n_target, path);
}

// A dataset growing along its first dimension (time for reports, spikes for spike lists). Each
// chunk is written once, as soon as its last row arrives, stored directly (H5Dwrite_chunk): encoded
// here, or by the recorder (Sink::append_report_chunks, append_spike_chunks); the last partial
// chunk goes through HDF5's own filters at flush. HDF5's bytes either way (sim/io/chunk_codec.hpp;
// tests/sim/io/test_chunk_codec.cpp compares them).
template <class T>
class GrowingDataset {
 public:
  static GrowingDataset vector(const H5::Group& parent, const std::string& name) {
    return GrowingDataset(parent, name, 1, 1);
  }
  static GrowingDataset matrix(const H5::Group& parent, const std::string& name, hsize_t columns) {
    return GrowingDataset(parent, name, 2, columns);
  }

  const H5::DataSet& dataset() const { return dataset_; }
  hsize_t rows_written() const { return rows_written_; }

  void append(std::span<const T> values) {
    buffer_.insert(buffer_.end(), values.begin(), values.end());
    const std::size_t chunk_elements = chunk_rows_ * columns_;
    const hsize_t whole = buffer_.size() / chunk_elements;
    if (whole == 0) return;
    extend(whole * chunk_rows_);
    for (hsize_t c = 0; c < whole; ++c)
      write_chunk(encode_chunk(std::as_bytes(std::span<const T>(buffer_).subspan(c * chunk_elements, chunk_elements)),
                               sizeof(T)));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(whole * chunk_elements));
  }
  // Whole chunks encoded elsewhere, continuing the rows written so far.
  void append(std::span<const EncodedChunk> chunks) {
    if (chunks.empty()) return;
    if (!buffer_.empty() || rows_written_ % chunk_rows_ != 0)
      throw std::logic_error("encoded chunks after rows that end inside a chunk");
    for (std::size_t c = 0; c < chunks.size(); ++c)
      if (chunks[c].index != rows_written_ / chunk_rows_ + c || chunks[c].rows != chunk_rows_)
        throw std::logic_error("encoded chunk " + std::to_string(chunks[c].index) + " out of place (chunk " +
                               std::to_string(rows_written_ / chunk_rows_ + c) + " of " + std::to_string(chunk_rows_) +
                               " rows comes next)");
    extend(chunks.size() * chunk_rows_);
    for (const EncodedChunk& chunk : chunks) write_chunk(chunk.bytes);
  }
  // The rows of the last, partial chunk: the dataset is finished.
  void flush() {
    const hsize_t count = buffer_.size() / columns_;
    if (count == 0) return;
    extend(count);
    H5::DataSpace file_space = dataset_.getSpace();
    const std::array<hsize_t, 2> start{rows_written_, 0};
    const std::array<hsize_t, 2> extent{count, columns_};
    file_space.selectHyperslab(H5S_SELECT_SET, extent.data(), start.data());
    const H5::DataSpace memory_space(rank_, extent.data());
    dataset_.write(buffer_.data(), Element<T>::memory(), memory_space, file_space);
    buffer_.clear();
    rows_written_ += count;
  }

 private:
  GrowingDataset(const H5::Group& parent, const std::string& name, int rank, hsize_t columns)
      : rank_(rank), columns_(columns), chunk_rows_(chunk_rows(columns * sizeof(T))) {
    const std::array<hsize_t, 2> dims{0, columns};
    const std::array<hsize_t, 2> max_dims{H5S_UNLIMITED, columns};
    const std::array<hsize_t, 2> chunk{chunk_rows_, columns};
    H5::DSetCreatPropList properties;
    properties.setChunk(rank, chunk.data());
    properties.setShuffle();
    properties.setDeflate(kDeflateLevel);
    // No chunk cache: whole chunks are stored directly, and the last partial one is written once
    // when the dataset is finished, not kept in HDF5's cache (1 MiB per dataset) until it closes.
    H5::DSetAccPropList access;
    access.setChunkCache(0, 0, 1.0);
    dataset_ = parent.createDataSet(name, Element<T>::file(), H5::DataSpace(rank, dims.data(), max_dims.data()),
                                    properties, access);
  }
  void extend(hsize_t rows) {  // room for `rows` more rows after those written
    const std::array<hsize_t, 2> new_dims{rows_written_ + rows, columns_};
    dataset_.extend(new_dims.data());
  }
  void write_chunk(const std::string& bytes) {  // the next whole chunk, encoded (filter mask 0: all applied)
    const std::array<hsize_t, 2> offset{rows_written_, 0};
    if (H5Dwrite_chunk(dataset_.getId(), H5P_DEFAULT, 0, offset.data(), bytes.size(), bytes.data()) < 0)
      throw H5::DataSetIException("GrowingDataset::write_chunk", "H5Dwrite_chunk failed");
    rows_written_ += chunk_rows_;
  }

  int rank_;
  hsize_t columns_;
  hsize_t chunk_rows_;
  H5::DataSet dataset_;
  std::vector<T> buffer_;
  hsize_t rows_written_ = 0;
};

// /report/<population>: data (time x nodes) and the SONATA mapping of one population.
class ReportStream {
 public:
  ReportStream(const H5::Group& group, const std::string& population, std::uint32_t n_nodes, double t_start_ms,
               double dt_ms)
      : data_(GrowingDataset<float>::matrix(group, "data", n_nodes)),
        n_nodes_(n_nodes),
        t_start_ms_(t_start_ms),
        dt_ms_(dt_ms) {
    const std::string path = "/report/" + population;
    set_units(data_.dataset(), path + "/data");  // the state s is dimensionless
    set_text_attribute(data_.dataset(), "variable", "s");
    const H5::Group mapping = group.createGroup("mapping");
    std::vector<std::uint64_t> node_ids(n_nodes);
    std::iota(node_ids.begin(), node_ids.end(), std::uint64_t{0});
    const H5::DataSet ids = write_dataset<std::uint64_t>(mapping, "node_ids", node_ids, {n_nodes});
    set_attribute<std::int8_t>(ids, "sorted", 1);  // SONATA bool: int8, 1
    set_units(ids, path + "/mapping/node_ids");
    // One element per node, the point neuron itself: section 0 (the soma, in the guide's section
    // numbering) at its middle.
    const std::vector<std::uint32_t> element_ids(n_nodes, 0);
    set_units(write_dataset<std::uint32_t>(mapping, "element_ids", element_ids, {n_nodes}),
              path + "/mapping/element_ids");
    const std::vector<float> element_pos(n_nodes, 0.5f);
    set_units(write_dataset<float>(mapping, "element_pos", element_pos, {n_nodes}), path + "/mapping/element_pos");
    // N + 1 offsets: data[:, index_pointers[i]:index_pointers[i + 1]] is node i, the guide's own formula.
    std::vector<std::uint64_t> index_pointers(std::size_t{n_nodes} + 1);
    std::iota(index_pointers.begin(), index_pointers.end(), std::uint64_t{0});
    set_units(write_dataset<std::uint64_t>(mapping, "index_pointers", index_pointers, {n_nodes + hsize_t{1}}),
              path + "/mapping/index_pointers");
    alias(mapping, "index_pointer", "index_pointers");  // bmtk 1.0.6 reads the singular
    const std::array<double, 3> time{t_start_ms, t_start_ms, dt_ms};
    time_ = write_dataset<double>(mapping, "time", time, {3});
    set_units(time_, path + "/mapping/time");
  }

  std::uint32_t n_nodes() const { return n_nodes_; }

  void append(std::span<const float> row) { data_.append(row); }
  void append(std::span<const EncodedChunk> chunks) { data_.append(chunks); }
  void flush() {
    data_.flush();
    sync_time();
  }
  // mapping/time = [start, stop, step] with stop = start + rows * step for the rows in the file,
  // so a .partial file left by a failure is self-consistent too: written before each flush of the
  // file (not with every block, which would run ahead of the row count the file last recorded).
  void sync_time() {
    if (rows_in_time_ == data_.rows_written()) return;
    rows_in_time_ = data_.rows_written();
    const std::array<double, 3> time{t_start_ms_, t_start_ms_ + static_cast<double>(rows_in_time_) * dt_ms_, dt_ms_};
    time_.write(time.data(), Element<double>::memory());
  }

  GrowingDataset<float> data_;
  H5::DataSet time_;
  std::uint32_t n_nodes_;
  double t_start_ms_, dt_ms_;
  hsize_t rows_in_time_ = 0;
};

// /spikes/<population>: timestamps and node_ids, appended in time order.
class SpikeStream {
 public:
  SpikeStream(const H5::Group& group, const std::string& population)
      : timestamps_(GrowingDataset<double>::vector(group, "timestamps")),
        node_ids_(GrowingDataset<std::uint64_t>::vector(group, "node_ids")) {
    const H5::EnumType type = sorting_type();
    const Sorting by_time = Sorting::by_time;
    fresh_attribute(group, "sorting", type, H5::DataSpace(H5S_SCALAR)).write(type, &by_time);
    set_units(timestamps_.dataset(), "/spikes/" + population + "/timestamps");
    set_units(node_ids_.dataset(), "/spikes/" + population + "/node_ids");
  }

  // The file promises sorting = by_time; a violation is the caller's bug, reported before
  // anything is written.
  void append(const std::string& population, std::span<const double> times_ms,
              std::span<const std::uint64_t> node_ids) {
    double previous = last_time_ms_;
    require_spikes(population, times_ms, node_ids, previous);
    timestamps_.append(times_ms);
    node_ids_.append(node_ids);
    last_time_ms_ = previous;
  }
  // Spikes whose order the recorder checked (RecordingSink checks what it encodes).
  void append(std::span<const EncodedChunk> times_ms, std::span<const EncodedChunk> node_ids) {
    timestamps_.append(times_ms);
    node_ids_.append(node_ids);
  }
  void flush() {
    timestamps_.flush();
    node_ids_.flush();
  }

 private:
  GrowingDataset<double> timestamps_;
  GrowingDataset<std::uint64_t> node_ids_;
  double last_time_ms_ = -std::numeric_limits<double>::infinity();
};

}  // namespace

struct Hdf5Sink::OpenFile {
  H5::H5File h5;
  std::map<std::string, std::uint64_t> population_sizes;
  std::map<std::string, std::uint32_t> edge_types;  // projection -> edge_type_id, in order of first writing
  std::map<std::string, std::uint32_t> node_types;  // population -> node_type_id (its index in the config)
  std::map<std::string, ReportStream> reports;
  std::map<std::string, SpikeStream> spikes;
  std::string scope;  // "" (root) or "/a/b"
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
};

namespace {

// Closing the file closes every object still open in it, so close() really releases it; the
// metadata cache never evicts (see kFlushPeriod).
H5::FileAccPropList access_properties() {
  H5::FileAccPropList access;
  access.setFcloseDegree(H5F_CLOSE_STRONG);
  H5AC_cache_config_t cache{};
  cache.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  H5Pget_mdc_config(access.getId(), &cache);
  cache.evictions_enabled = false;
  cache.incr_mode = H5C_incr__off;
  cache.flash_incr_mode = H5C_flash_incr__off;
  cache.decr_mode = H5C_decr__off;
  if (H5Pset_mdc_config(access.getId(), &cache) < 0)
    throw std::runtime_error("HDF5 refused the metadata cache configuration");
  return access;
}

// Everything written so far reaches the disk as one consistent state.
void checkpoint(Hdf5Sink::OpenFile& file) {
  for (auto& [population, report] : file.reports) report.sync_time();
  file.h5.flush(H5F_SCOPE_GLOBAL);
  file.last_flush = std::chrono::steady_clock::now();
}

}  // namespace

void Hdf5Sink::flush_if_due() {
  OpenFile& file = *file_;
  if (std::chrono::steady_clock::now() - file.last_flush < kFlushPeriod) return;
  try {
    checkpoint(file);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "flushing the file", error);
  }
}

Hdf5Sink::Hdf5Sink(std::string final_path, bool replace_existing)
    : final_path_(std::move(final_path)), partial_path_(final_path_ + ".partial"), replace_existing_(replace_existing) {
  H5::Exception::dontPrint();  // errors surface as exceptions with messages, not stderr dumps
  // The file is made under a temporary name and appears as "<final>.partial" only once it is a
  // complete HDF5 file: a kill at any moment leaves either no partial file or one that opens.
  const std::string fresh = partial_path_ + ".new";
  // HDF5's C++ wrappers lose the operating system's reason (errno) while unwinding: ask the OS
  // first, so "No such file or directory" or "Permission denied" reaches the user.
  if (std::FILE* probe = std::fopen(fresh.c_str(), "wb"))
    std::fclose(probe);
  else
    throw std::runtime_error(partial_path_ + ": cannot create the output file: " + std::strerror(errno));
  try {
    const H5::FileAccPropList access = access_properties();
    {
      const H5::H5File created(fresh, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
      // Marked incomplete from the start: whatever happens next, the file never claims too much.
      set_attribute<std::int64_t>(created.openGroup("/"), "complete", 0);
    }
    if (std::rename(fresh.c_str(), partial_path_.c_str()) != 0)
      throw std::runtime_error(partial_path_ + ": cannot create the output file: " + std::strerror(errno));
    file_ = std::make_unique<OpenFile>(OpenFile{
        H5::H5File(partial_path_, H5F_ACC_RDWR, H5::FileCreatPropList::DEFAULT, access), {}, {}, {}, {}, {}, {}});
  } catch (const H5::Exception& error) {
    std::remove(fresh.c_str());
    throw hdf5_failure(partial_path_, "creating the output file", error);
  }
}

Hdf5Sink::~Hdf5Sink() {
  if (!file_) return;
  try {
    close(false);
  } catch (...) {
    // A destructor must not throw; the file already says complete = 0.
  }
}

Hdf5Sink::OpenFile& Hdf5Sink::open_file(const char* operation) {
  if (!file_) throw std::logic_error(std::string("Hdf5Sink::") + operation + " after end_run (" + partial_path_ + ")");
  return *file_;
}

namespace {

// A SONATA node population of n nodes with ids 0..n-1, all of one node type, in node group "0".
// `path` is where it goes in the file, `unscoped` the same without a sweep scope (for its units).
void write_node_population(const H5::H5File& h5, const std::string& path, const std::string& unscoped,
                           std::uint32_t node_type, std::size_t n) {
  const H5::Group group = h5.createGroup(path, with_intermediate_groups());
  set_text_attribute(group, "model_type", "point_neuron");
  std::vector<std::uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), std::uint64_t{0});
  set_units(write_dataset<std::uint64_t>(group, "node_id", ids, {n}), unscoped + "/node_id");
  set_units(write_dataset<std::uint32_t>(group, "node_type_id", std::vector<std::uint32_t>(n, node_type), {n}),
            unscoped + "/node_type_id");
  set_units(write_dataset<std::uint32_t>(group, "node_group_id", std::vector<std::uint32_t>(n, 0), {n}),
            unscoped + "/node_group_id");
  set_units(write_dataset<std::uint64_t>(group, "node_group_index", ids, {n}), unscoped + "/node_group_index");
  group.createGroup("0");
}

}  // namespace

void Hdf5Sink::begin_run(const RunMetadata& meta) {
  OpenFile& file = open_file("begin_run");
  for (const PopulationInfo& population : meta.populations) require_plain_name(population.name, "population");
  try {
    const H5::Group root = file.h5.openGroup("/");
    set_attribute<std::uint32_t>(root, "magic", kSonataMagic);
    const hsize_t version_length = kSonataVersion.size();
    fresh_attribute(root, "version", Element<std::uint32_t>::file(), H5::DataSpace(1, &version_length))
        .write(Element<std::uint32_t>::memory(), kSonataVersion.data());
    set_attribute<std::int64_t>(root, "complete", 0);
    set_attribute<std::uint64_t>(root, "seed", meta.seed);
    set_text_attribute(root, "ebsim_version", meta.version);
    set_text_attribute(root, "git_revision", meta.git_revision);
    set_text_attribute(root, "command_line", meta.command_line);
    set_text_attribute(root, "engine", meta.engine);
    const H5::StrType type = text_type();
    root.createDataSet("config", type, H5::DataSpace(H5S_SCALAR)).write(meta.resolved_config, type);
    for (const PopulationInfo& population : meta.populations) {
      const H5::Group group = file.h5.createGroup("/populations/" + population.name, with_intermediate_groups());
      set_text_attribute(group, "role", population.role);
      set_attribute<std::uint64_t>(group, "size", population.size);
      file.population_sizes[population.name] = population.size;
    }
    // The same populations as SONATA node populations: one node type per population (its index in
    // the config), one node group ("0", whose dynamics_params/bias arrives with the biases).
    for (std::size_t k = 0; k < meta.populations.size(); ++k) {
      const PopulationInfo& population = meta.populations[k];
      file.node_types[population.name] = std::uint32_t(k);
      write_node_population(file.h5, "/nodes/" + population.name, "/nodes/" + population.name, std::uint32_t(k),
                            population.size);
    }
    checkpoint(file);  // a file killed from here on holds at least its provenance
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing the run metadata", error);
  }
}

std::string Hdf5Sink::scoped(const std::string& path) const {
  if (!file_ || file_->scope.empty()) return path;
  return path == "/" ? file_->scope : file_->scope + path;
}

void Hdf5Sink::set_scope(const std::string& prefix) {
  OpenFile& file = open_file("set_scope");
  if (!prefix.empty()) path_components(prefix);  // validates
  try {
    for (auto& [population, report] : file.reports) report.flush();
    for (auto& [population, spikes] : file.spikes) spikes.flush();
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "finishing scope " + file.scope, error);
  }
  file.reports.clear();
  file.spikes.clear();
  file.scope = prefix == "/" ? "" : prefix;
}

void Hdf5Sink::declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms, double dt_ms) {
  OpenFile& file = open_file("declare_report");
  require_plain_name(population, "population");
  if (n_nodes == 0) throw std::invalid_argument("declare_report(" + population + "): the population has no nodes");
  if (!(dt_ms > 0.0) || !std::isfinite(dt_ms) || !std::isfinite(t_start_ms))
    throw std::invalid_argument("declare_report(" + population +
                                "): sampling start and step must be finite, step positive");
  if (file.reports.contains(population))
    throw std::invalid_argument("declare_report(" + population + "): declared twice");
  const std::string group_path = scoped("/report/" + population);
  try {
    require_absent(file.h5, group_path, "declare_report");
    const H5::Group group = file.h5.createGroup(group_path, with_intermediate_groups());
    file.reports.try_emplace(population, group, population, n_nodes, t_start_ms, dt_ms);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "creating " + group_path, error);
  }
}

void Hdf5Sink::append_report(const std::string& population, std::span<const float> row) {
  OpenFile& file = open_file("append_report");
  const auto found = file.reports.find(population);
  if (found == file.reports.end())
    throw std::invalid_argument("append_report(" + population + "): report not declared");
  ReportStream& report = found->second;
  if (row.size() != report.n_nodes())
    throw std::invalid_argument("append_report(" + population + "): row of " + std::to_string(row.size()) +
                                " values for " + std::to_string(report.n_nodes()) + " nodes");
  try {
    report.append(row);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing /report/" + population + "/data", error);
  }
  flush_if_due();
}

void Hdf5Sink::declare_spikes(const std::string& population) {
  OpenFile& file = open_file("declare_spikes");
  require_plain_name(population, "population");
  if (file.spikes.contains(population))
    throw std::invalid_argument("declare_spikes(" + population + "): declared twice");
  const std::string group_path = scoped("/spikes/" + population);
  try {
    require_absent(file.h5, group_path, "declare_spikes");
    const H5::Group group = file.h5.createGroup(group_path, with_intermediate_groups());
    file.spikes.try_emplace(population, group, population);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "creating " + group_path, error);
  }
}

void Hdf5Sink::append_spikes(const std::string& population, std::span<const double> times_ms,
                             std::span<const std::uint64_t> node_ids) {
  OpenFile& file = open_file("append_spikes");
  const auto found = file.spikes.find(population);
  if (found == file.spikes.end()) throw std::invalid_argument("append_spikes(" + population + "): spikes not declared");
  try {
    found->second.append(population, times_ms, node_ids);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing /spikes/" + population, error);
  }
  flush_if_due();
}

void Hdf5Sink::append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                                    std::span<const EncodedChunk> chunks) {
  OpenFile& file = open_file("append_report_chunks");
  const auto found = file.reports.find(population);
  if (found == file.reports.end())
    throw std::invalid_argument("append_report_chunks(" + population + "): report not declared");
  if (found->second.n_nodes() != n_nodes)
    throw std::invalid_argument("append_report_chunks(" + population + "): rows of " + std::to_string(n_nodes) +
                                " nodes, declared " + std::to_string(found->second.n_nodes()));
  try {
    found->second.append(chunks);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing /report/" + population, error);
  }
  flush_if_due();
}

void Hdf5Sink::append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                                   std::span<const EncodedChunk> node_ids) {
  OpenFile& file = open_file("append_spike_chunks");
  const auto found = file.spikes.find(population);
  if (found == file.spikes.end())
    throw std::invalid_argument("append_spike_chunks(" + population + "): spikes not declared");
  if (times_ms.size() != node_ids.size())
    throw std::invalid_argument("append_spike_chunks(" + population + "): " + std::to_string(times_ms.size()) +
                                " chunks of times but " + std::to_string(node_ids.size()) + " of node ids");
  try {
    found->second.append(times_ms, node_ids);
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing /spikes/" + population, error);
  }
  flush_if_due();
}

void Hdf5Sink::write_weights(const std::string& label, const WeightTable& table) {
  OpenFile& file = open_file("write_weights");
  require_plain_name(label, "weight label");
  require_plain_name(table.projection, "projection");
  const std::size_t n = table.pre.size();
  if (table.post.size() != n || table.weight.size() != n || (!table.delays_ms.empty() && table.delays_ms.size() != n))
    throw std::invalid_argument("write_weights(" + label + ", " + table.projection +
                                "): pre, post, weight and delay differ in length");
  const std::string group_path = scoped("/weights/" + label + "/" + table.projection);
  try {
    require_absent(file.h5, group_path, "write_weights");
    const H5::Group group = file.h5.createGroup(group_path, with_intermediate_groups());
    write_dataset<std::uint64_t>(group, "pre", table.pre, {n});
    write_dataset<std::uint64_t>(group, "post", table.post, {n});
    write_dataset<double>(group, "weight", table.weight, {n});
    if (!table.delays_ms.empty()) write_dataset<double>(group, "delay", table.delays_ms, {n});
    set_attribute<double>(group, "delay_ms", table.delay_ms);
    set_text_attribute(group, "source", table.source);
    set_text_attribute(group, "target", table.target);
    set_attribute<std::int64_t>(group, "symmetric", table.symmetric ? 1 : 0);
    set_attribute<double>(group, "gain_forward", table.gain_forward);
    set_attribute<double>(group, "gain_backward", table.gain_backward);
    const std::string prefix = "/weights/" + label + "/" + table.projection;
    set_units(group.openDataSet("pre"), prefix + "/pre");
    set_units(group.openDataSet("post"), prefix + "/post");
    set_units(group.openDataSet("weight"), prefix + "/weight");
    if (!table.delays_ms.empty()) set_units(group.openDataSet("delay"), prefix + "/delay");
    // The network as built is also written as a SONATA edge population.
    const auto source = file.population_sizes.find(table.source), target = file.population_sizes.find(table.target);
    if (label == "initial" && source != file.population_sizes.end() && target != file.population_sizes.end()) {
      const std::string edges = "/edges/" + table.projection;
      const H5::Group edge_group = file.h5.createGroup(scoped(edges), with_intermediate_groups());
      const std::uint32_t edge_type =
          file.edge_types.try_emplace(table.projection, std::uint32_t(file.edge_types.size())).first->second;
      set_attribute<std::uint32_t>(edge_group, "edge_type_id", edge_type);
      // A symmetric projection is stored once and acts in both directions (W_ij = W_ji).
      set_attribute<std::int64_t>(edge_group, "symmetric", table.symmetric ? 1 : 0);
      write_edge_population(edge_group, table, edge_type, source->second, target->second, edges);
    }
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing " + group_path, error);
  }
  flush_if_due();
}

void Hdf5Sink::write_array(const std::string& unscoped_path, std::span<const double> data,
                           std::vector<std::uint64_t> shape) {
  OpenFile& file = open_file("write_array");
  const std::string path = scoped(unscoped_path);
  if (path_components(path).empty()) throw std::invalid_argument("write_array: `/` is a group, not a dataset path");
  require_shape(path, data.size(), shape);
  try {
    require_absent(file.h5, path, "write_array");
    const std::vector<hsize_t> dims(shape.begin(), shape.end());
    // Units and storage from the one list; integer quantities (counts, indices, labels) are stored
    // as int64 when every value is an integer, as float64 otherwise (so no value ever changes).
    const DatasetUnits* entry = find_dataset_units(unscoped_path);
    const bool integral =
        entry && entry->storage == Storage::integer && std::all_of(data.begin(), data.end(), [](double v) {
          return std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 0x1p62;
        });
    H5::DataSet dataset;
    if (integral) {
      const std::vector<std::int64_t> values(data.begin(), data.end());
      dataset = write_dataset<std::int64_t>(file.h5, path, values, dims, with_intermediate_groups());
    } else {
      dataset = write_dataset<double>(file.h5, path, data, dims, with_intermediate_groups());
    }
    if (entry) set_text_attribute(dataset, "units", std::string(entry->units));
    // A population's bias is also its SONATA nodes' dynamics parameter; a sweep's run gets node
    // populations of its own (under its scope), so that each run is a whole SONATA network.
    const std::vector<std::string> parts = path_components(unscoped_path);
    if (parts.size() == 3 && parts[0] == "populations" && parts[2] == "bias" && file.node_types.contains(parts[1])) {
      const std::string nodes = "/nodes/" + parts[1];
      if (!object_exists(file.h5, scoped(nodes)))
        write_node_population(file.h5, scoped(nodes), nodes, file.node_types.at(parts[1]), data.size());
      const std::string node_path = nodes + "/0/dynamics_params/bias";
      if (!object_exists(file.h5, scoped(node_path)))
        set_units(write_dataset<double>(file.h5, scoped(node_path), data, dims, with_intermediate_groups()), node_path);
    }
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing " + path, error);
  }
  flush_if_due();
}

void Hdf5Sink::write_attribute(const std::string& unscoped_path, const std::string& name, const AttributeValue& value) {
  OpenFile& file = open_file("write_attribute");
  const std::string path = scoped(unscoped_path);
  path_components(path);  // validates
  if (name.empty()) throw std::invalid_argument("write_attribute(" + path + "): empty name");
  try {
    if (!object_exists(file.h5, path)) file.h5.createGroup(path, with_intermediate_groups());
    switch (file.h5.childObjType(path)) {
      case H5O_TYPE_GROUP: set_value_attribute(file.h5.openGroup(path), name, value); break;
      case H5O_TYPE_DATASET: set_value_attribute(file.h5.openDataSet(path), name, value); break;
      default: throw std::runtime_error(partial_path_ + ": write_attribute(" + path + "): not a group or dataset");
    }
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "writing attribute " + name + " of " + path, error);
  }
}

void Hdf5Sink::end_run(bool complete) {
  open_file("end_run");
  close(complete);
}

void Hdf5Sink::close(bool complete) {
  OpenFile& file = *file_;
  try {
    for (auto& [population, report] : file.reports) report.flush();
    for (auto& [population, spikes] : file.spikes) spikes.flush();
    set_attribute<std::int64_t>(file.h5.openGroup("/"), "complete", complete ? 1 : 0);
    file.reports.clear();
    file.spikes.clear();
    file.h5.flush(H5F_SCOPE_GLOBAL);
    file.h5.close();
  } catch (const H5::Exception& error) {
    throw hdf5_failure(partial_path_, "finishing the file", error);
  }
  file_.reset();
  if (complete) publish_file(partial_path_, final_path_, replace_existing_);
}

}  // namespace ebsim
