#pragma once
// What an engine needs from a config, lowered once: units converted (r_max per ms), the initial
// state drawn per unit, nothing an engine would have to look up or convert again. Engines take
// this, never a Config (the way Arbor lowers a cell description, and NEST keeps a model's
// parameters apart from its state). A variant engine (the mean-field reference of a spiking run,
// backprop's step sizes, a learning run's read-out) is a copy with explicit overrides.
#include <cstdint>
#include <vector>

#include "models/rate_function.hpp"
#include "sim/core/config.hpp"

namespace ebsim {

class PartitionComm;

// A population's units as the partitioned engine weighs them when it cuts the network into blocks
// of about equal work (sim/core/partitioned_engine.hpp): its size and an estimated cost per unit.
struct PopulationCost {
  std::uint32_t size = 0;
  double per_unit = 1.0;
};

struct EngineParams {
  EngineKind kind = EngineKind::continuous;
  models::RateFunction rate;  // rho (Eq. 7), beta1, beta2
  double tau_ms = 10.0;
  double r_max_hz = 200.0;
  double r_max_per_ms = 0.2;              // r_max_hz / 1000, the unit every engine computes with
  double dt_ms = 0.1;                     // continuous engine: eps = dt / tau
  double sigma = 0.0;                     // continuous engine: std of eta in R(s + eta) (Eq. 1-2)
  Boundary boundary = Boundary::project;  // continuous engine, see project_boundaries()
  std::uint64_t seed = 1;
  std::vector<double> initial_state;  // per global unit: the state of free units at t = 0
  // Spiking engine: the network split over this many partitions, one thread each
  // (sim/core/partitioned_engine.hpp); the results are the same for any number.
  unsigned partitions = 1;
  // ... and over the processes of `comm` too (MPI ranks; null or one process: this one only).
  PartitionComm* comm = nullptr;
  // Per population, in order: what a unit costs the spiking engine, estimated from the config
  // (partition_costs); the partitions' blocks split the total evenly. Empty: equal blocks.
  std::vector<PopulationCost> unit_costs;

  // Continuous engine with hard boundaries: a unit leaving [beta1, beta2] while the field outside
  // points back is held on the boundary (a sliding mode), instead of the literal map's chattering.
  // The logistic rate has no boundaries to hold units on.
  bool project_boundaries() const { return boundary == Boundary::project && rate.has_boundaries(); }

  // Overrides. Each keeps the lowered fields consistent (r_max in both units).
  EngineParams with_kind(EngineKind k) const;
  EngineParams with_r_max(double hz) const;
  EngineParams with_dt(double dt) const;
  EngineParams with_sigma(double s) const;
  EngineParams with_rate(const models::RateFunction& r) const;
  EngineParams with_partitions(unsigned p, PartitionComm* comm = nullptr) const;
};

// The expected synapse count of a projection between populations of n_src and n_tgt units.
double expected_synapses(const ProjectionConfig& p, double n_src, double n_tgt);
// Per population: a unit's thinning candidates (about 100 ns each, at r_max) and the kicks it
// receives (about 5.5 ns each: its expected in-degree, both directions of projections that act
// backward, every sender at r_max / 2), in ns per r_max-period; measured on this machine
// (README, One network over two cores).
std::vector<PopulationCost> partition_costs(const Config& cfg);

// Lowers the config's model and engine sections. The initial state is drawn from the stream keyed
// by (seed, initial_state, population): the same in every trial.
EngineParams lower_engine_params(const Config& cfg);

}  // namespace ebsim
