#pragma once
// A projection's weights as a table, the form in which they leave the network for a sink (the
// network itself keeps CSR arrays, sim/core/network.hpp).
#include <cstdint>
#include <string>
#include <vector>

namespace ebsim {

// One projection's weights in coordinate form (pre and post are population-local indices).
struct WeightTable {
  std::string projection;  // name
  std::string source, target;
  bool symmetric = false;
  double gain_forward = 1.0, gain_backward = 0.0;
  std::vector<std::uint64_t> pre, post;
  std::vector<double> weight;
  double delay_ms = 0.0;          // the projection's delay (the shortest, with per-synapse delays)
  std::vector<double> delays_ms;  // per synapse, or empty when all share delay_ms
};

}  // namespace ebsim
