#pragma once
// Where engines put what they produce. Engines never open files: they hand states,
// weights and analysis results to a Sink with a clear lifecycle
//   begin_run -> declare_* / append_* / write_* ... -> end_run(complete)
// The HDF5 writer (sim/io/hdf5_sink.hpp) is one Sink; MemorySink (sim/io/memory_sink.hpp) serves tests.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/weight_table.hpp"
#include "sim/io/chunk_codec.hpp"

namespace ebsim {

struct PopulationInfo {
  std::string name;
  std::string role;
  std::uint32_t size = 0;
};

struct RunMetadata {
  std::string resolved_config;  // YAML text after defaults and overrides
  std::uint64_t seed = 0;
  std::string version;
  std::string git_revision;
  std::string command_line;
  std::string engine;  // "continuous" or "spiking"
  std::vector<PopulationInfo> populations;
};

// A list of names is how an array names the entries of a population or projection axis.
using AttributeValue = std::variant<double, std::int64_t, std::string, std::vector<std::string>>;

// The array contract both sinks enforce: the values fill the shape exactly.
inline void require_shape(const std::string& path, std::size_t values, const std::vector<std::uint64_t>& shape) {
  std::uint64_t elements = 1;
  for (std::uint64_t d : shape) elements *= d;
  if (elements != values)
    throw std::invalid_argument("write_array(" + path + "): " + std::to_string(values) +
                                " values do not fill the shape (" + std::to_string(elements) + " elements)");
}

// The spike lists' contract, checked before anything is kept: a node id for every time, times in
// non-decreasing order continuing from `previous` (updated to the last).
void require_spikes(const std::string& population, std::span<const double> times_ms,
                    std::span<const std::uint64_t> node_ids, double& previous);

class Sink {
 public:
  virtual ~Sink() = default;

  virtual void begin_run(const RunMetadata& meta) = 0;

  // Where the layout paths that follow go (reports, spikes, weights, arrays, attributes): under
  // `prefix` (e.g. "/sweep/2", for one point of a parameter sweep), or the file's root for "".
  // Finishes the reports and spike trains of the previous scope.
  virtual void set_scope(const std::string& prefix) = 0;

  // Sampled states, SONATA report layout: /report/<population>/data is time x nodes.
  virtual void declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms,
                              double dt_ms) = 0;
  virtual void append_report(const std::string& population, std::span<const float> row) = 0;

  // Spikes, SONATA spike layout: /spikes/<population>/{timestamps (ms), node_ids}, sorted by time.
  // Appended in non-decreasing time order per population.
  virtual void declare_spikes(const std::string& population) = 0;
  virtual void append_spikes(const std::string& population, std::span<const double> times_ms,
                             std::span<const std::uint64_t> node_ids) = 0;

  // Whole chunks of a growing dataset of the current scope (a report's data; a spike list's
  // timestamps and node_ids, chunk for chunk), encoded by whoever recorded the rows
  // (sim/io/chunk_codec.hpp) and handed over in lieu of them, where the dataset's rows so far end
  // on a chunk boundary. A sink that stores chunks (the HDF5 sink) writes them as they are;
  // otherwise they are decoded and appended as rows (sink.cpp).
  virtual void append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                                    std::span<const EncodedChunk> chunks);
  virtual void append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                                   std::span<const EncodedChunk> node_ids);
  // Whether encoding chunks for this sink saves it work.
  virtual bool stores_chunks() const { return false; }

  // "initial", "final", or a snapshot label.
  virtual void write_weights(const std::string& label, const WeightTable& table) = 0;

  // A free-form array under an HDF5-like path ("/analysis/settle/steps"), row-major with shape.
  virtual void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) = 0;
  virtual void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) = 0;

  // complete = false: the run was interrupted or failed; the output is marked incomplete.
  virtual void end_run(bool complete) = 0;
};

}  // namespace ebsim
