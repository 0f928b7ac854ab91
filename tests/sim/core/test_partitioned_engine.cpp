#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/engine_factory.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partition_comm.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/core/weight_gather.hpp"
#include "tests/support.hpp"
#include "tests/thread_comm.hpp"

using namespace ebsim;

namespace {

// A static random network with fixed and per-synapse delays, a recurrent projection, clamped
// inputs and units that saturate: every kind of event a partition boundary could disturb. 350 ms:
// the engine's shared frame moves twice (every 16 tau).
const char* const kRandom = R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 300 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 20}
  h: {role: hidden, size: 150, bias: {uniform: [-0.3, 0.9]}, initial: {uniform: [-1, 1]}}
projections:
  - {from: x, to: h, connectivity: {random: 0.3}, weights: {normal: [0, 0.6]}, delay: {uniform: [0.1 ms, 2 ms]}}
  - {from: h, to: h, connectivity: {fixed_indegree: 30}, weights: {normal: [0, 0.4]}, delay: 0.3 ms}
protocol:
  phases:
    - {name: on, duration: 200 ms, clamp: {x: {uniform: [-0.2, 0.8]}}}
    - {name: off, duration: 150 ms, clamp: {x: 0}}
)";

// A layered network with symmetric plastic projections (both directions move one stored weight)
// and a nudged output: the shared weights follow the interval-boundary rule. x->y is directed and
// plastic: its weights change at once, in the target's partition only (over processes, the others'
// copies get the values).
const char* const kLayeredPlastic = R"(
seed: 8
model: {beta1: -0.5, tau: 10 ms, r_max: 400 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 12}
  h: {role: hidden, size: 30, bias: {uniform: [-0.1, 0.3]}}
  y: {role: output, size: 6}
projections:
  - {from: x, to: h, weights: {glorot: 1}, symmetric: true, delay: 0.5 ms, plasticity: {lr: 0.05, window: 5 ms}}
  - {from: h, to: y, weights: {glorot: 1}, symmetric: true, delay: 1 ms, plasticity: {lr: 0.05, window: 5 ms}}
  - {from: x, to: y, weights: {uniform: [0, 0.3]}, delay: 1 ms, plasticity: {lr: 0.1, window: 2 ms, symmetric: false}}
protocol:
  phases:
    - {name: free, duration: 30 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}
    - {name: nudge, duration: 30 ms, clamp: {x: {uniform: [-0.4, 0.4]}}, nudge: {y: {beta: 0.5, target: 0.3}}}
)";

// What a run of every phase leaves: spikes, states, integrals, counts and (plastic) weights at each
// phase's end and after the trial.
struct Outcome {
  std::vector<Spike> spikes;
  std::vector<double> states, integral_s, counts, weights;
  std::vector<std::uint8_t> held;
  std::vector<std::uint32_t> boundary;  // held_low, held_high per population
  std::uint64_t synaptic_events = 0, spike_count = 0;
};

// Runs the config's phases on the serial engine (partitions = 0) or a PartitionedEngine (over the
// processes of `comm`, if given).
// `divided`: each process builds only the synapses its partitions need (build_network's UnitRange).
Outcome run(const std::string& yaml, unsigned partitions, std::uint32_t trial = 0, PartitionComm* comm = nullptr,
            bool divided = false) {
  const Config cfg = test::config_from(yaml);
  std::uint32_t units = 0;
  for (const PopulationConfig& p : cfg.populations) units += p.size;
  Network net = build_network(
      cfg, nullptr,
      divided ? PartitionedEngine::block(lower_engine_params(cfg), units, partitions, comm) : UnitRange{});
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  std::unique_ptr<Engine> engine;
  if (partitions == 0)
    engine = std::make_unique<SpikingEngine>(lower_engine_params(cfg), net);
  else
    engine = std::make_unique<PartitionedEngine>(lower_engine_params(cfg), net, partitions, comm);
  PlasticityRule rule(cfg, net);
  if (rule.any()) engine->set_plasticity(&rule);
  for (std::uint32_t k = 0; k < net.populations.size(); ++k) engine->record_spikes(k);
  engine->enable_integrals();
  engine->reset(trial);
  Outcome out;
  double t = 0.0;
  for (std::size_t ph = 0; ph < drives.size(); ++ph) {
    rule.set_phase(ph);
    engine->set_phase(drives[ph]);
    const double end = t + cfg.protocol.phases[ph].duration_ms;
    for (; t < end; t += 0.7) engine->advance_to(std::min(t + 0.7, end));  // steps off the interval grid
    t = end;
    // The weights as a phase ends (30 ms: an interval boundary), as weight snapshots read them.
    for (std::size_t p = 0; p < net.projections.size(); ++p)
      if (rule.plastic(p)) out.weights.insert(out.weights.end(), rule.weights(p).begin(), rule.weights(p).end());
  }
  engine->end_trial();
  engine->take_spikes(out.spikes);
  out.states.resize(net.n_units);
  out.integral_s.resize(net.n_units);
  out.counts.resize(net.n_units);
  engine->sample_states(out.states);
  engine->integrals(out.integral_s, out.counts);
  out.held.resize(net.n_units);
  engine->held_units(out.held);
  for (const BoundaryCounts& c : engine->boundary_counts())
    out.boundary.insert(out.boundary.end(), {c.held_low, c.held_high});
  for (std::size_t p = 0; p < net.projections.size(); ++p)
    if (rule.plastic(p)) out.weights.insert(out.weights.end(), rule.weights(p).begin(), rule.weights(p).end());
  out.synaptic_events = engine->synaptic_events();
  out.spike_count = engine->spike_count();
  return out;
}

// The same run on `ranks` processes (threads here) of `threads` partitions each: every process's
// outcome (each must see the whole network).
std::vector<Outcome> run_processes(const std::string& yaml, int ranks, unsigned threads, bool divided = false) {
  test::ThreadComm::Shared shared(ranks);
  std::vector<Outcome> outcomes(static_cast<std::size_t>(ranks));
  std::vector<std::thread> processes;
  for (int r = 0; r < ranks; ++r)
    processes.emplace_back([&, r] {
      test::ThreadComm comm(shared, r);
      outcomes[std::size_t(r)] = run(yaml, threads, 0, &comm, divided);
    });
  for (std::thread& t : processes) t.join();
  return outcomes;
}

using test::same_bits;

void require_identical(const Outcome& a, const Outcome& b) {
  REQUIRE(a.spikes.size() == b.spikes.size());
  for (std::size_t k = 0; k < a.spikes.size(); ++k) {
    CAPTURE(k);
    REQUIRE(a.spikes[k].unit == b.spikes[k].unit);
    REQUIRE(std::memcmp(&a.spikes[k].time, &b.spikes[k].time, sizeof(double)) == 0);
  }
  CHECK(same_bits(a.states, b.states));
  CHECK(same_bits(a.integral_s, b.integral_s));
  CHECK(same_bits(a.counts, b.counts));
  CHECK(same_bits(a.weights, b.weights));
  CHECK(a.held == b.held);
  CHECK(a.boundary == b.boundary);
  CHECK(a.synaptic_events == b.synaptic_events);
  CHECK(a.spike_count == b.spike_count);
}

// The backprop experiment's branches: copies of a running engine, advanced one after the other and
// interleaved with the original; the states each copy and the original reach (serial: partitions
// 0). Over processes every copy shares the original's comm.
std::vector<double> branch_states(unsigned partitions, PartitionComm* comm = nullptr) {
  const Config cfg = test::config_from(kRandom);
  const Network net = build_network(cfg);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  auto go = [&]<class E>(E& base) {
    base.reset(0);
    base.set_phase(drives[0]);
    base.advance_to(20.0);
    E first = base;
    base.advance_to(23.5);
    E second = base;
    std::vector<double> all, s(net.n_units);
    for (double t : {25.0, 31.7}) {
      first.advance_to(t);
      second.advance_to(t + 2.0);
    }
    base.advance_to(40.0);
    for (E* e : {&first, &second, &base}) {
      e->sample_states(s);
      all.insert(all.end(), s.begin(), s.end());
    }
    return all;
  };
  if (partitions == 0) {
    SpikingEngine base(lower_engine_params(cfg), net);
    return go(base);
  }
  PartitionedEngine base(lower_engine_params(cfg), net, partitions, comm);
  return go(base);
}

}  // namespace

TEST_CASE("a static random network gives bit-identical spikes and states on 1, 2, 3 and 4 partitions") {
  const Outcome serial = run(kRandom, 0);
  REQUIRE(serial.spikes.size() > 1000);  // enough activity that any disorder would show
  for (unsigned p : {1u, 2u, 3u, 4u}) {
    CAPTURE(p);
    require_identical(serial, run(kRandom, p));
  }
  // And the comparison can fail: another trial's streams give other spikes.
  const Outcome other = run(kRandom, 2, 1);
  CHECK_FALSE(same_bits(serial.states, other.states));
}

TEST_CASE("symmetric plastic projections: the same weights, bit for bit, on 1 to 4 partitions") {
  const Outcome serial = run(kLayeredPlastic, 0);
  REQUIRE(!serial.weights.empty());
  // The weights did move: the rule ran.
  const Config cfg = test::config_from(kLayeredPlastic);
  const Network initial = build_network(cfg);
  std::vector<double> before;
  for (const Projection& p : initial.projections) before.insert(before.end(), p.weight.begin(), p.weight.end());
  CHECK_FALSE(same_bits(before, serial.weights));
  for (unsigned p : {1u, 2u, 3u, 4u}) {
    CAPTURE(p);
    require_identical(serial, run(kLayeredPlastic, p));
  }
}

TEST_CASE("over processes: the same spikes, states and weights on 2 and 3 ranks, with 1 or 2 threads each") {
  for (const char* yaml : {kRandom, kLayeredPlastic}) {
    const Outcome serial = run(yaml, 0);
    for (auto [ranks, threads] : {std::pair{2, 1u}, std::pair{3, 1u}, std::pair{2, 2u}}) {
      CAPTURE(ranks);
      CAPTURE(threads);
      for (const Outcome& rank : run_processes(yaml, ranks, threads)) require_identical(serial, rank);
    }
  }
}

TEST_CASE("over processes that each hold only their own units' synapses: the serial engine's spikes and states") {
  // kRandom acts in both directions (Eq. 8's symmetrisation): each process also keeps the synapses
  // from its units; the directed variant keeps only those onto them.
  std::string directed = kRandom;
  const std::string model = "r_max: 300 Hz}";
  directed.replace(directed.find(model), model.size(), "r_max: 300 Hz, asymmetric_weights: directed}");
  for (const std::string& yaml : {std::string(kRandom), directed}) {
    const Outcome serial = run(yaml, 0);
    for (auto [ranks, threads] : {std::pair{2, 1u}, std::pair{3, 1u}, std::pair{2, 2u}}) {
      CAPTURE(ranks);
      CAPTURE(threads);
      for (const Outcome& rank : run_processes(yaml, ranks, threads, true)) require_identical(serial, rank);
    }
  }
  // A process's part lacks the other units' synapses: a serial engine, or partitions outside it,
  // are refused rather than run on part of the network.
  const Config cfg = test::config_from(kRandom);
  const Network part = build_network(cfg, nullptr, UnitRange{0, 85});
  SpikingEngine serial(lower_engine_params(cfg), part);
  CHECK_THROWS_AS(serial.set_phase(resolve_phases(cfg, part)[0]), std::logic_error);
  CHECK_THROWS_AS(PartitionedEngine(lower_engine_params(cfg), part, 2), std::invalid_argument);
  CHECK_NOTHROW(PartitionedEngine(lower_engine_params(cfg), build_network(cfg, nullptr, UnitRange{0, 170}), 2));
}

TEST_CASE("over processes that each hold part of the network, process 0 gathers every weight table whole") {
  // kRandom: per-synapse delays (x -> h), fixed in-degree (h -> h), both acting in both directions
  // (symmetrised): each process keeps the synapses from its units too, and must not send them.
  const Config cfg = test::config_from(kRandom);
  const Network whole = build_network(cfg);
  const EngineParams params = lower_engine_params(cfg);
  for (int ranks : {2, 3}) {
    CAPTURE(ranks);
    test::ThreadComm::Shared shared(ranks);
    std::vector<std::vector<WeightTable>> tables(static_cast<std::size_t>(ranks));
    std::vector<std::thread> processes;
    for (int r = 0; r < ranks; ++r)
      processes.emplace_back([&, r] {
        test::ThreadComm comm(shared, r);
        const Network part = build_network(cfg, nullptr, PartitionedEngine::block(params, whole.n_units, 1, &comm));
        for (std::size_t k = 0; k < part.projections.size(); ++k)
          tables[std::size_t(r)].push_back(gathered_weight_table(part, k, &comm));
      });
    for (std::thread& t : processes) t.join();
    for (std::size_t k = 0; k < whole.projections.size(); ++k) {
      const WeightTable expected = whole.weight_table(k), got = tables[0][k];
      CHECK(got.projection == expected.projection);
      CHECK(got.pre == expected.pre);
      CHECK(got.post == expected.post);
      CHECK(got.weight == expected.weight);
      CHECK(got.delays_ms == expected.delays_ms);
      CHECK(got.gain_backward == expected.gain_backward);
      for (int r = 1; r < ranks; ++r) {
        CHECK(tables[std::size_t(r)][k].projection == expected.projection);
        CHECK(tables[std::size_t(r)][k].pre.empty());
      }
    }
  }
  CHECK_FALSE(whole.weight_table(0).delays_ms.empty());  // the test covers per-synapse delays
}

TEST_CASE("over processes, copies of a running engine (the backprop branches) continue as the serial engine's do") {
  const std::vector<double> serial = branch_states(0);
  CHECK(same_bits(serial, branch_states(2)));
  test::ThreadComm::Shared shared(2);
  std::vector<std::vector<double>> ranks(2);
  std::vector<std::thread> processes;
  for (int r = 0; r < 2; ++r)
    processes.emplace_back([&, r] {
      test::ThreadComm comm(shared, r);
      ranks[std::size_t(r)] = branch_states(2, &comm);
    });
  for (std::thread& t : processes) t.join();
  for (const std::vector<double>& rank : ranks) CHECK(same_bits(serial, rank));
  // The copies went their own ways: the first copy's states differ from the original's.
  const std::size_t n = serial.size() / 3;
  CHECK(std::memcmp(serial.data(), serial.data() + 2 * n, n * sizeof(double)) != 0);
}

TEST_CASE("the factory partitions the spiking engine when asked, and only it") {
  const Config cfg = test::config_from(kRandom);
  const Network net = build_network(cfg);
  EngineParams params = lower_engine_params(cfg);
  params.partitions = 3;
  const std::unique_ptr<Engine> e = make_engine(params, net);
  const auto* partitioned = dynamic_cast<const PartitionedEngine*>(e.get());
  REQUIRE(partitioned != nullptr);
  CHECK(partitioned->partitions() == 3);
  params.partitions = 1;
  CHECK(dynamic_cast<const SpikingEngine*>(make_engine(params, net).get()) != nullptr);
}

TEST_CASE("blocks split the estimated work evenly: candidates and expected kicks per population") {
  // x (10 units) -> h (20 units), all to all and symmetric: 200 synapses, each spike of either side
  // kicks the other. Per unit: 100 ns of candidates, plus 5.5 ns x (expected in-degree) / 2.
  const Config cfg = test::config_from(R"(
model: {r_max: 100 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 10}
  h: {role: hidden, size: 20}
  y: {role: output, size: 5}
projections:
  - {from: x, to: h, symmetric: true}
protocol:
  phases: [{duration: 10 ms, clamp: {x: 0}}]
)");
  const std::vector<PopulationCost> costs = partition_costs(cfg);
  REQUIRE(costs.size() == 3);
  CHECK(costs[0].size == 10);
  CHECK(costs[0].per_unit == doctest::Approx(100 + 5.5 * 0.5 * 200 / 10));  // 155
  CHECK(costs[1].per_unit == doctest::Approx(100 + 5.5 * 0.5 * 200 / 20));  // 127.5
  CHECK(costs[2].per_unit == doctest::Approx(100));                         // no input
  EngineParams params = lower_engine_params(cfg);
  REQUIRE(params.unit_costs.size() == 3);
  // Each block's cost is within one unit's cost of an equal share.
  double total = 0, largest = 0;
  std::vector<double> unit_cost;
  for (const PopulationCost& c : costs)
    for (std::uint32_t u = 0; u < c.size; ++u) unit_cost.push_back(c.per_unit), total += c.per_unit;
  for (const double c : unit_cost) largest = std::max(largest, c);
  for (std::uint64_t p : {2, 3, 4, 7, 35}) {
    const std::vector<std::uint32_t> b = PartitionedEngine::bounds(params, 35, p);
    REQUIRE(b.size() == p + 1);
    CHECK(b.front() == 0);
    CHECK(b.back() == 35);
    for (std::uint64_t k = 0; k < p; ++k) {
      REQUIRE(b[k] < b[k + 1]);  // never empty
      double share = 0;
      for (std::uint32_t u = b[k]; u < b[k + 1]; ++u) share += unit_cost[u];
      CHECK(std::abs(share - total / double(p)) <= largest);
    }
  }
  // The x block of 2 partitions is smaller than half the units: x's units cost more.
  CHECK(PartitionedEngine::bounds(params, 35, 2)[1] < 18);
  // Without costs (or costs that do not cover the network): equal blocks, N k / P.
  params.unit_costs.clear();
  CHECK(PartitionedEngine::bounds(params, 35, 4) == std::vector<std::uint32_t>{0, 8, 17, 26, 35});
  // One very costly unit still leaves every block at least one unit.
  params.unit_costs = {{1, 1e9}, {9, 1.0}};
  const std::vector<std::uint32_t> skewed = PartitionedEngine::bounds(params, 10, 4);
  CHECK(skewed == std::vector<std::uint32_t>{0, 1, 2, 3, 10});
  CHECK_THROWS_AS(PartitionedEngine::bounds(params, 10, 11), std::invalid_argument);
}

TEST_CASE("a partition holds the state of its own units only") {
  // 170 units; a partition of 1 unit, and one of 85 (half the network). Old layout (every
  // partition with arrays for all units): both would hold what the serial engine holds.
  const Config cfg = test::config_from(kRandom);
  const Network net = build_network(cfg);
  const EngineParams params = lower_engine_params(cfg);
  const std::size_t whole = SpikingEngine(params, net).unit_state_bytes();
  const std::size_t one = SpikingEngine(params, net, UnitRange{7, 8}).unit_state_bytes();
  const std::size_t half = SpikingEngine(params, net, UnitRange{85, 170}).unit_state_bytes();
  CHECK(one * 50 < whole);       // 1 of 170 units: the candidate tree's two leaves and one of each record
  CHECK(half * 10 < whole * 6);  // half the units; the tree pads to a power of 2 (128 of 256 leaves)
  CHECK(half * 10 > whole * 4);
}

TEST_CASE("bad layouts are refused: more partitions than units, none, a delay below the interval") {
  const Config cfg = test::config_from(kRandom);
  Network net = build_network(cfg);
  const EngineParams params = lower_engine_params(cfg);
  CHECK_THROWS_WITH_AS(PartitionedEngine(params, net, net.n_units + 1),
                       doctest::Contains("at most one partition per unit"), std::invalid_argument);
  CHECK_THROWS_AS(PartitionedEngine(params, net, 0), std::invalid_argument);
  // Impossible from a config (delays below 0.1 ms are refused when it loads, and the interval is
  // the shortest delay), so forced here: a delay shortened after the engine chose its interval.
  PartitionedEngine e(params, net, 2);
  e.set_phase(resolve_phases(cfg, net)[0]);
  net.projections[1].delay_ms = 0.05;
  CHECK_THROWS_WITH_AS(e.advance_to(50.0), doctest::Contains("a delay below the interval"), std::logic_error);
}
