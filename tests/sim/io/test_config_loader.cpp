#include <doctest/doctest.h>

#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("a valid config loads with units converted and defaults filled in") {
  const Config cfg = test::config_from(test::kSmallNet);
  CHECK(cfg.seed == 5);
  CHECK(cfg.model.tau_ms == 10.0);
  CHECK(cfg.model.r_max_hz == 200.0);  // default
  CHECK(cfg.model.rate.beta1 == -0.5);
  CHECK(cfg.engine.dt_ms == doctest::Approx(0.1));
  REQUIRE(cfg.populations.size() == 3);
  CHECK(cfg.populations[1].name == "h");
  CHECK(cfg.populations[1].role == Role::hidden);
  CHECK(cfg.populations[1].bias.dist.a == 0.05);
  REQUIRE(cfg.projections.size() == 2);
  CHECK(cfg.projections[0].name == "x->h");
  CHECK(cfg.projections[0].symmetric);
  CHECK(cfg.projections[0].delay_ms == 1.0);
  CHECK(cfg.protocol.phases[0].clamp.at("x").values.size() == 3);
  CHECK(cfg.record.states.populations.size() == 3);
  // The resolved config carries the defaults, so a reader sees every value that was used.
  CHECK(cfg.resolved_yaml.find("r_max: 200 Hz") != std::string::npos);
  CHECK(cfg.resolved_yaml.find("boundary: project") != std::string::npos);
}

TEST_CASE("--set overrides a key, including inside a list, with the same validation") {
  const Config cfg = test::config_from(test::kSmallNet, {"model.tau=20 ms", "projections.1.delay=2.5 ms", "seed=9"});
  CHECK(cfg.model.tau_ms == 20.0);
  CHECK(cfg.projections[1].delay_ms == 2.5);
  CHECK(cfg.seed == 9);
  CHECK(cfg.resolved_yaml.find("tau: 20 ms") != std::string::npos);
  try {
    test::config_from(test::kSmallNet, {"model.tau=20"});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.location() == "--set model.tau=20");
    CHECK(e.key_path() == "model.tau");
    CHECK(std::string(e.what()).find("missing unit") != std::string::npos);
  }
  CHECK_THROWS_AS(test::config_from(test::kSmallNet, {"projections.7.delay=1 ms"}), ConfigError);
  CHECK_THROWS_AS(test::config_from(test::kSmallNet, {"novalue"}), ConfigError);
}

TEST_CASE("errors carry file, line, column and key path") {
  const std::string bad = std::string(test::kSmallNet) + "extra_key: 1\n";
  try {
    test::config_from(bad);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.key_path() == "extra_key");
    CHECK(e.location().rfind("test.yaml:", 0) == 0);
    CHECK(std::string(e.what()).find("unknown key `extra_key`") != std::string::npos);
  }
  try {
    test::config_from(std::string(test::kSmallNet) + "modle: {}\n");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("did you mean `model`") != std::string::npos);
  }
}

TEST_CASE("engine-specific constraints are checked at load") {
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"protocol.phases.0.duration=10.05 ms"}),
                       doctest::Contains("multiple of engine.dt"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"engine.kind=spiking", "model.rate=logistic"}),
                       doctest::Contains("hard_sigmoid"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"protocol.phases.0.clamp={h: 0.1}"}),
                       doctest::Contains("only input populations can be clamped"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"protocol.phases.0.nudge={h: {target: 0.1}}"}),
                       doctest::Contains("only output populations can be nudged"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"protocol.phases.0.clamp={x: [0.1, 0.2]}"}),
                       doctest::Contains("expected 3 values"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, {"projections.0.connectivity=one_to_one"}),
                       doctest::Contains("equal sizes"), ConfigError);
}

TEST_CASE("cross-section checks found in review: rejected at load, not halfway through a run") {
  // A symmetric projection inside a population stores each pair once.
  const char* recurrent = R"(
populations: {a: {role: hidden, size: 4}}
projections: [{from: a, to: a, connectivity: {explicit: [[0, 1, 0.3], [1, 0, 0.3]]}, symmetric: true}]
protocol: {phases: [{duration: 1 ms}]}
)";
  CHECK_THROWS_WITH_AS(test::config_from(recurrent), doctest::Contains("stores each pair once"), ConfigError);
  CHECK_NOTHROW(test::config_from(recurrent, {"projections.0.symmetric=false"}));
  CHECK_THROWS_WITH_AS(test::config_from(recurrent, {"projections.0.connectivity={fixed_indegree: 2}"}),
                       doctest::Contains("fixed in-degree cannot hold in both directions"), ConfigError);
  // The theory reference is the mean field of fixed weights.
  const std::vector<std::string> theory{"engine.kind=spiking",
                                        "record.rates={populations: all, bin: 100 ms, theory: true}"};
  CHECK(test::config_from(test::kSmallNet, theory).record.rates.theory);
  std::vector<std::string> plastic = theory;
  plastic.push_back("projections.0.plasticity={lr: 0.1}");
  CHECK_THROWS_WITH_AS(test::config_from(test::kSmallNet, plastic), doctest::Contains("is plastic"), ConfigError);
  // The backprop experiment's spiking part: report_at on the sampling grid; the hard sigmoid.
  const std::string bp = test::source_dir() + "/configs/backprop_equivalence.yaml";
  CHECK_NOTHROW(test::config_file(bp));
  CHECK_THROWS_WITH_AS(test::config_file(bp, {"experiment.spiking.report_at=0.2 ms"}),
                       doctest::Contains("multiple of `sample`"), ConfigError);
  CHECK_THROWS_WITH_AS(test::config_file(bp, {"model.rate=logistic"}), doctest::Contains("hard_sigmoid"), ConfigError);
}
