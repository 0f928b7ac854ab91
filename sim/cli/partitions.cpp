#include "sim/cli/partitions.hpp"

#include <exception>

#include "sim/io/sink.hpp"

namespace ebsim::cli {

namespace {

// What a rank other than 0 records into: nothing (rank 0 writes the file).
class DiscardSink final : public Sink {
 public:
  void begin_run(const RunMetadata&) override {}
  void set_scope(const std::string&) override {}
  void declare_report(const std::string&, std::uint32_t, double, double) override {}
  void append_report(const std::string&, std::span<const float>) override {}
  void declare_spikes(const std::string&) override {}
  void append_spikes(const std::string&, std::span<const double>, std::span<const std::uint64_t>) override {}
  void write_weights(const std::string&, const WeightTable&) override {}
  void write_array(const std::string&, std::span<const double>, std::vector<std::uint64_t>) override {}
  void write_attribute(const std::string&, const std::string&, const AttributeValue&) override {}
  void end_run(bool) override {}
};

}  // namespace

bool threads_apply(const Config& cfg) {
  if (cfg.experiment_kind == "backprop") return true;
  return cfg.engine.kind == EngineKind::spiking && (cfg.experiment_kind.empty() || cfg.experiment_kind == "learning");
}

bool splits_over_ranks(const Config& cfg) {
  if (cfg.sweep) return false;
  if (cfg.experiment_kind == "backprop") return true;
  return cfg.engine.kind == EngineKind::spiking && (cfg.experiment_kind.empty() || cfg.experiment_kind == "learning");
}

std::string partitions_problem(const Config& cfg, unsigned threads, unsigned ranks) {
  const std::uint64_t partitions = std::uint64_t(threads) * (ranks > 1 && splits_over_ranks(cfg) ? ranks : 1);
  if (partitions <= 1 || !threads_apply(cfg)) return {};
  std::uint64_t units = 0;
  for (const PopulationConfig& p : cfg.populations) units += p.size;
  if (partitions <= units) return {};
  const std::string layout = ranks > 1 && splits_over_ranks(cfg)
                                 ? std::to_string(ranks) + " ranks x --threads " + std::to_string(threads)
                                 : "--threads " + std::to_string(threads);
  return layout + ": the network has " + std::to_string(units) + " units; at most one partition per unit";
}

int run_other_rank(const Config& cfg, const RunOptions& options, const UnitRunner& runner, int rank, std::ostream& err,
                   AbortAll abort_all) {
  try {
    DiscardSink sink;
    return runner(cfg, sink, options).complete ? 0 : 1;
  } catch (const std::exception& e) {
    err << "ebsim: rank " << rank << ": error: " << e.what() << "\n" << std::flush;
    abort_all(1);
  }
  return 1;
}

}  // namespace ebsim::cli
