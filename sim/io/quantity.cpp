#include "sim/io/quantity.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace ebsim {

namespace {
struct UnitFactor {
  const char* name;
  Dimension dim;
  double to_internal;  // multiply to get ms or Hz
};
constexpr std::array<UnitFactor, 5> kUnits{{
    {"ms", Dimension::time, 1.0},
    {"s", Dimension::time, 1000.0},
    {"us", Dimension::time, 1e-3},
    {"Hz", Dimension::rate, 1.0},
    {"kHz", Dimension::rate, 1000.0},
}};
}  // namespace

std::string unit_examples(Dimension dim) {
  return dim == Dimension::time ? "a time with a unit (ms, s or us), such as `10 ms`"
                                : "a rate with a unit (Hz or kHz), such as `100 Hz`";
}

QuantityParse parse_quantity(const std::string& text, Dimension dim) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  double number = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + end, number);
  if (ec != std::errc() || ptr == text.data() + begin)
    return {std::nullopt, "expected " + unit_examples(dim) + ", got `" + text + "`"};
  std::size_t unit_begin = static_cast<std::size_t>(ptr - text.data());
  while (unit_begin < end && std::isspace(static_cast<unsigned char>(text[unit_begin]))) ++unit_begin;
  const std::string unit = text.substr(unit_begin, end - unit_begin);
  if (unit.empty()) return {std::nullopt, "missing unit: expected " + unit_examples(dim) + ", got `" + text + "`"};
  if (!std::isfinite(number)) return {std::nullopt, "not a finite number: `" + text + "`"};
  for (const UnitFactor& u : kUnits) {
    if (unit != u.name) continue;
    if (u.dim != dim) return {std::nullopt, "wrong unit `" + unit + "`: expected " + unit_examples(dim)};
    const double value = number * u.to_internal;
    const double limit = dim == Dimension::time ? kMaxTimeMs : kMaxRateHz;
    if (!(std::abs(value) <= limit))
      return {std::nullopt, "`" + text + "` is out of range: " +
                                (dim == Dimension::time ? "times lie within +-1e9 ms (about 11.6 days)"
                                                        : "rates lie within +-1e10 Hz")};
    return {value, {}};
  }
  return {std::nullopt, "unknown unit `" + unit + "`: expected " + unit_examples(dim)};
}

}  // namespace ebsim
