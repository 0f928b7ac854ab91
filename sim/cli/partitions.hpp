#pragma once
// One network over threads (--threads) and MPI ranks: which runs split their network, the checks
// on the layout, and what a rank other than 0 does while the ranks share one network.
#include <ostream>
#include <string>

#include "sim/core/config.hpp"
#include "sim/run/results.hpp"
#include "sim/run/sweep.hpp"

namespace ebsim::cli {

// Whether --threads partitions this config's networks: the spiking engine of plain runs and of the
// learning experiment's training, and the backprop experiment's spiking branches (the other
// experiments build their own serial engines).
bool threads_apply(const Config& cfg);

// Whether `mpirun -np R` (R > 1) splits this config's one network over the ranks (not a sweep):
// plain spiking runs, the learning experiment's training and the backprop experiment's spiking
// branches (every rank computes the rest of the experiment too). Other runs that are not sweeps run
// on rank 0 alone.
bool splits_over_ranks(const Config& cfg);

// A layout the network cannot take (more partitions, threads x ranks, than units), or "".
std::string partitions_problem(const Config& cfg, unsigned threads, unsigned ranks);

// A rank other than 0 of a network split over ranks: runs the same run as rank 0 with `runner`
// (every engine call is a collective) into a sink that keeps nothing. Returns the exit code: 0, or
// 1 on an interruption; on an error it prints it and ends every rank at once (`abort_all`), since
// the others would wait for it in a collective.
using AbortAll = void (*)(int code);
int run_other_rank(const Config& cfg, const RunOptions& options, const UnitRunner& runner, int rank, std::ostream& err,
                   AbortAll abort_all);

}  // namespace ebsim::cli
