#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/run/farm.hpp"
#include "tests/thread_comm.hpp"

using namespace ebsim;

namespace {

// What each process of a farm saw and returned.
struct Seen {
  bool complete = false;
  bool agreed_stop = false;
  std::vector<std::uint32_t> made, computed, taken;
  std::vector<std::string> results;
};

// A farm of `count` items over `processes` processes (threads): item b is the text "item b", its
// result that text reversed after a chain made by process 0 in order (each item carries the running
// count of items made so far, so an item made out of order would show). take stops after
// `stop_after` results; process `signalled` (if >= 0) has its signal flag set from the start.
std::vector<Seen> farm(int processes, std::uint32_t count, std::uint32_t stop_after = ~0u, int signalled = -1) {
  test::ThreadComm::Shared shared(processes);
  std::vector<Seen> seen(static_cast<std::size_t>(processes));
  std::atomic<bool> signal{true};
  std::vector<std::thread> threads;
  for (int r = 0; r < processes; ++r)
    threads.emplace_back([&, r] {
      test::ThreadComm comm(shared, r);
      if (r == signalled) comm.set_signal_flag(&signal);
      Seen& me = seen[std::size_t(r)];
      std::uint32_t chain = 0;
      Farm f;
      f.make = [&](std::uint32_t b) {
        me.made.push_back(b);
        return "item " + std::to_string(b) + " after " + std::to_string(chain++);
      };
      f.compute = [&](std::uint32_t b, const std::string& item) {
        me.computed.push_back(b);
        return std::string(item.rbegin(), item.rend());
      };
      f.take = [&](std::uint32_t b, const std::string& result) {
        me.taken.push_back(b);
        me.results.push_back(result);
        return me.taken.size() < stop_after;
      };
      me.complete = farm_in_order(comm, count, f);
      me.agreed_stop = comm.agreed_stop.load();
    });
  for (std::thread& t : threads) t.join();
  return seen;
}

std::string expected(std::uint32_t b) {
  const std::string item = "item " + std::to_string(b) + " after " + std::to_string(b);
  return std::string(item.rbegin(), item.rend());
}

}  // namespace

TEST_CASE("a farm makes items in order on process 0, computes them on the others, takes them in order") {
  for (int processes : {2, 3, 4}) {
    for (std::uint32_t count : {0u, 1u, 7u, 12u}) {
      CAPTURE(processes);
      CAPTURE(count);
      const std::vector<Seen> seen = farm(processes, count);
      const Seen& first = seen[0];
      REQUIRE(first.taken.size() == count);
      for (std::uint32_t b = 0; b < count; ++b) {
        CHECK(first.made[b] == b);
        CHECK(first.taken[b] == b);
        CHECK(first.results[b] == expected(b));
      }
      CHECK(first.computed.empty());
      // Every other process computed its share: items r - 1, r - 1 + (processes - 1), ...
      std::size_t computed = 0;
      for (int r = 1; r < processes; ++r) {
        const Seen& other = seen[std::size_t(r)];
        CHECK(other.made.empty());
        CHECK(other.taken.empty());
        for (std::uint32_t b : other.computed) CHECK(b % std::uint32_t(processes - 1) == std::uint32_t(r - 1));
        computed += other.computed.size();
      }
      CHECK(computed == count);
      for (const Seen& s : seen) {
        CHECK(s.complete);
        CHECK_FALSE(s.agreed_stop);
      }
    }
  }
}

TEST_CASE("a farm stops on every process at once: when take asks, or when any process is signalled") {
  SUBCASE("take stops after 5 of 20 results") {
    const std::vector<Seen> seen = farm(3, 20, 5);
    CHECK(seen[0].taken.size() == 5);  // nothing taken after the stop
    CHECK(seen[0].made.size() < 20);   // nor made for long
    for (const Seen& s : seen) {
      CHECK_FALSE(s.complete);
      CHECK(s.agreed_stop);
    }
  }
  SUBCASE("take stops at the very last result") {
    const std::vector<Seen> seen = farm(2, 6, 6);
    CHECK(seen[0].taken.size() == 6);
    for (const Seen& s : seen) CHECK_FALSE(s.complete);
  }
  SUBCASE("process 2 of 3 is signalled") {
    const std::vector<Seen> seen = farm(3, 20, ~0u, 2);
    CHECK(seen[0].taken.size() < 20);
    for (const Seen& s : seen) {
      CHECK_FALSE(s.complete);
      CHECK(s.agreed_stop);
    }
  }
}
