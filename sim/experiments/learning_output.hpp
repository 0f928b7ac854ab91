#pragma once
// The learning experiment's /training group: written at the end of a run (one row per epoch, the
// split, the predictions, the baseline's results, and the rule's double-precision weights in
// /training/checkpoint), and read back by a run that resumes from the file (`experiment.resume`).
#include <cstdint>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/network.hpp"
#include "sim/experiments/learning.hpp"
#include "sim/experiments/learning_config.hpp"
#include "sim/io/sink.hpp"

namespace ebsim {

struct TrainingLists {
  const std::vector<std::uint32_t>& train;
  const std::vector<std::uint32_t>& test;
  const std::vector<double>& test_labels;
  const std::vector<double>& test_predictions;      // after the last epoch
  const std::vector<double>& baseline_predictions;  // empty without a baseline
};

void write_training(const Config& cfg, const Network& net, const LearningResult& result, const TrainingLists& lists,
                    bool mean_field, bool baseline, Sink& sink);

// weights[m]: the chain's projection ex.layer_projections[m], in the order of its weight table.
void write_learning_checkpoint(const Config& cfg, const Network& net, const std::vector<std::vector<double>>& weights,
                               Sink& sink);
std::vector<std::vector<double>> read_learning_checkpoint(const Config& cfg, const Network& net);

std::vector<LearningEpoch> read_learning_rows(const LearningExperiment& ex, std::size_t n_proj, bool mean_field,
                                              bool baseline);

}  // namespace ebsim
