#include "models/energy.hpp"

#include <vector>

namespace ebsim::models {

void mark_dense(CouplingBlock& b, std::uint32_t n_tgt) {
  b.dense_n_tgt = 0;
  const std::uint32_t n_src = b.n_src();
  if (n_tgt == 0 || b.tgt_index.size() != std::uint64_t(n_src) * n_tgt) return;
  if (b.src_offset < b.tgt_offset + n_tgt && b.tgt_offset < b.src_offset + n_src) return;  // overlapping
  for (std::uint32_t j = 0; j < n_src; ++j) {
    if (b.row_ptr[j] != std::uint64_t(j) * n_tgt) return;
    for (std::uint32_t t = 0; t < n_tgt; ++t)
      if (b.tgt_index[b.row_ptr[j] + t] != t) return;
  }
  b.dense_n_tgt = n_tgt;
}

namespace {

// A dense block: the general loop's additions, each element's in the same order. The forward sums
// (out_t += gf w_tj rho_j over j) go along t, one row at a time, which vectorises; the backward ones
// (out_j += gb sum_t w_tj rho_t, summed over t in order) four rows at a time, four independent
// chains of additions instead of one. The two touch different elements (the source units are not
// targets), so doing all of one before the other changes no sum.
void add_dense(const CouplingBlock& b, std::span<const double> rates, std::span<double> out) {
  const std::uint32_t n = b.dense_n_tgt, n_src = b.n_src();
  const weight_t* const w = b.weight.data();
  double* __restrict const o = out.data() + b.tgt_offset;
  const double* __restrict const r = rates.data() + b.tgt_offset;
  for (std::uint32_t j = 0; j < n_src; ++j) {
    const double r_src = rates[b.src_offset + j];
    const weight_t* __restrict const row = w + std::size_t(j) * n;
    for (std::uint32_t t = 0; t < n; ++t) o[t] += b.gain_forward * row[t] * r_src;
  }
  std::uint32_t j = 0;
  for (; j + 4 <= n_src; j += 4) {
    const weight_t* const w0 = w + std::size_t(j) * n;
    const weight_t *const w1 = w0 + n, *const w2 = w1 + n, *const w3 = w2 + n;
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (std::uint32_t t = 0; t < n; ++t) {
      const double rt = r[t];
      a0 += w0[t] * rt;
      a1 += w1[t] * rt;
      a2 += w2[t] * rt;
      a3 += w3[t] * rt;
    }
    out[b.src_offset + j] += b.gain_backward * a0;
    out[b.src_offset + j + 1] += b.gain_backward * a1;
    out[b.src_offset + j + 2] += b.gain_backward * a2;
    out[b.src_offset + j + 3] += b.gain_backward * a3;
  }
  for (; j < n_src; ++j) {
    const weight_t* const row = w + std::size_t(j) * n;
    double a = 0.0;
    for (std::uint32_t t = 0; t < n; ++t) a += row[t] * r[t];
    out[b.src_offset + j] += b.gain_backward * a;
  }
}

}  // namespace

void add_synaptic_input(Coupling coupling, std::span<const double> rates, std::span<double> out) {
  for (const CouplingBlock& b : coupling) {
    if (b.dense_n_tgt > 0) {
      add_dense(b, rates, out);
      continue;
    }
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
