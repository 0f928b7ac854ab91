#pragma once
// A sweep spread over several processes (MPI ranks, sim/cli/mpi_exchange.hpp): which runs this
// process computes, and how the runs of the others reach the one process that writes the file.
// run_sweep (sim/run/sweep.hpp) drives it; nothing here knows MPI, so the protocol is testable
// in one process.
//
// Runs are given out as processes ask (so a process that finishes early gets more: the costs of
// runs are estimates), and a finished run is sent only when the writer asks for it, so a process
// never sends what nobody receives, and a stop reaches every process from the writer.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/run/results.hpp"

namespace ebsim {

class RecordingSink;

// One run: complete or interrupted, and, for a plain protocol run, its results.
struct UnitOutcome {
  bool complete = false;
  RunResult run;
};

// A run computed elsewhere: what it wrote and its outcome, as bytes and back (Boost.Serialization).
std::string pack_run(const RecordingSink& buffer, const UnitOutcome& outcome);
void unpack_run(const std::string& bytes, RecordingSink& buffer, UnitOutcome& outcome);

// A range of a run's trials computed by another process than the run's (sim/run/range_outlet.hpp):
// what the run's own engines would have given it for those trials.
struct TrialPart {
  bool complete = false;
  std::vector<PhaseResult> phases;
  std::uint64_t synaptic_events = 0, spikes = 0, samples = 0;
  std::vector<double> final_states;  // the range's rows of final_states: trials x units
  std::vector<double> rates;         // RateRecorder::trial_rows
  std::string calls;                 // what it recorded (RecordingSink::pack)
};
std::string pack_trial_part(const TrialPart& part);
TrialPart unpack_trial_part(const std::string& bytes);

// What the processes of a sweep of `runs` runs exchange, by number: run k (k < runs), or range b of
// run k's trials (runs + k x kMaxSharedRanges + b) when the writer shares that run's ranges.
constexpr unsigned kMaxSharedRanges = 4096;
inline std::size_t trial_part_id(std::size_t runs, std::size_t run, unsigned range) {
  return runs + run * kMaxSharedRanges + range;
}
inline bool is_trial_part(std::size_t runs, std::size_t id) { return id >= runs; }
inline std::size_t run_of_part(std::size_t runs, std::size_t id) { return (id - runs) / kMaxSharedRanges; }
inline unsigned range_of_part(std::size_t runs, std::size_t id) { return unsigned((id - runs) % kMaxSharedRanges); }
// How many numbers a sweep of `runs` runs may exchange.
inline std::size_t exchange_ids(std::size_t runs) { return runs * (1 + std::size_t(kMaxSharedRanges)); }

// The processes of a sweep as the sweep sees them. The writer (process 0) hands out the runs as the
// processes ask for them (each time the costliest run not yet given within a window ahead of the
// writer, or a range of a shared run's trials), replays them in run order, asking a run's process
// for it when its turn comes, and ends every process with a stop. Another process asks for a run
// whenever it has a thread free. "Run" below is either kind of unit, by its number (trial_part_id).
// The writer asks one process for one unit at a time and waits until it has arrived.
class RunExchange {
 public:
  virtual ~RunExchange() = default;
  virtual bool writer() const = 0;         // this process writes the file
  virtual unsigned processes() const = 0;  // the writer included

  // The writer. A process that asks for a run (polled: true and its number, or false).
  virtual bool poll_want(unsigned& process) = 0;
  // Gives `process` a run to compute.
  virtual void assign(std::size_t run, unsigned process) = 0;
  // Asks `process` for a run it was given (once per run, in run order).
  virtual void request(std::size_t run, unsigned process) = 0;
  // Polls for the run asked for: true when it has arrived (its packed bytes, as sent). Throws a
  // std::runtime_error carrying another process's failure, whichever run it was in.
  virtual bool poll(std::size_t run, unsigned process, std::string& packed) = 0;
  // Tells every other process to stop (the sweep is over, complete or not).
  virtual void finish() = 0;

  // Another process. Asks the writer for a run.
  virtual void want() = 0;
  // What the writer says (polled): a run given, a run asked for, the end, or nothing yet.
  enum class Message { none, assign, request, stop };
  virtual Message next_message(std::size_t& run) = 0;
  // Sends a run the writer asked for, packed by pack_run.
  virtual void send(std::size_t run, const std::string& packed) = 0;
  // A run that failed here: its message goes to the writer, which fails the sweep with it.
  virtual void send_failure(std::size_t run, const std::string& what) = 0;
};

}  // namespace ebsim
