#include "sim/cli/options.hpp"

#include <charconv>
#include <cstdint>
#include <ostream>
#include <system_error>

namespace po = boost::program_options;

namespace ebsim::cli {

bool parse(const std::vector<std::string>& args, po::options_description& opts, po::variables_map& vm,
           const std::string& usage, std::ostream& out, std::ostream& err, int& code) {
  po::options_description all;
  all.add(opts).add_options()("positional", po::value<std::string>(), "")("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("positional", 1);
  try {
    po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 2, args.end()))
                  .options(all)
                  .positional(pos)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    err << "ebsim " << args[1] << ": " << e.what() << "\n" << usage << opts;
    code = 2;
    return false;
  }
  if (vm.count("seed")) {
    const std::string& seed = vm["seed"].as<std::string>();
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(seed.data(), seed.data() + seed.size(), value);
    if (seed.empty() || value < 0 || error != std::errc() || end != seed.data() + seed.size()) {
      err << "ebsim " << args[1] << ": --seed " << seed
          << ": expected an integer from 0 to 9223372036854775807 (2^63 - 1)\n";
      code = 2;
      return false;
    }
  }
  if (vm.count("help")) {
    out << usage << opts << "  -h [ --help ]          show this help\n";
    code = 0;
    return false;
  }
  if (!vm.count("positional")) {
    err << "ebsim " << args[1] << ": missing argument\n" << usage;
    code = 2;
    return false;
  }
  return true;
}

}  // namespace ebsim::cli
