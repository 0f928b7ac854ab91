#pragma once
// The bounds every config obeys, in one place (the README's "Limits" lists them): whatever a config
// says, the engines' arithmetic stays finite, their 32-bit indices do not wrap, and counts fit their
// types. Section readers check the tighter ranges their keys need (dt <= tau, ...).
#include <cstdint>

namespace ebsim {

// Every time and rate a config gives, in magnitude: 1e9 ms is about 11.6 days, far beyond any
// protocol, and keeps sums and products of times finite. A trial's phases together last at most
// kMaxTimeMs too.
constexpr double kMaxTimeMs = 1e9;
constexpr double kMaxRateHz = 1e10;
// Lower ends: a step (dt, theory_dt, recording period, bin) of at least 1e-6 ms keeps step counts
// below 1e15 (exact in a double, no overflow in 64 bits); tau >= 1 us and r_max >= 0.001 Hz keep
// the spiking kick 1 / (r_max tau) far inside float range.
constexpr double kMinStepMs = 1e-6;
constexpr double kMinTauMs = 1e-3;
constexpr double kMinRateHz = 1e-3;
// Synaptic delays (spiking engine): from one step of the delay grid to one second.
constexpr double kMinDelayMs = 0.1;
constexpr double kMaxDelayMs = 1000.0;
// Numbers per unit (bias, initial states, clamps, targets), weights, learning rates, noise: far
// beyond any meaningful value and far inside float and double range, so that sums over a network
// and conversions to float stay finite.
constexpr double kMaxValue = 1e6;

constexpr std::int64_t kMaxTrials = 1'000'000;
// A sweep of more runs than this (points x replicates) needs the user's confirmation (--yes): it
// is more likely a typo than a plan. Replicates per point at most kMaxReplicates.
constexpr std::uint64_t kMaxSweepRunsUnconfirmed = 100'000;
constexpr std::int64_t kMaxReplicates = 1'000'000;
constexpr std::int64_t kMaxPopulationSize = 100'000'000;
constexpr std::uint64_t kMaxUnits = 1'000'000'000;          // all populations together (32-bit unit indices)
constexpr std::uint64_t kMaxPopulations = 65535;            // 16-bit population indices (spiking engine)
constexpr std::uint64_t kMaxProjections = 65535;            // 16-bit projection indices in events
constexpr double kMaxSynapsesPerProjection = 4294967295.0;  // 32-bit synapse positions

}  // namespace ebsim
