#include "sim/io/memory_sink.hpp"

#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace ebsim {

void MemorySink::require_open(const char* operation) const {
  if (ended) throw std::logic_error(std::string("MemorySink::") + operation + " after end_run");
}

void MemorySink::begin_run(const RunMetadata& meta) {
  require_open("begin_run");
  if (begun) throw std::logic_error("MemorySink::begin_run called twice");
  metadata = meta;
  begun = true;
}

void MemorySink::set_scope(const std::string& prefix) {
  require_open("set_scope");
  scope_ = prefix == "/" ? "" : prefix;
}

void MemorySink::declare_report(const std::string& unscoped, std::uint32_t n_nodes, double t_start_ms, double dt_ms) {
  require_open("declare_report");
  const std::string population = key(unscoped);
  if (n_nodes == 0 || !(dt_ms > 0.0))
    throw std::invalid_argument("declare_report(" + population + "): needs at least one node and a positive step");
  if (!reports.try_emplace(population, Report{n_nodes, t_start_ms, dt_ms, {}}).second)
    throw std::invalid_argument("declare_report(" + population + "): declared twice");
}

void MemorySink::append_report(const std::string& unscoped, std::span<const float> row) {
  require_open("append_report");
  const std::string population = key(unscoped);
  const auto found = reports.find(population);
  if (found == reports.end()) throw std::invalid_argument("append_report(" + population + "): report not declared");
  if (row.size() != found->second.n_nodes)
    throw std::invalid_argument("append_report(" + population + "): row of " + std::to_string(row.size()) +
                                " values for " + std::to_string(found->second.n_nodes) + " nodes");
  found->second.rows.emplace_back(row.begin(), row.end());
}

void MemorySink::declare_spikes(const std::string& unscoped) {
  require_open("declare_spikes");
  const std::string population = key(unscoped);
  if (!spikes.try_emplace(population).second)
    throw std::invalid_argument("declare_spikes(" + population + "): declared twice");
}

void MemorySink::append_spikes(const std::string& unscoped, std::span<const double> times_ms,
                               std::span<const std::uint64_t> node_ids) {
  require_open("append_spikes");
  const std::string population = key(unscoped);
  const auto found = spikes.find(population);
  if (found == spikes.end()) throw std::invalid_argument("append_spikes(" + population + "): spikes not declared");
  Spikes& stored = found->second;
  double previous = stored.times_ms.empty() ? -std::numeric_limits<double>::infinity() : stored.times_ms.back();
  require_spikes(population, times_ms, node_ids, previous);
  stored.times_ms.insert(stored.times_ms.end(), times_ms.begin(), times_ms.end());
  stored.node_ids.insert(stored.node_ids.end(), node_ids.begin(), node_ids.end());
}

void MemorySink::write_weights(const std::string& label, const WeightTable& table) {
  require_open("write_weights");
  const std::size_t n = table.pre.size();
  if (table.post.size() != n || table.weight.size() != n)
    throw std::invalid_argument("write_weights(" + label + ", " + table.projection +
                                "): pre, post and weight differ in length");
  if (!weights[key(label)].try_emplace(table.projection, table).second)
    throw std::runtime_error("weights " + label + "/" + table.projection + " already written");
}

void MemorySink::write_array(const std::string& unscoped, std::span<const double> data,
                             std::vector<std::uint64_t> shape) {
  require_open("write_array");
  const std::string path = this->path(unscoped);
  require_shape(path, data.size(), shape);
  if (!arrays.try_emplace(path, Array{{data.begin(), data.end()}, std::move(shape)}).second)
    throw std::runtime_error("write_array(" + path + "): the path already exists");
}

void MemorySink::write_attribute(const std::string& unscoped, const std::string& name, const AttributeValue& value) {
  require_open("write_attribute");
  attributes[path(unscoped)][name] = value;  // replaces, as Hdf5Sink does
}

void MemorySink::end_run(bool run_complete) {
  require_open("end_run");
  ended = true;
  complete = run_complete;
}

}  // namespace ebsim
