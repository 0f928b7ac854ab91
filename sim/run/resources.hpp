#pragma once
// What a run will need, estimated from its config before anything is built or written: memory at
// its peak (synapses, per-unit state, recordings held in memory, open STDP windows) and the size
// of the output file (uncompressed, spikes counted at r_max: an upper bound). The CLI compares
// them with the machine's available memory and the output disk's free space. For an experiment
// (`experiment:`), which runs loops and writes results of its own, only the network is counted and
// the output is not estimated (0).
#include <string>

#include "sim/core/config.hpp"

namespace ebsim {

struct ResourceEstimate {
  double synapses = 0;         // expected count
  double synapse_bytes = 0;    // CSR arrays, transposed index, delays, plastic copies
  double unit_bytes = 0;       // engine state per unit
  double recording_bytes = 0;  // binned rates, final states: held in memory until the run ends
  double stdp_bytes = 0;       // open STDP windows (spiking engine, plastic projections)
  double transient_bytes = 0;  // the largest temporary: building a projection, or writing its weights
  double memory_bytes = 0;     // peak: the sum of the above
  double output_bytes = 0;     // upper bound of the file's size
};

// Whether a plain run split over MPI ranks holds only its own units' synapses on each rank
// (build_network's UnitRange): a spiking run (no experiment) that reads no weight whole on every
// rank: no plasticity, no mean-field theory (which runs the whole network in one process). Weights
// written are gathered on rank 0 (sim/core/weight_gather.hpp). Otherwise every rank holds the whole
// network.
bool network_divides(const Config& cfg);
// Why not ("the weights are written (record.weights)", ...), or "" when it does.
std::string network_kept_whole(const Config& cfg);

// With one thread (jobs = 1) or with `jobs` threads, which hold more at once: a sweep runs up to
// `jobs` runs side by side and keeps up to 2 x jobs finished runs' output for the writer (over
// `ranks` processes, up to 2 x jobs x ranks on any one); a run
// whose trials go to several engines (trial_ranges > 1) holds each engine's unit state and binned
// recordings, and the finished ranges' output until it is written (at most the run's output).
// One network split into `partitions` partitions in this process (--threads): each partition holds
// its own units' engine state and 8 bytes per row for its share of it; split over `ranks`
// processes with network_divides, each holds about its share of the synapses and of the engine
// state (the estimate is per process).
ResourceEstimate estimate_resources(const Config& cfg, unsigned jobs = 1, unsigned partitions = 1, unsigned ranks = 1);

// Into how many ranges a run's trials go, each on an engine of its own (sim/run/run.cpp): with
// several threads, when the trials are independent (no plasticity, no weight snapshots) and the
// run's output, held in memory until written, is at most 512 MiB: 4 x jobs (at most one per trial),
// so that the writer hands finished ranges to the file while later ones run. Otherwise 1.
unsigned trial_ranges(const Config& cfg, unsigned jobs);

// "1.5 GB" (powers of 1000).
std::string format_bytes(double bytes);

// "500MB", "2 GB", "1.5 TiB", "4096": bytes, or a negative value if the text is not a size.
double parse_bytes(const std::string& text);

}  // namespace ebsim
