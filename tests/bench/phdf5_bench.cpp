// Writing a run's spikes from several MPI ranks into one HDF5 file, two ways, timed: every batch
// gathered to rank 0, which appends it (what ebsim does: rank 0 writes, sim/cli/partitions.cpp),
// against parallel HDF5, every rank writing its own part of each batch with collective I/O
// (H5Pset_fapl_mpio, H5FD_MPIO_COLLECTIVE). Each rank has SPIKES spikes (a uint64 unit and a double
// time, as ebsim records them) in batches of BATCH; both files get the batches in rank order, and
// rank 0 reads both back and checks that they hold the same spikes. No compression on either side
// (ebsim deflates its spikes; parallel compression needs collective writes of whole chunks). Built
// by scripts/bench_output.sh with parallel HDF5 (libhdf5-openmpi-dev), not by CMake: the project
// itself links the serial HDF5.
//   mpirun -np R phdf5_bench DIR [SPIKES] [BATCH]     (defaults: 2,000,000 and 50,000 per rank)
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Datasets {
  hid_t file, units, times;
};

// Two extendible one-dimensional datasets, chunks of 65,536 values.
Datasets create(const std::string& path, hid_t fapl) {
  Datasets d{};
  d.file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 65536;
  const hid_t space = H5Screate_simple(1, &zero, &unlimited);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  d.units = H5Dcreate2(d.file, "units", H5T_NATIVE_UINT64, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  d.times = H5Dcreate2(d.file, "times", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  return d;
}

void close(const Datasets& d) {
  H5Dclose(d.units);
  H5Dclose(d.times);
  H5Fclose(d.file);
}

// Extends `set` to `size` and writes `n` values at `offset` (each rank its own part).
void append_one(hid_t set, hid_t type, hsize_t size, hsize_t offset, hsize_t n, const void* data, hid_t dxpl) {
  H5Dset_extent(set, &size);
  const hid_t file_space = H5Dget_space(set);
  H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &offset, nullptr, &n, nullptr);
  const hid_t mem_space = H5Screate_simple(1, &n, nullptr);
  if (n == 0) H5Sselect_none(file_space), H5Sselect_none(mem_space);
  H5Dwrite(set, type, mem_space, file_space, dxpl, data);
  H5Sclose(mem_space);
  H5Sclose(file_space);
}

void append(const Datasets& d, hsize_t size, hsize_t offset, hsize_t n, const std::uint64_t* units,
            const double* times, hid_t dxpl) {
  append_one(d.units, H5T_NATIVE_UINT64, size, offset, n, units, dxpl);
  append_one(d.times, H5T_NATIVE_DOUBLE, size, offset, n, times, dxpl);
}

std::vector<std::uint64_t> read_units(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t set = H5Dopen2(file, "units", H5P_DEFAULT);
  const hid_t space = H5Dget_space(set);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  std::vector<std::uint64_t> out(static_cast<std::size_t>(n));
  if (n) H5Dread(set, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  H5Sclose(space);
  H5Dclose(set);
  H5Fclose(file);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2) {
    if (rank == 0) std::fprintf(stderr, "usage: mpirun -np R phdf5_bench DIR [SPIKES] [BATCH]\n");
    MPI_Finalize();
    return 2;
  }
  const std::string dir = argv[1];
  const long spikes = argc > 2 ? std::atol(argv[2]) : 2000000, batch = argc > 3 ? std::atol(argv[3]) : 50000;
  if (spikes < 1 || batch < 1) {
    if (rank == 0) std::fprintf(stderr, "phdf5_bench: expected SPIKES >= 1 and BATCH >= 1\n");
    MPI_Finalize();
    return 2;
  }
  std::vector<std::uint64_t> units(static_cast<std::size_t>(spikes));
  std::vector<double> times(static_cast<std::size_t>(spikes));
  for (long k = 0; k < spikes; ++k)
    units[std::size_t(k)] = std::uint64_t(rank) * 1000003u + std::uint64_t(k % 9973),
    times[std::size_t(k)] = 0.01 * double(k);
  const std::string gathered = dir + "/gathered.h5", parallel = dir + "/parallel.h5";

  // Rank 0 gathers each batch and appends it.
  MPI_Barrier(MPI_COMM_WORLD);
  double start = MPI_Wtime();
  {
    Datasets d{};
    if (rank == 0) d = create(gathered, H5P_DEFAULT);
    std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
    std::vector<std::uint64_t> all_units;
    std::vector<double> all_times;
    hsize_t written = 0;
    for (long at = 0; at < spikes; at += batch) {
      const int n = int(std::min(batch, spikes - at));
      MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
      int total = 0;
      if (rank == 0)
        for (int r = 0; r < size; ++r) displs[std::size_t(r)] = total, total += counts[std::size_t(r)];
      all_units.resize(std::size_t(total)), all_times.resize(std::size_t(total));
      MPI_Gatherv(units.data() + at, n, MPI_UINT64_T, all_units.data(), counts.data(), displs.data(), MPI_UINT64_T, 0,
                  MPI_COMM_WORLD);
      MPI_Gatherv(times.data() + at, n, MPI_DOUBLE, all_times.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
                  MPI_COMM_WORLD);
      if (rank == 0) {
        append(d, written + hsize_t(total), written, hsize_t(total), all_units.data(), all_times.data(), H5P_DEFAULT);
        written += hsize_t(total);
      }
    }
    if (rank == 0) close(d);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double gather_s = MPI_Wtime() - start;

  // Every rank writes its part of each batch, collectively.
  MPI_Barrier(MPI_COMM_WORLD);
  start = MPI_Wtime();
  {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    const Datasets d = create(parallel, fapl);
    H5Pclose(fapl);
    const hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    hsize_t written = 0;
    for (long at = 0; at < spikes; at += batch) {
      const long long n = std::min(batch, spikes - at);
      long long before = 0, total = 0;
      MPI_Exscan(&n, &before, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0) before = 0;
      MPI_Allreduce(&n, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      append(d, written + hsize_t(total), written + hsize_t(before), hsize_t(n), units.data() + at, times.data() + at,
             dxpl);
      written += hsize_t(total);
    }
    H5Pclose(dxpl);
    close(d);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double parallel_s = MPI_Wtime() - start;

  int status = 0;
  if (rank == 0) {
    const bool same = read_units(gathered) == read_units(parallel);
    const double all = double(spikes) * size;
    std::printf("%d rank(s), %.3g spikes in batches of %ld per rank (%.0f MB):\n", size, all, batch, all * 16 / 1e6);
    std::printf("  gathered to rank 0, which writes: %.3f s, %.3g spikes/s\n", gather_s, all / gather_s);
    std::printf("  parallel HDF5, collective writes: %.3f s, %.3g spikes/s\n", parallel_s, all / parallel_s);
    std::printf("  parallel / gathered time: %.2f\n", parallel_s / gather_s);
    std::printf(same ? "both files hold the same spikes\n" : "MISMATCH: the two files differ\n");
    status = same ? 0 : 1;
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
