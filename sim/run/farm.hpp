#pragma once
// Items made in order on one process and computed on the others (MPI ranks, through
// sim/core/partition_comm.hpp), their results taken in item order on the first: the backprop
// experiment's branches over ranks (sim/experiments/backprop_branches.cpp). Process 0 advances the
// free run and sends each branch's starting state; the other processes continue the branches.
//
// Every process calls farm_in_order with the same count: it is a collective, in rounds. In round
// j, process 0 makes the round's items (one per other process) while each other process computes
// the item it got in round j - 1; then one all_gather carries the new items out and the results
// back, and process 0 takes the results of round j - 1 in order. So the processes work at once,
// and what process 0 accumulates does not depend on how many there are. A stop (take returns
// false, or a signal seen by any process) is agreed in the next exchange: every process leaves at
// the same round, with PartitionComm::agreed_stop set.
#include <cstdint>
#include <functional>
#include <string>

#include "sim/core/partition_comm.hpp"

namespace ebsim {

struct Farm {
  // Process 0: item b's bytes, made in order b = 0, 1, ...
  std::function<std::string(std::uint32_t)> make;
  // The other processes: item b's result from its bytes.
  std::function<std::string(std::uint32_t, const std::string&)> compute;
  // Process 0: item b's result, in order; false stops the farm.
  std::function<bool(std::uint32_t, const std::string&)> take;
};

// Items 0 .. count - 1 over comm's processes (at least 2). True when every item was taken; false
// when the farm stopped (every process returns false at the same round).
bool farm_in_order(PartitionComm& comm, std::uint32_t count, const Farm& farm);

}  // namespace ebsim
