#pragma once
// The run's HDF5 file: SONATA spike and report layouts, weights, the resolved config
// and provenance, free-form /analysis arrays. Everything goes to "<final>.partial", which is
// renamed to the final name only by end_run(true): a file under the final name is always a finished
// run, and an interrupted one leaves "<final>.partial" with the root attribute complete = 0. The
// rename never replaces a file that exists under the final name unless the sink was told to
// (publish_file, sim/io/output_claim.hpp); the CLI claims the path before making the sink.
// Crash-consistent: the file is flushed after the run metadata and then about once a second while
// data arrive, and between flushes HDF5 writes no metadata, so a process killed at any moment
// (SIGKILL, the OOM killer) leaves a "<final>.partial" that opens and holds what was written up to
// the last flush (buffered rows, at most one 1 MiB block per dataset, come later).
#include <memory>
#include <string>

#include "sim/io/sink.hpp"

namespace ebsim {

class Hdf5Sink final : public Sink {
 public:
  // Creates (truncating) final_path + ".partial" at once, so an unwritable destination fails before
  // any simulation time is spent. Throws std::runtime_error.
  // replace_existing: end_run(true) may replace a file already at final_path (--force).
  explicit Hdf5Sink(std::string final_path, bool replace_existing = false);
  // Without a prior end_run, closes the file as incomplete; never throws.
  ~Hdf5Sink() override;
  Hdf5Sink(const Hdf5Sink&) = delete;
  Hdf5Sink& operator=(const Hdf5Sink&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }

  void begin_run(const RunMetadata& meta) override;
  void set_scope(const std::string& prefix) override;
  void declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms, double dt_ms) override;
  void append_report(const std::string& population, std::span<const float> row) override;
  void declare_spikes(const std::string& population) override;
  void append_spikes(const std::string& population, std::span<const double> times_ms,
                     std::span<const std::uint64_t> node_ids) override;
  void append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                            std::span<const EncodedChunk> chunks) override;
  void append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                           std::span<const EncodedChunk> node_ids) override;
  bool stores_chunks() const override { return true; }
  void write_weights(const std::string& label, const WeightTable& table) override;
  // Overwriting an existing path is an error: analysis results are written once.
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override;
  // Creates the group path if nothing exists there; an attribute of the same name is replaced.
  void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) override;
  // Flushes buffered rows and spikes, sets complete, closes; renames to final_path if complete
  // (std::runtime_error, the complete file kept under partial_path, if that would replace a file).
  void end_run(bool complete) override;

  // HDF5 handles and write buffers, opaque: kept out of this header because hdf5 is a private
  // dependency of ebsim_io, so users of the sink never see H5Cpp.h.
  struct OpenFile;

 private:
  OpenFile& open_file(const char* operation);         // throws std::logic_error after end_run
  void flush_if_due();                                // a flush to disk once a period has passed since the last one
  std::string scoped(const std::string& path) const;  // path under the current scope
  void close(bool complete);

  std::string final_path_;
  std::string partial_path_;
  bool replace_existing_;
  std::unique_ptr<OpenFile> file_;  // null once closed
};

}  // namespace ebsim
