#pragma once
// The energy E (Eq. 6) and the drive R (Eq. 8) of the energy-based model.
#include <span>

#include "models/coupling.hpp"
#include "models/rate_function.hpp"

namespace ebsim::models {

// Eq. 6: E(s) = sum_i s_i^2/2 - 1/2 sum_{i!=j} W_ij rho(s_i) rho(s_j) - sum_i b_i rho(s_i).
// Only the symmetric part of W enters, so E is the energy of (W + W^T)/2.
double energy(std::span<const double> s, Coupling coupling, std::span<const double> bias, const RateFunction& rate);

// Eq. 8: R_i(s) = rho'(s_i) (b_i + sum_j W_ij rho(s_j)). For symmetric W, R(s) = s - dE/ds.
void drive(std::span<const double> s, Coupling coupling, std::span<const double> bias, const RateFunction& rate,
           std::span<double> out);

}  // namespace ebsim::models
