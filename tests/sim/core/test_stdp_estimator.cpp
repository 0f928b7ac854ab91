// The spiking engine's STDP events (sim/core/stdp_estimator.cpp) against the continuous engine's
// Eq. 26, regime by regime: a postsynaptic unit inside the linear range, held on beta1 or beta2 by
// a drive beyond it, crossing a boundary, returning from outside. In every regime the trial mean of
// the spiking weight change must equal the continuous one within its statistical error.
//
// Tolerances: each spiking figure is the mean of the relative weight change over n = 10
// independent runs (seeds 1..10; plastic weights persist across a run's trials, so independent
// runs, not trials, are the replicates). |spiking - continuous| <= t * SE + lead, with SE the
// standard error of that mean and t = 4.78, Student's 0.9995 quantile for 9 degrees of freedom:
// a two-sided 0.1 % test, so the five regimes together fail by chance less than 0.5 % of the time.
// `lead` bounds the estimator's documented bias: it measures ds/dt over [t + d, t + d + T] after a
// presynaptic spike at t, so a transient that starts with the presynaptic activity loses about
// (d + T/2) / tau of its change; the regimes below avoid that, except `returning`, where it is
// stated. The old estimator (own kick corrected only inside the linear range) fails the held
// regimes by more than 100 standard errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/plasticity.hpp"
#include "sim/core/stdp_estimator.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/run/run.hpp"
#include "tests/support.hpp"

using namespace ebsim;

namespace {

constexpr int kRuns = 10;
constexpr double kT = 4.78;  // Student t, 0.9995 quantile, 9 degrees of freedom

// 20 clamped inputs (rates r_max rho(0) = 500 Hz) onto 10 hidden units through plastic,
// directed synapses; z is a second, non-plastic input that can step the hidden units' drive.
const char* const kNet = R"(
seed: 1
model: {beta1: -0.5, tau: 10 ms, r_max: 1000 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 20}
  z: {role: input, size: 20}
  h: {role: hidden, size: 10, bias: 0, initial: 0}
projections:
  - {from: x, to: h, weights: {uniform: [0.02, 0.06]}, delay: 1 ms, plasticity: {lr: 0.001, window: 10 ms, symmetric: false}}
  - {from: z, to: h, weights: 0.15, delay: 1 ms}
protocol:
  phases:
    - {name: first, duration: 100 ms, clamp: {x: 0.0, z: -0.5}}
    - {name: second, duration: 600 ms}
record:
  spikes: {populations: []}
  states: {populations: []}
)";

// The relative change of the plastic weights, averaged over synapses, for one run.
double relative_dw(const std::vector<std::string>& overrides, const char* net = kNet) {
  const Config cfg = test::config_from(net, overrides);
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  const RunResult r = run_experiment(cfg, sink, RunOptions{});
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  const auto& w0 = sink.weights.at("initial").at("x->h").weight;
  const auto& w1 = sink.weights.at("final").at("x->h").weight;
  double sum = 0.0;
  for (std::size_t k = 0; k < w0.size(); ++k) sum += (w1[k] - w0[k]) / w0[k];
  return sum / double(w0.size());
}

struct Estimate {
  double mean, se;
};

Estimate spiking(std::vector<std::string> overrides, const char* net = kNet, int first_seed = 1) {
  double sum = 0.0, sum2 = 0.0;
  for (int seed = first_seed; seed < first_seed + kRuns; ++seed) {
    overrides.push_back("seed=" + std::to_string(seed));
    const double v = relative_dw(overrides, net);
    overrides.pop_back();
    sum += v;
    sum2 += v * v;
  }
  const double mean = sum / kRuns, var = (sum2 - kRuns * mean * mean) / (kRuns - 1);
  return {mean, std::sqrt(std::max(var, 0.0) / kRuns)};
}

double continuous(std::vector<std::string> overrides) {
  overrides.push_back("engine.kind=continuous");
  overrides.push_back("engine.dt=0.01ms");
  return relative_dw(overrides);
}

void check_regime(const std::vector<std::string>& overrides, double lead = 0.0) {
  const Estimate s = spiking(overrides);
  const double c = continuous(overrides);
  CAPTURE(s.mean);
  CAPTURE(s.se);
  CAPTURE(c);
  CHECK(s.se > 0.0);
  CHECK(std::abs(s.mean - c) <= kT * s.se + lead);
}

}  // namespace

TEST_CASE("STDP estimator: a unit held on beta2 by its drive keeps its weights (continuous: exactly 0)") {
  // bias 1.5: the drive lies 1 beyond beta2; the unit starts on the boundary.
  const std::vector<std::string> held{"populations.h.bias=1.5", "populations.h.initial=0.5"};
  CHECK(continuous(held) == 0.0);
  check_regime(held);
}

TEST_CASE("STDP estimator: a unit held on beta1 by its drive keeps its weights (continuous: exactly 0)") {
  const std::vector<std::string> held{"populations.h.bias=-1.5", "populations.h.initial=-0.5"};
  CHECK(continuous(held) == 0.0);
  check_regime(held);
}

TEST_CASE("STDP estimator: at lr 0.1 no weight onto a held unit drifts beyond the statistical error") {
  // The old estimator took every weight down by ~30 % here.
  const Estimate s =
      spiking({"populations.h.bias=1.5", "populations.h.initial=0.5", "projections.0.plasticity.lr=0.1"});
  CAPTURE(s.mean);
  CAPTURE(s.se);
  CHECK(std::abs(s.mean) <= kT * s.se);
  CHECK(s.se < 0.01);  // the error itself is small: the test has power against a drift of a few %
}

TEST_CASE("STDP estimator: inside the linear range, after a step of the drive, spiking matches continuous") {
  // h sits near 0; z's step (t = 100 ms) moves it to about 0.45 (inside), while x fires throughout.
  check_regime({"populations.h.bias=-0.3", "populations.h.initial=-0.08", "projections.1.weights=0.05"});
}

TEST_CASE("STDP estimator: crossing beta1, from held to inside, spiking matches continuous") {
  // h is held on beta1 (bias -1.5) until z's step lifts its drive to about 0: it crosses into the range.
  check_regime({"populations.h.bias=-1.5", "populations.h.initial=-0.5"});
}

TEST_CASE("STDP estimator: returning from above beta2, spiking matches continuous within the stated lead") {
  // The unit starts at 1.5 (outside, rho' = 0) and decays back through beta2 toward its inside
  // target with tau = 100 ms; delay 0.1 ms and window 1 ms. The estimator misses about
  // (d + T/2) / tau = 0.6 % of the change (it starts with the presynaptic activity at t = 0): lead.
  const std::vector<std::string> ret{"model.tau=100ms", "populations.h.initial=1.5", "projections.0.delay=0.1ms",
                                     "projections.0.plasticity.window=1ms", "projections.1.delay=0.1ms"};
  const double c = continuous(ret);
  check_regime(ret, 0.006 * std::abs(c));
}

// A unit whose own flow would leave the linear range within T while its inputs keep it inside: bias
// -1.1, so between kicks h relaxes toward -1.1 and, from its mean state 0, would reach beta1 after
// tau ln(1.1 / 0.6) = 6 ms < T; 20 excitatory Poisson inputs z (500 Hz, weight 0.03) and the 40
// plastic inputs x (weight 0.04) hold its mean at -1.1 + 0.5 * (20 * 0.03 + 40 * 0.04) = 0 with
// standard deviation sqrt(sum rho w^2 / (2 r_max tau)) = 0.045, so it stays inside (11 SD). The
// plastic inputs x are independent of h, so the true mean weight change is 0 (h starts at its mean
// state and E[s(t)] stays there). The estimator before this one computed the spike's own kick from
// the deterministic flow, which ends held on beta1 with or without the kick: own = 0, and every pre
// spike added the Hebbian term lr kick e^(-T/tau) / (r_max T), a relative drift of
// r_pre t lr e^(-T/tau) / (r_max^2 tau T) = 0.5 * 3000 * 0.001 * e^-1 / 100 = 5.5e-3 per run here.
const char* const kHeldInsideByInputs = R"(
seed: 1
model: {beta1: -0.5, tau: 10 ms, r_max: 1000 Hz, asymmetric_weights: directed}
engine: {kind: spiking}
populations:
  x: {role: input, size: 40}
  z: {role: input, size: 20}
  h: {role: hidden, size: 10, bias: -1.1, initial: 0}
projections:
  - {from: x, to: h, weights: 0.04, delay: 1 ms, plasticity: {lr: 0.001, window: 10 ms, symmetric: false}}
  - {from: z, to: h, weights: 0.03, delay: 1 ms}
protocol:
  phases:
    - {name: only, duration: 3 s, clamp: {x: 0.0, z: 0.0}}
record:
  spikes: {populations: []}
  states: {populations: []}
)";

TEST_CASE("STDP estimator: a unit held inside by its inputs against its drift has no Hebbian bias") {
  // Tolerance: as above, |mean| <= t * SE over 10 independent runs (t = 4.78, two-sided 0.1 %),
  // SE from the run-to-run spread; twice, with seeds 1..10 and 101..110. The summed changes'
  // noise is mostly the Poisson sampling of ds/dt by the pre spikes (grows as sqrt(duration)),
  // while the old bias grows with the duration. (The estimator before this one gives about
  // old_bias here, 15 standard errors and more: the test fails on it.)
  const double old_bias = 0.5 * 3000.0 * 0.001 * std::exp(-1.0) / 100.0;
  for (const int first_seed : {1, 101}) {
    const Estimate s = spiking({}, kHeldInsideByInputs, first_seed);
    CAPTURE(first_seed);
    CAPTURE(s.mean);
    CAPTURE(s.se);
    CAPTURE(old_bias);
    CHECK(std::abs(s.mean) <= kT * s.se);
    CHECK(kT * s.se < 0.5 * old_bias);  // power: the test would see half the old bias
  }
}

namespace {
// A host that answers what the test sets: one presynaptic x, one postsynaptic h.
struct ScriptedHost final : StdpHost {
  PostOpening at_open{};
  PostClosing at_close{};
  models::UnitDrive now{};  // the units' drive as the host has it now
  std::vector<Event> scheduled;
  PostOpening opening(std::uint32_t, double) override { return at_open; }
  PostClosing closing(std::uint32_t, double, double) override { return at_close; }
  models::UnitDrive drive(std::uint32_t) const override { return now; }
  bool holds_clamped(std::uint16_t) const override { return false; }
  void schedule(const Event& e) override { scheduled.push_back(e); }
};

const char* const kOneSynapse = R"(
model: {beta1: -0.5, tau: 10 ms, r_max: 1000 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 1}
  h: {role: hidden, size: 1}
projections:
  - {from: x, to: h, connectivity: {explicit: [[0, 0, 0.3]]}, delay: 1 ms, plasticity: {lr: 0.1, window: 10 ms, symmetric: false}}
protocol: {phases: [{name: only, duration: 20 ms, clamp: {x: 0.0}}]}
)";
}  // namespace

TEST_CASE("STDP estimator: a window whose unit's drive changes while it is open uses the drive its opening saw") {
  // The unit touched a boundary (closing: not inside), so own(t) is its flow with the kick minus
  // without it, and that flow is the drive's. A window keeps only s and the kick when it opens and
  // reads the drive when it closes, unless keep_drives() kept the drive first (the engine calls it
  // before set_phase changes a drive). Expected: lr D / r_max with own(t) from models::advance under
  // the opening's drive; the closing's drive gives another value (checked first, so that the test
  // can tell them apart).
  const Config cfg = test::config_from(kOneSynapse);
  Network net = build_network(cfg);
  const EngineParams params = lower_engine_params(cfg);
  const models::UnitParams unit{params.tau_ms, params.rate.beta1};
  const models::UnitDrive opened_with{0.9, 0.0}, closed_with{0.1, 0.35};  // toward 0.9, then toward 0.45
  const double s0 = 0.45, s1 = 0.5, kick_scale = 1.0 / (params.r_max_per_ms * params.tau_ms);
  // The kick: the projection's gain (1/2: the model symmetrises a directed projection) times W (a
  // float). Under the opening's drive both flows reach beta2 and are held there, so own = 0 for any
  // kick; under the closing's drive the unit stays inside and own is about k / e.
  const double k = net.projections[0].gain_forward * double(0.3f) * kick_scale;
  const auto own = [&](const models::UnitDrive& d) {
    return models::advance(s0 + k, 10.0, d, unit) - models::advance(s0, 10.0, d, unit);
  };
  const auto expected = [&](const models::UnitDrive& d) {
    return 0.1 / (10.0 * params.r_max_per_ms) * (s1 - s0 - own(d));
  };
  REQUIRE(std::abs(own(opened_with) - own(closed_with)) > 1e-4);

  for (const bool kept : {true, false}) {
    CAPTURE(kept);
    PlasticityRule rule(cfg, net);
    rule.set_phase(0);
    StdpEstimator est(net, params);
    est.attach(&rule);
    const double w0 = rule.weights(0)[0];
    ScriptedHost host;
    host.at_open = {s0, kick_scale};
    host.now = opened_with;
    est.on_spike(0, 0, 1.0, host);  // x spikes at 1 ms: the window opens at 2 ms, closes at 12 ms
    REQUIRE(host.scheduled.size() == 1);
    est.open(host.scheduled[0], host);
    REQUIRE(host.scheduled.size() == 2);
    if (kept) est.keep_drives(host);              // the drive is about to change ...
    host.now = kept ? closed_with : opened_with;  // ... and has (without keep_drives: it has not)
    host.at_close = {s1, false, host.now};
    est.close(host.scheduled[1], host);
    est.apply_deferred(est.waiting());  // (a change waits for the interval boundary where W acts both ways)
    CHECK(rule.weights(0)[0] - w0 == doctest::Approx(expected(opened_with)).epsilon(1e-9));
  }
}
