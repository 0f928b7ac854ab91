#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "sim/core/continuous_engine.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "tests/engine_fixture.hpp"

using namespace ebsim;

namespace {

using Setup = test::EngineFixture<SpikingEngine>;

// One unit, no synapses: only its own exact dynamics between (ineffective) spikes.
const char* const kLoneUnit = R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}
engine: {kind: spiking}
populations: {u: {role: hidden, size: 1, bias: 0.2, initial: 2.0}}
protocol: {phases: [{duration: 100 ms}]}
)";

}  // namespace

TEST_CASE("a lone unit follows the closed form in every region, including out of saturation") {
  // s0 = 2 > beta2 = 0.5: saturated, decays as 2 e^{-t/tau} (section 2.3.1) until it reaches beta2
  // at t* = tau ln 4; then inside it relaxes toward b = 0.2: s = 0.2 + 0.3 e^{-(t - t*)/tau}.
  Setup s(kLoneUnit);
  const double tau = 10.0, t_star = tau * std::log(4.0);
  for (double t = 0.5; t <= 100.0; t += 0.5) {
    s.engine.advance_to(t);
    const double expected = t < t_star ? 2.0 * std::exp(-t / tau) : 0.2 + 0.3 * std::exp(-(t - t_star) / tau);
    CHECK(s.state(0) == doctest::Approx(expected).epsilon(1e-12));
  }
  // Below beta1: s0 = -2 decays toward 0 and enters at beta1 at t* = tau ln 4 as well.
  Setup below(kLoneUnit, {"populations.u.initial=-2.0"});
  for (double t = 1.0; t <= 60.0; t += 1.0) {
    below.engine.advance_to(t);
    const double expected = t < t_star ? -2.0 * std::exp(-t / tau) : 0.2 - 0.7 * std::exp(-(t - t_star) / tau);
    CHECK(below.state(0) == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("sliding modes: a drive beyond beta2 (beta1) pins the state at the boundary, rate r_max (0)") {
  // b = 3 > beta2: from s0 = 0 the state reaches beta2 at tau ln(3 / 2.5), then stays exactly there.
  Setup high(kLoneUnit, {"populations.u.bias=3.0", "populations.u.initial=0.0", "record.spikes.populations=[u]"});
  high.engine.advance_to(10.0);
  for (double t = 10.0; t <= 1000.0; t += 7.3) {
    high.engine.advance_to(t);
    CHECK(std::abs(high.state(0) - 0.5) <= 1e-12);
  }
  CHECK(high.engine.boundary_counts()[0].held_high == 1);
  // rho = 1 while held: the unit fires at r_max = 100 Hz; ~99 spikes in 990 ms (Poisson sd ~ 10).
  std::vector<Spike> spikes;
  high.engine.take_spikes(spikes);
  const auto late = std::count_if(spikes.begin(), spikes.end(), [](const Spike& sp) { return sp.time > 10.0; });
  CHECK(std::abs(double(late) - 99.0) < 5 * std::sqrt(99.0));

  Setup low(kLoneUnit, {"populations.u.bias=-3.0", "populations.u.initial=0.0", "record.spikes.populations=[u]"});
  low.engine.advance_to(10.0);
  std::vector<Spike> ignored;
  low.engine.take_spikes(ignored);
  for (double t = 10.0; t <= 1000.0; t += 7.3) {
    low.engine.advance_to(t);
    CHECK(std::abs(low.state(0) + 0.5) <= 1e-12);
  }
  CHECK(low.engine.boundary_counts()[0].held_low == 1);
  low.engine.take_spikes(spikes);
  CHECK(spikes.empty());  // rho = 0 exactly
}

TEST_CASE("thinning at a constant state: Poisson counts with mean r_max rho(x) and Fano factor 1") {
  // 2000 clamped units at x = -0.2 (rho = 0.3), r_max = 1 kHz, 1 s: counts ~ Poisson(300).
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 1 kHz}
engine: {kind: spiking}
populations: {x: {role: input, size: 2000}}
protocol: {phases: [{duration: 1 s, clamp: {x: -0.2}}]}
record: {spikes: {populations: [x]}}
)");
  s.engine.advance_to(1000.0);
  std::vector<Spike> spikes;
  s.engine.take_spikes(spikes);
  std::vector<double> counts(2000, 0.0);
  for (const Spike& sp : spikes) counts[sp.unit] += 1.0;
  const double n = 2000.0;
  const double mean = std::accumulate(counts.begin(), counts.end(), 0.0) / n;
  double var = 0.0;
  for (double c : counts) var += (c - mean) * (c - mean);
  var /= n - 1.0;
  // Mean of 2000 Poisson(300): standard error sqrt(300 / 2000) = 0.39; allow 5 standard errors.
  CHECK(std::abs(mean - 300.0) < 5 * 0.39);
  // Fano factor: the sample variance of n Poisson counts has relative sd ~ sqrt(2 / n) = 0.032;
  // allow 5 sd.
  CHECK(std::abs(var / mean - 1.0) < 5 * 0.032);
  CHECK(std::is_sorted(spikes.begin(), spikes.end(), [](const Spike& a, const Spike& b) { return a.time < b.time; }));
}

TEST_CASE("thinning on a decaying state: time-rescaled intervals are Exp(1) (Kolmogorov-Smirnov)") {
  // b = beta1 = -0.5 and s0 = 0.5: s(t) = -0.5 + e^{-t/tau} stays inside, rho(s(t)) = e^{-t/tau},
  // so the intensity is r_max e^{-t/tau} and Lambda(t) = r_max tau (1 - e^{-t/tau}). Rescaled
  // intervals Lambda(t_k) - Lambda(t_{k-1}) of an exact inhomogeneous Poisson process are Exp(1).
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 2 kHz}
engine: {kind: spiking}
populations: {u: {role: hidden, size: 400, bias: -0.5, initial: 0.5}}
protocol: {phases: [{duration: 200 ms}]}
record: {spikes: {populations: [u]}}
)");
  s.engine.advance_to(200.0);
  std::vector<Spike> spikes;
  s.engine.take_spikes(spikes);
  const double r_tau = 2.0 * 10.0;  // r_max in 1/ms times tau in ms
  std::vector<double> last(400, 0.0), rescaled;
  for (const Spike& sp : spikes) {
    const double lambda = r_tau * (1.0 - std::exp(-sp.time / 10.0));
    rescaled.push_back(lambda - last[sp.unit]);
    last[sp.unit] = lambda;
  }
  // Expected count: 400 * Lambda(200 ms) ~ 400 * 20 = 8000.
  REQUIRE(rescaled.size() > 7000);
  std::sort(rescaled.begin(), rescaled.end());
  double d = 0.0;
  const double n = double(rescaled.size());
  for (std::size_t k = 0; k < rescaled.size(); ++k) {
    const double cdf = 1.0 - std::exp(-rescaled[k]);
    d = std::max({d, std::abs(cdf - k / n), std::abs(cdf - (k + 1) / n)});
  }
  // KS critical value at alpha = 0.001: 1.95 / sqrt(n) (the last interval per unit is censored at
  // 200 ms, where Lambda has saturated to within e^-20, so it does not bias the sample).
  CHECK(d < 1.95 / std::sqrt(n));
}

TEST_CASE("events at equal times pop in key order, whatever order they were pushed in") {
  std::vector<Event> events;
  for (std::uint32_t unit : {3u, 1u, 2u})
    for (std::uint16_t proj : {2, 0, 1})
      for (std::uint8_t kind : {Event::candidate, Event::delivery}) {
        Event e;
        e.time = 5.0;
        e.unit = unit;
        e.projection = proj;
        e.flags = Event::pack(Event::Kind(kind), 0);
        events.push_back(e);
      }
  std::vector<std::vector<Event>> popped(2);
  std::mt19937 gen(1);
  for (auto& out : popped) {
    std::shuffle(events.begin(), events.end(), gen);
    EventQueue q;
    for (const Event& e : events) q.push(e);
    while (!q.empty()) out.push_back(q.top()), q.pop();
  }
  for (std::size_t k = 0; k < events.size(); ++k) {
    CHECK(popped[0][k].key() == popped[1][k].key());
    if (k > 0) CHECK(popped[0][k - 1].key() < popped[0][k].key());
  }
  CHECK(popped[0].front().kind() == Event::delivery);  // deliveries first at equal times
}

TEST_CASE("the queue's delivery lanes give the heap's order, whatever is pushed into them") {
  // Pushes and pops interleaved as an engine makes them: deliveries one of three fixed delays after
  // "spikes" that come in time order (mostly in lane order, as a lane expects), plus events pushed
  // out of order (a partition's inbox, delay groups, STDP windows) into lanes and the heap alike,
  // on a coarse time grid so that equal times are common. Every pop must be what a plain heap fed
  // the same events pops, and the lanes must have taken most deliveries (else they test nothing).
  EventQueue q;
  EventHeap reference;
  std::mt19937 gen(9);
  std::uniform_int_distribution<int> pick(0, 99), unit(0, 40), tick(0, 3);
  const double delay[3] = {1.0, 1.0, 2.5};  // projections 0 and 1 share lane 0
  const std::uint8_t lane_of[3] = {0, 0, 1};
  double now = 0.0;
  std::size_t popped = 0, deliveries = 0;
  for (int step = 0; step < 20000; ++step) {
    const int r = pick(gen);
    if (r < 45) {
      Event e;
      e.projection = std::uint16_t(pick(gen) % 3);
      e.unit = std::uint32_t(unit(gen));
      e.flags = Event::pack(Event::delivery, std::uint8_t(pick(gen) % 2));
      now += 0.01 * tick(gen);  // spikes come in time order, equal times common
      e.time = now + delay[e.projection];
      const bool stray = r < 5;  // before what the lane holds, or any kind: the heap must take it
      if (stray) {
        e.time = now + 0.25 * tick(gen);
        e.flags = Event::pack(Event::Kind(pick(gen) % 4), e.direction());
      }
      ++deliveries;
      q.push(e, lane_of[e.projection]);
      reference.push(e);
    } else if (r < 50) {
      Event e;
      e.time = now + 0.25 * tick(gen);
      e.unit = std::uint32_t(unit(gen));
      e.flags = Event::pack(Event::stdp_close, 0);
      q.push(e, pick(gen) % 2 ? EventQueue::kClosingLane : EventQueue::kNoLane);  // a lane, or the heap
      reference.push(e);
    } else if (!reference.empty()) {
      REQUIRE_FALSE(q.empty());
      const Event a = q.top(), b = reference.top();
      CHECK(a.key() == b.key());
      CHECK(a.projection == b.projection);
      CHECK(a.direction() == b.direction());
      q.pop(), reference.pop();
      now = std::max(now, b.time);
      ++popped;
    }
    if (r >= 50 && r < 52) now += 0.25 * tick(gen);  // time moves on between spikes
  }
  while (!reference.empty()) {
    REQUIRE_FALSE(q.empty());
    CHECK(q.top().key() == reference.top().key());
    q.pop(), reference.pop();
  }
  CHECK(q.empty());
  CHECK(popped > 5000);
  CHECK(deliveries > 5000);
  CHECK(q.lane_pushes() > deliveries / 2);
}

TEST_CASE("the candidate tree gives the earliest candidate, ties by unit, as the queue would") {
  // 37 units (not a power of 2: padding leaves) numbered from 1000 (a partition's own units), times
  // drawn on a coarse grid so that ties are common; after every update the root is the candidate
  // the key order puts first, checked against the whole set, and merging it with a heap by
  // EventLater keeps the queue's order.
  CandidateTree tree;
  const std::uint32_t n = 37, first = 1000;
  tree.reset(first, first + n);
  std::vector<double> time(n);
  std::mt19937 gen(4);
  std::uniform_int_distribution<int> tick(0, 20);
  for (std::uint32_t j = 0; j < n; ++j) tree.set(first + j, time[j] = 0.5 * tick(gen));
  std::uniform_int_distribution<std::uint32_t> unit(0, n - 1);
  for (int step = 0; step < 2000; ++step) {
    std::uint32_t best = 0;
    for (std::uint32_t j = 1; j < n; ++j)
      if (time[j] < time[best]) best = j;  // strict: the first of equal times, the smallest unit
    REQUIRE(tree.top_unit() == first + best);
    REQUIRE(tree.top_time() == time[best]);
    CHECK(tree.top().key() == std::make_tuple(time[best], tree.top().tie_key()));
    CHECK(tree.top().kind() == Event::candidate);
    const std::uint32_t j = step % 3 ? best : unit(gen);  // mostly the winner moves on, as in the engine
    tree.set(first + j, time[j] += 0.5 * tick(gen));
  }
  // Against one queue holding everything: a delivery and a candidate at the same time, and a later one.
  Event d;
  d.time = tree.top_time();
  d.unit = first + n + 5;
  d.flags = Event::pack(Event::delivery, 0);
  CHECK_FALSE(EventLater()(d, tree.top()));  // the delivery comes first at equal times
  d.time += 1e-9;
  CHECK(EventLater()(d, tree.top()));
}

namespace {
// Three projections with the same delay from x to h: every spike of x arrives three times at the
// same instant at the same targets, and h's kicks near beta2 depend on the order.
const char* const kCoincident = R"(
seed: 3
model: {beta1: -0.5, tau: 10 ms, r_max: 500 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 20}
  h: {role: hidden, size: 20, bias: 0.45}
projections:
  - {name: a, from: x, to: h, weights: {normal: [0.5, 0.5]}, delay: 1 ms}
  - {name: b, from: x, to: h, weights: {normal: [0.5, 0.5]}, delay: 1 ms}
  - {name: c, from: x, to: h, weights: {normal: [-0.5, 0.5]}, delay: 1 ms, symmetric: true}
protocol: {phases: [{duration: 200 ms, clamp: {x: 0.3}}]}
record: {spikes: {populations: all}}
)";
std::vector<Spike> run_spikes(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  Setup s(yaml, overrides);
  s.engine.advance_to(200.0);
  std::vector<Spike> spikes;
  s.engine.take_spikes(spikes);
  return spikes;
}
bool same(const std::vector<Spike>& a, const std::vector<Spike>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const Spike& x, const Spike& y) {
           return std::memcmp(&x.time, &y.time, sizeof(double)) == 0 && x.unit == y.unit;
         });
}
}  // namespace

TEST_CASE("same seed, same spikes bit for bit, also when many events coincide; another seed differs") {
  const auto a = run_spikes(kCoincident), b = run_spikes(kCoincident), c = run_spikes(kCoincident, {"seed=4"});
  REQUIRE(a.size() > 1000);
  CHECK(same(a, b));
  CHECK_FALSE(same(a, c));
}

TEST_CASE("mean field: window-averaged spiking states approach the continuous fixed point like r_max^-1/2") {
  // A layered network with x clamped. Error measure: RMSE over hidden/output units and over ten
  // 50 ms windows between the spiking state averaged over a window and the continuous engine's
  // fixed point. Single-window averages are dominated by the spiking noise, whose sd scales like
  // (r_max tau)^-1/2; the 1/(r_max tau) bias of the nonlinearity is smaller here.
  const char* net = R"(
seed: 8
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 0.1 ms}
populations:
  x: {role: input, size: 10}
  h: {role: hidden, size: 20, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 10}
projections:
  - {from: x, to: h, weights: {glorot: 0.5}, symmetric: true}
  - {from: h, to: y, weights: {glorot: 0.5}, symmetric: true}
protocol: {phases: [{duration: 600 ms, clamp: {x: {uniform: [-0.4, 0.4]}}}]}
)";
  const Config ccfg = test::config_from(net);
  const Network cnet = build_network(ccfg);
  const auto cdrives = resolve_phases(ccfg, cnet);
  ContinuousEngine theory(lower_engine_params(ccfg), cnet);
  theory.set_phase(cdrives[0]);
  REQUIRE(theory.advance_until_settled(600.0, 1e-9));  // errors measured are ~1e-2
  const std::vector<double> fixed(theory.state().begin(), theory.state().end());

  std::vector<double> log_r, log_err;
  for (double r_max : {400.0, 1600.0, 6400.0}) {
    Setup s(net, {"engine.kind=spiking", "model.r_max=" + std::to_string(r_max) + " Hz"});
    std::vector<double> now(s.net.n_units);
    double sq = 0.0;
    int n = 0;
    for (int w = 0; w < 10; ++w) {  // windows [100 + 50w, 150 + 50w) ms, after 10 tau of settling
      std::vector<double> sum(s.net.n_units, 0.0);
      int samples = 0;
      for (double t = 100.0 + 50.0 * w; t < 150.0 + 50.0 * w; t += 0.25, ++samples) {
        s.engine.advance_to(t);
        s.engine.sample_states(now);
        for (std::uint32_t i = 0; i < s.net.n_units; ++i) sum[i] += now[i];
      }
      for (std::uint32_t i = 10; i < s.net.n_units; ++i, ++n) sq += std::pow(sum[i] / samples - fixed[i], 2);
    }
    const double rmse = std::sqrt(sq / n);
    MESSAGE("r_max " << r_max << " Hz: RMSE " << rmse);
    log_r.push_back(std::log(r_max));
    log_err.push_back(std::log(rmse));
  }
  CHECK(log_err[2] < log_err[1]);
  CHECK(log_err[1] < log_err[0]);
  const double slope = (log_err[2] - log_err[0]) / (log_r[2] - log_r[0]);
  MESSAGE("fitted slope " << slope);
  // Each RMSE pools 300 window errors (30 units x 10 windows, nearly independent: windows are 5 tau
  // long), so its relative sd is ~ 1/sqrt(2 * 300) = 0.04, and the slope over ln 16 = 2.77 has sd
  // ~ sqrt(2) * 0.04 / 2.77 = 0.02. Allow 0.1: 5 sd, which also leaves room for the bias term.
  CHECK(std::abs(slope + 0.5) < 0.1);
}

TEST_CASE("window integrals are exact: a lone unit's integral of s matches the closed form") {
  // s(t) = 2 e^{-t/tau} until t* = tau ln 4, then 0.2 + 0.3 e^{-(t - t*)/tau} (see above), so
  // int_0^T s = 2 tau (1 - e^{-t*/tau}) + 0.2 (T - t*) + 0.3 tau (1 - e^{-(T - t*)/tau}).
  Setup s(kLoneUnit);
  s.engine.enable_integrals();
  s.engine.reset(0);
  s.engine.set_phase(s.drives[0]);
  const double tau = 10.0, t_star = tau * std::log(4.0);
  for (double T : {5.0, 13.86, 40.0, 100.0}) {
    s.engine.advance_to(T);
    std::vector<double> integral(1), counts(1);
    s.engine.integrals(integral, counts);
    const double expected = T < t_star ? 2.0 * tau * (1.0 - std::exp(-T / tau))
                                       : 2.0 * tau * (1.0 - std::exp(-t_star / tau)) + 0.2 * (T - t_star) +
                                             0.3 * tau * (1.0 - std::exp(-(T - t_star) / tau));
    CHECK(integral[0] == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("window integrals stay exact under kicks: two units, integral from samples agrees") {
  // With synapses, compare the engine's exact integral with a fine Riemann sum of exact samples:
  // the sum's error is bounded by (jumps + curvature) * step, ~1e-3 of the integral here.
  Setup s(kCoincident);
  s.engine.enable_integrals();
  s.engine.reset(0);
  s.engine.set_phase(s.drives[0]);
  std::vector<double> sum(s.net.n_units, 0.0), now(s.net.n_units);
  const double step = 0.001;
  for (double t = 0.0; t < 50.0 - 1e-12; t += step) {
    s.engine.advance_to(t);
    s.engine.sample_states(now);
    for (std::uint32_t i = 0; i < s.net.n_units; ++i) sum[i] += now[i] * step;
  }
  s.engine.advance_to(50.0);
  std::vector<double> integral(s.net.n_units), counts(s.net.n_units);
  s.engine.integrals(integral, counts);
  for (std::uint32_t i = 20; i < s.net.n_units; ++i) CHECK(integral[i] == doctest::Approx(sum[i]).epsilon(2e-3));
  for (std::uint32_t i = 0; i < 20; ++i) CHECK(integral[i] == doctest::Approx(0.3 * 50.0));  // clamped at x
}

TEST_CASE("per-synapse delays: each synapse delivers after its own delay, grouped contiguously") {
  // x (one clamped unit, rho = 1) drives 40 units of h through constant weights with delays
  // uniform in [1, 3] ms (0.1 ms steps). h has b = 0 and starts at 0, so its exact state is
  // h_i(t) = sum over x's spikes t_k with t_k + d_i <= t of w/(r_max tau) e^{-(t - t_k - d_i)/tau}.
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 200 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 40}
projections: [{from: x, to: h, weights: 0.05, delay: {uniform: [1 ms, 3 ms]}}]
protocol: {phases: [{duration: 60 ms, clamp: {x: 0.5}}]}
record: {spikes: {populations: [x]}}
)");
  const Projection& p = s.net.projections[0];
  REQUIRE(p.delay_step.size() == 40);
  std::vector<double> delay(40);
  std::set<int> steps;
  for (std::uint64_t k = 0; k < 40; ++k) {
    CHECK(p.delay_step[k] <= 20);
    if (k > 0) CHECK(p.delay_step[k - 1] <= p.delay_step[k]);  // sorted by delay within the row
    delay[p.tgt_index[k]] = 1.0 + 0.1 * p.delay_step[k];
    steps.insert(p.delay_step[k]);
  }
  CHECK(steps.size() > 10);                   // many distinct delays drawn
  CHECK(p.group_ptr.back() == steps.size());  // one group per distinct delay
  CHECK(s.net.weight_table(0).delays_ms.size() == 40);
  std::vector<double> state(s.net.n_units);
  std::vector<Spike> x_spikes, more;
  // w / (r_max tau) with r_max = 0.2 per ms; weights are stored as float (models/coupling.hpp).
  const double kick = double(0.05f) / (0.2 * 10.0);
  for (double t = 0.25; t <= 60.0; t += 0.25) {
    s.engine.advance_to(t);
    s.engine.take_spikes(more);
    x_spikes.insert(x_spikes.end(), more.begin(), more.end());
    s.engine.sample_states(state);
    for (std::uint32_t i = 0; i < 40; ++i) {
      double expected = 0.0;
      for (const Spike& sp : x_spikes)
        if (sp.time + delay[i] <= t) expected += kick * std::exp(-(t - sp.time - delay[i]) / 10.0);
      CHECK(state[1 + i] == doctest::Approx(expected).epsilon(1e-9));
    }
  }
  CHECK(x_spikes.size() > 5);
}

TEST_CASE("the engine's shared-frame pieces agree with the reference trajectory of models/unit_dynamics") {
  // Two independent exact solutions of tau ds/dt = rho'(s) A + C - s: the engine's (offsets in a
  // shared exponential frame, crossings by g_c = (b - T)/u) and models::advance (piecewise closed
  // forms with log1p crossing times). Random starts, biases and nudges cover every region,
  // crossing and sliding mode; agreement to 1e-9 over 200 ms.
  std::mt19937 gen(42);
  std::uniform_real_distribution<double> s0(-2.5, 2.5), bias(-2.0, 2.0), target(-1.5, 1.5), beta(0.0, 1.0);
  for (int trial = 0; trial < 60; ++trial) {
    const double b = bias(gen), y = target(gen), be = trial % 2 ? beta(gen) : 0.0, init = s0(gen);
    std::ostringstream yaml;
    yaml << std::setprecision(17) << "model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz}\nengine: {kind: spiking}\n"
         << "populations: {u: {role: output, size: 1, bias: " << b << ", initial: " << init << "}}\n"
         << "protocol: {phases: [{duration: 200 ms";
    if (be > 0) yaml << ", nudge: {u: {target: " << y << ", beta: " << be << "}}";
    yaml << "}]}\n";
    Setup s(yaml.str());
    const models::UnitDrive exact = be > 0 ? models::nudged_unit_drive(b, be, y) : models::free_unit_drive(b);
    for (double t = 3.7; t <= 200.0; t += 3.7) {
      s.engine.advance_to(t);
      CAPTURE(trial);
      CAPTURE(t);
      CHECK(std::abs(s.state(0) - models::advance(init, t, exact, {10.0, -0.5})) < 1e-9);
    }
  }
}

TEST_CASE("a long stretch without events leaves the state finite (the shared frame moves at every advance)") {
  // tau = 1 ms and r_max = 0.05 Hz: seconds pass without any event; g(t) would underflow after
  // ~745 tau if the frame only moved at events.
  Setup s(R"(
model: {beta1: -0.5, tau: 1 ms, r_max: 0.05 Hz}
engine: {kind: spiking}
populations: {u: {role: hidden, size: 1, bias: 0.2, initial: 0.4}}
protocol: {phases: [{name: a, duration: 2 s}, {name: b, duration: 2 s}]}
)");
  s.engine.advance_to(2000.0);
  s.engine.set_phase(s.drives[1]);
  s.engine.advance_to(4000.0);
  CHECK(std::isfinite(s.state(0)));
  CHECK(s.state(0) == doctest::Approx(0.2).epsilon(1e-12));
}

TEST_CASE("a fixed delay delivers after exactly d, and a nudged output's kick is scaled by (1 - beta)") {
  // x (one clamped unit, rho = 1) drives h (free, b = 0) with delay 1.3 ms and y (nudged with
  // beta = 0.25 toward y* = 0) with delay 0.7 ms. Both relax toward 0 between kicks (h: A = b = 0;
  // y: A + C = (1 - beta) b + beta y* = 0), so the exact states are sums over x's spikes t_k:
  //   h(t) = sum_{t_k + 1.3 <= t} k e^{-(t - t_k - 1.3)/tau},
  //   y(t) = sum_{t_k + 0.7 <= t} (1 - beta) k e^{-(t - t_k - 0.7)/tau},   k = w / (r_max tau).
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 200 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 3}
  y: {role: output, size: 3}
projections:
  - {from: x, to: h, weights: 0.05, delay: 1.3 ms}
  - {from: x, to: y, weights: 0.05, delay: 0.7 ms}
protocol: {phases: [{duration: 60 ms, clamp: {x: 0.5}, nudge: {y: {target: 0.0, beta: 0.25}}}]}
record: {spikes: {populations: [x]}}
)");
  const double kick = double(0.05f) / (0.2 * 10.0), beta = 0.25;
  std::vector<double> state(s.net.n_units);
  std::vector<Spike> x_spikes, more;
  for (double t = 0.05; t <= 60.0; t += 0.05) {
    s.engine.advance_to(t);
    s.engine.take_spikes(more);
    x_spikes.insert(x_spikes.end(), more.begin(), more.end());
    s.engine.sample_states(state);
    double h = 0.0, y = 0.0;
    for (const Spike& sp : x_spikes) {
      if (sp.time + 1.3 <= t) h += kick * std::exp(-(t - sp.time - 1.3) / 10.0);
      if (sp.time + 0.7 <= t) y += (1.0 - beta) * kick * std::exp(-(t - sp.time - 0.7) / 10.0);
    }
    CAPTURE(t);
    for (std::uint32_t i = 1; i <= 3; ++i) CHECK(state[i] == doctest::Approx(h).epsilon(1e-9));
    for (std::uint32_t i = 4; i <= 6; ++i) CHECK(state[i] == doctest::Approx(y).epsilon(1e-9));
  }
  CHECK(x_spikes.size() > 5);  // 200 Hz for 60 ms: 12 expected
}

TEST_CASE("rho' = 1 on the closed interval: a unit held on a boundary feels a kick and slides back after it") {
  // h0 is held at beta2 = 0.5 by b = 3, h1 at beta1 = -0.5 by b = -3. A forced spike of x at 5 ms
  // kicks them by -0.5 and +0.5 (k = w / (r_max tau) with r_max tau = 1) at 6 ms: both land at 0,
  // inside, and relax toward b: s(t) = b - b e^{-(t - 6)/tau}, back on their boundary at
  // t_c = 6 + tau ln(3 / 2.5), where they are held again. With rho' = 0 on the boundary the kick
  // would be lost.
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 2, bias: [3.0, -3.0], initial: [0.5, -0.5]}
projections: [{from: x, to: h, connectivity: {explicit: [[0, 0, -0.5], [0, 1, 0.5]]}, delay: 1 ms}]
protocol: {phases: [{duration: 50 ms, clamp: {x: -0.5}}]}
)");
  s.engine.advance_to(4.0);
  CHECK(s.state(1) == 0.5);
  CHECK(s.state(2) == -0.5);
  CHECK(s.engine.boundary_counts()[1].held_high == 1);
  CHECK(s.engine.boundary_counts()[1].held_low == 1);
  s.engine.force_spike(0, 5.0);
  const double t_c = 6.0 + 10.0 * std::log(3.0 / 2.5);
  for (double t : {6.0, 6.5, 7.0, 7.5, 7.8}) {
    s.engine.advance_to(t);
    CAPTURE(t);
    CHECK(s.state(1) == doctest::Approx(3.0 - 3.0 * std::exp(-(t - 6.0) / 10.0)).epsilon(1e-12));
    CHECK(s.state(2) == doctest::Approx(-3.0 + 3.0 * std::exp(-(t - 6.0) / 10.0)).epsilon(1e-12));
  }
  CHECK(t_c < 7.9);
  s.engine.advance_to(20.0);
  CHECK(s.state(1) == 0.5);
  CHECK(s.state(2) == -0.5);
  CHECK(s.engine.boundary_counts()[1].held_high == 1);
}

TEST_CASE("a kick on a unit heading for a boundary: across it, the unit relaxes back; inside, it goes on to it") {
  // h0, h1, h2 start at 0 with b = 1, -1, 1: inside, heading for beta2 = 0.5 (beta1 = -0.5), which
  // they would reach at 10 ln 2 = 6.9 ms (kick_slow's shortcut handles such pieces). A forced spike
  // of x at 1 ms kicks them at 2 ms by +0.5, -0.5 and +0.125 (k = w / (r_max tau), r_max tau = 1):
  //  - h0 lands at s0 = 1 - e^{-0.2} + 0.5 = 0.68 > beta2: saturated, it relaxes toward C = 0,
  //    s = s0 e^{-(t - 2)/tau}, back on beta2 at 2 + tau ln(s0 / 0.5) = 5.1 ms, then held there;
  //  - h1 mirrors it below beta1;
  //  - h2 lands at 0.31, still inside: s = 1 + (s2 - 1) e^{-(t - 2)/tau}, on beta2 at 5.3 ms, held.
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 3, bias: [1.0, -1.0, 1.0], initial: [0.0, 0.0, 0.0]}
projections: [{from: x, to: h, connectivity: {explicit: [[0, 0, 0.5], [0, 1, -0.5], [0, 2, 0.125]]}, delay: 1 ms}]
protocol: {phases: [{duration: 50 ms, clamp: {x: -0.5}}]}
)");
  s.engine.force_spike(0, 1.0);
  const double at_kick = 1.0 - std::exp(-0.2), s0 = at_kick + 0.5, s2 = at_kick + 0.125;
  for (double t : {2.5, 3.0, 4.0, 5.0}) {
    s.engine.advance_to(t);
    const double decay = std::exp(-(t - 2.0) / 10.0);
    CAPTURE(t);
    CHECK(s.state(1) == doctest::Approx(s0 * decay).epsilon(1e-12));
    CHECK(s.state(2) == doctest::Approx(-s0 * decay).epsilon(1e-12));
    CHECK(s.state(3) == doctest::Approx(1.0 + (s2 - 1.0) * decay).epsilon(1e-12));
  }
  CHECK(2.0 + 10.0 * std::log(s0 / 0.5) < 5.2);  // h0, h1 back on their boundary by 5.2 ms
  CHECK(2.0 + 10.0 * std::log((1.0 - s2) / 0.5) < 5.4);
  s.engine.advance_to(8.0);
  CHECK(s.state(1) == 0.5);
  CHECK(s.state(2) == -0.5);
  CHECK(s.state(3) == 0.5);
  CHECK(s.engine.boundary_counts()[1].held_high == 2);
  CHECK(s.engine.boundary_counts()[1].held_low == 1);
}

TEST_CASE("a delivery skips the kicks of a wholly clamped population, and only then, counting them still") {
  // x (1 unit) reaches h (3 units) and c (2 units) through explicit weights. c is clamped, and so
  // is unit 0 of h alone (a drive set by hand; configs clamp whole populations). One spike of x:
  // the two free units of h move by their kick, h's clamped unit and c do not, and all five
  // synapses count as synaptic events, the skipped ones too.
  const std::string yaml = R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 100 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 3, bias: 0, initial: 0}
  c: {role: input, size: 2}
projections:
  - {from: x, to: h, connectivity: {explicit: [[0, 0, 0.5], [0, 1, 0.5], [0, 2, -0.5]]}, delay: 1 ms}
  - {from: x, to: c, connectivity: {explicit: [[0, 0, 0.5], [0, 1, 0.5]]}, delay: 1 ms}
protocol: {phases: [{duration: 50 ms, clamp: {x: -0.5, c: 0.25}}]}
)";
  auto run = [&](bool spike) {
    Setup s(yaml);
    s.drives[0].clamped[1] = 1, s.drives[0].clamp_value[1] = 0.1;  // h's unit 0
    s.engine.set_phase(s.drives[0]);
    const std::uint64_t before = s.engine.synaptic_events();
    if (spike) s.engine.force_spike(0, 5.0);
    s.engine.advance_to(6.5);
    std::vector<double> states(s.net.n_units);
    s.engine.sample_states(states);
    return std::make_pair(states, s.engine.synaptic_events() - before);
  };
  const auto [with, events_with] = run(true);
  const auto [without, events_without] = run(false);
  CHECK(events_with == events_without + 5);
  CHECK(with[1] == 0.1);
  CHECK(without[1] == 0.1);
  CHECK(with[2] > without[2] + 1e-4);  // the positive kick, decayed for 0.5 ms
  CHECK(with[3] < without[3] - 1e-4);
  CHECK(with[4] == 0.25);
  CHECK(with[5] == 0.25);
}

TEST_CASE("spike streams are keyed by unit: a unit's spikes do not depend on how many other units exist") {
  // Unit i draws its candidates and acceptances from the stream of (seed, spikes, trial, i). A
  // population appended after x leaves x's indices, streams and spikes unchanged bit for bit; one
  // stream consumed in processing order would not.
  const std::string base = R"(
seed: 6
model: {beta1: -0.5, tau: 10 ms, r_max: 500 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 5}
)";
  const std::string rest = R"(
protocol: {phases: [{duration: 200 ms, clamp: {x: 0.0}}]}
record: {spikes: {populations: [x]}}
)";
  const auto alone = run_spikes(base + rest);
  const auto crowded = run_spikes(base + "  z: {role: hidden, size: 20, bias: 0.2, initial: 0.3}\n" + rest);
  REQUIRE(alone.size() > 200);  // 5 units x 250 Hz x 0.2 s = 250 expected
  CHECK(same(alone, crowded));
}

TEST_CASE("advance_to returns within milliseconds of the stop flag, even at r_max = 1e9 Hz") {
  // 9 units firing at up to 1e9 Hz: 1 s of simulated time is ~1e13 events, hours of work. The
  // engine knows no signals; it reads the flag every 4096 events.
  Setup s(R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 1e9 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 6}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol: {phases: [{duration: 1000 ms, clamp: {x: 0.2}}]}
)");
  std::atomic<bool> stop{false};
  s.engine.set_stop_flag(&stop);
  std::chrono::steady_clock::time_point stopped_at;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stopped_at = std::chrono::steady_clock::now();
    stop = true;
  });
  s.engine.advance_to(1000.0);
  const auto returned_at = std::chrono::steady_clock::now();
  stopper.join();
  CHECK(std::chrono::duration<double>(returned_at - stopped_at).count() < 0.1);
  CHECK(s.engine.now() < 1000.0);
  CHECK(s.engine.spike_count() > 0);  // it did run until then
}

TEST_CASE("with the stop flag never set, results do not change") {
  Setup a(kLoneUnit), b(kLoneUnit);
  std::atomic<bool> stop{false};
  b.engine.set_stop_flag(&stop);
  a.engine.advance_to(100.0);
  b.engine.advance_to(100.0);
  CHECK(a.engine.spike_count() == b.engine.spike_count());
  CHECK(a.state(0) == b.state(0));
  CHECK(b.engine.now() == 100.0);
}
