#include "sim/io/sonata_views.hpp"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace ebsim {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kSonataMagic = 0x0A7A;
constexpr std::array<std::uint32_t, 2> kSonataVersion{0, 1};

SonataViewsInputError bad_input(const std::string& what) { return SonataViewsInputError(what); }
std::runtime_error failure(const std::string& what) { return std::runtime_error(what); }

// The sweep file, checked: an ebsim output, complete, with runs under /sweep.
H5::H5File open_sweep(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw bad_input("no such file `" + path + "`");
  H5::Exception::dontPrint();
  H5::H5File file;
  try {
    file.openFile(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception&) {
    throw bad_input("`" + path + "` is not an HDF5 file");
  }
  std::uint32_t magic = 0;
  if (file.attrExists("magic")) file.openAttribute("magic").read(H5::PredType::NATIVE_UINT32, &magic);
  if (magic != kSonataMagic || !file.attrExists("ebsim_version"))
    throw bad_input("`" + path + "` is not an ebsim output (no `magic` = 0x0A7A and `ebsim_version`)");
  std::int64_t complete = 0;
  if (file.attrExists("complete")) file.openAttribute("complete").read(H5::PredType::NATIVE_INT64, &complete);
  if (complete != 1)
    throw bad_input("`" + path + "` is INCOMPLETE (an interrupted run): its last run may be partial, so no views");
  if (!file.nameExists("sweep") || file.childObjType("sweep") != H5O_TYPE_GROUP)
    throw bad_input("`" + path + "` is a single run, not a sweep: SONATA readers read it as it is");
  return file;
}

// The runs under /sweep in run order (their names are the run numbers).
std::vector<std::string> run_names(const H5::Group& sweep) {
  std::vector<std::string> names;
  for (hsize_t i = 0; i < sweep.getNumObjs(); ++i) names.push_back(sweep.getObjnameByIdx(i));
  std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

void set_text(const H5::H5Object& object, const std::string& name, const std::string& value) {
  const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

// The run's scalar attributes (value; or point, replicate, seed, assignment) on the view's root.
void copy_scalar_attributes(const H5::Group& from, const H5::Group& to) {
  for (int i = 0; i < from.getNumAttrs(); ++i) {
    const H5::Attribute a = from.openAttribute(unsigned(i));
    if (a.getSpace().getSimpleExtentNpoints() != 1) continue;
    const H5::DataSpace scalar(H5S_SCALAR);
    switch (a.getTypeClass()) {
      case H5T_INTEGER: {
        std::int64_t v = 0;
        a.read(H5::PredType::NATIVE_INT64, &v);
        to.createAttribute(a.getName(), H5::PredType::STD_I64LE, scalar).write(H5::PredType::NATIVE_INT64, &v);
        break;
      }
      case H5T_FLOAT: {
        double v = 0;
        a.read(H5::PredType::NATIVE_DOUBLE, &v);
        to.createAttribute(a.getName(), H5::PredType::IEEE_F64LE, scalar).write(H5::PredType::NATIVE_DOUBLE, &v);
        break;
      }
      case H5T_STRING: {
        std::string v;
        a.read(a.getStrType(), v);
        set_text(to, a.getName(), v);
        break;
      }
      default: break;
    }
  }
}

void write_view(const H5::H5File& sweep_file, const std::string& run, const fs::path& file, const std::string& target) {
  const std::string group = "/sweep/" + run;
  H5::H5File view(file.string(), H5F_ACC_EXCL);
  const H5::Group root = view.openGroup("/");
  root.createAttribute("magic", H5::PredType::STD_U32LE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_UINT32, &kSonataMagic);
  const hsize_t two = kSonataVersion.size();
  root.createAttribute("version", H5::PredType::STD_U32LE, H5::DataSpace(1, &two))
      .write(H5::PredType::NATIVE_UINT32, kSonataVersion.data());
  set_text(root, "source_file", target);
  set_text(root, "source_group", group);
  const H5::Group source = sweep_file.openGroup(group);
  copy_scalar_attributes(source, root);
  std::vector<std::pair<std::string, std::string>> links;  // name in the view -> path in the sweep file
  for (hsize_t i = 0; i < source.getNumObjs(); ++i) {
    const std::string name = source.getObjnameByIdx(i);
    links.emplace_back(name, group + "/" + name);
  }
  if (sweep_file.nameExists("config") && !source.nameExists("config")) links.emplace_back("config", "/config");
  for (const auto& [name, path] : links)
    if (H5Lcreate_external(target.c_str(), path.c_str(), view.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
      throw failure(file.string() + ": cannot link `" + name + "`");
  view.close();
}

}  // namespace

SonataViews write_sonata_views(const std::string& sweep_path, const std::string& directory) {
  const H5::H5File sweep_file = open_sweep(sweep_path);
  fs::path dir = fs::path(directory).lexically_normal();
  if (!dir.empty() && dir.filename().empty()) dir = dir.parent_path();  // "views/" -> "views"
  if (dir.empty() || dir == "." || dir == "..") throw bad_input("-o: name a new directory for the views");
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir, ec)))
    throw bad_input("`" + dir.string() + "` exists: the views go into a new directory, never into an existing one");
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) throw bad_input("the directory `" + parent.string() + "` does not exist");

  const std::vector<std::string> runs = run_names(sweep_file.openGroup("sweep"));
  if (runs.empty()) throw bad_input("`" + sweep_path + "` holds no sweep run");

  SonataViews out;
  out.target = fs::relative(fs::absolute(sweep_path), fs::absolute(dir), ec).string();
  if (ec || out.target.empty()) out.target = fs::absolute(sweep_path).string();

  const fs::path partial = parent / (dir.filename().string() + ".partial-" + std::to_string(::getpid()));
  if (!fs::create_directory(partial, ec))
    throw failure("cannot make `" + partial.string() + "`: " + (ec ? ec.message() : "it exists"));
  try {
    for (const std::string& run : runs) {
      write_view(sweep_file, run, partial / (run + ".h5"), out.target);
      ++out.runs;
    }
    // Renamed only if the name is still free (a directory made meanwhile is never replaced).
    if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0)
      throw failure("cannot rename `" + partial.string() + "` to `" + dir.string() + "`: " + std::strerror(errno));
  } catch (const H5::Exception& e) {
    fs::remove_all(partial, ec);
    throw failure("writing the views in `" + partial.string() + "`: " + e.getDetailMsg());
  } catch (...) {
    fs::remove_all(partial, ec);
    throw;
  }
  return out;
}

}  // namespace ebsim
