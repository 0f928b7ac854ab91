#pragma once
// The network: populations laid out in one global index space, projections as frozen CSR arrays
// (structure of arrays, by presynaptic unit), biases per unit.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "models/coupling.hpp"
#include "models/unit_index.hpp"
#include "sim/core/config.hpp"
#include "sim/core/random.hpp"
#include "sim/core/weight_table.hpp"

namespace ebsim {

struct Population {
  std::string name;
  Role role = Role::hidden;
  std::uint32_t offset = 0;  // first global unit index
  std::uint32_t size = 0;
};

struct Projection {
  std::string name;
  std::uint32_t source = 0, target = 0;  // population indices
  bool symmetric = false;
  double delay_ms = 1.0;  // the (shortest) delay
  // Per-synapse delays (empty when the projection has one delay): delay = delay_ms + 0.1 ms *
  // delay_step[k]. Each row is sorted by delay, then target, and split into delay groups so that a
  // spike's fan-out is one contiguous scan per group: row j's groups are
  // group_ptr[j] .. group_ptr[j+1], group g spanning synapses group_begin[g] .. group_begin[g+1]
  // with delay step group_step[g]. The transposed index has the same structure (col_group_*).
  std::vector<std::uint8_t> delay_step;
  std::vector<std::uint64_t> group_ptr, group_begin, col_group_ptr, col_group_begin;
  std::vector<std::uint8_t> group_step, col_group_step;
  static constexpr double kDelayStepMs = 0.1;
  // How the stored weights act (see models/coupling.hpp): symmetric (1, 1); asymmetric under
  // Eq. 8's symmetrisation (1/2, 1/2); asymmetric and directed (1, 0).
  double gain_forward = 1.0, gain_backward = 0.0;
  // CSR by source unit: targets of source j are tgt_index[row_ptr[j] .. row_ptr[j+1]), ascending
  // (within each delay group), packed to the target population's size (models/unit_index.hpp).
  std::vector<std::uint64_t> row_ptr;
  models::UnitIndex tgt_index;
  std::vector<models::weight_t> weight;
  // Transposed index, built when the spiking engine needs the backward direction: target unit i's
  // sources are src_index[col_ptr[i] .. col_ptr[i+1]), their weights weight[position[...]].
  std::vector<std::uint64_t> col_ptr;
  models::UnitIndex src_index;  // packed to the source population's size
  std::vector<std::uint32_t> position;

  std::uint64_t synapse_count() const { return weight.size(); }
  std::uint64_t bytes() const;  // what its arrays hold (capacity), for bytes per synapse
  double longest_delay_ms() const { return delay_ms + kDelayStepMs * max_delay_step; }
  std::uint8_t max_delay_step = 0;
};

// The units whose synapses a process keeps when one network is split over MPI ranks: every synapse
// whose target is in [lo, hi), and, in a projection the spiking engine walks backward, every synapse
// whose source is. The draws are the whole network's, so what is kept is what the whole network
// holds there. The default keeps everything.
struct UnitRange {
  std::uint32_t lo = 0, hi = UINT32_MAX;
  bool whole() const { return lo == 0 && hi == UINT32_MAX; }
  bool holds(std::uint32_t unit) const { return unit >= lo && unit < hi; }
  // The fraction of units [offset, offset + size) held.
  double share(std::uint32_t offset, std::uint32_t size) const {
    const std::uint64_t a = std::max<std::uint64_t>(lo, offset),
                        b = std::min<std::uint64_t>(hi, std::uint64_t(offset) + size);
    return size && b > a ? double(b - a) / size : 0.0;
  }
};

struct Network {
  std::vector<Population> populations;
  std::vector<Projection> projections;
  std::vector<double> bias;  // per global unit
  std::uint32_t n_units = 0;
  UnitRange kept;  // a part of the network (synapses only; units and biases are always whole)

  // Throws std::logic_error naming `what` unless this is the whole network.
  void require_whole(const char* what) const;

  std::vector<models::CouplingBlock> coupling() const;
  WeightTable weight_table(std::size_t projection) const;
  const Population& population_of(std::uint32_t unit) const;
  std::uint64_t synapse_count() const;                   // the synapses held
  std::uint64_t synapses_onto(UnitRange targets) const;  // the synapses held whose target is in `targets`
  std::uint64_t connectivity_bytes() const;              // every projection's arrays
};

// `stop`: checked every 65536 synapses; throws Interrupted (sim/core/interrupt.hpp) once set.
// `keep`: the part of the synapses to hold (whole by default). Every draw of the whole network is
// still made (time grows with the whole network), but random, all-to-all and one-to-one projections
// never hold more than the part; fixed in-degree and explicit ones are cut after they are sorted.
Network build_network(const Config& cfg, const std::atomic<bool>* stop = nullptr, UnitRange keep = {});

// Draws a pattern (constant, explicit values or a distribution) for `size` units from the
// stream keyed by (seed, purpose, key_a, key_b).
std::vector<double> draw_pattern(const Pattern& pattern, std::uint32_t size, std::uint64_t seed, Purpose purpose,
                                 std::uint64_t key_a, std::uint64_t key_b);

}  // namespace ebsim
