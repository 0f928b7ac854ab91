#pragma once
// What a sweep writes besides its runs (sim/run/sweep.cpp): each run's group attributes, and the
// analysis under /analysis/sweep: the legacy one-key form's error table and slopes, or the
// per-point statistics of the grid, zip and replicate forms.
#include <cstddef>
#include <vector>

#include "sim/run/sweep.hpp"

namespace ebsim {

// The group attributes of run k (its value, or its point, replicate, seed and assignment).
void write_run_attributes(const Config& cfg, std::size_t k, Sink& sink);
// The legacy one-key form: errors against the swept value and their log-log slopes.
void write_legacy_analysis(const Config& cfg, SweepResult& out, Sink& sink);
// The points' values and the statistics of what the runs reported.
void write_statistics(const Config& cfg, const std::vector<Reported>& reported, SweepResult& out, Sink& sink);

}  // namespace ebsim
