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

// The processes of a sweep as the sweep sees them. The writer (process 0) hands out the runs as the
// processes ask for them (each time the costliest run not yet given within a window ahead of the
// writer), replays them in run order, asking a run's process for it when its turn comes, and ends
// every process with a stop. Another process asks for a run whenever it has a thread free.
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
  // Polls for the run asked for: true when it has arrived (into buffer and outcome). Throws a
  // std::runtime_error carrying another process's failure, whichever run it was in.
  virtual bool poll(std::size_t run, unsigned process, RecordingSink& buffer, UnitOutcome& outcome) = 0;
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
