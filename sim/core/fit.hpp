#pragma once
// Least-squares fits and the cosine similarity used by the experiments' reports.
#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
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

// The two-sided 95 % quantile of Student's t with df degrees of freedom (NaN for df < 1): a 95 %
// interval of a mean over n replicates is mean +- t_quantile_95(n - 1) sem.
inline double t_quantile_95(double df) {
  if (!(df >= 1)) return std::nan("");
  return boost::math::quantile(boost::math::students_t(df), 0.975);
}

// Weighted least squares of y = amplitude exp(-|x| / tau) (weights 1 / sigma^2), by Gauss-Newton
// from a log-linear start. Standard errors from the covariance (J^T W J)^-1, scaled by the reduced
// chi^2 when it exceeds 1 (scatter beyond the stated sigmas widens them, never narrows them).
struct ExponentialFit {
  bool fitted = false;
  double amplitude = 0.0, tau = 0.0, amplitude_se = 0.0, tau_se = 0.0, chi2_reduced = 0.0;
  std::size_t points = 0;
};
inline ExponentialFit exponential_fit(const std::vector<double>& x, const std::vector<double>& y,
                                      const std::vector<double>& sigma) {
  ExponentialFit f;
  f.points = x.size();
  if (x.size() < 3) return f;
  // Start: the line through log|y| of the points well above their sigma, on the side of the lobe's sign.
  double sign_sum = 0;
  for (std::size_t k = 0; k < x.size(); ++k) sign_sum += y[k] / (sigma[k] * sigma[k]);
  const double sign = sign_sum >= 0 ? 1.0 : -1.0;
  std::vector<double> lx, ly;
  for (std::size_t k = 0; k < x.size(); ++k)
    if (sign * y[k] > 3 * sigma[k]) lx.push_back(std::abs(x[k])), ly.push_back(std::log(sign * y[k]));
  double a = sign * std::abs(y[0]), tau = 10.0;
  if (lx.size() >= 2) {
    const Line line = linear_fit(lx, ly);
    if (line.slope < 0) tau = -1.0 / line.slope, a = sign * std::exp(line.intercept);
  }
  auto chi2 = [&](double a_, double tau_) {
    double c = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      const double r = (y[k] - a_ * std::exp(-std::abs(x[k]) / tau_)) / sigma[k];
      c += r * r;
    }
    return c;
  };
  double jaa = 0, jat = 0, jtt = 0, best = chi2(a, tau);
  for (int iter = 0; iter < 200; ++iter) {
    double ga = 0, gt = 0;  // J^T W r
    jaa = jat = jtt = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      const double e = std::exp(-std::abs(x[k]) / tau), w = 1.0 / (sigma[k] * sigma[k]);
      const double da = e, dt = a * e * std::abs(x[k]) / (tau * tau), r = y[k] - a * e;
      jaa += w * da * da, jat += w * da * dt, jtt += w * dt * dt, ga += w * da * r, gt += w * dt * r;
    }
    const double det = jaa * jtt - jat * jat;
    if (!(det > 0)) return f;
    double step_a = (jtt * ga - jat * gt) / det, step_t = (jaa * gt - jat * ga) / det;
    bool improved = false;
    for (int halve = 0; halve < 30 && !improved; ++halve, step_a /= 2, step_t /= 2) {
      if (tau + step_t <= 0) continue;
      const double c = chi2(a + step_a, tau + step_t);
      if (c <= best) improved = true, best = c, a += step_a, tau += step_t;
    }
    if (!improved || (std::abs(step_a) <= 1e-12 * std::abs(a) && std::abs(step_t) <= 1e-12 * tau)) break;
  }
  jaa = jat = jtt = 0;  // the curvature at the optimum
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double e = std::exp(-std::abs(x[k]) / tau), w = 1.0 / (sigma[k] * sigma[k]);
    const double da = e, dt = a * e * std::abs(x[k]) / (tau * tau);
    jaa += w * da * da, jat += w * da * dt, jtt += w * dt * dt;
  }
  const double det = jaa * jtt - jat * jat;
  if (!(det > 0)) return f;
  f.chi2_reduced = best / double(x.size() - 2);
  const double scale = std::max(1.0, f.chi2_reduced);
  f.fitted = true;
  f.amplitude = a, f.tau = tau;
  f.amplitude_se = std::sqrt(scale * jtt / det), f.tau_se = std::sqrt(scale * jaa / det);
  return f;
}

}  // namespace ebsim
