#pragma once
// Learning with the in-simulator rule on a labelled data set, against plain
// back-propagation on the same architecture (sim/experiments/feedforward.hpp).
//
// Per training example: clamp the input to the features (x = beta1 + value / feature_max, so the
// input rates are rho(x) = value / feature_max), let the network settle (protocol phase 0, the free
// phase; no learning), nudge the output toward the one-hot target (phase 1: each output's target
// state is beta1 + target_rates.on for the right class and beta1 + target_rates.off for the others,
// with the phase's beta, its sign random per example with random_sign) while the projections'
// rule Delta W ∝ ds_post/dt rho(s_pre) (Eq. 26) runs, then any later phases. The prediction is the
// argmax of the outputs at the free fixed point (spiking engine: their states averaged over the
// free phase's last `readout`; with mean_field_readout also the continuous engine's fixed point
// for the same weights, which separates what was learned from the readout's spiking noise).
// Results per epoch under /training in the output file.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/rate_function.hpp"
#include "sim/core/config.hpp"
#include "sim/core/network.hpp"
#include "sim/experiments/learning_config.hpp"
#include "sim/io/dataset.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

// Example indices of the data set. interleaved: every k-th example (k = round(1 / test_fraction),
// index % k == k - 1) is a test example, which mixes the writers of the digits set into both sets;
// last: the last round(test_fraction * n) examples. Then the first train_examples / test_examples.
struct DataSplit {
  std::vector<std::uint32_t> train, test;
};
DataSplit split_dataset(const LearningExperiment& ex);

// The back-propagated gradient of C = 1/2 |y^ - y*|^2 at a free fixed point s (Eq. 18-25), per
// projection of the chain, in the projection's synapse order: dC/dW_ij = delta_i rho(s_j) for
// target i and source j, with delta_y = y^ - y* and delta_{h_k} = J_k^T delta_{h_{k-1}},
// J_k = diag(rho'(h_k)) W diag(rho'(h_{k-1})): the receiving factor is 0 for units held on a
// boundary by a drive beyond it (they do not respond), the sending factor is d rho / ds on the
// closed interval (a nudged output moves, and its rate with it, even where it was held).
// Projections outside the chain get empty vectors.
std::vector<std::vector<double>> fixed_point_gradient(const Network& net, const LearningExperiment& ex,
                                                      const models::RateFunction& rate, std::span<const double> s,
                                                      std::span<const std::uint8_t> held,
                                                      std::span<const double> target_states);

struct LearningEpoch {
  std::uint32_t epoch = 0;                           // 0: before training
  double train_accuracy = 0.0, test_accuracy = 0.0;  // NaN when not evaluated
  double test_loss = 0.0;                            // mean 1/2 |y^ - y*|^2 at the free fixed point
  double baseline_train_accuracy = 0.0, baseline_test_accuracy = 0.0;
  double mean_field_test_accuracy = 0.0;      // spiking: the weights read out by the continuous engine
  double wall_s = 0.0, examples_per_s = 0.0;  // the rule's training pass
  double free_ms = 0.0;                       // mean length of the free phase (settling time)
  std::uint32_t unsettled = 0;                // training free phases that hit the cap unsettled
  std::vector<double> alignment;              // per chain projection: mean cos(Delta W, -dC/dW)
  // ... and cos(sum Delta W, -sum dC/dW) over the same examples: not implied by the per-example
  // cosines (each Delta W is close to rank one; their sum is not), it also weighs their sizes.
  std::vector<double> batch_alignment;
};

struct LearningResult {
  bool complete = false;
  std::size_t n_train = 0, n_test = 0;
  std::vector<LearningEpoch> epochs;
  double wall_s = 0.0;
};

LearningResult run_learning(const Config& cfg, Sink& sink, const RunOptions& options);
std::string format_learning_summary(const Config& cfg, const LearningResult& result);

}  // namespace ebsim
