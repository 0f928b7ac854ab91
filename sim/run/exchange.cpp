#include "sim/run/exchange.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <sstream>
#include <stdexcept>

#include "sim/io/recording_sink.hpp"

namespace ebsim {

template <class A>
void serialize(A& ar, BoundaryCounts& b, unsigned) {
  ar& b.held_low& b.held_high& b.chattering;
}
template <class A>
void serialize(A& ar, PhaseResult& p, unsigned) {
  ar& p.name& p.trial& p.settle& p.converged& p.settle_time_ms& p.residual& p.boundary;
}
template <class A>
void serialize(A& ar, PopulationSummary& p, unsigned) {
  ar& p.name& p.role& p.size& p.mean_state& p.mean_rate;
}
template <class A>
void serialize(A& ar, TheoryError& t, unsigned) {
  ar& t.population& t.state_rmse& t.rate_rmse& t.state_rmse_single& t.rate_rmse_single& t.state_noise_sd& t
      .state_bias_rmse;
}
template <class A>
void serialize(A& ar, RunResult& r, unsigned) {
  ar& r.complete& r.phases& r.populations& r.theory& r.synapses& r.wall_build_s& r.wall_run_s& r.samples& r
      .synaptic_events& r.spikes& r.peak_rss_bytes;
}

std::string pack_run(const RecordingSink& buffer, const UnitOutcome& outcome) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os);
    const std::string calls = buffer.pack();
    ar << outcome.complete << outcome.run << calls;
  }
  return std::move(os).str();
}

void unpack_run(const std::string& bytes, RecordingSink& buffer, UnitOutcome& outcome) {
  std::istringstream is(bytes, std::ios::binary);
  std::string calls;
  try {
    boost::archive::binary_iarchive ar(is);
    ar >> outcome.complete >> outcome.run >> calls;
  } catch (const std::exception& e) {  // a bad archive: Boost throws archive_exception, bad_alloc, ...
    throw std::runtime_error(std::string("a packed run could not be read (") + e.what() + ")");
  }
  buffer.unpack(calls);
}

std::string pack_trial_part(const TrialPart& part) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os);
    ar << part.complete << part.phases << part.synaptic_events << part.spikes << part.samples << part.final_states
       << part.rates << part.calls;
  }
  return std::move(os).str();
}

TrialPart unpack_trial_part(const std::string& bytes) {
  TrialPart part;
  std::istringstream is(bytes, std::ios::binary);
  try {
    boost::archive::binary_iarchive ar(is);
    ar >> part.complete >> part.phases >> part.synaptic_events >> part.spikes >> part.samples >> part.final_states >>
        part.rates >> part.calls;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("a packed range of trials could not be read (") + e.what() + ")");
  }
  return part;
}

}  // namespace ebsim
