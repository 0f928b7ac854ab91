// libFuzzer entry point for the config loader and --set overrides (scripts/fuzz.sh builds and runs
// it). Built only with EBSIM_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ebsim::fuzz::load_input(data, size);
  return 0;
}
