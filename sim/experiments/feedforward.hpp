#pragma once
// The learning experiment's baseline: plain back-propagation on the same architecture, read as a
// feedforward network. The chain input -> hidden... -> output of the energy-based network, without
// its feedback, computes layer by layer
//   a_k = b_k + W_k rho(s_{k-1}),   s_k = clip(a_k, beta1, beta2)
// (a hard-sigmoid unit's fixed point under its forward input alone; s_0 = x, the clamped input),
// with the loss C = 1/2 |s_L - y*|^2 on the output states. Stochastic gradient descent on the
// weights, with the same initial weights, order of examples and batches as the in-simulator rule;
// biases stay as configured (the rule does not learn them either).
//
// The output error is the paper's delta_y = s_L - y* (Eq. 12-25; the error the nudge delivers: it
// moves y whether or not y is saturated). With output_derivative the clip's derivative multiplies
// it too (textbook back-propagation through the output nonlinearity); from a Glorot start, outputs
// saturated on the wrong side then pass no error and learning crawls (configs/learn_digits.yaml:
// 7.8 % test accuracy after one epoch, 65 % after ten). Hidden layers always use the clip's
// derivative (closed interval).
#include <cstdint>
#include <span>
#include <vector>

#include "models/rate_function.hpp"
#include "sim/core/config.hpp"
#include "sim/core/network.hpp"
#include "sim/experiments/learning_config.hpp"

namespace ebsim {

class FeedforwardNet {
 public:
  FeedforwardNet(const Network& net, const LearningExperiment& ex, const models::RateFunction& rate,
                 bool output_derivative = false);

  // The output states s_L for input states x.
  std::span<const double> forward(std::span<const double> x);
  // Adds dC/dW of one example (at its forward pass) to the pending update.
  void accumulate_gradient(std::span<const double> x, std::span<const double> target);
  // W -= lr * (pending / examples); clears the pending update.
  void apply(double lr);
  // dC/dW of the last accumulate_gradient() call alone, layer k, row-major (n_k x n_{k-1}).
  std::span<const double> last_gradient(std::size_t layer) const { return last_grad_[layer]; }
  std::size_t layers() const { return weight_.size(); }

 private:
  models::RateFunction rate_;
  bool output_derivative_;
  std::vector<std::uint32_t> size_;              // per layer, input first
  std::vector<std::vector<double>> weight_;      // layer k >= 1: n_k x n_{k-1}, row-major
  std::vector<std::vector<std::uint8_t>> mask_;  // 1 where the network has a synapse
  std::vector<std::vector<double>> bias_;
  std::vector<std::vector<double>> a_, s_, rho_, delta_;  // per layer (rho_: rho(s), from forward())
  std::vector<std::vector<double>> pending_, last_grad_;
  std::uint32_t examples_ = 0;
};

}  // namespace ebsim
