#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "models/energy.hpp"

using namespace ebsim::models;

namespace {

// A dense all-to-all projection between two unit ranges, stored as one CSR block.
struct DenseBlock {
  std::vector<std::uint64_t> row_ptr;
  std::vector<std::uint32_t> tgt;
  std::vector<weight_t> w;
  CouplingBlock view(std::uint32_t src_off, std::uint32_t tgt_off, double gf, double gb) const {
    return {src_off, tgt_off, row_ptr, std::span<const std::uint32_t>(tgt), w, gf, gb};
  }
  DenseBlock(std::uint32_t n_src, std::uint32_t n_tgt, std::mt19937& gen, double scale) {
    std::uniform_real_distribution<double> u(-scale, scale);
    row_ptr.push_back(0);
    for (std::uint32_t j = 0; j < n_src; ++j) {
      for (std::uint32_t i = 0; i < n_tgt; ++i) {
        tgt.push_back(i);
        w.push_back(static_cast<weight_t>(u(gen)));
      }
      row_ptr.push_back(tgt.size());
    }
  }
};

// Distance to the nearest kink of the hard sigmoid.
double kink_distance(double s, const RateFunction& r) {
  return std::min(std::abs(s - r.beta1), std::abs(s - r.beta2()));
}

}  // namespace

TEST_CASE("drive equals s - dE/ds (Eq. 8 from Eq. 6) by central finite differences, away from kinks") {
  std::mt19937 gen(7);
  RateFunction rate;
  rate.beta1 = -0.4;
  // Units 0-4 layer A, 5-10 layer B, 11-13 layer C: A-B symmetric, B-C asymmetric (symmetrised
  // with gains 1/2, 1/2), plus a recurrent asymmetric block inside B (self-connections absent).
  DenseBlock ab(5, 6, gen, 0.8), bc(6, 3, gen, 0.8);
  DenseBlock bb(6, 6, gen, 0.5);
  // remove self-connections from bb
  DenseBlock bb_noself = bb;
  bb_noself.tgt.clear();
  bb_noself.w.clear();
  bb_noself.row_ptr = {0};
  for (std::uint32_t j = 0; j < 6; ++j) {
    for (std::uint64_t k = bb.row_ptr[j]; k < bb.row_ptr[j + 1]; ++k)
      if (bb.tgt[k] != j) bb_noself.tgt.push_back(bb.tgt[k]), bb_noself.w.push_back(bb.w[k]);
    bb_noself.row_ptr.push_back(bb_noself.tgt.size());
  }
  const std::vector<CouplingBlock> blocks{ab.view(0, 5, 1, 1), bc.view(5, 11, 0.5, 0.5),
                                          bb_noself.view(5, 5, 0.5, 0.5)};
  std::vector<double> bias(14);
  std::uniform_real_distribution<double> ub(-0.3, 0.3), us(-1.2, 1.2);
  for (auto& b : bias) b = ub(gen);

  const double h = 1e-6;
  int inside = 0, saturated = 0;  // units checked in each regime of Eq. 7
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> s(14);
    for (auto& v : s) {
      do v = us(gen);
      while (kink_distance(v, rate) < 10 * h);
    }
    std::vector<double> r(14);
    drive(s, blocks, bias, rate, r);
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::vector<double> sp = s, sm = s;
      sp[i] += h;
      sm[i] -= h;
      const double dE = (energy(sp, blocks, bias, rate) - energy(sm, blocks, bias, rate)) / (2 * h);
      // E is piecewise quadratic, so the central difference is exact up to round-off:
      // ~1e-16 * |E| / h ~ 1e-9.
      CHECK(std::abs(r[i] - (s[i] - dE)) < 1e-7);
      ++(rate.rho_prime(s[i]) == 1.0 ? inside : saturated);
    }
  }
  // The comparison means something in both regimes: s ~ U(-1.2, 1.2) puts 1/2.4 of the 700 states
  // inside [beta1, beta2] (expected 292, binomial sd 13) and the rest saturated (408); 200 each is
  // more than 7 sd below either.
  CHECK(inside > 200);
  CHECK(saturated > 200);
}

TEST_CASE("drive and energy equal the dense forms built from each block's gains (symmetric, symmetrised, directed)") {
  // An independent reference: the directed matrix W of models/coupling.hpp written out densely,
  // W[tgt + t][src + j] += gain_forward w and W[src + j][tgt + t] += gain_backward w; then Eq. 8,
  // R_i = rho'(s_i) (b_i + sum_j W_ij rho(s_j)), and Eq. 6 with the full directed W (summing
  // over both orderings of a pair takes its symmetric part). Directed blocks (gains 1, 0) are
  // included: they have no energy of their own, but the sum in Eq. 6 is still defined.
  std::mt19937 gen(19);
  RateFunction rate;
  rate.beta1 = -0.45;
  DenseBlock ab(4, 5, gen, 0.9), bc(5, 3, gen, 0.9), ca(3, 4, gen, 0.9);
  const std::vector<CouplingBlock> blocks{ab.view(0, 4, 1, 1), bc.view(4, 9, 0.5, 0.5), ca.view(9, 0, 1, 0)};
  const std::size_t n = 12;
  std::vector<double> W(n * n, 0.0);
  for (const CouplingBlock& b : blocks)
    for (std::uint32_t j = 0; j < b.n_src(); ++j)
      for (std::uint64_t k = b.row_ptr[j]; k < b.row_ptr[j + 1]; ++k) {
        const std::size_t src = b.src_offset + j, tgt = b.tgt_offset + b.tgt_index[k];
        W[tgt * n + src] += b.gain_forward * b.weight[k];
        W[src * n + tgt] += b.gain_backward * b.weight[k];
      }
  std::uniform_real_distribution<double> ub(-0.3, 0.3), us(-1.0, 1.2);
  std::vector<double> bias(n);
  for (auto& b : bias) b = ub(gen);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> s(n), r(n), rho(n);
    for (auto& v : s) v = us(gen);
    for (std::size_t i = 0; i < n; ++i) rho[i] = rate.rho(s[i]);
    drive(s, blocks, bias, rate, r);
    double e = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      double input = bias[i];
      for (std::size_t j = 0; j < n; ++j) input += W[i * n + j] * rho[j];
      // Round-off only: a dozen products of order 1, summed in another order.
      CHECK(r[i] == doctest::Approx(rate.rho_prime(s[i]) * input).epsilon(1e-12));
      e += 0.5 * s[i] * s[i] - bias[i] * rho[i];
      for (std::size_t j = 0; j < n; ++j)
        if (j != i) e -= 0.5 * W[i * n + j] * rho[i] * rho[j];
    }
    CHECK(energy(s, blocks, bias, rate) == doctest::Approx(e).epsilon(1e-12));
  }
}

TEST_CASE("Eq. 10 holds at a computed fixed point: s = rho'(s)(b + W rho(s)) and dE/ds = 0") {
  std::mt19937 gen(11);
  RateFunction rate;
  DenseBlock ab(4, 5, gen, 0.15);
  const std::vector<CouplingBlock> blocks{ab.view(0, 4, 1, 1)};
  std::vector<double> bias{0.1, -0.2, 0.05, 0.2, 0.0, 0.1, -0.1, 0.2, 0.05};
  std::vector<double> s(9, 0.0), r(9);
  for (int step = 0; step < 20000; ++step) {  // s <- s + eps (R - s), eps = 0.05
    drive(s, blocks, bias, rate, r);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] += 0.05 * (r[i] - s[i]);
  }
  drive(s, blocks, bias, rate, r);
  const double h = 1e-6;
  for (std::size_t i = 0; i < s.size(); ++i) {
    CHECK(std::abs(r[i] - s[i]) < 1e-12);
    // Small weights and biases (|b| + sum |W| < 0.5): the fixed point lies inside (beta1, beta2).
    CHECK(rate.rho_prime(s[i]) == 1.0);
    std::vector<double> sp = s, sm = s;
    sp[i] += h;
    sm[i] -= h;
    CHECK(std::abs(energy(sp, blocks, bias, rate) - energy(sm, blocks, bias, rate)) / (2 * h) < 1e-8);
  }
}

TEST_CASE("a saturated unit feels no input: its drive is zero (section 2.3.1)") {
  std::mt19937 gen(3);
  RateFunction rate;
  DenseBlock ab(3, 2, gen, 2.0);
  const std::vector<CouplingBlock> blocks{ab.view(0, 3, 1, 1)};
  std::vector<double> bias(5, 0.7);
  std::vector<double> s{0.2, -0.1, 0.4, 1.7, -2.0}, r(5);  // units 3 and 4 saturated
  drive(s, blocks, bias, rate, r);
  CHECK(r[3] == 0.0);
  CHECK(r[4] == 0.0);
  CHECK(r[0] != 0.0);
}

TEST_CASE("a dense block's fast path adds the same as the general loop, to the last bit") {
  std::mt19937 gen(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  // Source rows 1, 3, 4, 5 and 9 (the four-row groups and what is left), every pair of gains.
  for (std::uint32_t n_src : {1u, 3u, 4u, 5u, 9u}) {
    for (auto [gf, gb] : {std::pair{1.0, 1.0}, std::pair{0.5, 0.5}, std::pair{1.0, 0.0}, std::pair{0.0, 1.0}}) {
      CAPTURE(n_src);
      CAPTURE(gf);
      const std::uint32_t n_tgt = 7;
      DenseBlock d(n_src, n_tgt, gen, 0.9), e(n_tgt, 4, gen, 0.9);
      // Units: the source block at 4, the targets at 4 + n_src, and a second block onward from the
      // targets, so that a unit is a target of one block and a source of the next.
      std::vector<CouplingBlock> general{d.view(4, 4 + n_src, gf, gb), e.view(4 + n_src, 0, gb, gf)};
      std::vector<CouplingBlock> fast = general;
      for (CouplingBlock& b : fast) mark_dense(b, &b == &fast[0] ? n_tgt : 4);
      REQUIRE(fast[0].dense_n_tgt == n_tgt);
      REQUIRE(fast[1].dense_n_tgt == 4);
      const std::size_t n = 4 + n_src + n_tgt;
      std::vector<double> rates(n), a(n), b(n);
      for (std::size_t i = 0; i < n; ++i) rates[i] = u(gen), a[i] = b[i] = u(gen);
      add_synaptic_input(general, rates, a);
      add_synaptic_input(fast, rates, b);
      for (std::size_t i = 0; i < n; ++i)
        CHECK(std::bit_cast<std::uint64_t>(a[i]) == std::bit_cast<std::uint64_t>(b[i]));
    }
  }
}

TEST_CASE("only an all-to-all block whose sources are not its targets is marked dense") {
  std::mt19937 gen(12);
  DenseBlock d(3, 5, gen, 1.0);
  CouplingBlock b = d.view(0, 3, 1, 1);
  mark_dense(b, 5);
  CHECK(b.dense_n_tgt == 5);
  mark_dense(b, 6);  // a target population of 6: its last unit is reached by nobody
  CHECK(b.dense_n_tgt == 0);
  CouplingBlock recurrent = d.view(0, 2, 1, 1);  // sources 0-2, targets 2-6: unit 2 is both
  mark_dense(recurrent, 5);
  CHECK(recurrent.dense_n_tgt == 0);
  DenseBlock permuted = d;
  std::swap(permuted.tgt[5], permuted.tgt[6]);  // row 1 reaches its targets out of order
  CouplingBlock p = permuted.view(0, 3, 1, 1);
  mark_dense(p, 5);
  CHECK(p.dense_n_tgt == 0);
}
