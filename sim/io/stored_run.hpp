#pragma once
// What an earlier run stored, read back for a run that starts from it: a projection's synapses
// and weights (`weights: {from_file: run.h5, snapshot: final}`) and a population's state at the
// end of a trial (`initial: {from_file: run.h5, trial: 0}`). Errors are StoredRunError with what
// is missing or wrong; the config loader reports them at the key that named the file.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/config.hpp"

namespace ebsim {

struct StoredRunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// /weights/<snapshot>/<projection>/{pre, post, weight} of an ebsim output file.
std::vector<Synapse> read_stored_weights(const std::string& path, const std::string& snapshot,
                                         const std::string& projection);

// Row `trial` of /analysis/final_state/<population> of an ebsim output file.
std::vector<double> read_stored_state(const std::string& path, const std::string& population, std::uint64_t trial);

// A numeric dataset of an ebsim output file, any shape, as doubles (row-major), with its shape.
struct StoredArray {
  std::vector<double> values;
  std::vector<std::uint64_t> shape;
};
StoredArray read_stored_array(const std::string& path, const std::string& name);
bool stored_exists(const std::string& path, const std::string& name);

// The resolved config an ebsim output file holds (/config).
std::string read_stored_config(const std::string& path);

}  // namespace ebsim
