#include "sim/cli/file_commands.hpp"

#include <ostream>
#include <stdexcept>

#include "sim/cli/options.hpp"
#include "sim/io/info.hpp"
#include "sim/io/sonata_views.hpp"

namespace po = boost::program_options;

namespace ebsim::cli {

int cmd_info(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("ebsim info options");
  opts.add_options()("json", "print one JSON document (for scripts) instead of text")(
      "all", "list every object of every sweep point (by default one line per point)");
  po::variables_map vm;
  int code = 0;
  if (!parse(args, opts, vm, "usage: ebsim info FILE.h5 [--json] [--all]\n", out, err, code)) return code;
  return print_info(vm["positional"].as<std::string>(), out, err, {vm.count("json") > 0, vm.count("all") > 0});
}

int cmd_sonata(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("ebsim sonata options");
  opts.add_options()("output,o", po::value<std::string>(), "the directory to make (it must not exist)");
  po::variables_map vm;
  int code = 0;
  const std::string usage =
      "usage: ebsim sonata SWEEP.h5 -o DIR\n"
      "Writes DIR/<k>.h5 for each run /sweep/<k> of a sweep file: a SONATA file (spikes, report, nodes,\n"
      "edges at its root) made of HDF5 external links into SWEEP.h5, which keeps the data.\n";
  if (!parse(args, opts, vm, usage, out, err, code)) return code;
  if (!vm.count("output")) {
    err << "ebsim sonata: missing -o DIR\n" << usage;
    return 2;
  }
  const std::string sweep = vm["positional"].as<std::string>(), directory = vm["output"].as<std::string>();
  try {
    const SonataViews views = write_sonata_views(sweep, directory);
    out << "ebsim sonata: " << views.runs << " SONATA files in " << directory << "/ (links into " << views.target
        << ", relative to " << directory << "/)\n";
  } catch (const SonataViewsInputError& e) {
    err << "ebsim sonata: " << e.what() << "\n";
    return 2;
  } catch (const std::runtime_error& e) {
    err << "ebsim sonata: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ebsim::cli
