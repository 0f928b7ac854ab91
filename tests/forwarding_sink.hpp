#pragma once
// A Sink that passes every call on to a MemorySink it owns (`to`): tests derive from it and
// override only the calls they watch or refuse.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/io/memory_sink.hpp"

namespace ebsim::test {

class ForwardingSink : public Sink {
 public:
  MemorySink to;

  void begin_run(const RunMetadata& meta) override { to.begin_run(meta); }
  void set_scope(const std::string& prefix) override { to.set_scope(prefix); }
  void declare_report(const std::string& p, std::uint32_t n, double t0, double dt) override {
    to.declare_report(p, n, t0, dt);
  }
  void append_report(const std::string& p, std::span<const float> row) override { to.append_report(p, row); }
  void declare_spikes(const std::string& p) override { to.declare_spikes(p); }
  void append_spikes(const std::string& p, std::span<const double> t, std::span<const std::uint64_t> ids) override {
    to.append_spikes(p, t, ids);
  }
  void write_weights(const std::string& label, const WeightTable& table) override { to.write_weights(label, table); }
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override {
    to.write_array(path, data, std::move(shape));
  }
  void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) override {
    to.write_attribute(path, name, value);
  }
  void end_run(bool complete) override { to.end_run(complete); }
};

}  // namespace ebsim::test
