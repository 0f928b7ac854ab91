#pragma once
// Independent items on worker threads, their results taken in item order on the calling thread, so
// that what the caller accumulates (sums of floating-point numbers) does not depend on the threads.
// The backprop experiment's spiking branches use it (sim/experiments/backprop.cpp).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ebsim {

// Items b = 0 .. n-1: `make(b)`, on the calling thread and in order, returns item b's work; the work
// runs on one of `workers` worker threads or on the calling thread while it would wait (all on the
// calling thread when workers is 0), at most 4 x (workers + 1) items in flight; `take(b, result)`
// receives the results on the calling thread in item order, so what it accumulates does not
// depend on the threads. Returns false when `take` asks to stop. The calling thread is one of the
// threads that compute (making items, as the backprop experiment's free run does, or running
// them): `jobs - 1` workers for `jobs` threads.
template <class Result>
bool run_in_order(std::uint32_t n, unsigned workers, const std::function<std::function<Result()>(std::uint32_t)>& make,
                  const std::function<bool(std::uint32_t, const Result&)>& take) {
  if (workers == 0) {
    for (std::uint32_t b = 0; b < n; ++b)
      if (!take(b, make(b)())) return false;
    return true;
  }
  struct Item {
    std::function<Result()> work;
    Result result;
    std::exception_ptr error;
    bool done = false;
  };
  std::deque<std::shared_ptr<Item>> in_flight, pending;  // both in item order
  std::mutex mutex;
  std::condition_variable changed;
  bool closing = false;
  auto run = [&](Item& item) {
    try {
      item.result = item.work();
    } catch (...) {
      item.error = std::current_exception();
    }
    item.work = nullptr;  // frees the engines' copies
    {
      std::lock_guard lock(mutex);
      item.done = true;
    }
    changed.notify_all();
  };
  auto worker = [&] {
    for (;;) {
      std::shared_ptr<Item> item;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return closing || !pending.empty(); });
        if (closing) return;
        item = pending.front();
        pending.pop_front();
      }
      run(*item);
    }
  };
  std::exception_ptr failure;
  bool complete = true;
  {
    std::vector<std::jthread> threads;
    for (unsigned j = 0; j < workers; ++j) threads.emplace_back(worker);
    struct CloseOnExit {  // also when make or take throws: the workers end before they are joined
      std::mutex& mutex;
      std::condition_variable& changed;
      bool& closing;
      ~CloseOnExit() {
        {
          std::lock_guard lock(mutex);
          closing = true;
        }
        changed.notify_all();
      }
    } close_on_exit{mutex, changed, closing};
    // The calling thread makes items while there is room, takes the oldest when it is done, and
    // otherwise runs a waiting item itself rather than wait: it is one of the threads.
    const std::size_t window = 4 * (std::size_t(workers) + 1);
    std::uint32_t next = 0, taken = 0;
    while (taken < n) {
      if (next < n && in_flight.size() < window) {
        auto item = std::make_shared<Item>();
        item->work = make(next++);
        {
          std::lock_guard lock(mutex);
          pending.push_back(item);
          in_flight.push_back(item);
        }
        changed.notify_all();
        continue;
      }
      std::shared_ptr<Item> item, mine;
      {
        std::unique_lock lock(mutex);
        if (!in_flight.front()->done && !pending.empty()) {
          mine = pending.front();
          pending.pop_front();
        } else {
          changed.wait(lock, [&] { return in_flight.front()->done; });
          item = in_flight.front();
          in_flight.pop_front();
        }
      }
      if (mine) {
        run(*mine);
        continue;
      }
      if (item->error) {
        failure = item->error;
        break;
      }
      if (!take(taken++, item->result)) {
        complete = false;
        break;
      }
    }
  }  // closes and joins
  if (failure) std::rethrow_exception(failure);
  return complete;
}

}  // namespace ebsim
