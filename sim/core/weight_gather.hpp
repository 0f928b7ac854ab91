#pragma once
// A projection's weights, whole, from processes that each hold part of the network (a Network built
// with a UnitRange over MPI ranks, sim/core/partitioned_engine.hpp): what rank 0 writes.
#include <cstddef>

#include "sim/core/network.hpp"
#include "sim/core/partition_comm.hpp"
#include "sim/core/weight_table.hpp"

namespace ebsim {

// The whole table of projection k, in the order Network::weight_table gives it (by source, then
// target), on process 0 of `comm`; on the other processes, the projection's attributes and no
// synapses. Each process sends the synapses onto the units it owns (net.kept; those it keeps for
// their source, a backward projection's, are another's to send); process 0 merges them. With the
// whole network, or no other process: net.weight_table(k). A collective when the network is divided.
WeightTable gathered_weight_table(const Network& net, std::size_t k, PartitionComm* comm);

}  // namespace ebsim
