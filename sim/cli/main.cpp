#include <malloc.h>
#include <unistd.h>

#include <iostream>

#include "sim/cli/cli.hpp"

int main(int argc, char** argv) {
  // glibc gives large freed blocks back to the kernel at once (blocks from 128 KiB up are mapped
  // apart, and the heap's top is trimmed past 128 KiB), so each large transient buffer (a run
  // packed for another MPI rank and unpacked there, HDF5's blocks) faults in fresh pages, which is
  // slow on virtual machines. Blocks below 32 MiB come from the heap here, and it keeps up to
  // 128 MiB freed for reuse. Measured on the 2-core VM: configs/theory_check.yaml on 2 ranks, 4.3 s
  // without and 3.9 s with (3 runs each); peak memory of configs/bench/random_100k.yaml unchanged
  // (831 MB).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  return ebsim::cli::main(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr,
                          isatty(STDERR_FILENO) != 0);
}
