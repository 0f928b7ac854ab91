#pragma once
// A Sink that keeps everything in plain public members, for engine unit tests: run an engine into a
// MemorySink and inspect what it produced. It enforces the same contract as Hdf5Sink (declared
// populations, row lengths, time-ordered spikes, write-once arrays), so an engine that breaks the
// contract fails its unit tests, not only a run that writes a file.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/io/sink.hpp"

namespace ebsim {

class MemorySink final : public Sink {
 public:
  struct Report {
    std::uint32_t n_nodes = 0;
    double t_start_ms = 0.0;
    double dt_ms = 0.0;
    std::vector<std::vector<float>> rows;  // rows[k] was sampled at t_start_ms + k * dt_ms
  };
  struct Spikes {
    std::vector<double> times_ms;
    std::vector<std::uint64_t> node_ids;
  };
  struct Array {
    std::vector<double> data;  // row-major
    std::vector<std::uint64_t> shape;
  };

  void begin_run(const RunMetadata& meta) override;
  // Keys of reports, spikes and weights become "<prefix>/<name>", paths "<prefix><path>".
  void set_scope(const std::string& prefix) override;
  void declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms, double dt_ms) override;
  void append_report(const std::string& population, std::span<const float> row) override;
  void declare_spikes(const std::string& population) override;
  void append_spikes(const std::string& population, std::span<const double> times_ms,
                     std::span<const std::uint64_t> node_ids) override;
  void write_weights(const std::string& label, const WeightTable& table) override;
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override;
  void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) override;
  void end_run(bool complete) override;

  RunMetadata metadata;
  bool begun = false;
  bool ended = false;
  bool complete = false;
  std::map<std::string, Report> reports;                                    // by population
  std::map<std::string, Spikes> spikes;                                     // by population
  std::map<std::string, std::map<std::string, WeightTable>> weights;        // label -> projection -> table
  std::map<std::string, Array> arrays;                                      // by path
  std::map<std::string, std::map<std::string, AttributeValue>> attributes;  // path -> name -> value

 private:
  void require_open(const char* operation) const;  // throws std::logic_error after end_run
  std::string key(const std::string& name) const { return scope_.empty() ? name : scope_ + "/" + name; }
  std::string path(const std::string& p) const { return scope_.empty() ? p : (p == "/" ? scope_ : scope_ + p); }
  std::string scope_;
};

}  // namespace ebsim
