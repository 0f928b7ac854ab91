#pragma once
// The sub-commands that read a file ebsim wrote: `ebsim info` and `ebsim sonata`.
#include <iosfwd>
#include <string>
#include <vector>

namespace ebsim::cli {

int cmd_info(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_sonata(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ebsim::cli
