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
// (time, kind, unit, projection, direction), a key no two pending events share: a unit has at most
// one pending candidate, and a spike makes one delivery per (projection, direction) at a time after
// its previous spike's. At equal times, deliveries come before candidates: a spike arriving at t
// acts on the state before a spike candidate at t is judged.
#include <boost/heap/d_ary_heap.hpp>
#include <cstdint>
#include <tuple>

namespace ebsim {

struct Event {
  enum Kind : std::uint8_t { delivery = 0, candidate = 1 };
  double time = 0.0;             // ms since the trial started
  std::uint32_t unit = 0;        // the spiking unit (delivery) or the candidate's unit
  std::uint16_t projection = 0;  // delivery: which projection carries the spike
  std::uint8_t kind = candidate;
  std::uint8_t direction = 0;    // delivery: 0 forward (source -> target), 1 backward

  auto key() const { return std::tie(time, kind, unit, projection, direction); }
};

struct EventLater {
  bool operator()(const Event& a, const Event& b) const { return a.key() > b.key(); }
};

using EventQueue = boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<EventLater>>;

}  // namespace ebsim
