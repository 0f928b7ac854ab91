#pragma once
// Shared by the learning and feedforward tests.
#include <sstream>
#include <string>

#include "tests/support.hpp"

namespace ebsim::test {

// A small learning config: x (n_in) -> h -> y (n_out), continuous engine, eps = 0.5, data at `path`.
inline std::string learning_yaml(const std::string& path, int n_in, int n_hidden, int n_out,
                                 const std::string& extra = "") {
  std::ostringstream os;
  os << "seed: 3\nmodel: {beta1: -0.5, tau: 10 ms}\nengine: {kind: continuous, dt: 5 ms}\n"
     << "populations:\n  x: {role: input, size: " << n_in << "}\n  h: {role: hidden, size: " << n_hidden
     << "}\n  y: {role: output, size: " << n_out << "}\n"
     << "projections:\n"
     << "  - {from: x, to: h, weights: {glorot: 1}, symmetric: true, plasticity: {lr: 0.1, phases: [nudge]}}\n"
     << "  - {from: h, to: y, weights: {glorot: 1}, symmetric: true, plasticity: {lr: 0.05, phases: [nudge]}}\n"
     << "protocol:\n  phases:\n"
     << "    - {name: free, duration: 2 s, settle: {tol: 1.0e-4}, clamp: {x: 0}}\n"
     << "    - {name: nudge, duration: 10 ms, nudge: {y: {target: 0, beta: 1}}}\n"
     << "experiment:\n  kind: learning\n  data: {path: " << path << ", input: x, output: y}\n"
     << extra;
  return os.str();
}

}  // namespace ebsim::test
