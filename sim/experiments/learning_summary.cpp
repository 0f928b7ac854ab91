// The learning experiment's summary text (what `ebsim run` prints at the end).
#include <cmath>
#include <iomanip>
#include <sstream>

#include "sim/experiments/learning.hpp"

namespace ebsim {

std::string format_learning_summary(const Config& cfg, const LearningResult& r) {
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  std::ostringstream os;
  const bool spiking = cfg.engine.kind == EngineKind::spiking;
  os << "ebsim learning: " << (spiking ? "spiking" : "continuous") << " engine, " << r.n_train << " training / "
     << r.n_test << " test examples of " << ex.data_path << " ("
     << (ex.split == LearningExperiment::Split::interleaved ? "interleaved" : "last") << " split), " << ex.epochs
     << " epoch(s), batch " << ex.batch << "\n";
  const bool mf = spiking && ex.mean_field_readout;
  os << "  epoch  train acc  test acc  test loss" << (mf ? "  mean-field test" : "")
     << (ex.baseline ? "  | backprop train  test" : "") << "  | examples/s\n";
  os << std::fixed;
  for (const LearningEpoch& e : r.epochs) {
    os << "  " << std::setw(5) << e.epoch << "  " << std::setprecision(4) << std::setw(9) << e.train_accuracy << "  "
       << std::setw(8) << e.test_accuracy << "  " << std::setw(9) << e.test_loss;
    if (mf) os << "  " << std::setw(15) << e.mean_field_test_accuracy;
    if (ex.baseline)
      os << "  | " << std::setw(14) << e.baseline_train_accuracy << "  " << std::setw(5) << e.baseline_test_accuracy;
    if (e.epoch) os << "  | " << std::setprecision(1) << std::setw(10) << e.examples_per_s;
    os << "\n";
  }
  std::uint64_t unsettled = 0;
  for (const LearningEpoch& e : r.epochs) unsettled += e.unsettled;
  if (unsettled > 0)
    os << "  WARNING: " << unsettled << " training free phases hit the cap (" << cfg.protocol.phases[0].duration_ms
       << " ms) before settling to tol; their updates start from a moving state (see /training/unsettled)\n";
  if (!r.epochs.empty() && !spiking && ex.alignment_examples > 0) {
    const LearningEpoch& first = r.epochs.size() > 1 ? r.epochs[1] : r.epochs[0];
    os << "  alignment of the rule's update with -dC/dW (epoch 1, mean cosine per projection):";
    for (std::size_t m = 0; m < ex.layer_projections.size(); ++m)
      os << " " << cfg.projections[ex.layer_projections[m]].name << " " << std::setprecision(3) << first.alignment[m];
    os << "; of the summed update with the summed gradient:";
    for (std::size_t m = 0; m < ex.layer_projections.size(); ++m)
      os << " " << cfg.projections[ex.layer_projections[m]].name << " " << std::setprecision(3)
         << first.batch_alignment[m];
    os << "\n";
  }
  if (!r.epochs.empty()) {
    const LearningEpoch& last = r.epochs.back();
    os << std::setprecision(2) << "  final test accuracy: in-simulator rule " << 100 * last.test_accuracy << " %";
    if (mf)
      os << " (the same weights read out by the mean-field fixed point: " << 100 * last.mean_field_test_accuracy
         << " %)";
    if (ex.baseline)
      os << ", back-propagation " << 100 * last.baseline_test_accuracy << " % (difference "
         << 100 * (last.baseline_test_accuracy - last.test_accuracy) << " points)";
    os << "\n";
  }
  os << std::setprecision(1) << "  wall time " << r.wall_s << " s\n";
  return os.str();
}

}  // namespace ebsim
