#pragma once
// A sweep spread over several processes (MPI ranks, sim/cli/mpi_exchange.hpp): which runs this
// process computes, and how the runs of the others reach the one process that writes the file.
// run_sweep (sim/run/sweep.hpp) drives it; nothing here knows MPI, so the protocol is testable
// in one process.
//
// The writer (rank 0) replays the runs in order k = 0, 1, ...; for a run of another process it
// asks that process for it (`fetch`) and the process sends it once it is done. So a process never
// sends what nobody receives, and a stop reaches every process from the writer.
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

// Runs to processes by estimated cost, longest first, each to the least loaded process so far (ties:
// the lower run index, the lower process): owner[k] for run k. Deterministic, and the file does not
// depend on it (the writer replays in run order).
std::vector<unsigned> assign_by_cost(const std::vector<double>& costs, unsigned processes);

class RunExchange {
 public:
  virtual ~RunExchange() = default;
  virtual bool writer() const = 0;                       // this process writes the file
  virtual bool local(std::size_t run) const = 0;         // this process computes the run
  virtual std::string where(std::size_t run) const = 0;  // "rank 2", for messages

  // The writer. Asks the owner for a run (once per run, in run order).
  virtual void request(std::size_t run) = 0;
  // Polls for the run asked for: true when it has arrived (into buffer and outcome). Throws a
  // std::runtime_error carrying another process's failure, whichever run it was in.
  virtual bool poll(std::size_t run, RecordingSink& buffer, UnitOutcome& outcome) = 0;
  // Tells every other process to stop (the sweep is over, complete or not).
  virtual void finish() = 0;

  // Another process. Polls for what the writer says: the run it asks for next (true), or that the
  // sweep is over (`stop` set, true); false when nothing came.
  virtual bool next_message(std::size_t& run, bool& stop) = 0;
  virtual void send(std::size_t run, const RecordingSink& buffer, const UnitOutcome& outcome) = 0;
  // A run that failed here: its message goes to the writer, which fails the sweep with it.
  virtual void send_failure(std::size_t run, const std::string& what) = 0;
};

}  // namespace ebsim
