#include "sim/experiments/feedforward.hpp"

#include <algorithm>
#include <stdexcept>

namespace ebsim {

FeedforwardNet::FeedforwardNet(const Network& net, const LearningExperiment& ex, const models::RateFunction& rate,
                               bool output_derivative)
    : rate_(rate), output_derivative_(output_derivative) {
  auto population = [&](const std::string& name) -> const Population& {
    for (const Population& p : net.populations)
      if (p.name == name) return p;
    throw std::logic_error("no population `" + name + "`");
  };
  const std::size_t n_layers = ex.layers.size();
  weight_.resize(n_layers);
  mask_.resize(n_layers);
  bias_.resize(n_layers);
  pending_.resize(n_layers);
  last_grad_.resize(n_layers);
  for (std::size_t k = 0; k < n_layers; ++k) {
    const Population& pop = population(ex.layers[k]);
    size_.push_back(pop.size);
    bias_[k].assign(net.bias.begin() + pop.offset, net.bias.begin() + pop.offset + pop.size);
    a_.emplace_back(pop.size, 0.0);
    s_.emplace_back(pop.size, 0.0);
    rho_.emplace_back(pop.size, 0.0);
    delta_.emplace_back(pop.size, 0.0);
  }
  for (std::size_t k = 1; k < n_layers; ++k) {
    const Projection& p = net.projections[ex.layer_projections[k - 1]];
    const std::uint32_t rows = size_[k], cols = size_[k - 1];
    weight_[k].assign(std::size_t(rows) * cols, 0.0);
    mask_[k].assign(std::size_t(rows) * cols, 0);
    for (std::uint32_t j = 0; j + 1 < p.row_ptr.size(); ++j)
      for (std::uint64_t q = p.row_ptr[j]; q < p.row_ptr[j + 1]; ++q) {
        const std::size_t at = std::size_t(p.tgt_index[q]) * cols + j;
        weight_[k][at] += p.gain_forward * double(p.weight[q]);
        mask_[k][at] = 1;
      }
    pending_[k].assign(weight_[k].size(), 0.0);
    last_grad_[k].assign(weight_[k].size(), 0.0);
  }
}

std::span<const double> FeedforwardNet::forward(std::span<const double> x) {
  std::copy(x.begin(), x.end(), s_[0].begin());
  const double b1 = rate_.beta1, b2 = rate_.beta2();
  for (std::size_t k = 1; k < s_.size(); ++k) {
    const std::uint32_t cols = size_[k - 1];
    std::vector<double>& r = rho_[k - 1];
    for (std::uint32_t j = 0; j < cols; ++j) r[j] = rate_.rho(s_[k - 1][j]);
    for (std::uint32_t i = 0; i < size_[k]; ++i) {
      double a = bias_[k][i];
      const double* w = weight_[k].data() + std::size_t(i) * cols;
      for (std::uint32_t j = 0; j < cols; ++j) a += w[j] * r[j];
      a_[k][i] = a;
      s_[k][i] = std::clamp(a, b1, b2);
    }
  }
  return s_.back();
}

void FeedforwardNet::accumulate_gradient(std::span<const double> x, std::span<const double> target) {
  forward(x);
  const double b1 = rate_.beta1, b2 = rate_.beta2();
  const std::size_t last = s_.size() - 1;
  auto inside = [&](double a) { return a >= b1 && a <= b2 ? 1.0 : 0.0; };  // d clip / da (closed interval)
  for (std::uint32_t i = 0; i < size_[last]; ++i)
    delta_[last][i] = (s_[last][i] - target[i]) * (output_derivative_ ? inside(a_[last][i]) : 1.0);
  for (std::size_t k = last; k >= 1; --k) {
    const std::uint32_t cols = size_[k - 1];
    if (k > 1) std::fill(delta_[k - 1].begin(), delta_[k - 1].end(), 0.0);
    for (std::uint32_t i = 0; i < size_[k]; ++i) {
      const double* w = weight_[k].data() + std::size_t(i) * cols;
      const std::uint8_t* m = mask_[k].data() + std::size_t(i) * cols;
      double* g = last_grad_[k].data() + std::size_t(i) * cols;
      for (std::uint32_t j = 0; j < cols; ++j) {
        g[j] = m[j] ? delta_[k][i] * rho_[k - 1][j] : 0.0;
        if (k > 1) delta_[k - 1][j] += w[j] * delta_[k][i];
      }
    }
    if (k > 1)
      for (std::uint32_t j = 0; j < cols; ++j) delta_[k - 1][j] *= inside(a_[k - 1][j]);
    for (std::size_t q = 0; q < pending_[k].size(); ++q) pending_[k][q] += last_grad_[k][q];
  }
  ++examples_;
}

void FeedforwardNet::apply(double lr) {
  if (examples_ == 0) return;
  for (std::size_t k = 1; k < weight_.size(); ++k)
    for (std::size_t q = 0; q < weight_[k].size(); ++q) {
      weight_[k][q] -= lr * pending_[k][q] / examples_;
      pending_[k][q] = 0.0;
    }
  examples_ = 0;
}

}  // namespace ebsim
