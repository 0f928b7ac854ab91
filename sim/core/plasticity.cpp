#include "sim/core/plasticity.hpp"

#include <algorithm>

#include "models/plasticity.hpp"

namespace ebsim {

PlasticityRule::PlasticityRule(const Config& cfg, Network& net) : cfg_(cfg), net_(net) {
  index_.assign(cfg.projections.size(), -1);
  for (std::size_t k = 0; k < cfg.projections.size(); ++k) {
    const auto& pl = cfg.projections[k].plasticity;
    if (!pl || pl->lr == 0.0) continue;
    net.require_whole("plasticity");
    index_[k] = int(rules_.size());
    Rule r{k, *pl, {}, false};
    for (const PhaseConfig& ph : cfg.protocol.phases)
      r.in_phase.push_back(pl->phases.empty() ||
                           std::find(pl->phases.begin(), pl->phases.end(), ph.name) != pl->phases.end());
    rules_.push_back(std::move(r));
    const auto& w = net.projections[k].weight;
    shadow_.emplace_back(w.begin(), w.end());
  }
  const std::size_t n = rules_.empty() ? 0 : net.n_units;  // no rule, no step to compute (apply_step)
  post_state_.resize(n);
  post_rate_.resize(n);
  pre_rate_.resize(n);
}

void PlasticityRule::set_phase(std::size_t phase) {
  for (Rule& r : rules_) r.on = r.in_phase[phase] != 0;
}

const Plasticity* PlasticityRule::learning(std::size_t projection) const {
  const int r = index_[projection];
  return r >= 0 && rules_[r].on ? &rules_[r].config : nullptr;
}

double PlasticityRule::add(std::size_t projection, std::uint64_t synapse, double dw) {
  const int r = index_[projection];
  const Plasticity& rule = rules_[r].config;
  const double old = shadow_[r][synapse];
  double v = old + gain_ * dw;
  if (rule.w_min) v = std::max(v, *rule.w_min);
  if (rule.w_max) v = std::min(v, *rule.w_max);
  shadow_[r][synapse] = v;
  net_.projections[projection].weight[synapse] = static_cast<models::weight_t>(v);
  return v - old;
}

void PlasticityRule::set_weights(std::size_t projection, std::span<const double> w) {
  std::vector<double>& shadow = shadow_[index_[projection]];
  auto& stored = net_.projections[projection].weight;
  for (std::size_t k = 0; k < w.size(); ++k) {
    shadow[k] = w[k];
    stored[k] = static_cast<models::weight_t>(w[k]);
  }
}

void PlasticityRule::set_weight(std::size_t projection, std::uint64_t synapse, double w) {
  shadow_[index_[projection]][synapse] = w;
  net_.projections[projection].weight[synapse] = static_cast<models::weight_t>(w);
}

void PlasticityRule::apply_step(std::span<const double> before, std::span<const double> after) {
  const models::RateFunction& rate = cfg_.model.rate;
  bool any_on = false;
  for (const Rule& r : rules_) any_on = any_on || r.on;
  if (!any_on) return;
  for (std::uint32_t i = 0; i < net_.n_units; ++i) {
    post_state_[i] = models::post_change(models::PostFactor::state_derivative, before[i], after[i], rate);
    post_rate_[i] = models::post_change(models::PostFactor::rate_derivative, before[i], after[i], rate);
    pre_rate_[i] = rate.rho(before[i]);
  }
  for (std::size_t ri = 0; ri < rules_.size(); ++ri) {
    const Rule& r = rules_[ri];
    if (!r.on) continue;
    std::vector<double>& shadow = shadow_[ri];
    Projection& p = net_.projections[r.projection];
    const std::uint32_t src = net_.populations[p.source].offset, tgt = net_.populations[p.target].offset;
    const std::vector<double>& post = r.config.post == Plasticity::Post::rate_derivative ? post_rate_ : post_state_;
    const double lr = gain_ * r.config.lr;
    for (std::uint32_t j = 0; j + 1 < p.row_ptr.size(); ++j) {
      for (std::uint64_t k = p.row_ptr[j]; k < p.row_ptr[j + 1]; ++k) {
        const std::uint32_t i = tgt + p.tgt_index[k];
        // Eq. 26, forward (post i, pre j) and, for symmetric updates, backward (post j, pre i).
        double dw = models::weight_change(lr, post[i], pre_rate_[src + j]);
        if (r.config.symmetric) dw += models::weight_change(lr, post[src + j], pre_rate_[i]);
        double w = shadow[k] + dw;
        if (r.config.w_min) w = std::max(w, *r.config.w_min);
        if (r.config.w_max) w = std::min(w, *r.config.w_max);
        shadow[k] = w;
        p.weight[k] = static_cast<models::weight_t>(w);
      }
    }
  }
}

}  // namespace ebsim
