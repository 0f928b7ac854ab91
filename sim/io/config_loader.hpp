#pragma once
// YAML experiment file -> validated Config. Every error names the file, line, column and key path.
#include <memory>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/io/config_error.hpp"
#include "sim/io/config_limits.hpp"

namespace ebsim {

class MapReader;

// Reads the `experiment:` section of one kind (its `kind` key already read) into that kind's
// parameters, checked against the rest of the config.
using ExperimentReader = std::shared_ptr<const ExperimentSpec> (*)(MapReader& section, const Config& cfg);

struct ExperimentCatalogEntry {
  std::string kind;  // as written in `experiment: {kind: ...}`
  ExperimentReader read;
};

// The experiment kinds a config may name, in the order errors list them. The loader knows no
// experiment itself: sim/experiments/registry.hpp provides the catalog of all of them.
using ExperimentCatalog = std::vector<ExperimentCatalogEntry>;

// overrides: "key.path=value" strings (--set); list elements by index ("projections.0.delay=2 ms").
// A sweep of more than max_sweep_runs runs is an error (the CLI's --yes lifts the limit).
Config load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const ExperimentCatalog& experiments, std::uint64_t max_sweep_runs = kMaxSweepRunsUnconfirmed);

// The same, from YAML text (tests); `name` stands for the file name in messages.
Config load_config_text(const std::string& text, const std::string& name, const std::vector<std::string>& overrides,
                        const ExperimentCatalog& experiments, std::uint64_t max_sweep_runs = kMaxSweepRunsUnconfirmed);

}  // namespace ebsim
