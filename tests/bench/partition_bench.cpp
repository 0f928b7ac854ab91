// Strong scaling of one network over threads (sim/core/partitioned_engine.hpp): the same network,
// built once, run by the serial engine and by the partitioned engine with each partition count
// given, alternating within every round, in one process. Prints per layout the median simulation
// loop time (wall), synaptic events per second and the speed-up over the serial engine, and the
// figures the scaling model needs (scripts/scaling_model.py): intervals run, spikes handed over per
// interval, the cost per spike every partition pays and the cost per synaptic event. Exits 1 if any layout's spike or
// synaptic event count differs from the serial engine's (the layouts must compute the same network).
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

// Every spike of a serial run, for the receive-only partition below.
std::vector<Spike> all_spikes(const Config& cfg, const Network& net, const std::vector<PhaseDrive>& drives) {
  SpikingEngine engine(lower_engine_params(cfg), net);
  for (std::uint32_t k = 0; k < net.populations.size(); ++k) engine.record_spikes(k);
  engine.reset(0);
  double t = 0.0;
  for (std::size_t p = 0; p < drives.size(); ++p) {
    engine.set_phase(drives[p]);
    t += cfg.protocol.phases[p].duration_ms;
    engine.advance_to(t);
  }
  std::vector<Spike> spikes;
  engine.take_spikes(spikes);
  return spikes;
}

// What every partition pays for every spike of the network, wherever its targets are: one
// partition owning a single unit is handed the run's spikes interval by interval, as the
// partitioned engine hands them over, and runs each interval. Its own unit's work is negligible,
// so the time per spike is the per-spike cost (the delivery event's queue push and pop, its
// exponential, the binary searches for the partition's share of each row) plus each interval's
// fixed cost spread over its spikes. Returns the wall time.
double receive_only(const Config& cfg, const Network& net, const std::vector<PhaseDrive>& drives,
                    const std::vector<Spike>& spikes) {
  SpikingEngine part(lower_engine_params(cfg), net, UnitRange{0, 1});
  const double d_min = part.min_delay();
  const auto start = std::chrono::steady_clock::now();
  std::size_t next = 0;
  double t = 0.0;
  std::uint64_t k = 1;
  for (std::size_t p = 0; p < drives.size(); ++p) {
    part.set_phase(drives[p]);
    const double phase_end = t + cfg.protocol.phases[p].duration_ms;
    while (t < phase_end) {
      const double end = std::min(phase_end, double(k) * d_min);
      part.advance_to(end);
      part.outbox().clear();
      std::size_t last = next;
      while (last < spikes.size() && spikes[last].time < end) ++last;  // this interval's spikes
      part.receive(std::span<const Spike>(spikes.data() + next, last - next));
      next = last;
      if (end == double(k) * d_min) ++k;
      t = end;
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  // The two costs the scaling model (scripts/scaling_model.py) separates: per synaptic event,
  // divided among the partitions; per spike, paid by every partition.
  const std::vector<Spike> spikes = all_spikes(cfg, net, drives);
  std::vector<double> receive;
  for (int r = 0; r < rounds; ++r) receive.push_back(receive_only(cfg, net, drives, spikes));
  const double per_spike = median(receive) / double(spikes.size());
  const double per_event = (serial - per_spike * double(spikes.size())) / double(last[0].events);
  std::printf("per spike, paid by every partition (receive-only partition, median of %d): %.1f ns\n", rounds,
              1e9 * per_spike);
  std::printf("per synaptic event, shared among the partitions (serial loop less the spikes' share): %.2f ns\n",
              1e9 * per_event);
  return 0;
}
