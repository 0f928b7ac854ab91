#include "sim/core/weight_gather.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ebsim {

namespace {

struct SentSynapse {  // one synapse as sent to process 0
  std::uint32_t pre, post;
  models::weight_t weight;
  std::uint32_t delay_step;
};

}  // namespace

WeightTable gathered_weight_table(const Network& net, std::size_t k, PartitionComm* comm) {
  if (net.kept.whole() || !comm || comm->size() <= 1) return net.weight_table(k);
  const Projection& p = net.projections[k];
  const std::uint32_t tgt_off = net.populations[p.target].offset;
  std::vector<SentSynapse> mine;
  for (std::uint32_t j = 0; j + 1 < p.row_ptr.size(); ++j)
    for (std::uint64_t s = p.row_ptr[j]; s < p.row_ptr[j + 1]; ++s) {
      const std::uint32_t post = p.tgt_index[s];
      if (!net.kept.holds(tgt_off + post)) continue;  // kept for its source: its target's process sends it
      mine.push_back({j, post, p.weight[s], p.delay_step.empty() ? 0u : std::uint32_t(p.delay_step[s])});
    }
  std::vector<SentSynapse> all = comm->gather_values<SentSynapse>(mine);
  WeightTable t;
  t.projection = p.name;
  t.source = net.populations[p.source].name;
  t.target = net.populations[p.target].name;
  t.symmetric = p.symmetric;
  t.gain_forward = p.gain_forward;
  t.gain_backward = p.gain_backward;
  t.delay_ms = p.delay_ms;
  // Process r's units all come before process r + 1's, and each sends its synapses in row order:
  // by source, then delay (the rows of per-synapse delays are sorted by delay, then target), then
  // target. Ordering the concatenation by (source, delay), keeping the processes' order within
  // each, gives the whole network's order.
  std::stable_sort(all.begin(), all.end(), [](const SentSynapse& a, const SentSynapse& b) {
    return a.pre != b.pre ? a.pre < b.pre : a.delay_step < b.delay_step;
  });
  for (const SentSynapse& s : all) {
    t.pre.push_back(s.pre);
    t.post.push_back(s.post);
    t.weight.push_back(s.weight);
    if (!p.delay_step.empty()) t.delays_ms.push_back(p.delay_ms + Projection::kDelayStepMs * s.delay_step);
  }
  return t;
}

}  // namespace ebsim
