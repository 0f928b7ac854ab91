#include "sim/io/recording_sink.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <sstream>
#include <stdexcept>

#include "sim/io/archive.hpp"

namespace ebsim {

void RecordingSink::replay(Sink& to) { replay(to, true); }

void RecordingSink::replay_without_declarations(Sink& to) { replay(to, false); }

void RecordingSink::replay(Sink& to, bool declarations) {
  std::deque<Call> calls;
  {
    std::lock_guard lock(mutex_);
    calls.swap(calls_);
  }
  for (Call& call : calls) {
    std::visit(
        [&to, declarations](auto& c) {
          using C = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<C, BeginRun>) to.begin_run(c.meta);
          if constexpr (std::is_same_v<C, SetScope>) to.set_scope(c.prefix);
          if constexpr (std::is_same_v<C, DeclareReport>)
            if (declarations) to.declare_report(c.population, c.n_nodes, c.t_start_ms, c.dt_ms);
          if constexpr (std::is_same_v<C, AppendReport>) to.append_report(c.population, c.row);
          if constexpr (std::is_same_v<C, DeclareSpikes>)
            if (declarations) to.declare_spikes(c.population);
          if constexpr (std::is_same_v<C, AppendSpikes>) to.append_spikes(c.population, c.times_ms, c.node_ids);
          if constexpr (std::is_same_v<C, WriteWeights>) to.write_weights(c.label, c.table);
          if constexpr (std::is_same_v<C, WriteArray>) to.write_array(c.path, c.data, std::move(c.shape));
          if constexpr (std::is_same_v<C, WriteAttribute>) to.write_attribute(c.path, c.name, c.value);
          if constexpr (std::is_same_v<C, EndRun>) to.end_run(c.complete);
        },
        call);
    call = EndRun{false};  // frees the recorded data as soon as it is written
  }
}

template <class A>
void RecordingSink::WriteAttribute::serialize(A& ar, unsigned) {
  ar& path& name;
  if constexpr (A::is_saving::value)
    save_variant(ar, value);
  else
    load_variant(ar, value);
}

std::string RecordingSink::pack() const {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os);
    std::lock_guard lock(mutex_);
    const std::uint64_t n = calls_.size();
    ar << n;
    for (const Call& call : calls_) save_variant(ar, call);
  }
  return std::move(os).str();
}

void RecordingSink::unpack(const std::string& bytes) {
  std::istringstream is(bytes, std::ios::binary);
  try {
    boost::archive::binary_iarchive ar(is);
    std::uint64_t n = 0;
    ar >> n;
    std::lock_guard lock(mutex_);
    for (std::uint64_t i = 0; i < n; ++i) load_variant(ar, calls_.emplace_back());
  } catch (const std::exception& e) {  // a bad archive: Boost throws archive_exception, bad_alloc, ...
    throw std::runtime_error(std::string("a packed run could not be read (") + e.what() + ")");
  }
}

}  // namespace ebsim
