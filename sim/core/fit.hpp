#pragma once
// Least-squares fits and the cosine similarity used by the experiments' reports.
#include <cmath>
#include <span>
#include <vector>

namespace ebsim {

// Least-squares line y = intercept + slope x; NaN slope with fewer than two distinct x.
struct Line {
  double slope, intercept;
};
inline Line linear_fit(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  const double n = double(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) mx += x[k] / n, my += y[k] / n;
  double sxy = 0, sxx = 0;
  for (std::size_t k = 0; k < x.size(); ++k) sxy += (x[k] - mx) * (y[k] - my), sxx += (x[k] - mx) * (x[k] - mx);
  const double slope = sxx > 0 ? sxy / sxx : std::nan("");
  return {slope, my - slope * mx};
}

// Slope of log(y) against log(x) (power-law exponent); NaN with fewer than two distinct x.
inline double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> lx, ly;
  for (std::size_t k = 0; k < x.size(); ++k) lx.push_back(std::log(x[k])), ly.push_back(std::log(y[k]));
  return linear_fit(lx, ly).slope;
}

// cos(a, b); 0 when either vector is zero.
inline double cosine(std::span<const double> a, std::span<const double> b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) ab += a[k] * b[k], aa += a[k] * a[k], bb += b[k] * b[k];
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace ebsim
