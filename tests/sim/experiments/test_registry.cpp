#include <doctest/doctest.h>

#include <stdexcept>

#include "sim/experiments/backprop_config.hpp"
#include "sim/experiments/learning_config.hpp"
#include "sim/experiments/registry.hpp"
#include "sim/experiments/stdp_window_config.hpp"
#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("each registered experiment kind reads its own section into its own type") {
  const Config stdp = test::config_file(test::source_dir() + "/configs/stdp_window.yaml");
  CHECK(stdp.experiment_kind == "stdp_window");
  CHECK(stdp.experiment_as<StdpWindowExperiment>().pulse == 0.4);
  CHECK_THROWS_AS(stdp.experiment_as<LearningExperiment>(), std::logic_error);
  const Config plain = test::config_from(test::kSmallNet);
  CHECK(plain.experiment_kind.empty());
  CHECK_FALSE(plain.experiment);
  CHECK_THROWS_AS(plain.experiment_as<BackpropExperiment>(), std::logic_error);
  CHECK(&find_experiment_kind("stdp_window") == &experiment_kinds()[1]);
  CHECK_THROWS_AS(find_experiment_kind("nonsense"), std::logic_error);
}

TEST_CASE("an unknown experiment kind is rejected with every registered kind, in registration order") {
  CHECK_THROWS_WITH_AS(test::config_from(std::string(test::kSmallNet) + "experiment: {kind: learnin}\n"),
                       "test.yaml:17:20: experiment.kind: expected one of `backprop`, `stdp_window`, `saturation`, "
                       "`learning`, `stdp_statistics`, got `learnin` (did you mean `learning`?)",
                       ConfigError);
}

TEST_CASE("the loader knows no experiment of its own: without a catalog it reads plain configs only") {
  CHECK(load_config_text(test::kSmallNet, "test.yaml", {}, {}).populations.size() == 3);
  CHECK_THROWS_AS(
      load_config_text(std::string(test::kSmallNet) + "experiment: {kind: backprop}\n", "test.yaml", {}, {}),
      ConfigError);
}
