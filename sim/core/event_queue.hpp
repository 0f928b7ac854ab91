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
#include <boost/heap/d_ary_heap.hpp>
#include <cstdint>
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

using EventQueue = boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<EventLater>>;

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
    Entry winner{time, unit};
    node_[k] = winner;
    for (; k > 1; k /= 2) {
      winner = earlier(winner, node_[k ^ 1]);
      node_[k / 2] = winner;
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
