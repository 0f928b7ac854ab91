#pragma once
// Processes played by threads in one test: each "process" has its own engine (or farm), and
// all_gather meets the others at a barrier (the MPI transport, sim/cli/mpi_exchange.cpp, is only the
// wire; tests/tools/partitions_identical.sh runs it).
#include <barrier>
#include <cstddef>
#include <span>
#include <vector>

#include "sim/core/partition_comm.hpp"

namespace ebsim::test {

class ThreadComm final : public PartitionComm {
 public:
  struct Shared {
    explicit Shared(int n) : size(n), slots(static_cast<std::size_t>(n)), meet(n) {}
    int size;
    std::vector<std::vector<std::byte>> slots;
    std::barrier<> meet;
  };
  ThreadComm(Shared& shared, int rank) : shared_(shared), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return shared_.size; }
  std::vector<std::byte> all_gather(std::span<const std::byte> mine) override {
    shared_.slots[std::size_t(rank_)].assign(mine.begin(), mine.end());
    shared_.meet.arrive_and_wait();  // every slot written
    std::vector<std::byte> all;
    for (const auto& slot : shared_.slots) all.insert(all.end(), slot.begin(), slot.end());
    shared_.meet.arrive_and_wait();  // every slot read
    return all;
  }

 private:
  Shared& shared_;
  int rank_;
};

}  // namespace ebsim::test
