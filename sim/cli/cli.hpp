#pragma once
// The command line: `ebsim run | check | info`. Kept in a library so tests can call it in-process.
#include <iosfwd>
#include <string>
#include <vector>

namespace ebsim::cli {

// Exit codes: 0 success, 1 runtime failure, 2 bad input (config, arguments, output path),
// 130 interrupted. `terminal`: stderr is a terminal (progress bar allowed).
int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool terminal = false);

}  // namespace ebsim::cli
