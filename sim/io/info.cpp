// One concept, `ebsim info`: reading any HDF5 file's structure (objects, types, shapes, units,
// attributes, links), recognising ebsim and SONATA files, and printing it as text or JSON.
#include "sim/io/info.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <vector>

#include <H5Apublic.h>

namespace ebsim {

namespace {

// Shortest text that reads back as the same double.
std::string format_number(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

// A JSON string literal.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char code[8];
          std::snprintf(code, sizeof code, "\\u%04x", c);
          out += code;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) { return std::isfinite(value) ? format_number(value) : "null"; }

// An attribute's value as text (for people) and as JSON; arrays longer than kShown are cut.
struct AttributeValueText {
  std::string name, text, json;
};
constexpr hssize_t kShown = 16;

AttributeValueText read_attribute_value(hid_t attribute, const std::string& name) {
  const hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute);
  const bool scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> texts, jsons;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      if (H5Tget_sign(type) == H5T_SGN_NONE) {
        std::vector<std::uint64_t> v(std::size_t(std::max<hssize_t>(n, 0)));
        if (n > 0 && H5Aread(attribute, H5T_NATIVE_UINT64, v.data()) >= 0)
          for (auto x : v) texts.push_back(std::to_string(x)), jsons.push_back(std::to_string(x));
      } else {
        std::vector<std::int64_t> v(std::size_t(std::max<hssize_t>(n, 0)));
        if (n > 0 && H5Aread(attribute, H5T_NATIVE_INT64, v.data()) >= 0)
          for (auto x : v) texts.push_back(std::to_string(x)), jsons.push_back(std::to_string(x));
      }
      break;
    case H5T_FLOAT: {
      std::vector<double> v(std::size_t(std::max<hssize_t>(n, 0)));
      if (n > 0 && H5Aread(attribute, H5T_NATIVE_DOUBLE, v.data()) >= 0)
        for (double x : v) texts.push_back(format_number(x)), jsons.push_back(json_number(x));
      break;
    }
    case H5T_STRING: {
      const hid_t memory = H5Tcopy(H5T_C_S1);
      H5Tset_cset(memory, H5Tget_cset(type));
      if (H5Tis_variable_str(type) > 0) {
        H5Tset_size(memory, H5T_VARIABLE);
        std::vector<char*> v(std::size_t(std::max<hssize_t>(n, 0)), nullptr);
        if (n > 0 && H5Aread(attribute, memory, v.data()) >= 0) {
          for (char* x : v) texts.emplace_back(x ? x : ""), jsons.push_back(json_string(texts.back()));
#if H5_VERSION_GE(1, 12, 0)
          H5Treclaim(memory, space, H5P_DEFAULT, v.data());
#else
          H5Dvlen_reclaim(memory, space, H5P_DEFAULT, v.data());
#endif
        }
      } else {
        const std::size_t size = H5Tget_size(type);
        H5Tset_size(memory, size);
        H5Tset_strpad(memory, H5Tget_strpad(type));  // a null-terminated 3-byte C_S1 would hold 2 characters
        std::vector<char> buffer(size * std::size_t(std::max<hssize_t>(n, 0)));
        if (n > 0 && H5Aread(attribute, memory, buffer.data()) >= 0)
          for (hssize_t i = 0; i < n; ++i) {
            const char* begin = buffer.data() + std::size_t(i) * size;
            texts.emplace_back(begin, strnlen(begin, size));
            jsons.push_back(json_string(texts.back()));
          }
      }
      H5Tclose(memory);
      break;
    }
    case H5T_ENUM: {  // by member name, as SONATA's `sorting` reads
      const std::size_t size = H5Tget_size(type);
      std::vector<unsigned char> buffer(size * std::size_t(std::max<hssize_t>(n, 0)));
      if (n > 0 && H5Aread(attribute, type, buffer.data()) >= 0)
        for (hssize_t i = 0; i < n; ++i) {
          char member[64] = "?";
          H5Tenum_nameof(type, buffer.data() + std::size_t(i) * size, member, sizeof member);
          texts.emplace_back(member);
          jsons.push_back(json_string(member));
        }
      break;
    }
    default: texts.push_back("(not shown: a compound, array or other type)"); jsons.push_back("null");
  }
  H5Sclose(space);
  H5Tclose(type);
  AttributeValueText value{name, {}, {}};
  if (scalar && texts.size() == 1) {
    value.text = texts[0];
    value.json = jsons[0];
    return value;
  }
  value.text = "[";
  value.json = "[";
  for (std::size_t i = 0; i < texts.size() && hssize_t(i) < kShown; ++i) {
    value.text += (i ? ", " : "") + texts[i];
    value.json += (i ? ", " : "") + jsons[i];
  }
  if (n > kShown) value.text += ", ... (" + std::to_string(n) + " values)";
  value.text += "]";
  value.json += "]";
  return value;
}

herr_t collect_attribute(hid_t location, const char* name, const H5A_info_t*, void* data) {
  const hid_t attribute = H5Aopen(location, name, H5P_DEFAULT);
  if (attribute < 0) return 0;
  static_cast<std::vector<AttributeValueText>*>(data)->push_back(read_attribute_value(attribute, name));
  H5Aclose(attribute);
  return 0;
}

std::vector<AttributeValueText> attributes_of(hid_t object) {
  std::vector<AttributeValueText> attributes;
  hsize_t index = 0;
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &attributes);
  return attributes;
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
  // For --json and the attribute lines: what the listing line says, taken apart.
  std::string kind;         // "group", "dataset", "soft link", "sweep point", ...
  std::string json_fields;  // extra `"key": value` pairs, each with a leading ", "
  std::vector<AttributeValueText> attributes;
};

// Each entry on one line, names aligned; with `attributes`, each attribute (but `units`, which the
// line already shows) on a line of its own below.
void print_aligned(const std::vector<Entry>& entries, std::ostream& out, bool attributes = false) {
  std::size_t width = 0;
  for (const Entry& entry : entries) width = std::max(width, entry.name.size());
  for (const Entry& entry : entries) {
    out << "  " << entry.name << std::string(width - entry.name.size() + 2, ' ') << entry.description << "\n";
    if (!attributes) continue;
    for (const AttributeValueText& a : entry.attributes)
      if (a.name != "units") out << "      @" << a.name << " = " << a.text << "\n";
  }
}

std::string attributes_json(const std::vector<AttributeValueText>& attributes) {
  std::string json = "{";
  for (std::size_t i = 0; i < attributes.size(); ++i)
    json += (i ? ", " : "") + json_string(attributes[i].name) + ": " + attributes[i].json;
  return json + "}";
}

std::string dims_json(hid_t dataset) {
  const hid_t space = H5Dget_space(dataset);
  std::string json = "[";
  if (space >= 0 && H5Sget_simple_extent_type(space) == H5S_SIMPLE) {
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(rank > 0 ? std::size_t(rank) : 0);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    for (std::size_t i = 0; i < dims.size(); ++i) json += (i ? ", " : "") + std::to_string(dims[i]);
  }
  if (space >= 0) H5Sclose(space);
  return json + "]";
}

const AttributeValueText* find_attribute(const std::vector<AttributeValueText>& attributes, const std::string& name) {
  for (const AttributeValueText& a : attributes)
    if (a.name == name) return &a;
  return nullptr;
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
// A sweep's points (/sweep/<k>) each have a run's layout: unless `all`, each is one line (its value).
void list_contents(const H5::H5File& file, bool show_analysis_values, bool all, std::vector<Entry>& entries) {
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
      entries.push_back({path, link.description, "link", ", \"link\": " + json_string(link.description), {}});
      continue;
    }
    const auto [seen, inserted] = first_path.emplace(link.identity, path);
    if (!inserted) {
      entries.push_back({path,
                         "hard link to " + seen->second + " (listed there)",
                         "hard link",
                         ", \"target\": " + json_string(seen->second),
                         {}});
      continue;
    }
    const hid_t object = open_object(file_id, link.identity);
    if (object < 0) {
      entries.push_back({path, "unreadable object", "unreadable", {}, {}});
      continue;
    }
    std::vector<AttributeValueText> attributes = attributes_of(object);
    switch (H5Iget_type(object)) {
      case H5I_GROUP: {
        const bool sweep_point = !all && frame.path == "/sweep" && !link.name.empty() &&
                                 link.name.find_first_not_of("0123456789") == std::string::npos;
        if (sweep_point) {
          const AttributeValueText* value = find_attribute(attributes, "value");
          entries.push_back(
              {path, "sweep point, value = " + (value ? value->text : "?") + " (a run's layout; --all lists it)",
               "sweep point", ", \"value\": " + (value ? value->json : "null"), std::move(attributes)});
          break;
        }
        entries.push_back({path, "group", "group", {}, std::move(attributes)});
        stack.push_back({path, links_of(object)});  // `frame` is not used after this
        break;
      }
      case H5I_DATASET: {
        std::string description = element_type(object) + " " + shape(object);
        std::string json = ", \"type\": " + json_string(element_type(object)) + ", \"shape\": " + dims_json(object);
        // Analysis results are mostly single numbers: show them rather than make the reader dig.
        if (show_analysis_values && path.starts_with("/analysis/") && description.ends_with(" scalar")) {
          try {
            const std::string value = scalar_value(H5::DataSet(object));
            description += " = " + value;
            const bool finite = value.find_first_of("ni") == std::string::npos;  // nan, inf
            json += ", \"value\": " + (value.starts_with('"') ? json_string(value.substr(1, value.size() - 2))
                                       : finite               ? value
                                                              : "null");
          } catch (const H5::Exception&) {
            description += " (unreadable)";
          }
        }
        if (const AttributeValueText* units = find_attribute(attributes, "units")) {
          description += ", units " + units->text;
          json += ", \"units\": " + units->json;
        }
        entries.push_back({path, description, "dataset", json, std::move(attributes)});
        break;
      }
      case H5I_DATATYPE: entries.push_back({path, "named datatype", "named datatype", {}, {}}); break;
      default: entries.push_back({path, "other object", "other", {}, {}}); break;
    }
    H5Oclose(object);
  }
}

// SONATA files identify themselves by the root attribute magic = 0x0A7A; ebsim's add its provenance
// (`ebsim_version`). Anything else is a plain HDF5 file.
enum class FileKind { ebsim, sonata, hdf5 };

FileKind kind_of(const H5::H5File& file) {
  const H5::Group root = file.openGroup("/");
  const auto magic = integer_attribute<std::uint64_t>(root, "magic", H5::PredType::NATIVE_UINT64);
  if (!magic || *magic != 0x0A7A) return FileKind::hdf5;
  return text_attribute(root, "ebsim_version").has_value() ? FileKind::ebsim : FileKind::sonata;
}

bool has_group(const H5::H5File& file, const std::string& path) {
  return H5Lexists(file.getId(), path.c_str(), H5P_DEFAULT) > 0 &&
         H5Oexists_by_name(file.getId(), path.c_str(), H5P_DEFAULT) > 0 && file.childObjType(path) == H5O_TYPE_GROUP;
}

hsize_t length_of(const H5::Group& group, const char* dataset) {
  if (!group.nameExists(dataset) || group.childObjType(dataset) != H5O_TYPE_DATASET) return 0;
  const H5::DataSpace space = group.openDataSet(dataset).getSpace();
  if (space.getSimpleExtentNdims() < 1) return 0;
  std::vector<hsize_t> dims(std::size_t(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  return dims[0];
}

// The SONATA parts of a file, whoever wrote it: spike, report, node and edge populations.
std::vector<Entry> sonata_summary(const H5::H5File& file) {
  std::vector<Entry> lines;
  const auto each = [&](const char* root, const auto& describe) {
    if (!has_group(file, root)) return;
    const H5::Group group = file.openGroup(root);
    for (const Link& link : links_of(group.getId()))
      if (link.type == H5L_TYPE_HARD && group.childObjType(link.name) == H5O_TYPE_GROUP)
        lines.push_back(
            {std::string(root).substr(1) + " " + link.name, describe(group.openGroup(link.name)), {}, {}, {}});
  };
  each("/spikes", [](const H5::Group& g) {
    const auto attributes = attributes_of(g.getId());
    const AttributeValueText* sorting = find_attribute(attributes, "sorting");
    return std::to_string(length_of(g, "timestamps")) + " spikes, sorting " + (sorting ? sorting->text : "not given");
  });
  each("/report", [](const H5::Group& g) {
    std::string text = "?";
    if (g.nameExists("data")) {
      const H5::DataSet data = g.openDataSet("data");
      const auto attributes = attributes_of(data.getId());
      const AttributeValueText* units = find_attribute(attributes, "units");
      text = shape(data.getId()) + " (time x values), units " + (units ? units->text : "not given");
    }
    return text;
  });
  each("/nodes", [](const H5::Group& g) { return std::to_string(length_of(g, "node_type_id")) + " nodes"; });
  each("/edges", [](const H5::Group& g) {
    std::string ends = "?";
    if (g.nameExists("source_node_id") && g.nameExists("target_node_id")) {
      const auto source = attributes_of(g.openDataSet("source_node_id").getId());
      const auto target = attributes_of(g.openDataSet("target_node_id").getId());
      const AttributeValueText* from = find_attribute(source, "node_population");
      const AttributeValueText* to = find_attribute(target, "node_population");
      ends = (from ? from->text : "?") + " -> " + (to ? to->text : "?");
    }
    return ends + ", " + std::to_string(length_of(g, "source_node_id")) + " edges";
  });
  return lines;
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

  if (has_group(file, "/populations")) {
    const H5::Group populations = file.openGroup("populations");
    std::vector<Entry> lines;
    for (const Link& link : links_of(populations.getId())) {
      if (link.type != H5L_TYPE_HARD || populations.childObjType(link.name) != H5O_TYPE_GROUP) continue;
      const H5::Group population = populations.openGroup(link.name);
      const auto size = integer_attribute<std::uint64_t>(population, "size", H5::PredType::NATIVE_UINT64);
      lines.push_back(
          {link.name,
           or_unknown(text_attribute(population, "role")) + ", " + (size ? std::to_string(*size) : "?") + " nodes",
           {},
           {},
           {}});
    }
    out << "populations\n";
    print_aligned(lines, out);
  }
}

void print_text(const std::string& path, const H5::H5File& file, FileKind kind, bool all, std::ostream& out) {
  if (kind == FileKind::ebsim) {
    print_summary(path, file, out);
  } else if (kind == FileKind::sonata) {
    const H5::Group root = file.openGroup("/");
    const std::optional<std::string> source = text_attribute(root, "source_file"),
                                     group = text_attribute(root, "source_group");
    if (source && group)  // written by `ebsim sonata`
      out << "SONATA file " << path << " (a view of run " << *group << " of " << *source
          << ", made by `ebsim sonata`: its groups are external links into that file)\n";
    else
      out << "SONATA file " << path
          << " (not written by ebsim: its root has `magic` = 0x0A7A but no `ebsim_version`)\n";
  } else {
    out << "HDF5 file " << path << " (not an ebsim output: its root has no `magic` = 0x0A7A and `ebsim_version`)\n";
  }
  if (kind != FileKind::hdf5) {
    const std::vector<Entry> sonata = sonata_summary(file);
    if (!sonata.empty()) {
      out << "SONATA\n";
      print_aligned(sonata, out);
    }
  }
  if (kind != FileKind::ebsim) {  // ebsim's summary above already says what its root attributes say
    const std::vector<AttributeValueText> attributes = attributes_of(file.openGroup("/").getId());
    if (!attributes.empty()) {
      out << "root attributes\n";
      for (const AttributeValueText& a : attributes) out << "  @" << a.name << " = " << a.text << "\n";
    }
  }
  std::vector<Entry> entries;
  list_contents(file, kind == FileKind::ebsim, all, entries);
  out << "contents\n";
  print_aligned(entries, out, true);
}

void print_json(const std::string& path, const H5::H5File& file, FileKind kind, bool all, std::ostream& out) {
  static const char* const kKinds[] = {"ebsim", "sonata", "hdf5"};
  out << "{\"path\": " << json_string(path) << ", \"format\": \"" << kKinds[int(kind)] << "\",\n";
  out << " \"attributes\": " << attributes_json(attributes_of(file.openGroup("/").getId())) << ",\n";
  std::vector<Entry> entries;
  list_contents(file, kind == FileKind::ebsim, all, entries);
  out << " \"objects\": [";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    out << (i ? ",\n  " : "\n  ") << "{\"path\": " << json_string(e.name) << ", \"kind\": " << json_string(e.kind)
        << e.json_fields << ", \"attributes\": " << attributes_json(e.attributes) << "}";
  }
  out << "\n ]}\n";
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

int print_info(const std::string& path, std::ostream& out, std::ostream& err, const InfoOptions& options) {
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
    const FileKind kind = kind_of(file);
    if (options.json)
      print_json(path, file, kind, options.all, out);
    else
      print_text(path, file, kind, options.all, out);
  } catch (const H5::Exception& error) {
    return fail("read", error.getFuncName() + ": " + error.getDetailMsg());
  } catch (const std::runtime_error& error) {
    return fail("read", error.what());
  }
  return 0;
}

}  // namespace ebsim
