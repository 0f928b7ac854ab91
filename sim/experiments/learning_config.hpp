#pragma once
// The learning experiment's parameters (`experiment: {kind: learning, ...}`) and their reader,
// which loads the data set and checks it, and the layered chain, against the network.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

class MapReader;
struct Dataset;

// Learning on a labelled data set with the in-simulator rule: per example, clamp the input to the
// features (protocol phase 0 settles: the free phase), nudge the output toward the one-hot target
// (phase 1, where the projections' plasticity is on), then run any later phases; against plain
// back-propagation on the same feedforward architecture.
struct LearningExperiment : ExperimentSpec {
  enum class Split { interleaved, last };
  std::string data_path;
  std::shared_ptr<const Dataset> data;  // loaded and checked with the config
  std::string input, output;            // the clamped and the nudged population
  double feature_max = 16.0;            // x = beta1 + value / feature_max: rho(x) = value / feature_max
  Split split = Split::interleaved;  // every k-th example (k = 1 / test_fraction) is a test example; or the last ones
  double test_fraction = 0.2;
  std::uint32_t train_examples = 0, test_examples = 0;  // 0: all; else the first N of each set
  std::uint32_t epochs = 10, batch = 1;                 // batch 1: online (weights change during each nudge)
  double lr_decay = 1.0;                                // learning rates x lr_decay^(epoch - 1)
  bool shuffle = true, random_sign = false, persistent = false, evaluate_train = true;
  double target_on = 0.9, target_off = 0.1;  // target rates rho(y*) of the right and the other classes
  double readout_ms = 20.0;                  // spiking evaluation: y averaged over the free phase's last readout
  double evaluation_free_ms = 0.0;           // spiking evaluation: free phase length; 0: the protocol's
  bool mean_field_readout = true;            // spiking: also test with the continuous engine's fixed point
  std::uint32_t alignment_examples = 50;     // per epoch: examples whose update is compared with the gradient
  bool baseline = true;
  double baseline_lr = 0.05;
  bool baseline_output_derivative = false;     // see sim/experiments/feedforward.hpp
  std::vector<std::string> layers;             // derived: input, hidden..., output
  std::vector<std::size_t> layer_projections;  // derived: projection from layers[k] to layers[k+1]

  std::string resume_path;           // `resume: run.h5`: continue that run's training ("" : start afresh)
  std::uint32_t resumed_epochs = 0;  // the epochs that run trained

  std::vector<std::string> input_files() const override {
    if (resume_path.empty()) return {data_path};
    return {data_path, resume_path};
  }
  // A resumed run continues the file's run: its config must be this one but for `epochs` (and the
  // output path).
  std::optional<Problem> check_resolved(const std::string& resolved_yaml) const override;
};

// Reads the `experiment:` section (its `kind` already read) for cfg. The data file is read here,
// so that a missing or malformed file is reported like any other config error, before anything
// runs or is written.
std::shared_ptr<const ExperimentSpec> read_learning_experiment(MapReader& m, const Config& cfg);

}  // namespace ebsim
