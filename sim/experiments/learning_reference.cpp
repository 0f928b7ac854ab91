// What the learning experiment measures against: the fixed split of the data set, and the
// back-propagated gradient at a free fixed point that the rule's update is compared with.
#include <cmath>

#include "sim/experiments/learning.hpp"

namespace ebsim {

DataSplit split_dataset(const LearningExperiment& ex) {
  DataSplit s;
  const std::size_t n = ex.data->size();
  if (ex.split == LearningExperiment::Split::interleaved) {
    const std::size_t k = std::max<std::size_t>(2, std::size_t(std::llround(1.0 / ex.test_fraction)));
    for (std::size_t i = 0; i < n; ++i) (i % k == k - 1 ? s.test : s.train).push_back(std::uint32_t(i));
  } else {
    const std::size_t n_test = std::size_t(std::llround(ex.test_fraction * double(n)));
    for (std::size_t i = 0; i < n; ++i) (i >= n - n_test ? s.test : s.train).push_back(std::uint32_t(i));
  }
  if (ex.train_examples > 0 && ex.train_examples < s.train.size()) s.train.resize(ex.train_examples);
  if (ex.test_examples > 0 && ex.test_examples < s.test.size()) s.test.resize(ex.test_examples);
  return s;
}

std::vector<std::vector<double>> fixed_point_gradient(const Network& net, const LearningExperiment& ex,
                                                      const models::RateFunction& rate, std::span<const double> s,
                                                      std::span<const std::uint8_t> held,
                                                      std::span<const double> target_states) {
  std::vector<std::vector<double>> grad(net.projections.size());
  // The receiving unit's factor: 0 where a drive beyond a boundary holds it (it does not respond).
  auto rho_prime = [&](std::uint32_t unit) { return held[unit] ? 0.0 : rate.rho_prime(s[unit]); };
  const std::size_t L = ex.layers.size() - 1;
  const Population& out = net.populations[net.projections[ex.layer_projections[L - 1]].target];
  std::vector<double> delta(out.size);  // of the current layer, population-local
  for (std::uint32_t u = 0; u < out.size; ++u) delta[u] = s[out.offset + u] - target_states[u];
  for (std::size_t k = L; k >= 1; --k) {
    const std::size_t pi = ex.layer_projections[k - 1];
    const Projection& p = net.projections[pi];
    const Population& src = net.populations[p.source];
    const Population& tgt = net.populations[p.target];
    grad[pi].assign(p.synapse_count(), 0.0);
    std::vector<double> below(src.size, 0.0);
    for (std::uint32_t j = 0; j < src.size; ++j) {
      const double r = rate.rho(s[src.offset + j]);
      for (std::uint64_t q = p.row_ptr[j]; q < p.row_ptr[j + 1]; ++q) {
        const std::uint32_t i = p.tgt_index[q];
        grad[pi][q] = delta[i] * r;
        // J^T delta. The sending unit's factor is d rho / ds (closed interval): a nudged output
        // moves even where it was held, and a held hidden unit's delta is already 0 from its
        // receiving factor below. W acts with gain_forward + gain_backward (1: symmetric chain).
        below[j] +=
            (p.gain_forward + p.gain_backward) * double(p.weight[q]) * rate.rho_prime(s[tgt.offset + i]) * delta[i];
      }
    }
    for (std::uint32_t j = 0; j < src.size; ++j) below[j] *= rho_prime(src.offset + j);
    delta = std::move(below);
  }
  return grad;
}

}  // namespace ebsim
