#include "sim/experiments/learning_output.hpp"

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/io/stored_run.hpp"

namespace ebsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string checkpoint_name(const Network& net, std::size_t projection) {
  return "/training/checkpoint/" + net.projections[projection].name + "/weight";
}

}  // namespace

void write_training(const Config& cfg, const Network& net, const LearningResult& result, const TrainingLists& lists,
                    bool mean_field, bool baseline, Sink& sink) {
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  const std::size_t rows = result.epochs.size(), n_proj = ex.layer_projections.size();
  auto column = [&](auto field) {
    std::vector<double> v;
    for (const LearningEpoch& e : result.epochs) v.push_back(field(e));
    return v;
  };
  auto write = [&](const std::string& path, const std::vector<double>& v) { sink.write_array(path, v, {v.size()}); };
  write("/training/epoch", column([](const LearningEpoch& e) { return double(e.epoch); }));
  write("/training/train_accuracy", column([](const LearningEpoch& e) { return e.train_accuracy; }));
  write("/training/test_accuracy", column([](const LearningEpoch& e) { return e.test_accuracy; }));
  if (mean_field)
    write("/training/mean_field_test_accuracy",
          column([](const LearningEpoch& e) { return e.mean_field_test_accuracy; }));
  write("/training/test_loss", column([](const LearningEpoch& e) { return e.test_loss; }));
  write("/training/examples_per_s", column([](const LearningEpoch& e) { return e.epoch ? e.examples_per_s : kNaN; }));
  write("/training/wall_s", column([](const LearningEpoch& e) { return e.wall_s; }));
  write("/training/unsettled", column([](const LearningEpoch& e) { return double(e.unsettled); }));
  write("/training/free_phase_ms", column([](const LearningEpoch& e) { return e.epoch ? e.free_ms : kNaN; }));
  std::vector<double> align, batch_align;
  std::string align_names;
  for (const LearningEpoch& e : result.epochs) {
    align.insert(align.end(), e.alignment.begin(), e.alignment.end());
    batch_align.insert(batch_align.end(), e.batch_alignment.begin(), e.batch_alignment.end());
  }
  for (std::size_t k : ex.layer_projections) align_names += (align_names.empty() ? "" : ",") + net.projections[k].name;
  sink.write_array("/training/alignment", align, {rows, n_proj});
  sink.write_attribute("/training/alignment", "projections", align_names);
  sink.write_attribute("/training/alignment", "dimensions", std::vector<std::string>{"epoch", "projection"});
  sink.write_attribute(
      "/training/alignment", "meaning",
      std::string("mean over the first alignment_examples examples of each epoch (those with a non-zero gradient) of "
                  "cos(Delta W, -dC/dW), dC/dW back-propagated at the free fixed point (continuous engine only)"));
  sink.write_array("/training/batch_alignment", batch_align, {rows, n_proj});
  sink.write_attribute("/training/batch_alignment", "projections", align_names);
  sink.write_attribute("/training/batch_alignment", "dimensions", std::vector<std::string>{"epoch", "projection"});
  sink.write_attribute("/training/batch_alignment", "meaning",
                       std::string("cos(sum Delta W, -sum dC/dW) over the same examples as /training/alignment: "
                                   "the directions and the sizes of the updates together"));
  write("/training/test_labels", lists.test_labels);
  write("/training/test_predictions", lists.test_predictions);
  write("/training/train_indices", std::vector<double>(lists.train.begin(), lists.train.end()));
  write("/training/test_indices", std::vector<double>(lists.test.begin(), lists.test.end()));
  if (baseline) {
    write("/training/baseline/train_accuracy",
          column([](const LearningEpoch& e) { return e.baseline_train_accuracy; }));
    write("/training/baseline/test_accuracy", column([](const LearningEpoch& e) { return e.baseline_test_accuracy; }));
    write("/training/baseline/test_predictions", lists.baseline_predictions);
    sink.write_attribute(
        "/training/baseline", "method",
        std::string(
            "back-propagation, feedforward pass of the same chain: s_k = clip(b_k + W_k rho(s_{k-1}), beta1, beta2), "
            "C = 1/2 |s_L - y*|^2, SGD with the same initial weights, order and batches"));
    sink.write_attribute("/training/baseline", "lr", ex.baseline_lr);
  }
  sink.write_attribute("/training", "data", ex.data_path);
  sink.write_attribute("/training", "split",
                       std::string(ex.split == LearningExperiment::Split::interleaved ? "interleaved" : "last"));
  sink.write_attribute("/training", "n_train", std::int64_t(result.n_train));
  sink.write_attribute("/training", "n_test", std::int64_t(result.n_test));
  sink.write_attribute("/training", "engine",
                       std::string(cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous"));
}

void write_learning_checkpoint(const Config& cfg, const Network& net, const std::vector<std::vector<double>>& weights,
                               Sink& sink) {
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  for (std::size_t m = 0; m < ex.layer_projections.size(); ++m) {
    const std::string name = checkpoint_name(net, ex.layer_projections[m]);
    sink.write_array(name, weights[m], {weights[m].size()});
    sink.write_attribute(name, "meaning",
                         std::string("the rule's double-precision weights after the last epoch, in the order of "
                                     "/weights/final (which holds the engine's single-precision ones): what "
                                     "experiment.resume continues from"));
  }
}

std::vector<std::vector<double>> read_learning_checkpoint(const Config& cfg, const Network& net) {
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  std::vector<std::vector<double>> weights;
  for (std::size_t k : ex.layer_projections)
    weights.push_back(read_stored_array(ex.resume_path, checkpoint_name(net, k)).values);
  return weights;
}

// The rows a resumed run's file holds, as the epochs it trained.
std::vector<LearningEpoch> read_learning_rows(const LearningExperiment& ex, std::size_t n_proj, bool mean_field,
                                              bool baseline) {
  const auto column = [&](const std::string& name) { return read_stored_array(ex.resume_path, name).values; };
  const std::vector<double> epoch = column("/training/epoch"), train = column("/training/train_accuracy"),
                            test = column("/training/test_accuracy"), loss = column("/training/test_loss"),
                            speed = column("/training/examples_per_s"), wall = column("/training/wall_s"),
                            unsettled = column("/training/unsettled"), free = column("/training/free_phase_ms"),
                            align = column("/training/alignment");
  const std::size_t rows = epoch.size();
  const std::vector<double> mf =
      mean_field ? column("/training/mean_field_test_accuracy") : std::vector<double>(rows, kNaN);
  const std::vector<double> base_train =
      baseline ? column("/training/baseline/train_accuracy") : std::vector<double>(rows, kNaN);
  const std::vector<double> base_test =
      baseline ? column("/training/baseline/test_accuracy") : std::vector<double>(rows, kNaN);
  for (const std::vector<double>* c :
       {&train, &test, &loss, &speed, &wall, &unsettled, &free, &mf, &base_train, &base_test})
    if (c->size() != rows) throw std::runtime_error("`" + ex.resume_path + "`: /training columns differ in length");
  if (align.size() != rows * n_proj)
    throw std::runtime_error("`" + ex.resume_path + "`: /training/alignment does not fit");
  std::vector<double> batch_align(rows * n_proj, kNaN);  // files written before it existed: NaN
  if (stored_exists(ex.resume_path, "/training/batch_alignment")) {
    batch_align = column("/training/batch_alignment");
    if (batch_align.size() != rows * n_proj)
      throw std::runtime_error("`" + ex.resume_path + "`: /training/batch_alignment does not fit");
  }
  std::vector<LearningEpoch> epochs(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    LearningEpoch& e = epochs[r];
    e.epoch = std::uint32_t(epoch[r]);
    e.train_accuracy = train[r];
    e.test_accuracy = test[r];
    e.test_loss = loss[r];
    e.examples_per_s = speed[r];
    e.wall_s = wall[r];
    e.unsettled = std::uint32_t(unsettled[r]);
    e.free_ms = free[r];
    e.mean_field_test_accuracy = mf[r];
    e.baseline_train_accuracy = base_train[r];
    e.baseline_test_accuracy = base_test[r];
    e.alignment.assign(align.begin() + std::ptrdiff_t(r * n_proj), align.begin() + std::ptrdiff_t((r + 1) * n_proj));
    e.batch_alignment.assign(batch_align.begin() + std::ptrdiff_t(r * n_proj),
                             batch_align.begin() + std::ptrdiff_t((r + 1) * n_proj));
  }
  return epochs;
}

}  // namespace ebsim
