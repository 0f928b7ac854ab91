#pragma once
// Every experiment kind ebsim can run, in one list (registry.cpp): the name a config gives in
// `experiment: {kind: ...}`, the reader of its section and its runner. A new kind brings its own
// files (<kind>_config.{hpp,cpp}: parameters and reader; <kind>.{hpp,cpp}: the run), one line in
// registry.cpp and its sources in CMakeLists.txt.
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/config_loader.hpp"
#include "sim/io/sink.hpp"
#include "sim/run/run.hpp"

namespace ebsim {

struct ExperimentKind {
  std::string name;
  ExperimentReader read;
  // Runs cfg's experiment into the sink's current run (the caller begins and ends it) and writes
  // the human summary to `summary`; returns false if it was interrupted.
  bool (*run)(const Config& cfg, Sink& sink, const RunOptions& options, std::ostream& summary);
};

// All kinds, in the order errors list them.
const std::vector<ExperimentKind>& experiment_kinds();

// The kind called `name`; std::logic_error if there is none (the loader accepts only these names).
const ExperimentKind& find_experiment_kind(const std::string& name);

// The readers of all kinds, for load_config().
const ExperimentCatalog& experiment_catalog();

}  // namespace ebsim
