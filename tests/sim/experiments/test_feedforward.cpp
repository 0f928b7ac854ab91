#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "sim/core/network.hpp"
#include "sim/experiments/feedforward.hpp"
#include "tests/sim/experiments/learning_support.hpp"

using namespace ebsim;

TEST_CASE("feedforward baseline: its gradient is the finite-difference gradient of its loss") {
  if (test::digits_missing()) return;
  const Config cfg = test::config_from(test::learning_yaml(test::kDigits, 64, 6, 10));
  Network net = build_network(cfg);
  // Small weights keep every unit inside [beta1, beta2], where the loss is smooth.
  for (Projection& p : net.projections)
    for (auto& w : p.weight) w *= 0.2f;
  const std::vector<double> x = [] {
    std::vector<double> v(64);
    for (int u = 0; u < 64; ++u) v[u] = -0.5 + (u % 7) / 7.0;
    return v;
  }();
  std::vector<double> target(10, -0.4);
  target[3] = 0.4;
  auto loss = [&](FeedforwardNet& f) {
    const auto y = f.forward(x);
    double c = 0;
    for (int k = 0; k < 10; ++k) c += 0.5 * (y[k] - target[k]) * (y[k] - target[k]);
    return c;
  };
  const LearningExperiment& ex = cfg.experiment_as<LearningExperiment>();
  FeedforwardNet f(net, ex, cfg.model.rate);
  f.accumulate_gradient(x, target);
  const std::vector<double> g1(f.last_gradient(1).begin(), f.last_gradient(1).end());
  const std::vector<double> g2(f.last_gradient(2).begin(), f.last_gradient(2).end());
  // Central differences through apply(): one gradient step of size h on a single-example batch
  // along a unit vector is W -= h * e_q.
  const double h = 1e-6;
  for (const auto& [layer, q] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 5}, {1, 200}, {2, 3}, {2, 41}}) {
    Network plus = net, minus = net;
    const std::size_t proj = ex.layer_projections[layer - 1];
    const std::uint32_t cols = layer == 1 ? 64 : 6;
    const std::uint32_t i = std::uint32_t(q / cols), j = std::uint32_t(q % cols);
    const Projection& p = net.projections[proj];
    std::uint64_t syn = p.row_ptr[j];
    while (p.tgt_index[syn] != i) ++syn;
    // Weights are float: perturb by a float-representable step and divide by what was applied.
    const float w = p.weight[syn];
    plus.projections[proj].weight[syn] = w + float(h);
    minus.projections[proj].weight[syn] = w - float(h);
    const double step = double(plus.projections[proj].weight[syn]) - double(minus.projections[proj].weight[syn]);
    FeedforwardNet fp(plus, ex, cfg.model.rate), fm(minus, ex, cfg.model.rate);
    const double numeric = (loss(fp) - loss(fm)) / step;
    const double analytic = (layer == 1 ? g1 : g2)[q];
    CAPTURE(layer);
    CAPTURE(q);
    // Central differences: error O(h^2 C''') plus round-off ~1e-16 / 1e-6; 1e-6 absolute is ample.
    CHECK(analytic == doctest::Approx(numeric).epsilon(1e-4).scale(1e-2));
  }
}
