#pragma once
// One network over P partitions on P threads (DESIGN.md §9): the spiking engine, partitioned.
//
// Partition q owns a contiguous block of units, [b_q, b_q+1): their state, their random streams, their
// thinning candidates, the kicks they receive and the STDP windows of their incoming synapses
// (a SpikingEngine built with that UnitRange, whose per-unit arrays hold those units only). The
// bounds split the estimated work evenly (bounds(): each population's units weighed by their
// thinning candidates and expected kicks), not the unit count: layers of different fan-in would
// otherwise load some blocks more (measured by scripts/partition_balance.py). Contiguous blocks, not round-robin: every
// CSR row and delay group is sorted by target, so a partition's targets in a row are one contiguous sub-range, found
// once per row by binary searches when the partition is set up (8 bytes per row and partition), with no per-partition
// copy of the synapses; see docs/ARCHITECTURE.md.
//
// Conservative synchronisation. Every delay is at least d_min (the shortest projection delay), so
// a spike emitted in an interval (a, a + d_min] lands after it: the partitions run each interval
// independently, then hand every spike of the interval to every partition (receive()), which
// schedules its deliveries and STDP windows in its own queue. Intervals end on the grid k d_min and
// at the times the protocol asks for.
//
// Over MPI ranks (a PartitionComm, sim/core/partition_comm.hpp): P = ranks x threads partitions,
// each process running its rank's contiguous block of them on its threads. The interval's spikes
// are gathered from every process (one all-gather per interval), and so are the deferred weight
// changes at each boundary; per-unit answers (states, integrals, held units) and spikes are
// gathered so that every process sees the whole network, runs the same protocol code and makes the
// same collective calls; rank 0 alone writes. A process may hold only the synapses its block
// needs (a Network built with block(), when nothing reads the weights whole) or the whole network;
// a weight change made at once by one process (a directed plastic projection, used only by its
// target's process) reaches the others' copies as a value at the end of every advance, so recorded
// weights are whole.
//
// Bit-identical for any P, P = 1 included (tests/sim/core/test_partitioned_engine.cpp,
// tests/tools/partitions_identical.sh over ranks):
// - a unit's random numbers are keyed by (seed, trial, unit), never by partition;
// - each unit receives its kicks in the queue's total order (Event::tie_key), whoever sent them;
// - the shared frame of the exact solution moves on a fixed grid (SpikingEngine), so every
//   partition applies the same factors to a unit's state;
// - changes of weights that both directions use wait for the next boundary k d_min and are applied
//   in a key order independent of the layout (sim/core/stdp_estimator.hpp), as the serial engine
//   does too;
// - spikes are reported sorted by (time, unit), the serial engine's order.
#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partition_comm.hpp"
#include "sim/core/spiking_engine.hpp"

namespace ebsim {

// The partitions meet twice per interval (a task starts; all have finished): every 0.1 to 1 ms of
// simulated time, a few hundred microseconds of work. A waiting thread spins a while before it
// sleeps: waking a sleeping thread costs tens of microseconds on a virtual machine (measured on
// configs/bench/random_10k.yaml, 2 partitions, once each: with std::barrier, which sleeps sooner,
// the partitions were busy 93 % of the loop; with this barrier 99 %).
class SpinBarrier {
 public:
  // Spins only while the parties fit on the machine's cores: more threads than cores (tests of 3
  // and 4 partitions on 2 cores, --threads with --jobs) would spin on the core a straggler needs.
  explicit SpinBarrier(unsigned parties)
      : parties_(parties), spins_(parties <= std::max(1u, std::thread::hardware_concurrency()) ? kSpins : 0) {}
  void arrive_and_wait() {
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      generation_.notify_all();
      return;
    }
    for (int spin = 0; spin < spins_; ++spin) {
      if (generation_.load(std::memory_order_acquire) != generation) return;
      __builtin_ia32_pause();
    }
    while (generation_.load(std::memory_order_acquire) == generation) generation_.wait(generation);
  }

 private:
  static constexpr int kSpins = 20000;  // about 0.1 to 1 ms of pause instructions
  const unsigned parties_;
  const int spins_;
  alignas(64) std::atomic<unsigned> arrived_{0};
  alignas(64) std::atomic<unsigned> generation_{0};
};

class PartitionedEngine final : public Engine {
 public:
  // `partitions` threads in this process; with `comm` (more than one process) the network is split
  // over comm->size() x partitions partitions, this process holding its rank's block of them. At
  // most one partition per unit (else std::invalid_argument).
  PartitionedEngine(const EngineParams& params, const Network& net, unsigned partitions, PartitionComm* comm = nullptr);
  // The units this process's partitions own: a network built with build_network(..., block) holds
  // all the synapses they need (over processes, nothing more need be held).
  static UnitRange block(const EngineParams& params, std::uint32_t n_units, unsigned partitions,
                         const PartitionComm* comm);
  // The bounds of `total` contiguous blocks (block k: units [b[k], b[k + 1])), cut where the
  // estimated cost (params.unit_costs) reaches k / total of the whole, each at least one unit; equal
  // blocks without costs for every unit. At most one block per unit (else std::invalid_argument).
  static std::vector<std::uint32_t> bounds(const EngineParams& params, std::uint32_t n_units, std::uint64_t total);
  ~PartitionedEngine() override;
  // A copy continues from the same state on threads of its own (the backprop experiment's branches).
  // Over processes a copy shares `comm`: every process must then call its copies in the same order,
  // from the thread that made the engine.
  PartitionedEngine(const PartitionedEngine& other);
  PartitionedEngine& operator=(const PartitionedEngine&) = delete;

  void reset(std::uint32_t trial) override;
  void set_phase(const PhaseDrive& drive) override;
  void advance_to(double t_ms) override;
  bool advance_until_settled(double t_cap_ms, double tol) override;
  void hold_until(double t_ms) override { advance_to(t_ms); }
  double now() const override { return parts_.front().now(); }
  double residual() const override;
  void sample_states(std::span<double> out) override;
  void set_states(std::span<const double> states) override;
  void held_units(std::span<std::uint8_t> out) const override;
  std::vector<BoundaryCounts> boundary_counts() const override;
  void take_spikes(std::vector<Spike>& out) override;
  void record_spikes(std::uint32_t population) override;
  void enable_integrals() override;
  void integrals(std::span<double> integral_s, std::span<double> counts) override;
  void set_plasticity(PlasticityRule* rule) override;
  void end_trial() override;
  void set_stop_flag(const std::atomic<bool>* stop) override;
  std::uint64_t synaptic_events() const override;
  std::uint64_t spike_count() const override;

  unsigned partitions() const { return unsigned(parts_.size()); }
  // Intervals run so far (each one synchronisation of the partitions), for the scaling model.
  std::uint64_t intervals() const { return intervals_; }

 private:
  // Runs task(q) for every partition q at once, partition 0 on the calling thread; rethrows the
  // first partition's exception after all have finished.
  void run(const std::function<void(unsigned)>& task);
  void worker(unsigned q);
  void start_workers();
  // Every partition's outbox (every process's, over processes) into the next inbox; `stop`: this
  // process was asked to stop. Returns whether any process was.
  bool exchange(bool stop);
  template <class T>
  void gather_units(std::span<T> out) const;
  std::uint64_t sum_over_processes(std::uint64_t n) const;
  static constexpr std::uint32_t kMarker = 0xffffffffu;  // a process's block in the exchange
  void apply_deferred();
  void sync_mirrored();

  std::vector<SpikingEngine> parts_;
  std::vector<Spike> inbox_;  // the last interval's spikes, for every partition to receive
  double d_min_;
  std::uint64_t next_boundary_ = 1;  // the next interval boundary is next_boundary_ * d_min_
  std::uint64_t intervals_ = 0;
  std::vector<Spike> merged_;
  std::vector<DeferredChange> deferred_;
  PartitionComm* comm_ = nullptr;  // other processes holding the rest of the network (null: none)
  std::uint32_t lo_ = 0, hi_ = 0;  // this process's units

  SpinBarrier sync_;
  const std::function<void(unsigned)>* task_ = nullptr;
  std::vector<std::exception_ptr> errors_;
  bool quit_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ebsim
