#include "sim/io/sink.hpp"

namespace ebsim {

void require_spikes(const std::string& population, std::span<const double> times_ms,
                    std::span<const std::uint64_t> node_ids, double& previous) {
  if (times_ms.size() != node_ids.size())
    throw std::invalid_argument("append_spikes(" + population + "): " + std::to_string(times_ms.size()) +
                                " times but " + std::to_string(node_ids.size()) + " node ids");
  double last = previous;
  for (const double t : times_ms) {
    if (!(t >= last))
      throw std::invalid_argument("append_spikes(" + population + "): spike time " + std::to_string(t) + " ms after " +
                                  std::to_string(last) + " ms breaks time order");
    last = t;
  }
  previous = last;
}

void Sink::append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                                std::span<const EncodedChunk> chunks) {
  for (const EncodedChunk& chunk : chunks) {
    const std::vector<float> rows = decode_chunk<float>(chunk, n_nodes);
    for (std::size_t r = 0; r < chunk.rows; ++r)
      append_report(population, std::span<const float>(rows).subspan(r * n_nodes, n_nodes));
  }
}

void Sink::append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                               std::span<const EncodedChunk> node_ids) {
  if (times_ms.size() != node_ids.size())
    throw std::invalid_argument("append_spike_chunks(" + population + "): " + std::to_string(times_ms.size()) +
                                " chunks of times but " + std::to_string(node_ids.size()) + " of node ids");
  for (std::size_t c = 0; c < times_ms.size(); ++c)
    append_spikes(population, decode_chunk<double>(times_ms[c], 1), decode_chunk<std::uint64_t>(node_ids[c], 1));
}

}  // namespace ebsim
