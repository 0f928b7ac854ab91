#include "sim/io/stored_run.hpp"

#include <H5Cpp.h>

#include <filesystem>

namespace ebsim {

namespace {

constexpr std::uint32_t kMagic = 0x0A7A;  // SONATA's, which every ebsim output carries

H5::H5File open_output(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw StoredRunError("no such file `" + path + "`");
  H5::Exception::dontPrint();
  try {
    H5::H5File file(path, H5F_ACC_RDONLY);
    std::uint32_t magic = 0;
    if (!file.attrExists("magic")) throw StoredRunError("`" + path + "` is not an ebsim output (no `magic`)");
    file.openAttribute("magic").read(H5::PredType::NATIVE_UINT32, &magic);
    if (magic != kMagic || !file.attrExists("ebsim_version"))
      throw StoredRunError("`" + path + "` is not an ebsim output (no `magic` = 0x0A7A and `ebsim_version`)");
    return file;
  } catch (const H5::Exception&) {
    throw StoredRunError("`" + path + "` is not an HDF5 file");
  }
}

std::vector<hsize_t> shape_of(const H5::DataSet& ds) {
  const H5::DataSpace space = ds.getSpace();
  std::vector<hsize_t> dims(space.getSimpleExtentNdims());
  space.getSimpleExtentDims(dims.data());
  return dims;
}

template <class T>
std::vector<T> read_vector(const H5::H5File& file, const std::string& name, const H5::PredType& type,
                           const std::string& path) {
  if (!file.nameExists(name)) throw StoredRunError("`" + path + "` has no `" + name + "`");
  const H5::DataSet ds = file.openDataSet(name);
  const std::vector<hsize_t> dims = shape_of(ds);
  if (dims.size() != 1) throw StoredRunError("`" + path + ":" + name + "` is not a list");
  std::vector<T> v(dims[0]);
  if (!v.empty()) ds.read(v.data(), type);
  return v;
}

bool exists(const H5::H5File& file, const std::string& name) {
  // nameExists checks the last component only: every group on the way must exist too.
  std::size_t at = 1;
  while (at != std::string::npos) {
    at = name.find('/', at + 1);
    if (!file.nameExists(name.substr(0, at))) return false;
  }
  return true;
}

}  // namespace

StoredArray read_stored_array(const std::string& path, const std::string& name) {
  H5::H5File file = open_output(path);
  try {
    if (!exists(file, name)) throw StoredRunError("`" + path + "` has no `" + name + "`");
    const H5::DataSet ds = file.openDataSet(name);
    StoredArray a;
    std::size_t n = 1;
    for (const hsize_t d : shape_of(ds)) {
      a.shape.push_back(d);
      n *= d;
    }
    a.values.resize(n);
    if (n) ds.read(a.values.data(), H5::PredType::NATIVE_DOUBLE);
    return a;
  } catch (const H5::Exception& e) {
    throw StoredRunError("`" + path + "`: cannot read `" + name + "`: " + e.getDetailMsg());
  }
}

bool stored_exists(const std::string& path, const std::string& name) { return exists(open_output(path), name); }

std::string read_stored_config(const std::string& path) {
  H5::H5File file = open_output(path);
  try {
    if (!file.nameExists("/config")) throw StoredRunError("`" + path + "` has no `/config`");
    const H5::DataSet ds = file.openDataSet("/config");
    std::string text;
    ds.read(text, ds.getStrType());
    return text;
  } catch (const H5::Exception& e) {
    throw StoredRunError("`" + path + "`: cannot read `/config`: " + e.getDetailMsg());
  }
}

std::vector<Synapse> read_stored_weights(const std::string& path, const std::string& snapshot,
                                         const std::string& projection) {
  H5::H5File file = open_output(path);
  try {
    if (!exists(file, "/weights/" + snapshot)) {
      std::string labels;
      if (file.nameExists("/weights")) {
        const H5::Group weights = file.openGroup("/weights");
        for (hsize_t k = 0; k < weights.getNumObjs(); ++k)
          labels += std::string(labels.empty() ? "" : ", ") + "`" + weights.getObjnameByIdx(k) + "`";
      }
      throw StoredRunError("`" + path + "` has no weight snapshot `" + snapshot + "`" +
                           (labels.empty() ? " (it holds no weights)" : " (it holds " + labels + ")"));
    }
    const std::string group = "/weights/" + snapshot + "/" + projection;
    if (!exists(file, group))
      throw StoredRunError("`" + path + "` has no projection `" + projection + "` in snapshot `" + snapshot + "`");
    const auto pre = read_vector<std::uint64_t>(file, group + "/pre", H5::PredType::NATIVE_UINT64, path);
    const auto post = read_vector<std::uint64_t>(file, group + "/post", H5::PredType::NATIVE_UINT64, path);
    const auto weight = read_vector<double>(file, group + "/weight", H5::PredType::NATIVE_DOUBLE, path);
    if (pre.size() != post.size() || pre.size() != weight.size())
      throw StoredRunError("`" + path + ":" + group + "`: pre, post and weight differ in length");
    std::vector<Synapse> synapses(pre.size());
    for (std::size_t k = 0; k < pre.size(); ++k) {
      if (pre[k] > UINT32_MAX || post[k] > UINT32_MAX)
        throw StoredRunError("`" + path + ":" + group + "`: an index beyond 2^32 - 1");
      synapses[k] = {std::uint32_t(pre[k]), std::uint32_t(post[k]), weight[k]};
    }
    return synapses;
  } catch (const H5::Exception& e) {
    throw StoredRunError("`" + path + "`: cannot read the weights: " + e.getDetailMsg());
  }
}

std::vector<double> read_stored_state(const std::string& path, const std::string& population, std::uint64_t trial) {
  H5::H5File file = open_output(path);
  try {
    const std::string name = "/analysis/final_state/" + population;
    if (!exists(file, name))
      throw StoredRunError("`" + path + "` has no final state of population `" + population + "`");
    const H5::DataSet ds = file.openDataSet(name);
    const std::vector<hsize_t> dims = shape_of(ds);
    if (dims.size() != 2) throw StoredRunError("`" + path + ":" + name + "` is not a trials x units table");
    if (trial >= dims[0])
      throw StoredRunError("`" + path + "` holds " + std::to_string(dims[0]) + " trial(s) of `" + population +
                           "`: no trial " + std::to_string(trial));
    std::vector<double> row(dims[1]);
    const hsize_t start[2] = {trial, 0}, count[2] = {1, dims[1]};
    H5::DataSpace space = ds.getSpace();
    space.selectHyperslab(H5S_SELECT_SET, count, start);
    const H5::DataSpace memory(2, count);
    if (!row.empty()) ds.read(row.data(), H5::PredType::NATIVE_DOUBLE, memory, space);
    return row;
  } catch (const H5::Exception& e) {
    throw StoredRunError("`" + path + "`: cannot read the state: " + e.getDetailMsg());
  }
}

}  // namespace ebsim
