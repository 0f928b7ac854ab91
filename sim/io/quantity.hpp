#pragma once
// Physical quantities written with units in configs ("10 ms", "0.2 s", "100 Hz", "0.1 kHz").
// Parsed once at the edge and converted to ebsim's internal units: milliseconds and hertz.
#include <optional>
#include <string>

#include "sim/io/config_limits.hpp"

namespace ebsim {

enum class Dimension { time, rate };

struct QuantityParse {
  std::optional<double> value;  // in ms (time) or Hz (rate) when parsing succeeded
  std::string error;            // what was wrong otherwise
};

// Accepts "<number> <unit>" or "<number><unit>"; units: s, ms, us (time); Hz, kHz (rate). The
// converted value must be finite and within kMaxTimeMs or kMaxRateHz in magnitude
// (sim/io/config_limits.hpp).
QuantityParse parse_quantity(const std::string& text, Dimension dim);

std::string unit_examples(Dimension dim);  // "a time such as `10 ms` or `0.2 s`"

}  // namespace ebsim
