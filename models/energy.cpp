#include "models/energy.hpp"

#include <vector>

namespace ebsim::models {

void add_synaptic_input(Coupling coupling, std::span<const double> rates, std::span<double> out) {
  for (const CouplingBlock& b : coupling) {
    const std::uint32_t n_src = b.n_src();
    for (std::uint32_t j = 0; j < n_src; ++j) {
      const double r_src = rates[b.src_offset + j];
      double back = 0.0;  // sum over targets t of w_tj * rho_t, delivered to source j
      b.tgt_index.visit([&](auto tgt) {
        for (std::uint64_t k = b.row_ptr[j]; k < b.row_ptr[j + 1]; ++k) {
          const std::uint32_t t = b.tgt_offset + tgt[k];
          const double w = b.weight[k];
          out[t] += b.gain_forward * w * r_src;
          back += w * rates[t];
        }
      });
      out[b.src_offset + j] += b.gain_backward * back;
    }
  }
}

double energy(std::span<const double> s, Coupling coupling, std::span<const double> bias, const RateFunction& rate) {
  double e = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) e += 0.5 * s[i] * s[i] - bias[i] * rate.rho(s[i]);
  // Each stored synapse contributes W_ij + W_ji = (gain_forward + gain_backward) w to the pair
  // (i, j); the 1/2 in Eq. 6 and the two orderings of the pair cancel to one factor 1/2.
  for (const CouplingBlock& b : coupling) {
    const double pair_gain = 0.5 * (b.gain_forward + b.gain_backward);
    for (std::uint32_t j = 0; j < b.n_src(); ++j) {
      const double r_src = rate.rho(s[b.src_offset + j]);
      for (std::uint64_t k = b.row_ptr[j]; k < b.row_ptr[j + 1]; ++k)
        e -= pair_gain * b.weight[k] * r_src * rate.rho(s[b.tgt_offset + b.tgt_index[k]]);
    }
  }
  return e;
}

void drive(std::span<const double> s, Coupling coupling, std::span<const double> bias, const RateFunction& rate,
           std::span<double> out) {
  std::vector<double> rates(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) rates[i] = rate.rho(s[i]);
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = bias[i];
  add_synaptic_input(coupling, rates, out);
  for (std::size_t i = 0; i < s.size(); ++i) out[i] *= rate.rho_prime(s[i]);
}

}  // namespace ebsim::models
