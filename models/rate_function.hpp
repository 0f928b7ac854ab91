#pragma once
// The neural non-linearity rho and its derivative (paper Eq. 7), as a small value type.
//
// The hard sigmoid is the default: rho(s) = clip(s - beta1, 0, 1) with beta2 = beta1 + 1.
// Convention: rho'(s) = 1 on the CLOSED interval [beta1, beta2] and 0 outside. At a kink the
// one-sided derivatives differ; taking the closed interval makes a unit sitting exactly on a
// boundary still feel its input, which is what lets it slide along the boundary (a Filippov sliding mode).
//
// The logistic variant rho(s) = 1 / (1 + exp(-gain (s - centre))), centre = beta1 + 1/2, keeps the
// same midpoint and, with gain = 4, the same slope there; its rho'' != 0 shows the o(eps) terms
// that the piecewise-linear rho removes (paper, after Eq. 19).
#include <cmath>
#include <string>

namespace ebsim::models {

enum class RateKind { hard_sigmoid, logistic };

struct RateFunction {
  RateKind kind = RateKind::hard_sigmoid;
  double beta1 = -0.5;  // lower threshold; beta1 < 0 < beta2 (Eq. 7)
  double gain = 4.0;    // logistic only

  double beta2() const { return beta1 + 1.0; }

  // Eq. 7
  double rho(double s) const {
    if (kind == RateKind::hard_sigmoid) {
      const double v = s - beta1;
      return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
    }
    return 1.0 / (1.0 + std::exp(-gain * (s - beta1 - 0.5)));
  }

  // d rho / d s; closed-interval convention for the hard sigmoid (see above).
  double rho_prime(double s) const {
    if (kind == RateKind::hard_sigmoid) return (s >= beta1 && s <= beta2()) ? 1.0 : 0.0;
    const double r = rho(s);
    return gain * r * (1.0 - r);
  }

  // True where the rate function has hard saturation boundaries (beta1, beta2).
  bool has_boundaries() const { return kind == RateKind::hard_sigmoid; }
};

std::string to_string(RateKind kind);

}  // namespace ebsim::models
