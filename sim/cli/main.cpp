#include <unistd.h>

#include <iostream>

#include "sim/cli/cli.hpp"

int main(int argc, char** argv) {
  return ebsim::cli::main(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr,
                          isatty(STDERR_FILENO) != 0);
}
