#pragma once
// Randomness by key, not by order: every stream is seeded from (run seed, purpose,
// key a, key b), so a unit's numbers do not depend on how many other units exist or in which order
// they are processed.
//
// Engine: Boost.Random's taus88 (L'Ecuyer's combined Tausworthe generator, period ~2^88). Chosen
// for its 12-byte state: the spiking engine keeps one stream per unit, and a Mersenne Twister
// (2.5 KiB each) would cost more memory than the synapses of a sparse network.
#include <boost/random/seed_seq.hpp>
#include <boost/random/taus88.hpp>
#include <cstdint>

namespace ebsim {

enum class Purpose : std::uint32_t {
  connectivity = 1,
  weights = 2,
  bias = 3,
  initial_state = 4,
  clamp = 5,
  target = 6,
  noise = 7,
  spikes = 8,
  delays = 9,
  shuffle = 10,     // the learning experiment's example order
  nudge_sign = 11,  // ... and its random nudge signs
  replicate = 12,   // a sweep's replicate seeds
};

using Stream = boost::random::taus88;

inline Stream make_stream(std::uint64_t seed, Purpose purpose, std::uint64_t a, std::uint64_t b = 0) {
  boost::random::seed_seq seq{static_cast<std::uint32_t>(seed),    static_cast<std::uint32_t>(seed >> 32),
                              static_cast<std::uint32_t>(purpose), static_cast<std::uint32_t>(a),
                              static_cast<std::uint32_t>(a >> 32), static_cast<std::uint32_t>(b),
                              static_cast<std::uint32_t>(b >> 32)};
  return Stream(seq);
}

// The seed of replicate r of a sweep: a function of (seed, r) alone, so adding points or replicates
// never changes another run's seed. 63 bits, so that it fits the config's non-negative integer seed.
inline std::uint64_t replicate_seed(std::uint64_t seed, std::uint64_t replicate) {
  Stream s = make_stream(seed, Purpose::replicate, replicate);
  const std::uint64_t hi = s(), lo = s();
  return ((hi << 32) | lo) & 0x7fff'ffff'ffff'ffffull;
}

}  // namespace ebsim
