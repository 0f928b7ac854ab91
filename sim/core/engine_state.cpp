// An engine's state as bytes and back (SpikingEngine and ContinuousEngine: save_state,
// load_state), so that another process continues a trajectory exactly where this one is: the
// backprop experiment's branches over MPI ranks (sim/experiments/backprop_branches.cpp).
//
// Each engine lists its mutable fields once (visit_state); a Saver writes them into a Boost
// binary archive and a Loader reads them back in the same order. What the constructor derives
// from the parameters and the network (fan-outs, windows, lanes, partition shares) is not sent:
// the receiving engine was built from the same ones, which a short fingerprint checks.
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/binary_object.hpp>
#include <cstdint>
#include <deque>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "sim/core/continuous_engine.hpp"
#include "sim/core/spiking_engine.hpp"

namespace ebsim {

namespace {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_deque : std::false_type {};
template <class T, class A>
struct is_deque<std::deque<T, A>> : std::true_type {};

// Values of trivially copyable types, as their bytes; vectors and deques of them with their length
// first; the event heap as its events in any order (its order is total: the same events pop in the
// same order however the heap holds them).
class Saver {
 public:
  explicit Saver(boost::archive::binary_oarchive& ar) : ar_(ar) {}
  template <class T>
  void operator()(const T& x) {
    if constexpr (is_vector<T>::value) {
      items(x.data(), x.size());
    } else if constexpr (is_deque<T>::value || std::is_same_v<T, EventHeap>) {
      const std::vector<typename T::value_type> v(x.begin(), x.end());
      items(v.data(), v.size());
    } else {
      static_assert(std::is_trivially_copyable_v<T>);
      ar_ << boost::serialization::make_binary_object(const_cast<T*>(&x), sizeof x);
    }
  }

 private:
  template <class T>
  void items(const T* data, std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::uint64_t count = n;
    ar_ << count;
    if (n) ar_ << boost::serialization::make_binary_object(const_cast<T*>(data), n * sizeof(T));
  }
  boost::archive::binary_oarchive& ar_;
};

class Loader {
 public:
  explicit Loader(boost::archive::binary_iarchive& ar) : ar_(ar) {}
  template <class T>
  void operator()(T& x) {
    if constexpr (is_vector<T>::value) {
      items(x);
    } else if constexpr (is_deque<T>::value) {
      std::vector<typename T::value_type> v;
      items(v);
      x.assign(v.begin(), v.end());
    } else if constexpr (std::is_same_v<T, EventHeap>) {
      std::vector<Event> v;
      items(v);
      x.clear();
      for (const Event& e : v) x.push(e);
    } else {
      static_assert(std::is_trivially_copyable_v<T>);
      ar_ >> boost::serialization::make_binary_object(&x, sizeof x);
    }
  }

 private:
  template <class T>
  void items(std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::uint64_t count = 0;
    ar_ >> count;
    if (count > (std::uint64_t(1) << 40) / sizeof(T)) throw std::runtime_error("an engine state with a field too long");
    v.resize(count);
    if (count) ar_ >> boost::serialization::make_binary_object(v.data(), count * sizeof(T));
  }
  boost::archive::binary_iarchive& ar_;
};

// What the receiving engine must share with the saved one for the bytes to fit.
struct Fingerprint {
  std::uint64_t units = 0, synapses = 0, populations = 0, lo = 0, hi = 0;
  std::uint64_t seed = 0;
  double r_max = 0.0, tau = 0.0, dt = 0.0, sigma = 0.0;
  bool operator==(const Fingerprint&) const = default;
};

Fingerprint fingerprint(const Network& net, const EngineParams& p, std::uint64_t lo, std::uint64_t hi) {
  return {net.n_units, net.synapse_count(), net.populations.size(), lo, hi, p.seed, p.r_max_per_ms, p.tau_ms, p.dt_ms,
          p.sigma};
}

// `visit(saver)` / `visit(loader)`: the engine's visit_state.
template <class Visit>
std::string save(const Fingerprint& mine, Visit visit) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    Saver saver(ar);
    saver(mine);
    visit(saver);
  }
  return std::move(os).str();
}

template <class Visit>
void load(const std::string& bytes, const Fingerprint& mine, const char* what, Visit visit) {
  std::istringstream is(bytes, std::ios::binary);
  try {
    boost::archive::binary_iarchive ar(is, boost::archive::no_header);
    Loader loader(ar);
    Fingerprint theirs;
    loader(theirs);
    if (!(theirs == mine))
      throw std::runtime_error(std::string("the state of another ") + what +
                               " (another network or parameters) does not fit this one");
    visit(loader);
  } catch (const boost::archive::archive_exception& e) {
    throw std::runtime_error(std::string("a saved ") + what + " state could not be read (" + e.what() + ")");
  }
}

}  // namespace

template <class F>
void SpikingEngine::visit_state(F& f) {
  f(piece_);
  f(cold_);
  f(g_t_), f(g_ref_), f(g_value_);
  f(integrate_);
  f(integral_base_), f(spike_counts_);
  f(record_), f(all_clamped_);
  f(streams_);
  queue_.visit_state(f);
  candidates_.visit_state(f);
  f(now_), f(t_ref_);
  f(next_boundary_);
  f(outbox_), f(spikes_);
  f(synaptic_events_), f(spike_count_);
}

std::string SpikingEngine::save_state() const {
  if (stdp_.active()) throw std::logic_error("the spiking engine's state is not saved with plasticity");
  auto& self = const_cast<SpikingEngine&>(*this);  // visit_state reads only, when saving
  return save(fingerprint(net_, params_, lo_, hi_), [&](Saver& saver) { self.visit_state(saver); });
}

void SpikingEngine::load_state(const std::string& bytes) {
  if (stdp_.active()) throw std::logic_error("the spiking engine's state is not loaded with plasticity");
  load(bytes, fingerprint(net_, params_, lo_, hi_), "spiking engine", [&](Loader& loader) { visit_state(loader); });
  const std::size_t n = hi_ - lo_;
  if (piece_.size() != n || cold_.size() != n || streams_.size() != n || record_.size() != n ||
      all_clamped_.size() != net_.populations.size())
    throw std::runtime_error("a saved spiking engine state holds per-unit fields of the wrong length");
}

template <class F>
void ContinuousEngine::visit_state(F& f) {
  f(s_), f(noisy_), f(rates_), f(input_);
  f(noise_);
  f(held_), f(last_crossing_), f(prev_crossing_);
  f(step_), f(residual_);
  f(integrate_);
  f(before_), f(integral_s_), f(expected_count_);
}

std::string ContinuousEngine::save_state() const {
  if (plasticity_) throw std::logic_error("the continuous engine's state is not saved with plasticity");
  auto& self = const_cast<ContinuousEngine&>(*this);  // visit_state reads only, when saving
  return save(fingerprint(net_, params_, 0, net_.n_units), [&](Saver& saver) { self.visit_state(saver); });
}

void ContinuousEngine::load_state(const std::string& bytes, const PhaseDrive& drive) {
  if (plasticity_) throw std::logic_error("the continuous engine's state is not loaded with plasticity");
  load(bytes, fingerprint(net_, params_, 0, net_.n_units), "continuous engine",
       [&](Loader& loader) { visit_state(loader); });
  const std::size_t n = net_.n_units;
  if (s_.size() != n || noisy_.size() != n || rates_.size() != n || input_.size() != n || held_.size() != n ||
      last_crossing_.size() != n || prev_crossing_.size() != n || (!noise_.empty() && noise_.size() != n))
    throw std::runtime_error("a saved continuous engine state holds per-unit fields of the wrong length");
  drive_ = &drive;
}

}  // namespace ebsim
