#include <algorithm>
#include <stdexcept>

#include "sim/core/spiking_engine.hpp"

// The spiking engine as one partition of a network (sim/core/partitioned_engine.hpp): the units it
// owns, its share of every row, and the spikes it is handed.
namespace ebsim {

void SpikingEngine::own_units(UnitRange own) {
  if (own.lo > own.hi || own.hi > net_.n_units) throw std::invalid_argument("a partition's units are out of range");
  if (!net_.kept.whole() && own.lo < own.hi && (own.lo < net_.kept.lo || own.hi > net_.kept.hi))
    throw std::invalid_argument("a partition's units lie outside the part of the network this process holds");
  lo_ = own.lo, hi_ = own.hi;
  partitioned_ = true;
  stdp_.own_units(own.lo, own.hi);
  find_own_shares();
}

void SpikingEngine::find_own_shares() {
  own_share_.assign(net_.projections.size(), {});
  for (std::size_t k = 0; k < net_.projections.size(); ++k) {
    const Projection& p = net_.projections[k];
    for (int dir = 0; dir < 2; ++dir) {
      const Population& reached = net_.populations[dir == 0 ? p.target : p.source];
      if (lo_ <= reached.offset && hi_ >= reached.offset + reached.size) continue;  // owns it all
      if (dir == 1 && p.col_ptr.empty()) continue;                                  // never walked backward
      const std::vector<std::uint64_t>& bounds = dir == 0 ? (p.delay_step.empty() ? p.row_ptr : p.group_begin)
                                                          : (p.delay_step.empty() ? p.col_ptr : p.col_group_begin);
      const models::IndexView index = dir == 0 ? p.tgt_index.view() : p.src_index.view();
      OwnShare& share = own_share_[k][dir];
      share.from.resize(bounds.size() - 1);
      share.to.resize(bounds.size() - 1);
      for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
        std::uint64_t begin = bounds[r], end = bounds[r + 1];
        clip_to_own(index, reached, begin, end);
        share.from[r] = static_cast<std::uint32_t>(begin - bounds[r]);
        share.to[r] = static_cast<std::uint32_t>(end - bounds[r]);
      }
    }
  }
}

// The part of [begin, end) (ascending indices of units of `population`) that this partition owns.
void SpikingEngine::clip_to_own(models::IndexView index, const Population& population, std::uint64_t& begin,
                                std::uint64_t& end) const {
  const std::uint32_t offset = population.offset;
  if (lo_ <= offset && hi_ >= offset + population.size) return;  // owns the whole population
  // One binary search per side that cuts into the population (the first and last partitions: one).
  if (lo_ > offset) begin = index.lower_bound(begin, end, lo_ - offset);
  if (hi_ < offset + population.size) end = index.lower_bound(begin, end, hi_ > offset ? hi_ - offset : 0);
}

void SpikingEngine::receive(std::span<const Spike> spikes) {
  for (const Spike& s : spikes) send_spike(s.unit, s.time);
}

}  // namespace ebsim
