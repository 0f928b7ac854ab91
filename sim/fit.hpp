#pragma once
// Least-squares fits used by the experiments' reports.
#include <cmath>
#include <vector>

namespace ebsim {

// Slope of log(y) against log(x) (power-law exponent); NaN with fewer than two distinct x.
inline double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  const double n = double(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) mx += std::log(x[k]) / n, my += std::log(y[k]) / n;
  double sxy = 0, sxx = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    sxy += (std::log(x[k]) - mx) * (std::log(y[k]) - my);
    sxx += (std::log(x[k]) - mx) * (std::log(x[k]) - mx);
  }
  return sxx > 0 ? sxy / sxx : std::nan("");
}

}  // namespace ebsim
