// The ceiling of the spiking engine's delivery loop: kicks streamed to random targets with no event
// queue, no spike generation and no exact dynamics between events. The network has the statistics
// of configs/bench/random_10k.yaml (N units, each row of about K targets drawn with probability K/N,
// stored as ebsim stores them: targets packed to the population's size, models/unit_index.hpp, and
// 32-bit float weights in two arrays), and a stream
// of presynaptic units drawn uniformly at random stands for the spikes. Two kernels:
//   scatter:  s[target] += w                        (the memory traffic alone)
//   fast-path: ebsim's fast kick on a 24-byte piece  (next = T + u g + w k; a window check; u += ...)
// Prints synaptic events per second for each (the median of `repeats` passes of `events` kicks).
//   ebsim_kick_limit [N] [K] [events] [repeats]     (defaults 10000 500 200000000 5)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "models/unit_index.hpp"

namespace {

struct Piece {  // as sim/core/spiking_engine.hpp's: 24 bytes
  double offset = 0.0;
  double target = 0.0;
  float fast_kick = 1.0f;
  std::uint8_t regime = 0;
  std::uint8_t window = 0;
};

struct Rows {
  std::vector<std::uint64_t> row_ptr;
  ebsim::models::UnitIndex target;
  std::vector<float> weight;
};

Rows random_rows(std::uint32_t n, double k, std::mt19937_64& rng) {
  Rows r{{}, ebsim::models::UnitIndex(n), {}};
  r.row_ptr.push_back(0);
  std::bernoulli_distribution connect(k / n);
  std::normal_distribution<float> w(0.0f, 1.0f / std::sqrt(float(k)));
  for (std::uint32_t j = 0; j < n; ++j) {
    for (std::uint32_t i = 0; i < n; ++i)
      if (connect(rng)) {
        r.target.push_back(i);
        r.weight.push_back(w(rng));
      }
    r.row_ptr.push_back(r.target.size());
  }
  return r;
}

template <class Kernel>
double events_per_second(const Rows& rows, const std::vector<std::uint32_t>& spikes, std::uint64_t events,
                         Kernel kernel) {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  for (std::size_t s = 0; done < events; s = (s + 1) % spikes.size()) {
    const std::uint32_t j = spikes[s];
    const std::uint64_t begin = rows.row_ptr[j], end = rows.row_ptr[j + 1];
    kernel(begin, end, double(s));
    done += end - begin;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return double(done) / seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t n = argc > 1 ? std::uint32_t(std::strtoul(argv[1], nullptr, 10)) : 10000;
  const double k = argc > 2 ? std::strtod(argv[2], nullptr) : 500;
  const std::uint64_t events = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 200000000;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 5;
  if (n < 2 || !(k > 0) || k > n || events == 0 || repeats < 1) {
    std::fprintf(stderr, "usage: ebsim_kick_limit [N >= 2] [0 < K <= N] [events > 0] [repeats >= 1]\n");
    return 2;
  }
  std::mt19937_64 rng(1);
  const Rows rows = random_rows(n, k, rng);
  if (rows.target.empty()) {
    std::fprintf(stderr, "ebsim_kick_limit: the network drew no synapse (raise N or K)\n");
    return 2;
  }
  std::vector<std::uint32_t> spikes(1 << 20);
  std::uniform_int_distribution<std::uint32_t> unit(0, n - 1);
  for (std::uint32_t& s : spikes) s = unit(rng);

  std::vector<double> s(n, 0.0);
  std::vector<Piece> pieces(n);
  std::vector<double> scatter, fast;
  double checksum = 0.0;
  for (int r = 0; r < repeats; ++r) {
    scatter.push_back(events_per_second(rows, spikes, events, [&](std::uint64_t b, std::uint64_t e, double) {
      const float* const w = rows.weight.data();
      double* const state = s.data();
      rows.target.view().visit([&](auto tgt) {
        for (std::uint64_t q = b; q < e; ++q) state[tgt[q]] += w[q];
      });
    }));
    fast.push_back(events_per_second(rows, spikes, events, [&](std::uint64_t b, std::uint64_t e, double t) {
      const float* const w = rows.weight.data();
      Piece* const p = pieces.data();
      // g and 1/g of the engine's moving reference: any values near 1 do the same work.
      const double g = 1.0 / (1.0 + 1e-9 * t), g_inv = 1.0 + 1e-9 * t;
      rows.target.view().visit([&](auto tgt) {
        for (std::uint64_t q = b; q < e; ++q) {
          if (q + 8 < e) __builtin_prefetch(&p[tgt[q + 8]], 1);
          Piece& piece = p[tgt[q]];
          const double step = double(piece.fast_kick) * w[q];
          const double next = piece.target + piece.offset * g + step;
          if ((next < -0.5) | (next > 0.5)) {  // ebsim's slow path; here the kick is undone instead
            piece.offset *= 0.5;
            continue;
          }
          piece.offset += step * g_inv;
        }
      });
    }));
  }
  for (double x : s) checksum += x;
  for (const Piece& p : pieces) checksum += p.offset;
  std::printf("kick limit: N %u, K %.0f (%zu synapses), %llu events per pass, median of %d passes\n", n, k,
              rows.target.size(), static_cast<unsigned long long>(events), repeats);
  std::printf("  scatter   (s[target] += w):        %.4g synaptic events/s\n", median(scatter));
  std::printf("  fast-path (ebsim's kick, no queue): %.4g synaptic events/s\n", median(fast));
  std::printf("  (checksum %.6g)\n", checksum);
  return 0;
}
