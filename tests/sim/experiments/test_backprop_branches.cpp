// How many trials a noisy measurement of Delta h_k needs (sim/experiments/backprop_branches.hpp):
// the moments, the trials-needed formula and its bound, checked against trials drawn from a known
// distribution.
#include <doctest/doctest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <vector>

#include "sim/core/fit.hpp"
#include "sim/experiments/backprop_branches.hpp"

using namespace ebsim;

namespace {

using Vec = std::vector<double>;

// Trials x = m + e with independent components e_i ~ N(0, sd_i^2).
struct Source {
  Vec m, sd;
  boost::random::mt19937 rng{12345};
  Vec draw() {
    boost::random::normal_distribution<double> normal;
    Vec x(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) x[i] = m[i] + sd[i] * normal(rng);
    return x;
  }
  MomentSums trials(std::uint64_t n) {
    MomentSums s(m.size());
    for (std::uint64_t t = 0; t < n; ++t) s.add(draw());
    return s;
  }
  double trace() const {
    double v = 0;
    for (double s : sd) v += s * s;
    return v;
  }
};

// A mean whose cosine with the direction u = e_0 is `cos`, norm `norm`; noise sd rising with i.
Source source(std::size_t dim, double cos, double norm, double noise) {
  Source s;
  s.m.assign(dim, 0.0);
  s.m[0] = norm * cos;
  const double rest = norm * std::sqrt(1 - cos * cos) / std::sqrt(double(dim - 1));
  for (std::size_t i = 1; i < dim; ++i) s.m[i] = (i % 2 ? rest : -rest);
  for (std::size_t i = 0; i < dim; ++i) s.sd.push_back(noise * (0.5 + double(i) / double(dim)));
  return s;
}

Vec unit_direction(std::size_t dim) {
  Vec u(dim, 0.0);
  u[0] = 2.0;  // any length: the direction counts
  return u;
}

}  // namespace

TEST_CASE("moment sums give the mean and the sample variances") {
  MomentSums s(2);
  for (const Vec& x : {Vec{1, 10}, Vec{2, 10}, Vec{6, 10}}) s.add(x);
  CHECK(s.n == 3);
  CHECK(s.mean() == Vec{3, 10});
  CHECK(s.variances()[0] == doctest::Approx(7.0));  // ((-2)^2 + 1 + 3^2) / (3 - 1)
  CHECK(s.variances()[1] == doctest::Approx(0.0));
  CHECK(s.variance_trace() == doctest::Approx(7.0));
  CHECK(std::isnan(MomentSums(2).variance_trace()));
}

TEST_CASE("the trials needed for a cosine of 0.9, from measured trials, match the drawn distribution") {
  // dim 30, the mean's own cosine with u is 0.98. True values: a = 0.98 |m|, b = |m|^2, V = trace.
  const std::size_t dim = 30;
  Source src = source(dim, 0.98, 1.0, 0.6);
  const double a = src.m[0], b = 1.0, V = src.trace();
  const double truth = 0.81 * V / (a * a - 0.81 * b);
  const std::uint64_t n = 4000;
  const MomentSums measured = src.trials(n);
  const Detectability d = detectability(measured, unit_direction(dim), measured.variance_trace());
  // a: a mean of n trials along u, sd = sd_0 / sqrt(n); b: within 3 of its standard errors.
  CHECK(std::abs(d.a - a) < 3 * src.sd[0] / std::sqrt(double(n)));
  CHECK(std::abs(d.b - b) < 3 * d.b_se);
  CHECK(d.resolved());
  CHECK(d.cosine_of_mean() == doctest::Approx(0.98).epsilon(0.02));
  // V from 4000 trials: relative sd about sqrt(2 / n) per component, under 2 % for the trace.
  CHECK(d.variance_per_trial == doctest::Approx(V).epsilon(0.03));
  const double needed = d.trials_needed(0.9);
  // The formula's error propagated from a, b and V (each within the bounds above) stays within 15 %.
  CHECK(needed == doctest::Approx(truth).epsilon(0.15));
  CHECK(d.trials_at_least(0.9) <= truth);

  // The claim itself: averages of that many trials have a cosine with u of 0.9 on average. Over
  // 400 averages the mean cosine's standard error is sd / 20 (sd measured here, about 0.03); the
  // ratio-of-expectations approximation adds O(1/N) = under 0.01 at N = 20 or more.
  const auto trials = static_cast<std::uint64_t>(std::ceil(truth));
  REQUIRE(trials >= 20);
  double sum = 0, sum_sq = 0;
  const int averages = 400;
  for (int r = 0; r < averages; ++r) {
    const Vec x = src.trials(trials).mean();
    const double c = cosine(x, unit_direction(dim));
    sum += c;
    sum_sq += c * c;
  }
  const double mean = sum / averages, sd = std::sqrt((sum_sq - sum * sum / averages) / (averages - 1));
  CHECK(std::abs(mean - 0.9) < 3 * sd / std::sqrt(double(averages)) + 0.01);
  // and with a quarter of the trials the cosine is clearly lower.
  CHECK(cosine(src.trials(trials / 4).mean(), unit_direction(dim)) < 0.9);
}

TEST_CASE("a mean whose own cosine is below the target needs infinitely many trials") {
  Source src = source(20, 0.8, 1.0, 0.3);
  const MomentSums measured = src.trials(3000);
  const Detectability d = detectability(measured, unit_direction(20), measured.variance_trace());
  REQUIRE(d.resolved());
  CHECK(d.cosine_of_mean() == doctest::Approx(0.8).epsilon(0.05));
  CHECK(std::isinf(d.trials_needed(0.9)));
  CHECK(std::isfinite(d.trials_needed(0.7)));
}

TEST_CASE("an unresolved mean gives no estimate but a lower bound that holds") {
  // |m|^2 = 1e-4 against a noise trace of 30 per trial: 200 trials cannot resolve it
  // (the estimate's noise trace 30/200 = 0.15 dwarfs 1e-4).
  const std::size_t dim = 30;
  Source src = source(dim, 0.99, 0.01, 1.0);
  const double a = src.m[0], b = 1e-4, V = src.trace();
  const double truth = 0.81 * V / (a * a - 0.81 * b);
  int bounds_held = 0, unresolved = 0;
  const int repeats = 50;
  for (int r = 0; r < repeats; ++r) {
    const MomentSums measured = src.trials(200);
    const Detectability d = detectability(measured, unit_direction(dim), measured.variance_trace());
    if (!d.resolved()) {
      ++unresolved;
      CHECK(std::isnan(d.trials_needed(0.9)));
    }
    bounds_held += d.trials_at_least(0.9) <= truth;
  }
  // b^ ~ N(1e-4, se ~ 0.04): above 2 se about 1 time in 40.
  CHECK(unresolved >= 45);
  // The bound uses b's upper 2-se limit (one-sided 97.7 % under normality): expect about 49 of 50;
  // at least 45 (a binomial(50, 0.977) falls below 45 with probability under 0.01).
  CHECK(bounds_held >= 45);
}

TEST_CASE("the signal comes from one set of trials, the noise from another (unpaired design)") {
  const std::size_t dim = 10;
  Source paired = source(dim, 0.95, 1.0, 0.5), unpaired = source(dim, 0.95, 1.0, 5.0);
  const MomentSums p = paired.trials(1000), q = unpaired.trials(1000);
  const Detectability dp = detectability(p, unit_direction(dim), p.variance_trace());
  const Detectability du = detectability(p, unit_direction(dim), q.variance_trace());
  CHECK(du.a == dp.a);
  CHECK(du.b == dp.b);
  // V scales by (5.0 / 0.5)^2 = 100, and so do the trials needed (both above the floor of 1).
  CHECK(du.trials_needed(0.9) / dp.trials_needed(0.9) == doctest::Approx(100).epsilon(0.15));
}
