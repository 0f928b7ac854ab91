#include "sim/run/farm.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace ebsim {

namespace {

// One process's part of a round's all_gather, self-delimiting (the parts arrive concatenated):
// a stop flag, then messages of (item, length, bytes).
struct Message {
  std::uint32_t item = 0;
  std::string bytes;
};

void append_part(std::vector<std::byte>& out, bool stop, const std::vector<Message>& messages) {
  auto put = [&](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
  };
  const std::uint8_t flag = stop;
  const std::uint32_t n = std::uint32_t(messages.size());
  put(&flag, sizeof flag);
  put(&n, sizeof n);
  for (const Message& m : messages) {
    const std::uint64_t size = m.bytes.size();
    put(&m.item, sizeof m.item);
    put(&size, sizeof size);
    put(m.bytes.data(), m.bytes.size());
  }
}

// Reads one part at `at`, moving past it.
bool read_part(const std::vector<std::byte>& all, std::size_t& at, std::vector<Message>& messages) {
  auto get = [&](void* p, std::size_t n) {
    if (n > all.size() - at) throw std::runtime_error("a farm's exchange ended short (the processes disagree)");
    std::memcpy(p, all.data() + at, n);
    at += n;
  };
  std::uint8_t flag = 0;
  std::uint32_t n = 0;
  get(&flag, sizeof flag);
  get(&n, sizeof n);
  messages.resize(n);
  for (Message& m : messages) {
    std::uint64_t size = 0;
    get(&m.item, sizeof m.item);
    get(&size, sizeof size);
    if (size > all.size() - at) throw std::runtime_error("a farm's exchange ended short (the processes disagree)");
    m.bytes.assign(reinterpret_cast<const char*>(all.data() + at), std::size_t(size));
    at += std::size_t(size);
  }
  return flag != 0;
}

}  // namespace

bool farm_in_order(PartitionComm& comm, std::uint32_t count, const Farm& farm) {
  const int size = comm.size(), rank = comm.rank();
  if (size < 2) throw std::logic_error("farm_in_order needs at least two processes");
  const std::uint32_t workers = std::uint32_t(size - 1);
  const std::uint32_t rounds = (count + workers - 1) / workers;  // rounds with items to make
  std::vector<Message> mine, got, from;
  bool stop = false;  // process 0: take asked to stop
  std::uint32_t taken = 0;
  // Round `rounds` brings the last results back; round `rounds + 1` tells whether take stopped at them.
  for (std::uint32_t j = 0; j <= rounds + 1; ++j) {
    mine.clear();
    if (rank == 0) {
      for (std::uint32_t b = j * workers; !stop && j < rounds && b < std::min(count, (j + 1) * workers); ++b)
        mine.push_back({b, farm.make(b)});
    } else if (!got.empty()) {  // the item given in the last round
      mine.push_back({got.front().item, farm.compute(got.front().item, got.front().bytes)});
    }
    std::vector<std::byte> part;
    append_part(part, stop || comm.signalled(), mine);
    const std::vector<std::byte> all = comm.all_gather(part);
    std::size_t at = 0;
    bool any_stop = false;
    got.clear();
    for (int r = 0; r < size; ++r) {
      any_stop |= read_part(all, at, from);
      if (r == 0 && rank > 0)  // this process's item of the round, if any
        for (Message& m : from)
          if (m.item % workers == std::uint32_t(rank - 1)) got.push_back(std::move(m));
      if (r > 0 && rank == 0)
        for (const Message& m : from) {
          if (m.item != taken) throw std::logic_error("a farm's result came out of order");
          ++taken;
          if (!stop && !farm.take(m.item, m.bytes)) stop = true;
        }
    }
    if (any_stop) {
      comm.agreed_stop = true;
      return false;
    }
  }
  return true;
}

}  // namespace ebsim
