// MomentComparer (sim/core/moment.hpp) decides "ref - tau log(g) < t" mostly without the logarithm;
// the STDP windows' closings rest on it being the same decision as the expression, to the last bit.
#include <doctest/doctest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <limits>

#include "sim/core/moment.hpp"

using namespace ebsim;

TEST_CASE("MomentComparer: the same decision as ref - tau log(g) < t, near the threshold and far from it") {
  boost::random::mt19937 rng(7);
  boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
  const MomentComparer compare;
  std::uint64_t cases = 0, true_cases = 0, near_ties = 0;
  for (const double tau : {1e-3, 0.1, 10.0, 1000.0})
    for (const double span : {10.0, 1e4, 9e5, 3e6})  // times up to 3e6 ms: past the shortcut's limit
      for (int k = 0; k < 2000; ++k) {
        const double ref = span * (2.0 * unit(rng) - 1.0);
        const double lead = 16.0 * tau * unit(rng);  // the crossing up to 16 tau after ref: g in [e^-16, 1]
        const Moment m{ref, std::exp(-lead / tau)};
        // t around the moment's time: far (up to 20 tau either way), close (1e-6 tau), and the
        // doubles next to it, where only the rounding of the expression decides.
        const double at = m.time(tau);
        const double offsets[] = {20.0 * tau * (2.0 * unit(rng) - 1.0), 1e-6 * tau * (2.0 * unit(rng) - 1.0), 0.0};
        for (const double offset : offsets)
          for (const double t :
               {at + offset, std::nextafter(at + offset, -1e300), std::nextafter(at + offset, 1e300)}) {
            const bool expected = m.time(tau) < t;
            CAPTURE(tau);
            CAPTURE(ref);
            CAPTURE(m.g);
            CAPTURE(t);
            REQUIRE(compare.before(m, tau, t) == expected);
            ++cases;
            true_cases += expected;
            near_ties += offset == 0.0;
          }
      }
  // Both answers occur, and a third of the cases sit on the expression's own rounding.
  CHECK(true_cases > cases / 4);
  CHECK(cases - true_cases > cases / 4);
  CHECK(near_ties == cases / 3);
  // A time known as a time (g = 1), and the moment before any (-inf).
  CHECK(compare.before({5.0, 1.0}, 10.0, 5.5));
  CHECK_FALSE(compare.before({5.0, 1.0}, 10.0, 5.0));
  CHECK(compare.before({-std::numeric_limits<double>::infinity(), 1.0}, 10.0, 0.0));
}
