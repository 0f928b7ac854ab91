#include "sim/io/info.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
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
std::optional<T> integer_attribute(const H5::H5Object& object, const char* name, const H5::PredType& memory_type) {
  if (!object.attrExists(name)) return std::nullopt;
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getTypeClass() != H5T_INTEGER || attribute.getSpace().getSimpleExtentNpoints() != 1)
    return std::nullopt;
  T value{};
  attribute.read(memory_type, &value);
  return value;
}

std::string element_type(hid_t dataset) {
  const hid_t type = H5Dget_type(dataset);
  if (type < 0) return "?";
  std::string text;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      text = (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * H5Tget_size(type));
      break;
    case H5T_FLOAT: text = "float" + std::to_string(8 * H5Tget_size(type)); break;
    case H5T_STRING: text = "string"; break;
    case H5T_ENUM: text = "enum"; break;
    case H5T_COMPOUND: text = "compound"; break;
    case H5T_ARRAY: text = "array"; break;
    case H5T_VLEN: text = "vlen"; break;
    case H5T_OPAQUE: text = "opaque"; break;
    case H5T_REFERENCE: text = "reference"; break;
    case H5T_BITFIELD: text = "bitfield"; break;
    default: text = "other"; break;
  }
  H5Tclose(type);
  return text;
}

std::string shape(hid_t dataset) {
  const hid_t space = H5Dget_space(dataset);
  if (space < 0) return "?";
  std::string text;
  switch (H5Sget_simple_extent_type(space)) {
    case H5S_SCALAR: text = "scalar"; break;
    case H5S_NULL: text = "null"; break;
    default: {
      const int rank = H5Sget_simple_extent_ndims(space);
      std::vector<hsize_t> dims(rank > 0 ? std::size_t(rank) : 0);
      H5Sget_simple_extent_dims(space, dims.data(), nullptr);
      text.push_back('[');
      for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i > 0) text += " x ";
        text += std::to_string(dims[i]);
      }
      text.push_back(']');
    }
  }
  H5Sclose(space);
  return text;
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
    default: return "?";
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
    out << "  " << entry.name << std::string(width - entry.name.size() + 2, ' ') << entry.description << "\n";
}

// One link of a group, as H5Literate reports it: a hard link's target object (where it lives in the
// file, which is also its identity), or a symbolic link's description.
struct Link {
  std::string name;
  H5L_type_t type;
  std::string identity;     // hard links: the object's address (token) as bytes
  std::string description;  // soft and external links
};

#if H5_VERSION_GE(1, 12, 0)
using LinkInfo = H5L_info2_t;
std::string as_bytes(const H5O_token_t& token) {
  return std::string(reinterpret_cast<const char*>(&token), sizeof token);
}
std::string object_identity(const LinkInfo& info) { return as_bytes(info.u.token); }
hid_t open_object(hid_t file, const std::string& identity) {
  H5O_token_t token;
  std::memcpy(&token, identity.data(), sizeof token);
  return H5Oopen_by_token(file, token);
}
std::string root_identity(hid_t file) {
  H5O_info2_t root{};
  return H5Oget_info3(file, &root, H5O_INFO_BASIC) >= 0 ? as_bytes(root.token) : std::string();
}
#else
using LinkInfo = H5L_info_t;
std::string as_bytes(haddr_t address) { return std::string(reinterpret_cast<const char*>(&address), sizeof address); }
std::string object_identity(const LinkInfo& info) { return as_bytes(info.u.address); }
hid_t open_object(hid_t file, const std::string& identity) {
  haddr_t address;
  std::memcpy(&address, identity.data(), sizeof address);
  return H5Oopen_by_addr(file, address);
}
std::string root_identity(hid_t file) {
  H5O_info_t root{};
  return H5Oget_info2(file, &root, H5O_INFO_BASIC) >= 0 ? as_bytes(root.addr) : std::string();
}
#endif

// "soft link -> /a/b", "external link -> other.h5:/a/b", with "(dangling)" when nothing is there.
std::string describe_symbolic_link(hid_t group, const char* name, H5L_type_t type, std::size_t value_size) {
  std::vector<char> value(value_size + 1, '\0');
  if (H5Lget_val(group, name, value.data(), value.size(), H5P_DEFAULT) < 0) return "link (unreadable)";
  if (type == H5L_TYPE_SOFT) {
    const htri_t there = H5Oexists_by_name(group, name, H5P_DEFAULT);
    return "soft link -> " + std::string(value.data()) + (there > 0 ? "" : " (dangling)");
  }
  if (type == H5L_TYPE_EXTERNAL) {
    const char* file = nullptr;
    const char* object = nullptr;
    unsigned flags = 0;
    if (H5Lunpack_elink_val(value.data(), value.size(), &flags, &file, &object) < 0)
      return "external link (unreadable)";
    return "external link -> " + std::string(file) + ":" + object;  // not followed: another file
  }
  return "user-defined link";
}

herr_t collect_link(hid_t group, const char* name, const LinkInfo* info, void* data) {
  auto& links = *static_cast<std::vector<Link>*>(data);
  if (info->type == H5L_TYPE_HARD)
    links.push_back({name, info->type, object_identity(*info), {}});
  else
    links.push_back({name, info->type, {}, describe_symbolic_link(group, name, info->type, info->u.val_size)});
  return 0;
}

// The links of `group`, in name order (the order a tree listing reads best in).
std::vector<Link> links_of(hid_t group) {
  std::vector<Link> links;
#if H5_VERSION_GE(1, 12, 0)
  H5Literate2(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &links);
#else
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &links);
#endif
  return links;
}

// Every group and dataset, depth-first in name order, each object once: a second hard link to an
// object (a cycle included) is listed as such and not entered again; soft and external links are
// shown, not followed. Iterative, and each object is opened by its address and closed before the
// next one (no chain of open ancestors, which HDF5 would search on every open), so the work grows
// with the number of objects, not with the square of the depth. An object that cannot be read is
// listed as such and the listing goes on.
void list_contents(const H5::H5File& file, bool show_analysis_values, std::vector<Entry>& entries) {
  struct Frame {
    std::string path;  // "" for the root
    std::vector<Link> links;
    std::size_t next = 0;
  };
  const hid_t file_id = file.getId();
  std::map<std::string, std::string> first_path{{root_identity(file_id), "/"}};  // where each object was listed
  std::vector<Frame> stack;
  {
    const hid_t root = H5Gopen2(file_id, "/", H5P_DEFAULT);
    if (root < 0) throw std::runtime_error("cannot open the root group");
    stack.push_back({"", links_of(root)});
    H5Gclose(root);
  }
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.next == frame.links.size()) {
      stack.pop_back();
      continue;
    }
    const Link link = frame.links[frame.next++];
    const std::string path = frame.path + "/" + link.name;
    if (link.type != H5L_TYPE_HARD) {
      entries.push_back({path, link.description});
      continue;
    }
    const auto [seen, inserted] = first_path.emplace(link.identity, path);
    if (!inserted) {
      entries.push_back({path, "hard link to " + seen->second + " (listed there)"});
      continue;
    }
    const hid_t object = open_object(file_id, link.identity);
    if (object < 0) {
      entries.push_back({path, "unreadable object"});
      continue;
    }
    switch (H5Iget_type(object)) {
      case H5I_GROUP:
        entries.push_back({path, "group"});
        stack.push_back({path, links_of(object)});  // `frame` is not used after this
        break;
      case H5I_DATASET: {
        std::string description = element_type(object) + " " + shape(object);
        // Analysis results are mostly single numbers: show them rather than make the reader dig.
        if (show_analysis_values && path.starts_with("/analysis/") && description.ends_with(" scalar")) {
          try {
            description += " = " + scalar_value(H5::DataSet(object));
          } catch (const H5::Exception&) {
            description += " (unreadable)";
          }
        }
        entries.push_back({path, description});
        break;
      }
      case H5I_DATATYPE: entries.push_back({path, "named datatype"}); break;
      default: entries.push_back({path, "other object"}); break;
    }
    H5Oclose(object);
  }
}

// ebsim writes SONATA's root attributes (magic 0x0A7A) and its own provenance: a file with both
// is an ebsim output, anything else is a plain HDF5 file.
bool is_ebsim_output(const H5::H5File& file) {
  const H5::Group root = file.openGroup("/");
  const auto magic = integer_attribute<std::uint64_t>(root, "magic", H5::PredType::NATIVE_UINT64);
  return magic && *magic == 0x0A7A && text_attribute(root, "ebsim_version").has_value();
}

void print_summary(const std::string& path, const H5::H5File& file, std::ostream& out) {
  const H5::Group root = file.openGroup("/");
  const auto or_unknown = [](const std::optional<std::string>& text) { return text.value_or("(not recorded)"); };
  out << "ebsim output " << path << "\n";
  out << "  engine        " << or_unknown(text_attribute(root, "engine")) << "\n";
  const auto seed = integer_attribute<std::uint64_t>(root, "seed", H5::PredType::NATIVE_UINT64);
  out << "  seed          " << (seed ? std::to_string(*seed) : "(not recorded)") << "\n";
  out << "  version       " << or_unknown(text_attribute(root, "ebsim_version")) << " (revision "
      << or_unknown(text_attribute(root, "git_revision")) << ")\n";
  const auto complete = integer_attribute<std::int64_t>(root, "complete", H5::PredType::NATIVE_INT64);
  out << "  status        "
      << (complete && *complete == 1 ? "complete" : "INCOMPLETE (the run was interrupted or failed)") << "\n";
  out << "  command line  " << or_unknown(text_attribute(root, "command_line")) << "\n";

  if (H5Lexists(file.getId(), "populations", H5P_DEFAULT) > 0 &&
      H5Oexists_by_name(file.getId(), "populations", H5P_DEFAULT) > 0 &&
      file.childObjType("populations") == H5O_TYPE_GROUP) {
    const H5::Group populations = file.openGroup("populations");
    std::vector<Entry> lines;
    for (const Link& link : links_of(populations.getId())) {
      if (link.type != H5L_TYPE_HARD || populations.childObjType(link.name) != H5O_TYPE_GROUP) continue;
      const H5::Group population = populations.openGroup(link.name);
      const auto size = integer_attribute<std::uint64_t>(population, "size", H5::PredType::NATIVE_UINT64);
      lines.push_back({link.name, or_unknown(text_attribute(population, "role")) + ", " +
                                      (size ? std::to_string(*size) : "?") + " nodes"});
    }
    out << "populations\n";
    print_aligned(lines, out);
  }
}

void print_contents(const H5::H5File& file, bool ebsim_output, std::ostream& out) {
  std::vector<Entry> entries;
  list_contents(file, ebsim_output, entries);
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
    const bool ebsim_output = is_ebsim_output(file);
    if (ebsim_output)
      print_summary(path, file, out);
    else
      out << "HDF5 file " << path << " (not an ebsim output: its root has no `magic` = 0x0A7A and `ebsim_version`)\n";
    print_contents(file, ebsim_output, out);
  } catch (const H5::Exception& error) {
    return fail("read", error.getFuncName() + ": " + error.getDetailMsg());
  } catch (const std::runtime_error& error) {
    return fail("read", error.what());
  }
  return 0;
}

}  // namespace ebsim
