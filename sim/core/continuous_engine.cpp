#include "sim/core/continuous_engine.hpp"

#include "sim/core/plasticity.hpp"

#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <limits>

namespace ebsim {

namespace {
// A unit chattered if it changed region twice within this many steps before the query.
constexpr std::uint64_t kChatterWindow = 20;
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

int region(double s, const models::RateFunction& r) { return s < r.beta1 ? -1 : (s > r.beta2() ? 1 : 0); }
}  // namespace

ContinuousEngine::ContinuousEngine(const EngineParams& params, const Network& net)
    : params_(params),
      net_(net),
      coupling_(net.coupling()),
      s_(net.n_units),
      noisy_(net.n_units),
      rates_(net.n_units),
      input_(net.n_units),
      held_(net.n_units, kFree),
      last_crossing_(net.n_units, kNever),
      prev_crossing_(net.n_units, kNever),
      residual_(std::numeric_limits<double>::quiet_NaN()) {
  reset(0);
}

void ContinuousEngine::reset(std::uint32_t trial) {
  step_ = 0;
  residual_ = std::numeric_limits<double>::quiet_NaN();
  std::copy(params_.initial_state.begin(), params_.initial_state.end(), s_.begin());
  if (drive_)
    for (std::uint32_t i = 0; i < net_.n_units; ++i)
      if (drive_->clamped[i]) s_[i] = drive_->clamp_value[i];
  std::fill(held_.begin(), held_.end(), kFree);
  integral_s_.assign(net_.n_units, 0.0);
  expected_count_.assign(net_.n_units, 0.0);
  std::fill(last_crossing_.begin(), last_crossing_.end(), kNever);
  std::fill(prev_crossing_.begin(), prev_crossing_.end(), kNever);
  noise_.clear();
  if (params_.sigma > 0)
    for (std::uint32_t i = 0; i < net_.n_units; ++i)
      noise_.push_back(make_stream(params_.seed, Purpose::noise, trial, i));
}

void ContinuousEngine::set_phase(const PhaseDrive& drive) {
  drive_ = &drive;
  for (std::uint32_t i = 0; i < net_.n_units; ++i)
    if (drive.clamped[i]) s_[i] = drive.clamp_value[i];
}

void ContinuousEngine::step() {
  const std::uint32_t n = net_.n_units;
  const models::RateFunction& rate = params_.rate;
  const double dt = params_.dt_ms, eps = dt / params_.tau_ms;
  if (params_.sigma > 0) {
    boost::random::normal_distribution<double> normal(0.0, params_.sigma);
    for (std::uint32_t i = 0; i < n; ++i) noisy_[i] = s_[i] + normal(noise_[i]);  // Eq. 2
  } else {
    noisy_ = s_;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    rates_[i] = rate.rho(noisy_[i]);
    input_[i] = net_.bias[i];
  }
  models::add_synaptic_input(coupling_, rates_, input_);  // b_i + sum_j W_ij rho(s_j + eta_j)

  if (integrate_) {
    const double r_max_per_ms = params_.r_max_per_ms;
    for (std::uint32_t i = 0; i < n; ++i) {
      integral_s_[i] += s_[i] * dt;
      expected_count_[i] += r_max_per_ms * rate.rho(s_[i]) * dt;
    }
  }
  const double b1 = rate.beta1, b2 = rate.beta2();
  if (plasticity_) before_ = s_;
  const bool project = params_.project_boundaries();
  double max_residual = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (drive_->clamped[i]) {
      s_[i] = drive_->clamp_value[i];
      continue;
    }
    const double beta = drive_->beta[i];
    const double outside = beta * drive_->target[i];                                  // the drive where rho' = 0
    const double r = (1.0 - beta) * rate.rho_prime(noisy_[i]) * input_[i] + outside;  // Eq. 8 / 12
    const double old = s_[i];
    double next = old + eps * (r - old);  // Eq. 1
    held_[i] = kFree;
    if (project && old >= b1 && old <= b2) {
      // Leaving the interval while the field outside points back: slide along the boundary.
      if (next > b2 && outside < b2) {
        next = b2;
        held_[i] = kHeldHigh;
      } else if (next < b1 && outside > b1) {
        next = b1;
        held_[i] = kHeldLow;
      }
    }
    if (region(next, rate) != region(old, rate)) {
      prev_crossing_[i] = last_crossing_[i];
      last_crossing_[i] = step_;
    }
    s_[i] = next;
    max_residual = std::max(max_residual, std::abs(next - old) / eps);
  }
  residual_ = max_residual;
  ++step_;
  if (plasticity_) plasticity_->apply_step(before_, s_);  // Eq. 26, after the step
}

// A step costs at least one pass over the units: looking at the stop flag after each is free.
void ContinuousEngine::advance_to(double t_ms) {
  const auto target = static_cast<std::uint64_t>(std::llround(t_ms / params_.dt_ms));
  while (step_ < target && !stop_requested()) step();
}

bool ContinuousEngine::advance_until_settled(double t_cap_ms, double tol) {
  const auto target = static_cast<std::uint64_t>(std::llround(t_cap_ms / params_.dt_ms));
  while (step_ < target && !stop_requested()) {
    step();
    if (residual_ < tol) return true;
  }
  return false;
}

void ContinuousEngine::hold_until(double t_ms) {
  const auto target = static_cast<std::uint64_t>(std::llround(t_ms / params_.dt_ms));
  if (target <= step_) return;
  if (integrate_) {  // the frozen state over the skipped steps
    const double span = double(target - step_) * params_.dt_ms, r_max_per_ms = params_.r_max_per_ms;
    for (std::uint32_t i = 0; i < net_.n_units; ++i) {
      integral_s_[i] += s_[i] * span;
      expected_count_[i] += r_max_per_ms * params_.rate.rho(s_[i]) * span;
    }
  }
  step_ = target;
}

void ContinuousEngine::integrals(std::span<double> integral_s, std::span<double> counts) {
  std::copy(integral_s_.begin(), integral_s_.end(), integral_s.begin());
  std::copy(expected_count_.begin(), expected_count_.end(), counts.begin());
}

void ContinuousEngine::sample_states(std::span<double> out) { std::copy(s_.begin(), s_.end(), out.begin()); }

void ContinuousEngine::set_states(std::span<const double> states) {
  std::copy(states.begin(), states.end(), s_.begin());
}

void ContinuousEngine::held_units(std::span<std::uint8_t> out) const {
  for (std::uint32_t i = 0; i < net_.n_units; ++i) out[i] = held_[i] != kFree ? 1 : 0;
}

std::vector<BoundaryCounts> ContinuousEngine::boundary_counts() const {
  std::vector<BoundaryCounts> out(net_.populations.size());
  for (std::size_t k = 0; k < net_.populations.size(); ++k) {
    const Population& pop = net_.populations[k];
    for (std::uint32_t i = pop.offset; i < pop.offset + pop.size; ++i) {
      if (held_[i] == kHeldLow) ++out[k].held_low;
      if (held_[i] == kHeldHigh) ++out[k].held_high;
      if (prev_crossing_[i] != kNever && step_ - prev_crossing_[i] <= kChatterWindow) ++out[k].chattering;
    }
  }
  return out;
}

}  // namespace ebsim
