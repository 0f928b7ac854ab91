// Every input the config fuzzer ever crashed on (tests/fuzz/regressions, where scripts/fuzz.sh
// keeps them), replayed: each must load or fail with a ConfigError, nothing else.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/support.hpp"

TEST_CASE("every input the config fuzzer found a crash with now loads or fails with a located error") {
  const std::filesystem::path dir = ebsim::test::source_dir() + "/tests/fuzz/regressions";
  std::size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    CAPTURE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    CHECK_NOTHROW(ebsim::fuzz::load_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ++replayed;
  }
  CHECK(replayed > 0);
}
