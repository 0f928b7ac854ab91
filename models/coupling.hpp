#pragma once
// A read-only view of the network's weights as the model's mathematics needs them.
//
// One block per projection, stored once in CSR form by presynaptic (source) unit: for source unit
// j, entries row_ptr[j] .. row_ptr[j+1] list target units and weights w. A block defines the
// directed weights W[tgt_offset + t][src_offset + j] += gain_forward * w and
// W[src_offset + j][tgt_offset + t] += gain_backward * w. A symmetric projection has gains (1, 1);
// an asymmetric one under Eq. 8's symmetrisation (W + W^T)/2 has gains (1/2, 1/2); an asymmetric
// one taken as directed has gains (1, 0). Indices are global unit indices.
#include <cstdint>
#include <span>

#include "models/unit_index.hpp"

namespace ebsim::models {

using weight_t = float;  // 4 bytes on purpose: synapse memory dominates (see README, performance)

struct CouplingBlock {
  std::uint32_t src_offset = 0;
  std::uint32_t tgt_offset = 0;
  std::span<const std::uint64_t> row_ptr;  // size n_src + 1
  IndexView tgt_index;                     // local target index per synapse
  std::span<const weight_t> weight;        // per synapse
  double gain_forward = 1.0;
  double gain_backward = 0.0;
  // > 0 (mark_dense): every row lists the targets 0 .. dense_n_tgt - 1 in order (all to all), and
  // the source units are not among the targets; add_synaptic_input then takes a faster path.
  std::uint32_t dense_n_tgt = 0;

  std::uint32_t n_src() const { return static_cast<std::uint32_t>(row_ptr.size() - 1); }
};

// Sets b.dense_n_tgt to n_tgt (the target population's size) if b is dense as described above,
// else to 0.
void mark_dense(CouplingBlock& b, std::uint32_t n_tgt);

using Coupling = std::span<const CouplingBlock>;

// out_i += sum_j W_ij * rates_j for the directed W defined by the blocks. rates and out must not
// overlap. A dense block (mark_dense) makes the same additions in the same order, so the result is
// the same to the last bit, only arranged so that they run several at a time.
void add_synaptic_input(Coupling coupling, std::span<const double> rates, std::span<double> out);

}  // namespace ebsim::models
