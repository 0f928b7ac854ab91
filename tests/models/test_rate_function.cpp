#include <doctest/doctest.h>

#include "models/rate_function.hpp"

using ebsim::models::RateFunction;
using ebsim::models::RateKind;

TEST_CASE("hard sigmoid follows Eq. 7 with beta2 = beta1 + 1") {
  RateFunction r;
  r.beta1 = -0.3;
  CHECK(r.beta2() == doctest::Approx(0.7));
  CHECK(r.rho(-1.0) == 0.0);
  CHECK(r.rho(-0.3) == 0.0);
  CHECK(r.rho(0.2) == doctest::Approx(0.5));
  CHECK(r.rho(0.7) == doctest::Approx(1.0));
  CHECK(r.rho(3.0) == 1.0);
}

TEST_CASE("hard sigmoid derivative is 1 on the closed interval [beta1, beta2] and 0 outside") {
  RateFunction r;
  r.beta1 = -0.5;
  CHECK(r.rho_prime(-0.5) == 1.0);
  CHECK(r.rho_prime(0.5) == 1.0);
  CHECK(r.rho_prime(0.0) == 1.0);
  CHECK(r.rho_prime(-0.5000001) == 0.0);
  CHECK(r.rho_prime(0.5000001) == 0.0);
}

TEST_CASE("logistic variant has the hard sigmoid's midpoint and, with gain 4, its slope there") {
  RateFunction r;
  r.kind = RateKind::logistic;
  r.beta1 = -0.5;
  CHECK(r.rho(0.0) == doctest::Approx(0.5));
  CHECK(r.rho_prime(0.0) == doctest::Approx(1.0));
  const double h = 1e-6;
  for (double s : {-1.3, -0.2, 0.4, 2.0})
    CHECK(r.rho_prime(s) == doctest::Approx((r.rho(s + h) - r.rho(s - h)) / (2 * h)).epsilon(1e-6));
}
