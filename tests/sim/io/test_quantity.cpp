#include <doctest/doctest.h>

#include "sim/io/quantity.hpp"

using ebsim::Dimension;
using ebsim::parse_quantity;

TEST_CASE("quantities convert to ms and Hz") {
  CHECK(*parse_quantity("10 ms", Dimension::time).value == 10.0);
  CHECK(*parse_quantity("0.2 s", Dimension::time).value == doctest::Approx(200.0));
  CHECK(*parse_quantity("500us", Dimension::time).value == doctest::Approx(0.5));
  CHECK(*parse_quantity("100 Hz", Dimension::rate).value == 100.0);
  CHECK(*parse_quantity("0.1 kHz", Dimension::rate).value == doctest::Approx(100.0));
  CHECK(*parse_quantity(" 1e-3 s ", Dimension::time).value == doctest::Approx(1.0));
}

TEST_CASE("a missing, wrong or unknown unit is an error that says what was expected") {
  auto missing = parse_quantity("10", Dimension::time);
  CHECK_FALSE(missing.value);
  CHECK(missing.error.find("missing unit") != std::string::npos);
  auto wrong = parse_quantity("10 Hz", Dimension::time);
  CHECK_FALSE(wrong.value);
  CHECK(wrong.error.find("wrong unit `Hz`") != std::string::npos);
  auto unknown = parse_quantity("10 parsecs", Dimension::time);
  CHECK(unknown.error.find("unknown unit") != std::string::npos);
  CHECK_FALSE(parse_quantity("ten ms", Dimension::time).value);
  CHECK_FALSE(parse_quantity("", Dimension::rate).value);
}

TEST_CASE("a quantity whose conversion overflows, or beyond the documented range, is an error") {
  // 1e308 s is a finite number but 1e311 ms is not: the conversion must not overflow unnoticed.
  const auto overflow = parse_quantity("1e308 s", Dimension::time);
  CHECK_FALSE(overflow.value);
  CHECK(overflow.error.find("out of range") != std::string::npos);
  CHECK_FALSE(parse_quantity("-1e308 s", Dimension::time).value);
  CHECK_FALSE(parse_quantity("1e300 kHz", Dimension::rate).value);
  CHECK_FALSE(parse_quantity("1e7 s", Dimension::time).value);  // 1e10 ms
  CHECK(*parse_quantity("1e6 s", Dimension::time).value == 1e9);
  CHECK(*parse_quantity("1e7 kHz", Dimension::rate).value == 1e10);
  CHECK_FALSE(parse_quantity("1e8 kHz", Dimension::rate).value);
}
