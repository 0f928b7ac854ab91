#include "sim/network.hpp"

#include <algorithm>
#include <boost/random/geometric_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "sim/random.hpp"

namespace ebsim {

std::vector<double> draw_pattern(const Pattern& pattern, std::uint32_t size, std::uint64_t seed,
                                 Purpose purpose, std::uint64_t key_a, std::uint64_t key_b) {
  if (!pattern.values.empty()) return pattern.values;
  std::vector<double> out(size, pattern.dist.a);
  Stream stream = make_stream(seed, purpose, key_a, key_b);
  if (pattern.dist.kind == Distribution::Kind::uniform) {
    boost::random::uniform_real_distribution<double> u(pattern.dist.a, pattern.dist.b);
    for (auto& v : out) v = pattern.dist.a == pattern.dist.b ? pattern.dist.a : u(stream);
  } else if (pattern.dist.kind == Distribution::Kind::normal) {
    boost::random::normal_distribution<double> n(pattern.dist.a, pattern.dist.b);
    for (auto& v : out) v = n(stream);
  }
  return out;
}

namespace {

struct Edge {
  std::uint32_t pre, post;
};

// Connectivity as (pre, post) pairs, before weights. Recurrent symmetric projections keep each
// unordered pair once (pre < post): the stored synapse acts in both directions.
std::vector<Edge> connect(const ProjectionConfig& pc, std::uint32_t n_src, std::uint32_t n_tgt,
                          bool recurrent, Stream& stream) {
  std::vector<Edge> edges;
  const bool one_per_pair = recurrent && pc.symmetric;
  auto allowed = [&](std::uint32_t pre, std::uint32_t post) {
    return !recurrent || (one_per_pair ? pre < post : pre != post);
  };
  switch (pc.connectivity) {
    case Connectivity::all_to_all:
      for (std::uint32_t j = 0; j < n_src; ++j)
        for (std::uint32_t i = 0; i < n_tgt; ++i)
          if (allowed(j, i)) edges.push_back({j, i});
      break;
    case Connectivity::one_to_one:
      for (std::uint32_t j = 0; j < n_src; ++j) edges.push_back({j, j});
      break;
    case Connectivity::random: {
      // Bernoulli(p) per ordered pair, by geometric skips over the n_src * n_tgt grid.
      if (pc.probability <= 0.0) break;
      const std::uint64_t total = std::uint64_t(n_src) * n_tgt;
      if (pc.probability >= 1.0) {
        for (std::uint64_t k = 0; k < total; ++k)
          if (allowed(std::uint32_t(k / n_tgt), std::uint32_t(k % n_tgt)))
            edges.push_back({std::uint32_t(k / n_tgt), std::uint32_t(k % n_tgt)});
        break;
      }
      boost::random::geometric_distribution<std::uint64_t, double> skip(pc.probability);
      for (std::uint64_t k = skip(stream); k < total; k += 1 + skip(stream)) {
        const auto j = std::uint32_t(k / n_tgt), i = std::uint32_t(k % n_tgt);
        if (allowed(j, i)) edges.push_back({j, i});
      }
      break;
    }
    case Connectivity::fixed_indegree: {
      // k distinct sources per target (Floyd's sampling), self excluded within a population.
      std::vector<std::uint32_t> chosen;
      const std::uint32_t pool = recurrent ? n_src - 1 : n_src;
      for (std::uint32_t i = 0; i < n_tgt; ++i) {
        chosen.clear();
        for (std::uint32_t r = pool - pc.indegree; r < pool; ++r) {
          boost::random::uniform_int_distribution<std::uint32_t> pick(0, r);
          std::uint32_t c = pick(stream);
          if (std::find(chosen.begin(), chosen.end(), c) != chosen.end()) c = r;
          chosen.push_back(c);
        }
        for (std::uint32_t c : chosen) {
          const std::uint32_t j = (recurrent && c >= i) ? c + 1 : c;  // skip self
          edges.push_back({j, i});
        }
      }
      break;
    }
    case Connectivity::explicit_list:
      for (const Synapse& s : pc.synapses) edges.push_back({s.pre, s.post});
      break;
  }
  return edges;
}

double draw_weight(const WeightInit& w, std::uint32_t n_src, std::uint32_t n_tgt, Stream& stream) {
  switch (w.kind) {
    case WeightInit::Kind::constant: return w.a;
    case WeightInit::Kind::uniform: return boost::random::uniform_real_distribution<double>(w.a, w.b)(stream);
    case WeightInit::Kind::normal: return boost::random::normal_distribution<double>(w.a, w.b)(stream);
    case WeightInit::Kind::glorot: {
      const double limit = w.a * std::sqrt(6.0 / (double(n_src) + double(n_tgt)));
      return boost::random::uniform_real_distribution<double>(-limit, limit)(stream);
    }
  }
  return 0.0;
}

Projection build_projection(const ProjectionConfig& pc, std::size_t index, const Network& net,
                            const Config& cfg) {
  Projection p;
  p.name = pc.name;
  for (std::uint32_t k = 0; k < net.populations.size(); ++k) {
    if (net.populations[k].name == pc.from) p.source = k;
    if (net.populations[k].name == pc.to) p.target = k;
  }
  p.symmetric = pc.symmetric;
  p.delay_ms = pc.delay_ms;
  if (pc.symmetric) {
    p.gain_forward = p.gain_backward = 1.0;
  } else if (cfg.model.symmetrise) {
    p.gain_forward = p.gain_backward = 0.5;
  }
  const std::uint32_t n_src = net.populations[p.source].size, n_tgt = net.populations[p.target].size;
  Stream conn_stream = make_stream(cfg.seed, Purpose::connectivity, index);
  std::vector<Edge> edges = connect(pc, n_src, n_tgt, p.source == p.target, conn_stream);
  std::vector<double> w(edges.size());
  if (pc.connectivity == Connectivity::explicit_list) {
    for (std::size_t k = 0; k < edges.size(); ++k) w[k] = pc.synapses[k].weight;
  } else {
    // Weights drawn in (post, pre) order of generation; a separate stream from connectivity so
    // changing the initialiser does not change who is connected.
    Stream weight_stream = make_stream(cfg.seed, Purpose::weights, index);
    for (auto& v : w) v = draw_weight(pc.weights, n_src, n_tgt, weight_stream);
  }
  // Counting sort by source unit into CSR; within a row, ascending target index.
  std::vector<std::uint64_t> order(edges.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::uint64_t a, std::uint64_t b) {
    return edges[a].pre != edges[b].pre ? edges[a].pre < edges[b].pre : edges[a].post < edges[b].post;
  });
  for (std::size_t k = 1; k < order.size(); ++k)
    if (edges[order[k]].pre == edges[order[k - 1]].pre && edges[order[k]].post == edges[order[k - 1]].post)
      throw std::invalid_argument("projection `" + pc.name + "`: synapse " + std::to_string(edges[order[k]].pre) +
                                  " -> " + std::to_string(edges[order[k]].post) + " is listed twice");
  p.row_ptr.assign(n_src + 1, 0);
  p.tgt_index.resize(edges.size());
  p.weight.resize(edges.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Edge& e = edges[order[k]];
    ++p.row_ptr[e.pre + 1];
    p.tgt_index[k] = e.post;
    p.weight[k] = static_cast<models::weight_t>(w[order[k]]);
  }
  std::partial_sum(p.row_ptr.begin(), p.row_ptr.end(), p.row_ptr.begin());
  return p;
}

}  // namespace

Network build_network(const Config& cfg) {
  Network net;
  for (std::size_t k = 0; k < cfg.populations.size(); ++k) {
    const PopulationConfig& pc = cfg.populations[k];
    net.populations.push_back({pc.name, pc.role, net.n_units, pc.size});
    const std::vector<double> b = draw_pattern(pc.bias, pc.size, cfg.seed, Purpose::bias, k, 0);
    net.bias.insert(net.bias.end(), b.begin(), b.end());
    net.n_units += pc.size;
  }
  for (std::size_t k = 0; k < cfg.projections.size(); ++k)
    net.projections.push_back(build_projection(cfg.projections[k], k, net, cfg));
  return net;
}

std::vector<models::CouplingBlock> Network::coupling() const {
  std::vector<models::CouplingBlock> blocks;
  for (const Projection& p : projections)
    blocks.push_back({populations[p.source].offset, populations[p.target].offset, p.row_ptr, p.tgt_index,
                      p.weight, p.gain_forward, p.gain_backward});
  return blocks;
}

WeightTable Network::weight_table(std::size_t k) const {
  const Projection& p = projections[k];
  WeightTable t;
  t.projection = p.name;
  t.source = populations[p.source].name;
  t.target = populations[p.target].name;
  t.symmetric = p.symmetric;
  t.gain_forward = p.gain_forward;
  t.gain_backward = p.gain_backward;
  for (std::uint32_t j = 0; j + 1 < p.row_ptr.size(); ++j)
    for (std::uint64_t s = p.row_ptr[j]; s < p.row_ptr[j + 1]; ++s) {
      t.pre.push_back(j);
      t.post.push_back(p.tgt_index[s]);
      t.weight.push_back(p.weight[s]);
    }
  return t;
}

const Population& Network::population_of(std::uint32_t unit) const {
  for (const Population& p : populations)
    if (unit >= p.offset && unit < p.offset + p.size) return p;
  throw std::out_of_range("unit index " + std::to_string(unit) + " out of range");
}

std::uint64_t Network::synapse_count() const {
  std::uint64_t n = 0;
  for (const Projection& p : projections) n += p.synapse_count();
  return n;
}

}  // namespace ebsim
