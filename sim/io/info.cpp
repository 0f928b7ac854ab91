#include "sim/io/info.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <vector>

namespace ebsim {

namespace {

// Shortest text that reads back as the same double.
std::string format_number(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::optional<std::string> text_attribute(const H5::H5Object& object, const char* name) {
  if (!object.attrExists(name)) return std::nullopt;
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getTypeClass() != H5T_STRING) return std::nullopt;
  std::string value;
  attribute.read(attribute.getStrType(), value);
  return value;
}

// Integer scalar attributes only (seed, size, complete); anything else reads as absent.
template <class T>
std::optional<T> integer_attribute(const H5::H5Object& object, const char* name,
                                   const H5::PredType& memory_type) {
  if (!object.attrExists(name)) return std::nullopt;
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getTypeClass() != H5T_INTEGER || attribute.getSpace().getSimpleExtentNpoints() != 1)
    return std::nullopt;
  T value{};
  attribute.read(memory_type, &value);
  return value;
}

std::string element_type(const H5::DataSet& dataset) {
  switch (dataset.getTypeClass()) {
    case H5T_INTEGER: {
      const H5::IntType type = dataset.getIntType();
      return (type.getSign() == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * type.getSize());
    }
    case H5T_FLOAT:
      return "float" + std::to_string(8 * dataset.getFloatType().getSize());
    case H5T_STRING:
      return "string";
    case H5T_ENUM:
      return "enum";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "other";
  }
}

std::string shape(const H5::DataSpace& space) {
  switch (space.getSimpleExtentType()) {
    case H5S_SCALAR:
      return "scalar";
    case H5S_NULL:
      return "null";
    default:
      break;
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? " x " : "") + std::to_string(dims[i]);
  return text + "]";
}

std::string scalar_value(const H5::DataSet& dataset) {
  switch (dataset.getTypeClass()) {
    case H5T_INTEGER: {
      if (dataset.getIntType().getSign() == H5T_SGN_NONE) {
        std::uint64_t value = 0;
        dataset.read(&value, H5::PredType::NATIVE_UINT64);
        return std::to_string(value);
      }
      std::int64_t value = 0;
      dataset.read(&value, H5::PredType::NATIVE_INT64);
      return std::to_string(value);
    }
    case H5T_FLOAT: {
      double value = 0.0;
      dataset.read(&value, H5::PredType::NATIVE_DOUBLE);
      return format_number(value);
    }
    case H5T_STRING: {
      std::string value;
      dataset.read(value, dataset.getStrType());
      return '"' + value + '"';
    }
    default:
      return "?";
  }
}

struct Entry {
  std::string name;  // an HDF5 path, or a population's name
  std::string description;
};

void print_aligned(const std::vector<Entry>& entries, std::ostream& out) {
  std::size_t width = 0;
  for (const Entry& entry : entries) width = std::max(width, entry.name.size());
  for (const Entry& entry : entries)
    out << "  " << entry.name << std::string(width - entry.name.size() + 2, ' ')
        << entry.description << "\n";
}

// Depth-first in name order, so the listing reads as a tree.
void list_contents(const H5::H5File& file, const std::string& group_path,
                   std::vector<Entry>& entries) {
  const H5::Group group = file.openGroup(group_path);
  const std::string prefix = group_path == "/" ? "" : group_path;
  for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
    const std::string name = group.getObjnameByIdx(i);
    const std::string path = prefix + "/" + name;
    switch (group.childObjType(name)) {
      case H5O_TYPE_GROUP:
        entries.push_back({path, "group"});
        list_contents(file, path, entries);
        break;
      case H5O_TYPE_DATASET: {
        const H5::DataSet dataset = file.openDataSet(path);
        const H5::DataSpace space = dataset.getSpace();
        std::string description = element_type(dataset) + " " + shape(space);
        // Analysis results are mostly single numbers: show them rather than make the reader dig.
        if (path.starts_with("/analysis/") && space.getSimpleExtentType() == H5S_SCALAR)
          description += " = " + scalar_value(dataset);
        entries.push_back({path, description});
        break;
      }
      default:
        entries.push_back({path, "other object"});
    }
  }
}

void print_summary(const std::string& path, const H5::H5File& file, std::ostream& out) {
  const H5::Group root = file.openGroup("/");
  const auto or_unknown = [](const std::optional<std::string>& text) {
    return text.value_or("(not recorded)");
  };
  out << "ebsim output " << path << "\n";
  out << "  engine        " << or_unknown(text_attribute(root, "engine")) << "\n";
  const auto seed = integer_attribute<std::uint64_t>(root, "seed", H5::PredType::NATIVE_UINT64);
  out << "  seed          " << (seed ? std::to_string(*seed) : "(not recorded)") << "\n";
  out << "  version       " << or_unknown(text_attribute(root, "ebsim_version")) << " (revision "
      << or_unknown(text_attribute(root, "git_revision")) << ")\n";
  const auto complete =
      integer_attribute<std::int64_t>(root, "complete", H5::PredType::NATIVE_INT64);
  out << "  status        "
      << (complete && *complete == 1 ? "complete"
                                     : "INCOMPLETE (the run was interrupted or failed)")
      << "\n";
  out << "  command line  " << or_unknown(text_attribute(root, "command_line")) << "\n";

  if (file.nameExists("populations") && file.childObjType("populations") == H5O_TYPE_GROUP) {
    const H5::Group populations = file.openGroup("populations");
    std::vector<Entry> lines;
    for (hsize_t i = 0; i < populations.getNumObjs(); ++i) {
      const std::string name = populations.getObjnameByIdx(i);
      if (populations.childObjType(name) != H5O_TYPE_GROUP) continue;
      const H5::Group population = populations.openGroup(name);
      const auto size =
          integer_attribute<std::uint64_t>(population, "size", H5::PredType::NATIVE_UINT64);
      lines.push_back({name, or_unknown(text_attribute(population, "role")) + ", " +
                                 (size ? std::to_string(*size) : "?") + " nodes"});
    }
    out << "populations\n";
    print_aligned(lines, out);
  }

  std::vector<Entry> entries;
  list_contents(file, "/", entries);
  out << "contents\n";
  print_aligned(entries, out);
}

// Why a path cannot be read at all, in the words of the operating system; nullopt if it can.
std::optional<std::string> unreadable_reason(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error && status.type() != std::filesystem::file_type::not_found) return error.message();
  if (!std::filesystem::exists(status)) return "no such file";
  if (std::filesystem::is_directory(status)) return "it is a directory";
  std::ifstream probe(path, std::ios::binary);
  if (!probe) return std::strerror(errno);
  return std::nullopt;
}

}  // namespace

int print_info(const std::string& path, std::ostream& out, std::ostream& err) {
  H5::Exception::dontPrint();
  const auto fail = [&](const char* what, const std::string& reason) {
    err << "ebsim info: cannot " << what << " " << path << ": " << reason << "\n";
    return 2;
  };
  if (const auto reason = unreadable_reason(path)) return fail("open", *reason);
  H5::H5File file;
  try {
    if (!H5::H5File::isHdf5(path)) return fail("open", "not an HDF5 file");
    file.openFile(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception& error) {
    return fail("open", "HDF5 could not open it (" + error.getDetailMsg() + ")");
  }
  try {
    print_summary(path, file, out);
  } catch (const H5::Exception& error) {
    return fail("read", error.getFuncName() + ": " + error.getDetailMsg());
  }
  return 0;
}

}  // namespace ebsim
