#include <doctest/doctest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/continuous_engine.hpp"
#include "sim/core/engine_factory.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

// Per-synapse delays (deliveries in flight at any moment, in the heap and the lanes), a recurrent
// projection, clamped inputs and units that saturate (held and outside pieces).
const char* const kNet = R"(
seed: 21
model: {beta1: -0.5, tau: 10 ms, r_max: 400 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 15}
  h: {role: hidden, size: 80, bias: {uniform: [-0.3, 0.9]}, initial: {uniform: [-1, 1]}}
  y: {role: output, size: 10}
projections:
  - {from: x, to: h, connectivity: {random: 0.3}, weights: {normal: [0, 0.6]}, delay: {uniform: [0.1 ms, 2 ms]}}
  - {from: h, to: h, connectivity: {fixed_indegree: 20}, weights: {normal: [0, 0.4]}, delay: 0.3 ms}
  - {from: h, to: y, weights: {glorot: 1}, symmetric: true, delay: 1 ms}
protocol:
  phases:
    - {name: free, duration: 60 ms, clamp: {x: {uniform: [-0.2, 0.8]}}}
    - {name: nudge, duration: 40 ms, clamp: {x: {uniform: [-0.2, 0.8]}}, nudge: {y: {beta: 0.5, target: 0.3}}}
)";

using test::same_bits;

struct After {
  std::vector<double> states, integral_s, counts;
  std::vector<Spike> spikes;
  std::uint64_t synaptic_events = 0, spike_count = 0;
};

// An engine on trial `trial`'s streams, its integrals on, advanced to t in the first phase.
template <class E>
void start(E& e, std::uint32_t trial, const std::vector<PhaseDrive>& drives, double t) {
  e.enable_integrals();
  e.reset(trial);
  e.set_phase(drives[0]);
  e.advance_to(t);
}

// From now to 100 ms, into the nudge phase: what the engine then holds.
template <class E>
After go_on(E& e, const std::vector<PhaseDrive>& drives, std::uint32_t n) {
  for (double t = e.now() + 3.3; t < 60.0; t += 3.3) e.advance_to(t);
  e.advance_to(60.0);
  e.set_phase(drives[1]);
  e.advance_to(100.0);
  After a;
  a.states.resize(n);
  a.integral_s.resize(n);
  a.counts.resize(n);
  e.sample_states(a.states);
  e.integrals(a.integral_s, a.counts);
  e.take_spikes(a.spikes);
  a.synaptic_events = e.synaptic_events();
  a.spike_count = e.spike_count();
  return a;
}

}  // namespace

TEST_CASE("a spiking engine's saved state goes on bit for bit in another engine") {
  const Config cfg = test::config_from(kNet);
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const EngineParams params = lower_engine_params(cfg);
  SpikingEngine saved(params, net);
  for (std::uint32_t k = 0; k < net.populations.size(); ++k) saved.record_spikes(k);
  start(saved, 4, drives, 37.3);  // deliveries of several delays in flight
  std::vector<Spike> before;
  saved.take_spikes(before);
  REQUIRE(before.size() > 100);
  const std::string bytes = saved.save_state();

  SpikingEngine loaded(params, net);  // never reset, no recording asked: the state brings both
  loaded.load_state(bytes);
  CHECK(loaded.now() == saved.now());
  const After a = go_on(saved, drives, net.n_units), b = go_on(loaded, drives, net.n_units);
  REQUIRE(a.spikes.size() > 100);
  REQUIRE(a.spikes.size() == b.spikes.size());
  for (std::size_t k = 0; k < a.spikes.size(); ++k) {
    CAPTURE(k);
    REQUIRE(a.spikes[k].unit == b.spikes[k].unit);
    REQUIRE(std::memcmp(&a.spikes[k].time, &b.spikes[k].time, sizeof(double)) == 0);
  }
  CHECK(same_bits(a.states, b.states));
  CHECK(same_bits(a.integral_s, b.integral_s));
  CHECK(same_bits(a.counts, b.counts));
  CHECK(a.synaptic_events == b.synaptic_events);
  CHECK(a.spike_count == b.spike_count);

  // The comparison can fail: the same engine from another trial's streams ends elsewhere.
  SpikingEngine other(params, net);
  start(other, 5, drives, 37.3);
  CHECK_FALSE(same_bits(a.states, go_on(other, drives, net.n_units).states));
}

TEST_CASE("a continuous engine's saved state, with Langevin noise, goes on bit for bit") {
  const Config cfg = test::config_from(kNet, {"engine.kind=continuous", "engine.dt=0.1 ms", "engine.sigma=0.3"});
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const EngineParams params = lower_engine_params(cfg);
  ContinuousEngine saved(params, net);
  start(saved, 2, drives, 21.7);
  ContinuousEngine loaded(params, net);
  loaded.load_state(saved.save_state(), drives[0]);
  const After a = go_on(saved, drives, net.n_units), b = go_on(loaded, drives, net.n_units);
  CHECK(same_bits(a.states, b.states));
  CHECK(same_bits(a.integral_s, b.integral_s));
  CHECK(same_bits(a.counts, b.counts));
  ContinuousEngine other(params, net);  // the noise matters: another trial's streams end elsewhere
  start(other, 3, drives, 21.7);
  CHECK_FALSE(same_bits(a.states, go_on(other, drives, net.n_units).states));
}

TEST_CASE("a saved state that does not fit is refused, and plasticity is not saved") {
  const Config cfg = test::config_from(kNet);
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  SpikingEngine saved(lower_engine_params(cfg), net);
  saved.reset(0);
  saved.set_phase(drives[0]);
  saved.advance_to(5.0);
  const std::string bytes = saved.save_state();

  const Config other_cfg = test::config_from(kNet, {"seed=22"});  // another network
  const Network other_net = build_network(other_cfg);
  SpikingEngine other(lower_engine_params(other_cfg), other_net);
  CHECK_THROWS_WITH_AS(other.load_state(bytes), doctest::Contains("does not fit"), std::runtime_error);
  SpikingEngine same(lower_engine_params(cfg), net);
  CHECK_THROWS_WITH_AS(same.load_state(bytes.substr(0, bytes.size() / 2)), doctest::Contains("could not be read"),
                       std::runtime_error);
  CHECK_NOTHROW(same.load_state(bytes));

  std::string plastic_yaml = kNet;
  const std::string symmetric = "symmetric: true, delay: 1 ms}";
  plastic_yaml.replace(plastic_yaml.find(symmetric), symmetric.size(),
                       "symmetric: true, delay: 1 ms, plasticity: {lr: 0.05, window: 5 ms}}");
  const Config plastic_cfg = test::config_from(plastic_yaml);
  Network plastic_net = build_network(plastic_cfg);  // the rule moves its weights
  PlasticityRule rule(plastic_cfg, plastic_net);
  REQUIRE(rule.any());
  SpikingEngine plastic(lower_engine_params(plastic_cfg), plastic_net);
  plastic.set_plasticity(&rule);
  CHECK_THROWS_AS(static_cast<void>(plastic.save_state()), std::logic_error);
}
