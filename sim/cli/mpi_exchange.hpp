#pragma once
// A sweep over MPI ranks (built with -DEBSIM_MPI=ON): `mpirun -np R ebsim run sweep.yaml -o out.h5`.
// Rank 0 writes the one file; every rank asks rank 0 for a run whenever one of its --jobs threads is
// free and gets the costliest run not yet given (sim/run/exchange.hpp), and sends each finished run
// to rank 0 when rank 0 asks for it. Only each rank's calling thread calls MPI
// (MPI_THREAD_FUNNELED).
//
// Messages (MPI_COMM_WORLD): rank -> rank 0: want (no data), data (a size, then the packed run in
// pieces of at most 1 GiB), failure (the run's index and the error's text); rank 0 -> rank:
// assign, request (the run's index), stop (the sweep is over). Every rank must run the same build
// and read the same config files.
#include <memory>
#include <string>
#include <vector>

#include "sim/core/partition_comm.hpp"
#include "sim/run/exchange.hpp"

namespace ebsim::cli {

// MPI for this process's lifetime, initialised only when an MPI launcher started it (mpirun sets
// OMPI_COMM_WORLD_SIZE or PMIX_RANK): a plain `ebsim run` never touches MPI.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  bool active() const { return active_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Every rank says whether it can start; true when all can (a collective: every rank calls it).
  bool all_ready(bool ready) const;

 private:
  bool active_ = false;
  int rank_ = 0, size_ = 1;
};

// One network over the ranks (`mpirun -np R ebsim run config.yaml`, not a sweep): the collectives
// of sim/core/partition_comm.hpp over MPI_COMM_WORLD, called from the main thread.
std::unique_ptr<PartitionComm> make_mpi_partition_comm(const MpiSession& mpi);

// Ends every rank now (MPI_Abort): a rank failed while the others may wait in a collective.
[[noreturn]] void abort_all(int code);

// The exchange of a sweep of `runs` runs. The writer's destructor tells the other ranks to stop if
// the sweep did not (a failure before it began).
std::unique_ptr<RunExchange> make_mpi_exchange(const MpiSession& mpi, std::size_t runs);

}  // namespace ebsim::cli
