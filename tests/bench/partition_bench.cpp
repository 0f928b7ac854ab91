// Strong scaling of one network over threads (sim/core/partitioned_engine.hpp): the same network,
// built once, run by the serial engine and by the partitioned engine with each partition count
// given, alternating within every round, in one process. Prints per layout the median simulation
// loop time (wall), synaptic events per second and the speed-up over the serial engine, and the
// figures the scaling model needs: intervals run, spikes handed over per interval, compute per
// synaptic event. Exits 1 if any layout's spike or synaptic event count differs from the serial
// engine's (the layouts must compute the same network).
//   ebsim_partition_bench CONFIG [ROUNDS] [PARTITIONS...]     (defaults: 3 rounds, partitions 1 2)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/experiments/registry.hpp"
#include "sim/io/config_loader.hpp"

using namespace ebsim;

namespace {

struct Measure {
  double loop_s;
  std::uint64_t events, spikes, intervals;
};

// Runs every phase of the protocol (one trial) on a fresh engine; times the phases' advance only.
Measure run_once(const Config& cfg, const Network& net, const std::vector<PhaseDrive>& drives, unsigned partitions) {
  const EngineParams params = lower_engine_params(cfg);
  std::unique_ptr<Engine> engine;
  if (partitions == 0)
    engine = std::make_unique<SpikingEngine>(params, net);
  else
    engine = std::make_unique<PartitionedEngine>(params, net, partitions);
  engine->reset(0);
  const auto start = std::chrono::steady_clock::now();
  double t = 0.0;
  for (std::size_t p = 0; p < drives.size(); ++p) {
    engine->set_phase(drives[p]);
    t += cfg.protocol.phases[p].duration_ms;
    engine->advance_to(t);
  }
  const double loop = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto* pe = dynamic_cast<const PartitionedEngine*>(engine.get());
  return {loop, engine->synaptic_events(), engine->spike_count(), pe ? pe->intervals() : 0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ebsim_partition_bench CONFIG [ROUNDS] [PARTITIONS...]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<unsigned> layouts{0};  // 0: the serial engine
  for (int a = 3; a < argc; ++a) layouts.push_back(unsigned(std::atoi(argv[a])));
  if (argc <= 3) layouts.insert(layouts.end(), {1u, 2u});
  if (rounds < 1 || std::any_of(layouts.begin() + 1, layouts.end(), [](unsigned p) { return p < 1; })) {
    std::fprintf(stderr, "ebsim_partition_bench: expected ROUNDS >= 1 and PARTITIONS >= 1\n");
    return 2;
  }
  const Config cfg = load_config(argv[1], {}, experiment_catalog());
  if (cfg.engine.kind != EngineKind::spiking) {
    std::fprintf(stderr, "ebsim_partition_bench: %s: expected a spiking config\n", argv[1]);
    return 2;
  }
  const auto build_start = std::chrono::steady_clock::now();
  const Network net = build_network(cfg);
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  std::printf("config %s: %u units, %llu synapses (built in %.1f s), %d rounds, alternating\n", argv[1], net.n_units,
              static_cast<unsigned long long>(net.synapse_count()), build_s, rounds);

  std::vector<std::vector<double>> loops(layouts.size());
  std::vector<Measure> last(layouts.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t k = 0; k < layouts.size(); ++k) {
      last[k] = run_once(cfg, net, drives, layouts[k]);
      loops[k].push_back(last[k].loop_s);
    }
  const double serial = median(loops[0]);
  bool same = true;
  std::printf("%-14s %12s %14s %10s %11s %16s\n", "layout", "loop (s)", "events/s", "speed-up", "intervals",
              "spikes/interval");
  for (std::size_t k = 0; k < layouts.size(); ++k) {
    const double loop = median(loops[k]);
    const std::string name =
        layouts[k] == 0 ? "serial" : std::to_string(layouts[k]) + " partition" + (layouts[k] > 1 ? "s" : "");
    const double per_interval = last[k].intervals ? double(last[k].spikes) / double(last[k].intervals) : 0.0;
    std::printf("%-14s %12.3f %14.3e %9.2fx %11llu %16.1f\n", name.c_str(), loop, double(last[k].events) / loop,
                serial / loop, static_cast<unsigned long long>(last[k].intervals), per_interval);
    same = same && last[k].events == last[0].events && last[k].spikes == last[0].spikes;
  }
  std::printf("compute per synaptic event (serial): %.2f ns; spikes %llu, synaptic events %llu\n",
              1e9 * serial / double(last[0].events), static_cast<unsigned long long>(last[0].spikes),
              static_cast<unsigned long long>(last[0].events));
  if (!same) {
    std::printf("MISMATCH: a layout's spike or synaptic event count differs from the serial engine's\n");
    return 1;
  }
  std::printf("every layout: the same spikes and synaptic events as the serial engine\n");
  return 0;
}
