#include <doctest/doctest.h>

#include <set>
#include <string>

#include "sim/io/units.hpp"

using ebsim::find_dataset_units;
using ebsim::path_matches;

TEST_CASE("unit patterns: * is one component, ** any number, a trailing * a prefix") {
  CHECK(path_matches("/rates/*/rate_hz", "/rates/h1/rate_hz"));
  CHECK_FALSE(path_matches("/rates/*/rate_hz", "/rates/h1/x/rate_hz"));
  CHECK(path_matches("/analysis/backprop/**", "/analysis/backprop/discrete/h1/cosine"));
  CHECK(path_matches("/analysis/backprop/**/t_ms", "/analysis/backprop/t_ms"));
  CHECK(path_matches("/analysis/sweep/slope_*", "/analysis/sweep/slope_rho_rmse"));
  CHECK_FALSE(path_matches("/analysis/sweep/slope_*", "/analysis/sweep/values"));
}

TEST_CASE("the units list: every entry is a known unit, the specific entries come before the catch-alls") {
  const std::set<std::string> known{"1", "ms", "s", "Hz", "1/s"};
  for (const ebsim::DatasetUnits& entry : ebsim::dataset_units()) {
    CAPTURE(entry.pattern);
    CHECK(known.contains(std::string(entry.units)));
    CHECK(entry.pattern.starts_with("/"));
  }
  CHECK(find_dataset_units("/analysis/backprop/continuous_time/t_ms")->units == "ms");
  CHECK(find_dataset_units("/analysis/backprop/spiking/1/branches_at")->storage == ebsim::Storage::integer);
  CHECK(find_dataset_units("/analysis/backprop/spiking/1/h1/cosine")->units == "1");
  CHECK(find_dataset_units("/training/wall_s")->units == "s");
  CHECK(find_dataset_units("/training/epoch")->storage == ebsim::Storage::integer);
  CHECK(find_dataset_units("/spikes/h1/timestamps")->units == "ms");
  CHECK(find_dataset_units("/analysis/sweep/values") == nullptr);  // units of the swept key
  // A sweep's statistics of a run's array have its units, as reals; n counts.
  CHECK(find_dataset_units("/analysis/sweep/stats/analysis/theory_check/h1/rate_rmse_hz/mean")->units == "Hz");
  CHECK(find_dataset_units("/analysis/sweep/stats/training/epoch/ci95_low")->storage == ebsim::Storage::real);
  CHECK(find_dataset_units("/analysis/sweep/stats/training/epoch/n")->storage == ebsim::Storage::integer);
  CHECK(find_dataset_units("/analysis/sweep/stats/analysis/unknown/mean") == nullptr);
}
