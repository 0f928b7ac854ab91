#include "sim/cli/mpi_exchange.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace ebsim::cli {

namespace {

enum Tag : int { kRequest = 1, kStop = 2, kData = 3, kFailure = 4, kWant = 5, kAssign = 6 };
constexpr std::size_t kPiece = std::size_t(1) << 30;

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

class MpiExchange final : public RunExchange {
 public:
  MpiExchange(std::size_t runs, int rank, int size) : runs_(runs), rank_(rank), size_(size) {}
  ~MpiExchange() override {
    if (writer() && !finished_) {
      try {
        finish();
      } catch (...) {
      }
    }
  }
  bool writer() const override { return rank_ == 0; }
  unsigned processes() const override { return unsigned(size_); }

  bool poll_want(unsigned& process) override {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kWant, MPI_COMM_WORLD, &flag, &status), "probing for requests for work");
    if (!flag) return false;
    check(MPI_Recv(nullptr, 0, MPI_BYTE, status.MPI_SOURCE, kWant, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "receiving a request for work");
    process = unsigned(status.MPI_SOURCE);
    return true;
  }

  void assign(std::size_t run, unsigned process) override { send_index(run, process, kAssign, "giving a run"); }
  void request(std::size_t run, unsigned process) override { send_index(run, process, kRequest, "asking for a run"); }

  bool poll(std::size_t, unsigned process, std::string& bytes) override {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kFailure, MPI_COMM_WORLD, &flag, &status), "probing for failures");
    if (flag) throw_failure(status);
    const int from = int(process);
    check(MPI_Iprobe(from, kData, MPI_COMM_WORLD, &flag, &status), "probing for a run");
    if (!flag) return false;
    std::uint64_t size = 0;
    check(MPI_Recv(&size, 1, MPI_UINT64_T, from, kData, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receiving a run");
    bytes.assign(size, '\0');
    for (std::size_t at = 0; at < size; at += kPiece) {
      const int piece = int(std::min(kPiece, size - at));
      check(MPI_Recv(bytes.data() + at, piece, MPI_BYTE, from, kData, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "receiving a run");
    }
    return true;
  }

  void finish() override {
    finished_ = true;
    for (int r = 1; r < size_; ++r) check(MPI_Send(nullptr, 0, MPI_BYTE, r, kStop, MPI_COMM_WORLD), "sending the stop");
  }

  void want() override { check(MPI_Send(nullptr, 0, MPI_BYTE, 0, kWant, MPI_COMM_WORLD), "asking for work"); }

  Message next_message(std::size_t& run) override {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "probing for messages");
    if (!flag) return Message::none;
    if (status.MPI_TAG == kStop) {
      check(MPI_Recv(nullptr, 0, MPI_BYTE, 0, kStop, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receiving the stop");
      return Message::stop;
    }
    std::uint64_t k = 0;
    check(MPI_Recv(&k, 1, MPI_UINT64_T, 0, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receiving a message");
    if (k >= exchange_ids(runs_) || (status.MPI_TAG != kRequest && status.MPI_TAG != kAssign))
      throw std::runtime_error("MPI: rank " + std::to_string(rank_) + " received a message it does not know (tag " +
                               std::to_string(status.MPI_TAG) + ", run " + std::to_string(k) + ")");
    run = k;
    return status.MPI_TAG == kRequest ? Message::request : Message::assign;
  }

  void send(std::size_t, const std::string& bytes) override {
    const std::uint64_t size = bytes.size();
    check(MPI_Send(&size, 1, MPI_UINT64_T, 0, kData, MPI_COMM_WORLD), "sending a run");
    for (std::size_t at = 0; at < size; at += kPiece) {
      const int piece = int(std::min(kPiece, bytes.size() - at));
      check(MPI_Send(bytes.data() + at, piece, MPI_BYTE, 0, kData, MPI_COMM_WORLD), "sending a run");
    }
  }

  void send_failure(std::size_t run, const std::string& what) override {
    std::string message(sizeof(std::uint64_t), '\0');
    const std::uint64_t k = run;
    std::memcpy(message.data(), &k, sizeof k);
    message += what.substr(0, 4000);
    check(MPI_Send(message.data(), int(message.size()), MPI_BYTE, 0, kFailure, MPI_COMM_WORLD), "sending a failure");
  }

 private:
  [[noreturn]] void throw_failure(const MPI_Status& status) {
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    std::string message(std::size_t(std::max(count, 0)), '\0');
    check(MPI_Recv(message.data(), count, MPI_BYTE, status.MPI_SOURCE, kFailure, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "receiving a failure");
    std::uint64_t k = 0;
    if (message.size() >= sizeof k) std::memcpy(&k, message.data(), sizeof k);
    const std::string what = message.size() >= sizeof k ? message.substr(sizeof k) : std::string("?");
    const std::size_t run = is_trial_part(runs_, k) ? run_of_part(runs_, k) : k;
    const std::string part =
        is_trial_part(runs_, k) ? ", trial range " + std::to_string(range_of_part(runs_, k) + 1) + " of the run" : "";
    throw std::runtime_error("rank " + std::to_string(status.MPI_SOURCE) + ", run " + std::to_string(run + 1) + " of " +
                             std::to_string(runs_) + " (/sweep/" + std::to_string(run) + ")" + part + ": " + what);
  }

  void send_index(std::size_t run, unsigned process, int tag, const char* what) {
    const std::uint64_t k = run;
    check(MPI_Send(&k, 1, MPI_UINT64_T, int(process), tag, MPI_COMM_WORLD), what);
  }

  std::size_t runs_;
  int rank_, size_;
  bool finished_ = false;
};

class MpiPartitionComm final : public PartitionComm {
 public:
  MpiPartitionComm(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<std::byte> all_gather(std::span<const std::byte> mine) override {
    if (mine.size() > std::size_t(std::numeric_limits<int>::max()))
      throw std::runtime_error("MPI: more than 2 GiB to exchange from one rank in one interval");
    const int n = int(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "exchanging sizes");
    std::int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[std::size_t(r)] = int(total);
      total += counts[std::size_t(r)];
    }
    if (total > std::numeric_limits<int>::max())
      throw std::runtime_error("MPI: more than 2 GiB to exchange in one interval");
    std::vector<std::byte> all(static_cast<std::size_t>(total));
    check(MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, MPI_COMM_WORLD),
          "exchanging a network's spikes");
    return all;
  }
  std::vector<std::byte> gather(std::span<const std::byte> mine) override {
    if (mine.size() > std::size_t(std::numeric_limits<int>::max()))
      throw std::runtime_error("MPI: more than 2 GiB to gather from one rank");
    const int n = int(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "gathering sizes");
    std::int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[std::size_t(r)] = int(std::min<std::int64_t>(total, std::numeric_limits<int>::max()));
      total += counts[std::size_t(r)];
    }
    // Every rank must learn that the gather is refused, or the others would wait in it for ever.
    std::int64_t agreed = total;
    check(MPI_Bcast(&agreed, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "gathering sizes");
    if (agreed > std::numeric_limits<int>::max())
      throw std::runtime_error("MPI: more than 2 GiB to gather on rank 0 (a projection's weights)");
    std::vector<std::byte> all(rank_ == 0 ? static_cast<std::size_t>(total) : 0);
    check(MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0, MPI_COMM_WORLD),
          "gathering the weights on rank 0");
    return all;
  }

 private:
  int rank_, size_;
};

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

}  // namespace

MpiSession::MpiSession() {
  if (!launched_by_mpi()) return;
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("MPI: this MPI library does not allow threads (MPI_THREAD_FUNNELED)");
  }
}

MpiSession::~MpiSession() {
  if (active_) MPI_Finalize();
}

bool MpiSession::all_ready(bool ready) const {
  if (!active_) return ready;
  int mine = ready ? 1 : 0, all = 0;
  check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "agreeing to start");
  return all == 1;
}

std::unique_ptr<PartitionComm> make_mpi_partition_comm(const MpiSession& mpi) {
  return std::make_unique<MpiPartitionComm>(mpi.rank(), mpi.size());
}

void abort_all(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; in case it does
}

std::unique_ptr<RunExchange> make_mpi_exchange(const MpiSession& mpi, std::size_t runs) {
  return std::make_unique<MpiExchange>(runs, mpi.rank(), mpi.size());
}

}  // namespace ebsim::cli
