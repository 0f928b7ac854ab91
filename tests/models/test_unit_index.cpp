#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "models/unit_index.hpp"

using namespace ebsim::models;

TEST_CASE("unit indices take the fewest whole bytes that hold the population") {
  CHECK(UnitIndex::width_for(1) == 2);
  CHECK(UnitIndex::width_for(65536) == 2);
  CHECK(UnitIndex::width_for(65537) == 3);
  CHECK(UnitIndex::width_for(std::uint64_t(1) << 24) == 3);
  CHECK(UnitIndex::width_for((std::uint64_t(1) << 24) + 1) == 4);
  CHECK(UnitIndex().width() == 4);
}

TEST_CASE("packed unit indices read back what was written, at every width") {
  for (const std::uint64_t bound :
       {std::uint64_t(65536), std::uint64_t(70000), std::uint64_t(1) << 24, std::uint64_t(1) << 32}) {
    CAPTURE(bound);
    std::mt19937_64 gen(7);
    std::vector<std::uint32_t> values{0, 1, 255, 256, 65535, std::uint32_t(bound - 1)};
    for (int k = 0; k < 1000; ++k) values.push_back(std::uint32_t(gen() % bound));
    UnitIndex index(bound);
    for (std::uint32_t v : values) index.push_back(v);
    REQUIRE(index.size() == values.size());
    CHECK(index.unpack(0, index.size()) == values);
    // The bytes held are the width's, not 4 per index (the point of packing).
    CHECK(index.bytes() >= values.size() * index.width());
    CHECK(index.bytes() < values.size() * (index.width() + 1));
    index.view().visit([&](auto read) {
      for (std::size_t k = 0; k < values.size(); ++k) REQUIRE(read[k] == values[k]);
    });
    // Overwriting one index leaves its neighbours alone.
    index.set(3, std::uint32_t(bound - 1));
    CHECK(index[2] == values[2]);
    CHECK(index[3] == bound - 1);
    CHECK(index[4] == values[4]);
  }
}

TEST_CASE("an index beyond the width is refused and nothing is stored") {
  UnitIndex two(65536);
  CHECK_THROWS_AS(two.push_back(65536), std::out_of_range);
  CHECK(two.empty());
  two.push_back(65535);
  CHECK_THROWS_AS(two.set(0, 1u << 20), std::out_of_range);
  CHECK(two[0] == 65535);
  UnitIndex three(70000);
  CHECK_THROWS_AS(three.push_back(1u << 24), std::out_of_range);
  three.push_back((1u << 24) - 1);
  CHECK(three[0] == (1u << 24) - 1);
}

TEST_CASE("lower_bound over packed ascending indices agrees with std::lower_bound") {
  std::mt19937_64 gen(11);
  std::vector<std::uint32_t> values;
  for (int k = 0; k < 300; ++k) values.push_back(std::uint32_t(gen() % 100000));
  std::sort(values.begin(), values.end());
  UnitIndex index(100000);
  for (std::uint32_t v : values) index.push_back(v);
  const IndexView view = index;
  for (std::uint32_t v : {0u, 1u, 50000u, 65536u, 99999u, 100000u, values[17], values[250]}) {
    for (const auto& range : {std::pair<std::uint64_t, std::uint64_t>{0, 300}, {17, 251}, {40, 40}}) {
      const std::uint64_t b = range.first, e = range.second;
      CAPTURE(v);
      CAPTURE(b);
      const auto expected = std::uint64_t(std::lower_bound(values.begin() + b, values.begin() + e, v) - values.begin());
      CHECK(view.lower_bound(b, e, v) == expected);
    }
  }
}

TEST_CASE("a view of plain 32-bit indices reads them as they are") {
  const std::vector<std::uint32_t> plain{4000000000u, 0u, 123456789u};
  const IndexView view = std::span<const std::uint32_t>(plain);
  CHECK(view.width() == 4);
  CHECK(view.size() == 3);
  for (std::size_t k = 0; k < plain.size(); ++k) CHECK(view[k] == plain[k]);
}
