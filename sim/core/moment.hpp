#pragma once
// A moment kept as the spiking engine knows it: a reference time and a growth factor g, for the
// time ref - tau log(g). A boundary crossing is found as the g at which a piece reaches the
// boundary; converting it to a time costs a logarithm, so the engine stores (ref, g) and converts
// only when asked (a time known as a time is stored with g = 1: log 1 = 0, the same double).
#include <cmath>
#include <limits>

namespace ebsim {

struct Moment {
  double ref, g;
  double time(double tau) const { return ref - tau * std::log(g); }
};

// Whether m.time(tau) < t, as that expression computed in doubles says, mostly without its
// logarithm: m.time(tau) < t  <=>  g > e^{(ref - t)/tau}. Where g is beyond that threshold by a
// relative 1e-4, both sides agree (the margin is at least tau 1e-4 >= 1e-7 ms of time, the rounding
// of either form at most a few 1e-10 ms for times below 1e6 ms); within it, or for larger times,
// the logarithm decides. The threshold is remembered for the last (ref, t, tau): a window's
// closing asks about many units at one t, and most share the engine's reference time.
class MomentComparer {
 public:
  bool before(const Moment& m, double tau, double t) const {
    if (m.g == 1.0) return m.ref < t;
    if (std::abs(m.ref) < kTimeLimit && std::abs(t) < kTimeLimit) {
      if (m.ref != ref_ || t != t_ || tau != tau_)
        ref_ = m.ref, t_ = t, tau_ = tau, threshold_ = std::exp((m.ref - t) / tau);
      if (!std::isnormal(threshold_) || std::isinf(threshold_ * (1.0 + kMargin))) return m.time(tau) < t;
      if (m.g > threshold_ * (1.0 + kMargin)) return true;
      if (m.g < threshold_ * (1.0 - kMargin)) return false;
    }
    return m.time(tau) < t;
  }

 private:
  static constexpr double kMargin = 1e-4, kTimeLimit = 1e6;
  mutable double ref_ = std::numeric_limits<double>::quiet_NaN(), t_ = 0.0, tau_ = 0.0, threshold_ = 0.0;
};

}  // namespace ebsim
