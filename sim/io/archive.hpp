#pragma once
// Boost.Serialization for the values a run hands to a Sink, so that a run computed in another
// process (an MPI rank) can be sent to the one that writes the file (sim/io/recording_sink.hpp,
// pack/unpack). Boost 1.74 does not serialize std::variant: the helpers below store the index and
// the alternative. Binary archives: every process must run the same build on the same kind of
// machine (a cluster of one architecture), which is what an MPI job is.
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <variant>

#include "sim/io/sink.hpp"

namespace ebsim {

template <class Archive, class... T>
void save_variant(Archive& ar, const std::variant<T...>& v) {
  const std::uint32_t index = std::uint32_t(v.index());
  ar << index;
  std::visit([&ar](const auto& x) { ar << x; }, v);
}

template <class Archive, class... T>
void load_variant(Archive& ar, std::variant<T...>& v) {
  std::uint32_t index = 0;
  ar >> index;
  if (index >= sizeof...(T)) throw std::runtime_error("a packed run holds an unknown call (corrupt message)");
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((index == I ? (void)(ar >> v.template emplace<I>()) : void()), ...);
  }
  (std::index_sequence_for<T...>{});
}

template <class Archive>
void serialize(Archive& ar, PopulationInfo& p, unsigned) {
  ar& p.name& p.role& p.size;
}

template <class Archive>
void serialize(Archive& ar, RunMetadata& m, unsigned) {
  ar& m.resolved_config& m.seed& m.version& m.git_revision& m.command_line& m.engine& m.populations;
}

template <class Archive>
void serialize(Archive& ar, WeightTable& t, unsigned) {
  ar& t.projection& t.source& t.target& t.symmetric& t.gain_forward& t.gain_backward& t.pre& t.post& t.weight& t
      .delay_ms& t.delays_ms;
}

}  // namespace ebsim
