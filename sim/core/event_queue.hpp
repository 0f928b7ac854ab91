#pragma once
// The spiking engine's event queue.
//
// Boost.Heap's d_ary_heap with arity 4: the queue only ever pushes and pops (no decrease-key, so no
// need for the node-based, mutable fibonacci or pairing heaps), and a 4-ary implicit heap in one
// contiguous array halves the tree depth of a binary heap and keeps siblings in one cache line.
//
// Total order. Times alone are not enough: with fixed delays and clamped inputs, many events fall
// on the same time, and an order that depended on insertion history would make results depend on
// incidental details (Arbor and NEST both fixed bugs of this kind). Events are ordered by
// (time, kind, unit, projection, direction, delay group), a key no two pending events share: a
// unit has at most one pending candidate, and a spike makes one delivery per (projection,
// direction, delay group) and one STDP window per plastic (projection, direction), each at a time
// after its previous spike's. At equal times: STDP windows open first (they read the postsynaptic
// state before the spike's own kick lands, see sim/core/stdp_estimator.hpp), then deliveries (a
// spike arriving at t acts on the state before a candidate at t is judged), then candidates, and
// STDP windows close last.
#include <algorithm>
#include <array>
#include <bit>
#include <boost/heap/d_ary_heap.hpp>
#include <cstdint>
#include <deque>
#include <limits>
#include <tuple>  // Event::key
#include <vector>

namespace ebsim {

struct Event {  // 16 bytes
  enum Kind : std::uint8_t { stdp_open = 0, delivery = 1, candidate = 2, stdp_close = 3 };
  double time = 0.0;               // ms since the trial started
  std::uint32_t unit = 0;          // the spiking unit (delivery, STDP) or the candidate's unit
  std::uint16_t projection = 0;    // delivery, STDP: which projection
  std::uint8_t group = 0;          // delivery: the delay group within the unit's row (per-synapse delays)
  std::uint8_t flags = candidate;  // bits 0-1: kind; bit 2: direction (0 forward, 1 backward)

  Kind kind() const { return Kind(flags & 3u); }
  std::uint8_t direction() const { return (flags >> 2) & 1u; }
  static std::uint8_t pack(Kind kind, std::uint8_t direction) { return std::uint8_t(kind | (direction << 2)); }
  // The tie-break after time, packed into one integer: kind (2 bits), unit (32), projection (16),
  // direction (1), group (8).
  std::uint64_t tie_key() const {
    return (std::uint64_t(kind()) << 57) | (std::uint64_t(unit) << 25) | (std::uint64_t(projection) << 9) |
           (std::uint64_t(direction()) << 8) | group;
  }
  auto key() const { return std::make_tuple(time, tie_key()); }
};

struct EventLater {
  bool operator()(const Event& a, const Event& b) const {
    return a.time != b.time ? a.time > b.time : a.tie_key() > b.tie_key();
  }
};

using EventHeap = boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<EventLater>>;

// The heap, and in front of it a few first-in-first-out lanes for deliveries. A projection's
// deliveries all come one fixed delay after their spikes, and spikes come in time order, so each
// delay's deliveries are pushed already sorted: a lane takes them at O(1) where the heap would sift
// (measured: see README, learning throughput). A lane only ever takes an event that is not before
// its last one in the total order (EventLater), anything else goes to the heap, and top() is the
// earliest of the heap's top and the lanes' fronts: the same events in the same order as the heap
// alone, whatever is pushed.
class EventQueue {
 public:
  static constexpr std::uint8_t kNoLane = 0xFF;
  static constexpr std::size_t kDeliveryLanes = 4, kMaxLanes = kDeliveryLanes + 1;
  static constexpr std::uint8_t kClosingLane = kDeliveryLanes;  // STDP windows' closings

  void push(const Event& e) {
    heap_.push(e);
    best_ = kUnknown;
  }
  // Into lane `lane` (< kMaxLanes) if it keeps the lane sorted, else into the heap.
  void push(const Event& e, std::uint8_t lane) {
    if (lane < kMaxLanes) {
      std::deque<Event>& q = lanes_[lane];
      if (q.empty() || !EventLater()(q.back(), e)) {
        q.push_back(e);
        ++lane_pushes_;
        best_ = kUnknown;
        return;
      }
    }
    push(e);
  }
  bool empty() const {
    return heap_.empty() && std::all_of(lanes_.begin(), lanes_.end(), [](const auto& q) { return q.empty(); });
  }
  // Not empty().
  const Event& top() const {
    if (best_ == kUnknown) find_best();
    return best_ == kHeap ? heap_.top() : lanes_[best_].front();
  }
  void pop() {
    if (best_ == kUnknown) find_best();
    if (best_ == kHeap)
      heap_.pop();
    else
      lanes_[best_].pop_front();
    best_ = kUnknown;
  }
  std::uint64_t lane_pushes() const { return lane_pushes_; }  // since construction: for tests
  // Every field to f, for saving and loading an engine's state (sim/core/engine_state.cpp): the
  // heap (f takes an EventHeap), then each lane (std::deque<Event>) and the lane count.
  template <class F>
  void visit_state(F& f) {
    f(heap_);
    for (auto& q : lanes_) f(q);
    f(lane_pushes_);
    best_ = kUnknown;
  }
  void clear() {
    heap_.clear();
    for (auto& q : lanes_) q.clear();
    best_ = kUnknown;
  }

 private:
  static constexpr std::uint8_t kUnknown = 0xFE, kHeap = 0xFD;
  void find_best() const {
    best_ = kHeap;
    const Event* best = heap_.empty() ? nullptr : &heap_.top();
    for (std::size_t k = 0; k < kMaxLanes; ++k)
      if (!lanes_[k].empty() && (best == nullptr || EventLater()(*best, lanes_[k].front())))
        best = &lanes_[k].front(), best_ = std::uint8_t(k);
  }
  EventHeap heap_;
  std::array<std::deque<Event>, kMaxLanes> lanes_;
  mutable std::uint8_t best_ = kUnknown;  // where top() is: a lane, kHeap, or not known yet
  std::uint64_t lane_pushes_ = 0;
};

// The thinning candidates, apart from the heap: every unit has exactly one pending candidate, whose
// time changes each time it fires, so they sit in a tournament tree over the units (each internal
// node holds the earlier of its children's candidates, ties by unit as Event::tie_key orders them):
// taking the next one is a look at the root, and setting a unit's next time replays the one path
// from its leaf to the root (log2 N comparisons, no sifting among four children per level as a
// heap pop and push do). The engine merges its root with the heap's top by EventLater, so events
// come out in the same total order as from one queue.
class CandidateTree {
 public:
  // Units first, ..., last - 1, all without a candidate (time infinity).
  void reset(std::uint32_t first, std::uint32_t last) {
    first_ = first;
    leaves_ = 1;
    while (leaves_ < last - first) leaves_ *= 2;
    node_.assign(2 * std::size_t(leaves_), {});
    for (std::uint32_t j = 0; j < leaves_; ++j)
      node_[leaves_ + j] = {std::numeric_limits<double>::infinity(), first + j};
    for (std::uint32_t k = leaves_ - 1; k >= 1; --k) node_[k] = earlier(node_[2 * k], node_[2 * k + 1]);
  }
  // Every field to f, for saving and loading an engine's state (sim/core/engine_state.cpp).
  template <class F>
  void visit_state(F& f) {
    f(first_);
    f(leaves_);
    f(node_);
  }
  std::uint32_t top_unit() const { return node_[1].unit; }
  std::size_t bytes() const { return node_.capacity() * sizeof(Entry); }
  double top_time() const { return node_[1].time; }
  Event top() const {
    Event e;
    e.time = top_time();
    e.unit = top_unit();
    e.flags = Event::pack(Event::candidate, 0);
    return e;
  }
  // The path's winner is carried up in registers; each level reads only the sibling, which does
  // not wait on the level below (measured: see README, learning throughput).
  void set(std::uint32_t unit, double time) {
    std::size_t k = std::size_t(leaves_) + (unit - first_);
    node_[k] = {time, unit};
    // Without branches: which of two entries wins is a coin toss, a mispredicted branch at every
    // level. Times are >= 0 (or +infinity), whose bit patterns order as the numbers do.
    std::uint64_t time_bits = std::bit_cast<std::uint64_t>(time);
    for (; k > 1; k /= 2) {
      const Entry& other = node_[k ^ 1];
      const std::uint64_t other_bits = std::bit_cast<std::uint64_t>(other.time);
      const bool take = (other_bits < time_bits) | ((other_bits == time_bits) & (other.unit < unit));
      const std::uint64_t mask = 0 - std::uint64_t(take);
      time_bits ^= (time_bits ^ other_bits) & mask;
      unit ^= (unit ^ other.unit) & std::uint32_t(mask);
      node_[k / 2] = {std::bit_cast<double>(time_bits), unit};
    }
  }

 private:
  struct Entry {
    double time;  // padding leaves: infinity, never the earlier
    std::uint32_t unit;
  };
  static Entry earlier(const Entry& a, const Entry& b) {
    return b.time < a.time || (b.time == a.time && b.unit < a.unit) ? b : a;
  }
  std::uint32_t first_ = 0, leaves_ = 1;
  std::vector<Entry> node_;
};

}  // namespace ebsim
