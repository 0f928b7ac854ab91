// The exchange a network split over MPI ranks makes once per interval (sim/cli/mpi_exchange.cpp:
// `MPI_Allgather` of each rank's byte count, then `MPI_Allgatherv` of the bytes), timed on this
// machine: the latency with an empty payload, and with each rank sending BYTES (an interval's
// spikes, 16 bytes each). Rank 0 prints microseconds per exchange (median of 5 batches of
// ITERATIONS); it asserts nothing but that every rank received what the others sent. The scaling
// model (scripts/scaling_model.py) takes a cluster's latency as a parameter; this is the figure for
// ranks on one machine, to set beside it.
//   mpirun -np R ebsim_allgather_bench [BYTES] [ITERATIONS]     (defaults: 8032, 2000)
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// One exchange as ebsim makes it: the counts, then the bytes. Returns whether every rank's block
// holds that rank's number.
bool exchange(int bytes, int rank, int size, std::vector<char>& mine, std::vector<char>& all, std::vector<int>& counts,
              std::vector<int>& displs) {
  std::fill(mine.begin(), mine.end(), char(rank));
  MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size; ++r) displs[std::size_t(r)] = total, total += counts[std::size_t(r)];
  all.resize(std::size_t(total));
  MPI_Allgatherv(mine.data(), bytes, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, MPI_COMM_WORLD);
  for (int r = 0; r < size; ++r)
    if (counts[std::size_t(r)] > 0 && all[std::size_t(displs[std::size_t(r)])] != char(r)) return false;
  return true;
}

// Median microseconds per exchange over 5 batches.
double time_exchange(int bytes, int iterations, int rank, int size, bool& ok) {
  std::vector<char> mine(static_cast<std::size_t>(bytes)), all;
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  std::vector<double> batches;
  for (int b = 0; b < 5; ++b) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    for (int i = 0; i < iterations; ++i) ok = exchange(bytes, rank, size, mine, all, counts, displs) && ok;
    batches.push_back(1e6 * (MPI_Wtime() - start) / iterations);
  }
  std::sort(batches.begin(), batches.end());
  return batches[2];
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int bytes = argc > 1 ? std::atoi(argv[1]) : 8032;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;
  if (bytes < 0 || iterations < 1) {
    if (rank == 0) std::fprintf(stderr, "usage: mpirun -np R ebsim_allgather_bench [BYTES] [ITERATIONS]\n");
    MPI_Finalize();
    return 2;
  }
  bool ok = true;
  const double empty = time_exchange(0, iterations, rank, size, ok);
  const double full = time_exchange(bytes, iterations, rank, size, ok);
  int all_ok = ok ? 1 : 0, every = 0;
  MPI_Allreduce(&all_ok, &every, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf("allgather exchange over %d ranks: %.2f us with no payload, %.2f us with %d bytes per rank\n", size,
                empty, full, bytes);
    std::printf(every ? "every rank received every block\n" : "MISMATCH: a rank received a wrong block\n");
  }
  MPI_Finalize();
  return every ? 0 : 1;
}
