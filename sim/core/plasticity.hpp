#pragma once
// Plastic weights: applies models/plasticity.hpp (Eq. 26) to the network's projections, in the
// phases each projection learns in. Weights persist across phases and trials.
//
// A projection stores one weight per synapse (source j -> target i). With `symmetric: true` the
// stored weight moves by Delta W_ij + Delta W_ji (the rule applied in both directions), which keeps
// W symmetric; a symmetric projection (one weight for both directions) must use it. Otherwise it
// moves by Delta W_ij, the rule for the forward direction.
//
// The network stores float weights (memory). The rule keeps a double copy of every plastic weight
// and accumulates there, writing the rounded value back after each change: many changes below a
// float's resolution (a small rate, a long run) add up instead of rounding away one by one. Code
// that sets plastic weights from outside goes through set_weights().
#include <span>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/network.hpp"

namespace ebsim {

class PlasticityRule {
 public:
  PlasticityRule(const Config& cfg, Network& net);
  bool any() const { return !rules_.empty(); }
  void set_phase(std::size_t phase);
  // Multiplies every weight change (the learning experiment's sign of beta and its lr schedule).
  void set_gain(double gain) { gain_ = gain; }
  // One step of the continuous engine's map took the state from s_before to s_after.
  void apply_step(std::span<const double> s_before, std::span<const double> s_after);

  // For the spiking engine: the rule of a projection, if it is learning in the current phase.
  const Plasticity* learning(std::size_t projection) const;
  bool plastic(std::size_t projection) const { return index_[projection] >= 0; }
  const Plasticity& settings(std::size_t projection) const { return rules_[index_[projection]].config; }
  // Moves one stored weight (position in the projection's arrays) by dw, within the bounds;
  // returns the change made (dw times the gain, less what the bounds cut off).
  double add(std::size_t projection, std::uint64_t synapse, double dw);
  // A plastic projection's weights in double precision, and setting them (rounded into the network).
  std::span<const double> weights(std::size_t projection) const { return shadow_[index_[projection]]; }
  void set_weights(std::size_t projection, std::span<const double> w);
  void set_weight(std::size_t projection, std::uint64_t synapse, double w);

 private:
  struct Rule {
    std::size_t projection;
    Plasticity config;
    std::vector<std::uint8_t> in_phase;  // per protocol phase
    bool on = false;
  };
  const Config& cfg_;
  Network& net_;
  std::vector<Rule> rules_;
  std::vector<int> index_;                                 // per projection: its rule in rules_, or -1
  std::vector<std::vector<double>> shadow_;                // per rule: the weights in double precision
  std::vector<double> post_state_, post_rate_, pre_rate_;  // per unit, per step
  double gain_ = 1.0;
};

}  // namespace ebsim
