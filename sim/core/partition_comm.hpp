#pragma once
// How the processes that share one network talk (sim/core/partitioned_engine.hpp): MPI between
// ranks (sim/cli/mpi_exchange.hpp implements it); the core knows no MPI. Every call is a collective:
// every process makes the same calls in the same order, from the thread that made the engine.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

namespace ebsim {

class PartitionComm {
 public:
  virtual ~PartitionComm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every process's `mine`, concatenated in rank order.
  virtual std::vector<std::byte> all_gather(std::span<const std::byte> mine) = 0;

  // Every process's `mine`, concatenated in rank order, on process 0; nothing on the others. By
  // default through all_gather; MPI sends to process 0 alone.
  virtual std::vector<std::byte> gather(std::span<const std::byte> mine) {
    std::vector<std::byte> all = all_gather(mine);
    if (rank() != 0) all.clear();
    return all;
  }

  // The same for trivially copyable values.
  template <class T>
  std::vector<T> all_gather_values(std::span<const T> mine) {
    return values_of<T>(all_gather(std::as_bytes(mine)));
  }
  template <class T>
  std::vector<T> gather_values(std::span<const T> mine) {
    return values_of<T>(gather(std::as_bytes(mine)));
  }

  // Stopping together. A signal reaches each process at its own moment, but the processes must
  // leave the run at the same point or a collective would wait for ever: the engine reads this
  // process's own flag (set_signal_flag, the CLI's signal flag) at each interval's end, tells the
  // others, and once any process has seen its own set, every one sets agreed_stop in the same
  // exchange. The runner and the network build read agreed_stop, never the signal flag.
  void set_signal_flag(const std::atomic<bool>* flag) { signal_ = flag; }
  bool signalled() const { return signal_ && signal_->load(std::memory_order_relaxed); }
  std::atomic<bool> agreed_stop{false};

 private:
  template <class T>
  static std::vector<T> values_of(const std::vector<std::byte>& bytes) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T> all(bytes.size() / sizeof(T));
    if (!all.empty()) std::memcpy(all.data(), bytes.data(), all.size() * sizeof(T));
    return all;
  }
  const std::atomic<bool>* signal_ = nullptr;
};

}  // namespace ebsim
