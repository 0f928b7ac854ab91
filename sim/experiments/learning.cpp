#include "sim/experiments/learning.hpp"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <iomanip>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "sim/core/clock.hpp"
#include "sim/core/engine_factory.hpp"
#include "sim/core/fit.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/random.hpp"
#include "sim/experiments/feedforward.hpp"
#include "sim/experiments/learning_output.hpp"
#include "sim/run/engine_pool.hpp"
#include "sim/run/in_order.hpp"

namespace ebsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint32_t kEvaluationKey = 0x80000000u;  // spiking streams of evaluation passes

std::uint32_t argmax(std::span<const double> v) {
  return std::uint32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

class Trainer {
 public:
  // `threads`: partitions of the training network (--threads); evaluation passes run on --jobs.
  Trainer(const Config& cfg, const std::atomic<bool>* stop, unsigned threads, PartitionComm* comm)
      : cfg_(cfg),
        ex_(cfg.experiment_as<LearningExperiment>()),
        data_(*ex_.data),
        net_(build_network(cfg, stop)),
        drives_(resolve_phases(cfg, net_)),
        rule_(cfg, net_),
        params_(lower_engine_params(cfg)),
        train_engine_(make_engine(params_.with_partitions(threads, comm), net_)),
        eval_pool_(params_, net_, stop, params_.kind == EngineKind::spiking),
        // The spiking-trained weights read out by the mean-field fixed point: the continuous engine
        // with eps = 0.5 settling to 1e-4 (as configs/learn_digits.yaml), capped at 3 s.
        mean_field_pool_(params_.with_kind(EngineKind::continuous).with_dt(params_.tau_ms / 2).with_sigma(0.0), net_,
                         stop, false),
        free_phase_{cfg.protocol.phases[0].duration_ms, cfg.protocol.phases[0].settle},
        mean_field_free_{3000.0, Settle{1e-4, 3000.0}},
        mean_field_(params_.kind == EngineKind::spiking && ex_.mean_field_readout) {
    for (const Population& p : net_.populations) {
      if (p.name == ex_.input) in_ = &p;
      if (p.name == ex_.output) out_ = &p;
    }
    for (std::size_t p = 0; p < drives_.size(); ++p) {
      base_beta_.push_back(drives_[p].beta[out_->offset]);
      nudged_.push_back(cfg.protocol.phases[p].nudge.count(ex_.output) > 0);
    }
    train_engine_->set_plasticity(&rule_);
    train_engine_->set_stop_flag(stop);
    state_.resize(net_.n_units);
    held_.assign(net_.n_units, 0);
    target_.resize(out_->size);
  }

  Network& network() { return net_; }

  // Clamps, targets and beta signs of every phase for one example.
  void load_example(std::uint32_t idx, double sign) {
    const std::vector<double> x = input_states(idx);
    target_ = target_states(idx);
    for (std::size_t p = 0; p < drives_.size(); ++p) {
      for (std::uint32_t u = 0; u < in_->size; ++u) {
        drives_[p].clamped[in_->offset + u] = 1;
        drives_[p].clamp_value[in_->offset + u] = x[u];
      }
      if (!nudged_[p]) continue;
      for (std::uint32_t c = 0; c < out_->size; ++c) {
        drives_[p].target[out_->offset + c] = target_[c];
        drives_[p].beta[out_->offset + c] = sign * base_beta_[p];
      }
    }
  }

  // Phase 0 of a training example from reset: the free fixed point (continuous), or a free phase
  // of its length (spiking), in state_. Returns the phase's length in ms.
  double free_phase(Engine& e, std::uint32_t key, const std::vector<double>* start) {
    e.reset(key);
    if (start) e.set_states(*start);
    rule_.set_phase(0);
    e.set_phase(drives_[0]);
    if (params_.kind == EngineKind::continuous) {
      settled_ = e.advance_until_settled(free_phase_.duration_ms, free_phase_.settle->tol);
      e.sample_states(state_);
      e.held_units(held_);
      return e.now();
    }
    e.advance_to(free_phase_.duration_ms);  // the nudge starts from wherever the free phase ends
    return free_phase_.duration_ms;
  }

  // An evaluation pass's readout of example idx on engine e (plasticity off; nothing of the
  // trainer changes, so examples can run on threads): the free fixed point (continuous, or the
  // mean-field engine), or y averaged over the last `readout` of a free phase of
  // `evaluation_free` (spiking). The same streams at every evaluation: epochs differ by their
  // weights only. Returns the output population's states.
  std::vector<double> readout(EnginePool::Item& item, std::uint32_t idx, bool mean_field) const {
    Engine& e = *item.engine;
    PhaseDrive& drive = item.drive;  // the free phase, with this example's input clamped
    drive = drives_[0];
    const std::vector<double> x = input_states(idx);
    for (std::uint32_t u = 0; u < in_->size; ++u) {
      drive.clamped[in_->offset + u] = 1;
      drive.clamp_value[in_->offset + u] = x[u];
    }
    e.reset(kEvaluationKey + idx);
    e.set_phase(drive);
    const std::uint32_t n = net_.n_units;
    std::vector<double> state(n);
    if (mean_field || params_.kind == EngineKind::continuous) {
      const FreePhase& free = mean_field ? mean_field_free_ : free_phase_;
      e.advance_until_settled(free.duration_ms, free.settle->tol);
      e.sample_states(state);
    } else {
      const double duration = ex_.evaluation_free_ms > 0 ? ex_.evaluation_free_ms : free_phase_.duration_ms;
      std::vector<double> s0(n), s1(n), counts(n);
      e.advance_to(duration - ex_.readout_ms);
      e.integrals(s0, counts);
      e.advance_to(duration);
      e.integrals(s1, counts);
      for (std::uint32_t i = 0; i < n; ++i) state[i] = (s1[i] - s0[i]) / ex_.readout_ms;
    }
    return {state.begin() + out_->offset, state.begin() + out_->offset + out_->size};
  }

  bool settled() const { return settled_; }

  // What the alignment examples of an epoch add up to, per chain projection.
  struct Alignment {
    std::vector<double> cosine_sum, count;
    std::vector<std::vector<double>> dw_sum, minus_g_sum;
    explicit Alignment(std::size_t n_proj)
        : cosine_sum(n_proj, 0.0), count(n_proj, 0.0), dw_sum(n_proj), minus_g_sum(n_proj) {}
  };

  // One training example; the weights move during the later phases. Returns the free phase's length.
  double train(std::uint32_t idx, std::uint32_t key, double sign, Alignment* alignment) {
    load_example(idx, sign);
    std::vector<double>* start = nullptr;
    if (ex_.persistent) {
      if (persistent_.empty()) persistent_.resize(data_.size());
      if (!persistent_[idx].empty()) start = &persistent_[idx];
    }
    const double free_ms = free_phase(*train_engine_, key, start);
    if (ex_.persistent) persistent_[idx] = state_;
    std::vector<std::vector<double>> grad;
    std::vector<std::vector<double>> before;
    if (alignment) {
      grad = fixed_point_gradient(net_, ex_, cfg_.model.rate, state_, held_, target_);
      for (std::size_t k : ex_.layer_projections) before.push_back(weights(k));
    }
    double t = train_engine_->now();
    for (std::size_t p = 1; p < drives_.size(); ++p) {
      rule_.set_phase(p);
      train_engine_->set_phase(drives_[p]);
      t += cfg_.protocol.phases[p].duration_ms;
      train_engine_->advance_to(t);
    }
    train_engine_->end_trial();  // STDP windows still open close now, over their length so far
    if (alignment) {
      for (std::size_t m = 0; m < ex_.layer_projections.size(); ++m) {
        const std::size_t k = ex_.layer_projections[m];
        const std::vector<double> w = weights(k);
        std::vector<double> dw(w.size()), minus_g(w.size());
        for (std::size_t q = 0; q < w.size(); ++q) dw[q] = w[q] - before[m][q], minus_g[q] = -grad[k][q];
        std::vector<double>&dw_sum = alignment->dw_sum[m], &g_sum = alignment->minus_g_sum[m];
        dw_sum.resize(w.size(), 0.0);
        g_sum.resize(w.size(), 0.0);
        for (std::size_t q = 0; q < w.size(); ++q) dw_sum[q] += dw[q], g_sum[q] += minus_g[q];
        // Examples without a gradient or an update (all inputs silent, all units held) carry no
        // direction: they are left out of the mean.
        auto zero = [](const std::vector<double>& v) {
          return std::all_of(v.begin(), v.end(), [](double x) { return x == 0.0; });
        };
        if (zero(dw) || zero(minus_g)) continue;
        alignment->cosine_sum[m] += cosine(dw, minus_g);
        alignment->count[m] += 1;
      }
    }
    return free_ms;
  }

  void set_gain(double g) { rule_.set_gain(g); }

  // A chain projection's weights in double precision (the rule's copy where it is plastic; others
  // never change), and setting them.
  std::vector<double> weights(std::size_t k) const {
    if (rule_.plastic(k)) return {rule_.weights(k).begin(), rule_.weights(k).end()};
    return {net_.projections[k].weight.begin(), net_.projections[k].weight.end()};
  }
  void set_weights(std::size_t k, std::span<const double> w) {
    if (rule_.plastic(k)) rule_.set_weights(k, w);
  }

  struct Evaluation {
    double accuracy = 0.0, loss = 0.0;
    std::vector<double> predictions;
  };

  bool has_mean_field() const { return mean_field_; }

  // Accuracy and loss over `indices` with plasticity off; mean_field: read out by the mean-field
  // fixed point instead of the spiking engine. The examples run on `jobs` threads, each on an
  // engine of its own (taken from a pool, made on first use); their outputs are taken in example
  // order, so accuracy, loss and predictions are bitwise the same for any number of threads.
  Evaluation evaluate(const std::vector<std::uint32_t>& indices, bool mean_field = false) {
    EnginePool& pool = mean_field ? mean_field_pool_ : eval_pool_;
    Evaluation ev;
    double correct = 0, loss = 0;
    auto make = [&](std::uint32_t i) -> std::function<std::vector<double>()> {
      return [this, &pool, idx = indices[i], mean_field] {
        std::unique_ptr<EnginePool::Item> item = pool.take();
        std::vector<double> y = readout(*item, idx, mean_field);
        pool.give_back(std::move(item));
        return y;
      };
    };
    auto take = [&](std::uint32_t i, const std::vector<double>& y) {
      const std::uint32_t idx = indices[i];
      const std::uint32_t guess = argmax(y);
      const std::vector<double> target = target_states(idx);
      correct += guess == data_.labels[idx];
      for (std::uint32_t c = 0; c < out_->size; ++c) loss += 0.5 * (y[c] - target[c]) * (y[c] - target[c]);
      ev.predictions.push_back(guess);
      return true;
    };
    run_in_order<std::vector<double>>(std::uint32_t(indices.size()), jobs_ > 1 ? jobs_ - 1 : 0, make, take);
    ev.accuracy = correct / double(indices.size());
    ev.loss = loss / double(indices.size());
    return ev;
  }

  void set_jobs(unsigned jobs) { jobs_ = std::max(1u, jobs); }

  // The input states of an example (x = beta1 + value / feature_max) and its target states.
  std::vector<double> input_states(std::uint32_t idx) const {
    const auto x = data_.example(idx);
    std::vector<double> v(x.size());
    for (std::size_t u = 0; u < x.size(); ++u) v[u] = cfg_.model.rate.beta1 + x[u] / ex_.feature_max;
    return v;
  }
  std::vector<double> target_states(std::uint32_t idx) const {
    std::vector<double> t(out_->size);
    for (std::uint32_t c = 0; c < out_->size; ++c)
      t[c] = cfg_.model.rate.beta1 + (c == data_.labels[idx] ? ex_.target_on : ex_.target_off);
    return t;
  }

 private:
  const Config& cfg_;
  const LearningExperiment& ex_;
  const Dataset& data_;
  Network net_;
  std::vector<PhaseDrive> drives_;
  PlasticityRule rule_;
  EngineParams params_;
  std::unique_ptr<Engine> train_engine_;
  EnginePool eval_pool_, mean_field_pool_;  // evaluation passes' engines, one per thread in use
  // The free phase: its cap and settle tolerance (continuous engine), or its length (spiking).
  struct FreePhase {
    double duration_ms;
    std::optional<Settle> settle;
  };
  FreePhase free_phase_, mean_field_free_;
  bool mean_field_;  // a spiking run also read out by the mean-field fixed point
  unsigned jobs_ = 1;
  const Population *in_ = nullptr, *out_ = nullptr;
  std::vector<double> base_beta_;
  std::vector<bool> nudged_;
  std::vector<double> state_, target_;
  std::vector<std::uint8_t> held_;
  std::vector<std::vector<double>> persistent_;
  bool settled_ = true;
};

// Fisher-Yates with Boost's distribution: the same order on every platform (std::shuffle is not).
void shuffle(std::vector<std::uint32_t>& v, Stream& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
    std::swap(v[i - 1], v[pick(rng)]);
  }
}

}  // namespace

LearningResult run_learning(const Config& cfg, Sink& sink, const RunOptions& options) {
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  const Dataset& data = *ex.data;
  const Stopwatch watch;
  LearningResult result;
  const DataSplit split = split_dataset(ex);
  result.n_train = split.train.size();
  result.n_test = split.test.size();
  Trainer trainer(cfg, options.stop, options.threads, options.comm);
  trainer.set_jobs(options.jobs);
  Network& net = trainer.network();
  for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("initial", net.weight_table(k));
  std::optional<FeedforwardNet> baseline;
  if (ex.baseline) baseline.emplace(net, ex, cfg.model.rate, ex.baseline_output_derivative);
  auto baseline_accuracy = [&](const std::vector<std::uint32_t>& indices, std::vector<double>* predictions) {
    double correct = 0;
    for (std::uint32_t idx : indices) {
      const auto x = trainer.input_states(idx);
      const std::uint32_t guess = argmax(baseline->forward(x));
      correct += guess == data.labels[idx];
      if (predictions) predictions->push_back(guess);
    }
    return correct / double(indices.size());
  };

  const std::size_t n_proj = ex.layer_projections.size();
  Stream order_rng = make_stream(cfg.seed, Purpose::shuffle, 0);
  Stream sign_rng = make_stream(cfg.seed, Purpose::nudge_sign, 0);
  std::vector<double> test_predictions, baseline_predictions;
  auto train_baseline = [&](const std::vector<std::uint32_t>& order, double decay) {
    for (std::size_t b = 0; b < order.size(); b += ex.batch) {
      const std::size_t end = std::min(order.size(), b + ex.batch);
      for (std::size_t n = b; n < end; ++n)
        baseline->accumulate_gradient(trainer.input_states(order[n]), trainer.target_states(order[n]));
      baseline->apply(ex.baseline_lr * decay);
    }
  };
  std::uint32_t first_epoch = 0;
  if (!ex.resume_path.empty()) {
    // Continue the file's run: its rows, its weights (the rule's double-precision copies), and
    // the random streams and the baseline brought to where it stopped by replaying its epochs.
    result.epochs = read_learning_rows(ex, n_proj, trainer.has_mean_field(), baseline.has_value());
    first_epoch = ex.resumed_epochs + 1;
    const std::vector<std::vector<double>> weights = read_learning_checkpoint(cfg, net);
    for (std::size_t m = 0; m < n_proj; ++m) {
      if (weights[m].size() != trainer.weights(ex.layer_projections[m]).size())
        throw std::runtime_error("`" + ex.resume_path + "`: the checkpoint does not fit this network");
      trainer.set_weights(ex.layer_projections[m], weights[m]);
    }
    for (std::uint32_t epoch = 1; epoch < first_epoch; ++epoch) {
      std::vector<std::uint32_t> order = split.train;
      if (ex.shuffle) shuffle(order, order_rng);
      if (ex.random_sign)
        for (std::size_t n = 0; n < order.size(); ++n) boost::random::uniform_int_distribution<int>(0, 1)(sign_rng);
      if (baseline) train_baseline(order, std::pow(ex.lr_decay, double(epoch - 1)));
    }
  }
  const double work = double(ex.epochs - (first_epoch ? first_epoch - 1 : 0)) * double(split.train.size());

  for (std::uint32_t epoch = first_epoch; epoch <= ex.epochs; ++epoch) {
    LearningEpoch rec;
    rec.epoch = epoch;
    rec.alignment.assign(n_proj, kNaN);
    rec.batch_alignment.assign(n_proj, kNaN);
    rec.train_accuracy = rec.baseline_train_accuracy = rec.baseline_test_accuracy = rec.mean_field_test_accuracy = kNaN;
    if (epoch > 0) {
      std::vector<std::uint32_t> order = split.train;
      if (ex.shuffle) shuffle(order, order_rng);
      const double decay = std::pow(ex.lr_decay, double(epoch - 1));
      Trainer::Alignment alignment(n_proj);
      std::uint32_t aligned = 0;
      double free_ms = 0;
      std::uint32_t unsettled = 0;
      const Stopwatch epoch_watch;
      std::vector<std::vector<double>> w0, acc;
      for (std::size_t b = 0; b < order.size(); b += ex.batch) {
        const std::size_t end = std::min(order.size(), b + ex.batch);
        if (ex.batch > 1) {
          w0.clear();
          acc.clear();
          for (std::size_t k : ex.layer_projections) {
            w0.push_back(trainer.weights(k));
            acc.emplace_back(w0.back().size(), 0.0);
          }
        }
        for (std::size_t n = b; n < end; ++n) {
          const std::uint32_t idx = order[n];
          double sign = 1.0;
          if (ex.random_sign) sign = boost::random::uniform_int_distribution<int>(0, 1)(sign_rng) ? 1.0 : -1.0;
          trainer.set_gain(sign * decay);
          const bool align = aligned < ex.alignment_examples && cfg.engine.kind == EngineKind::continuous;
          free_ms += trainer.train(idx, epoch * std::uint32_t(data.size()) + idx, sign, align ? &alignment : nullptr);
          aligned += align;
          unsettled += !trainer.settled();
          if (ex.batch > 1)
            for (std::size_t m = 0; m < n_proj; ++m) {
              const std::vector<double> w = trainer.weights(ex.layer_projections[m]);
              for (std::size_t q = 0; q < w.size(); ++q) acc[m][q] += w[q] - w0[m][q];
              trainer.set_weights(ex.layer_projections[m], w0[m]);
            }
          if (options.stop && options.stop->load()) return result;
          if (options.progress)
            options.progress((double(epoch - std::max(first_epoch, 1u)) * double(split.train.size()) + double(n + 1)) /
                             work);
        }
        if (ex.batch > 1) {
          const double count = double(end - b);
          for (std::size_t m = 0; m < n_proj; ++m) {
            for (std::size_t q = 0; q < w0[m].size(); ++q) w0[m][q] += acc[m][q] / count;
            trainer.set_weights(ex.layer_projections[m], w0[m]);
          }
        }
      }
      rec.wall_s = epoch_watch.seconds();
      rec.examples_per_s = double(order.size()) / rec.wall_s;
      rec.free_ms = free_ms / double(order.size());
      rec.unsettled = unsettled;
      for (std::size_t m = 0; m < n_proj; ++m) {
        if (alignment.count[m] > 0) rec.alignment[m] = alignment.cosine_sum[m] / alignment.count[m];
        if (alignment.count[m] > 0) rec.batch_alignment[m] = cosine(alignment.dw_sum[m], alignment.minus_g_sum[m]);
      }
      if (baseline) train_baseline(order, decay);
    }
    const bool last = epoch == ex.epochs;
    const Trainer::Evaluation test = trainer.evaluate(split.test);
    rec.test_accuracy = test.accuracy;
    rec.test_loss = test.loss;
    if (ex.evaluate_train || last) rec.train_accuracy = trainer.evaluate(split.train).accuracy;
    if (trainer.has_mean_field()) rec.mean_field_test_accuracy = trainer.evaluate(split.test, true).accuracy;
    if (baseline) {
      rec.baseline_test_accuracy = baseline_accuracy(split.test, last ? &baseline_predictions : nullptr);
      rec.baseline_train_accuracy = baseline_accuracy(split.train, nullptr);
    }
    if (last) test_predictions = test.predictions;
    result.epochs.push_back(rec);
    if (options.stop && options.stop->load()) return result;
  }
  for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("final", net.weight_table(k));
  std::vector<std::vector<double>> checkpoint;
  for (std::size_t k : ex.layer_projections) checkpoint.push_back(trainer.weights(k));
  write_learning_checkpoint(cfg, net, checkpoint, sink);

  std::vector<double> test_labels;
  for (std::uint32_t idx : split.test) test_labels.push_back(data.labels[idx]);
  write_training(cfg, net, result, {split.train, split.test, test_labels, test_predictions, baseline_predictions},
                 trainer.has_mean_field(), baseline.has_value(), sink);
  result.wall_s = watch.seconds();
  result.complete = true;
  return result;
}

}  // namespace ebsim
