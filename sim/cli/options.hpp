#pragma once
// What every `ebsim` sub-command does with its options: parse them (one positional argument, the
// command's own options, --help), check --seed, and print the usage on a mistake.
#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace ebsim::cli {

// Parses args[2...] for the sub-command args[1]. Returns false (and sets code: 0 after --help, 2
// after a mistake, with the usage on err) when the caller should return.
bool parse(const std::vector<std::string>& args, boost::program_options::options_description& opts,
           boost::program_options::variables_map& vm, const std::string& usage, std::ostream& out, std::ostream& err,
           int& code);

}  // namespace ebsim::cli
