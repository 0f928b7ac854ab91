#include "sim/cli/cli.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <new>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/cli/file_commands.hpp"
#include "sim/cli/options.hpp"
#include "sim/cli/partitions.hpp"
#include "sim/cli/terminal.hpp"
#include "sim/core/clock.hpp"
#include "sim/core/interrupt.hpp"
#include "sim/experiments/registry.hpp"
#include "sim/io/config_loader.hpp"
#include "sim/io/hdf5_sink.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/io/output_claim.hpp"
#include "sim/io/version.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run.hpp"
#include "sim/run/summary.hpp"
#include "sim/run/sweep.hpp"

#ifdef EBSIM_HAVE_MPI
#include "sim/cli/mpi_exchange.hpp"
#endif

namespace po = boost::program_options;

namespace ebsim::cli {

namespace {

constexpr const char* kUsage =
    "usage: ebsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run CONFIG       run an experiment and write one HDF5 file\n"
    "  check CONFIG     validate a config (nothing is run or written)\n"
    "  info FILE.h5     print what an output file holds (--json for scripts)\n"
    "  sonata FILE.h5   write each run of a sweep file as a SONATA file of its own (-o DIR)\n"
    "\n"
    "`ebsim <command> --help` describes each command's options.\n";

// The command line as a POSIX shell would need it to run it again: an argument with anything but
// letters, digits and `-_./=:,+@%` is single-quoted (a `'` inside written as `'\''`).
std::string join_args(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    const bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](unsigned char c) {
      return std::isalnum(c) || std::strchr("-_./=:,+@%", c) != nullptr;
    });
    std::string quoted = "'";
    for (const char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    s += (s.empty() ? "" : " ") + (plain ? a : quoted + "'");
  }
  return s;
}

std::vector<std::string> overrides_of(const po::variables_map& vm) {
  std::vector<std::string> o;
  if (vm.count("set")) o = vm["set"].as<std::vector<std::string>>();
  if (vm.count("seed")) o.push_back("seed=" + vm["seed"].as<std::string>());  // parse() checked it
  return o;
}

std::uint64_t max_sweep_runs(const po::variables_map& vm) {
  return vm.count("yes") ? std::numeric_limits<std::uint64_t>::max() : kMaxSweepRunsUnconfirmed;
}

// One run of a sweep: its experiment kind, or a plain protocol run (the summary of each run is not
// printed; the sweep's is).
UnitOutcome run_one(const Config& cfg, Sink& sink, const RunOptions& options) {
  if (!cfg.experiment) return run_plain(cfg, sink, options);
  std::ostringstream ignored;
  UnitOutcome u;
  u.complete = find_experiment_kind(cfg.experiment_kind).run(cfg, sink, options, ignored);
  return u;
}

// The memory the kernel could give this process now (MemAvailable), or -1 if unknown.
double available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  double kib = 0;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return -1;
}

// Free space for an unprivileged writer on the file system that holds `path`'s directory, or -1
// (also for file systems that report no size at all, such as /proc: the output claim says more).
double free_space(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  struct statvfs fs {};
  if (::statvfs(parent.empty() ? "." : parent.c_str(), &fs) != 0 || fs.f_blocks == 0) return -1;
  return double(fs.f_bavail) * double(fs.f_frsize);
}

std::string resource_summary(const ResourceEstimate& need) {
  std::ostringstream os;
  char synapses[32];
  std::snprintf(synapses, sizeof synapses, need.synapses < 1e6 ? "%.0f" : "%.3g", need.synapses);
  os << "memory about " << format_bytes(need.memory_bytes) << " at its peak (" << format_bytes(need.synapse_bytes)
     << " for " << synapses << " synapses, " << format_bytes(need.unit_bytes) << " engine state, "
     << format_bytes(need.recording_bytes) << " recordings, " << format_bytes(need.stdp_bytes) << " STDP windows, "
     << format_bytes(need.transient_bytes) << " temporary)";
  if (need.output_bytes > 0) os << ", output up to " << format_bytes(need.output_bytes);
  return os.str();
}

// Refuses, before anything is built or written, a run that cannot fit: the estimate against the
// machine's available memory and the output disk's free space, or against the limits given.
std::string resource_problem(const ResourceEstimate& need, const std::string& output, const po::variables_map& vm) {
  const auto limit = [&](const char* option, double machine) {
    if (!vm.count(option)) return machine;
    return parse_bytes(vm[option].as<std::string>());
  };
  const double memory = limit("max-memory", available_memory()), disk = limit("max-output", free_space(output));
  for (const char* option : {"max-memory", "max-output"})
    if (vm.count(option) && parse_bytes(vm[option].as<std::string>()) < 0)
      return "--" + std::string(option) + " " + vm[option].as<std::string>() +
             ": expected a size such as `500MB`, `2GB` or `1.5TiB`";
  if (memory >= 0 && need.memory_bytes > memory)
    return "the run needs " + resource_summary(need) + ": more than the " + format_bytes(memory) +
           (vm.count("max-memory") ? " allowed by --max-memory" : " of memory available") +
           " (--max-memory SIZE sets the limit)";
  if (disk >= 0 && need.output_bytes > disk)
    return "the output may grow to " + format_bytes(need.output_bytes) + " (" + resource_summary(need) +
           "): more than the " + format_bytes(disk) +
           (vm.count("max-output") ? " allowed by --max-output" : " free for `" + output + "`") +
           " (--max-output SIZE sets the limit)";
  return {};
}

// Files a run reads; its output must not be any of them.
std::vector<std::string> input_files(const Config& cfg, const std::string& config_path) {
  std::vector<std::string> inputs{config_path};
  if (cfg.experiment)
    for (const std::string& path : cfg.experiment->input_files()) inputs.push_back(path);
  return inputs;
}

// Ends every rank of a network split over ranks at once (a rank failed while the others may wait
// for it in a collective).
[[noreturn]] void abort_all_ranks(int code) {
#ifdef EBSIM_HAVE_MPI
  abort_all(code);
#else
  std::exit(code);
#endif
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool terminal) {
  po::options_description opts("ebsim run options");
  opts.add_options()("output,o", po::value<std::string>(), "output HDF5 file (default: the config's output.path)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a config key: --set key.path=value (repeatable)")("seed", po::value<std::string>(),
                                                                  "override the seed (an integer from 0 to 2^63 - 1)")(
      "force", "overwrite an existing output file")("quiet,q", "no progress bar and no summary")(
      "jobs,j", po::value<long long>(),
      "independent runs of a sweep at once (default: the number of cores; 1: one after another)")(
      "threads,t", po::value<long long>(),
      "split one spiking network over this many threads (default 1; the output is the same for any number)")(
      "yes", "run a sweep of more than 100,000 runs")(
      "max-memory", po::value<std::string>(), "refuse runs estimated to need more memory (default: what is available)")(
      "max-output", po::value<std::string>(),
      "refuse runs whose output may grow larger (default: the disk's free space)");
  po::variables_map vm;
  int code = 0;
  if (!parse(args, opts, vm,
             "usage: ebsim run CONFIG [-o OUT] [--set key.path=value]... [--seed N] [--jobs N] [--threads T] [--yes] "
             "[--force] [--quiet] [--max-memory SIZE] [--max-output SIZE]\n",
             out, err, code))
    return code;
  const std::string config_path = vm["positional"].as<std::string>();
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  if (vm.count("jobs")) {
    const long long j = vm["jobs"].as<long long>();
    if (j < 1 || j > 4096) {
      err << "ebsim: error: --jobs " << j << ": expected 1 to 4096 threads (1 runs one run after another)\n";
      return 2;
    }
    jobs = unsigned(j);
  }
  unsigned threads = 1;
  if (vm.count("threads")) {
    const long long t = vm["threads"].as<long long>();
    if (t < 1 || t > 4096) {
      err << "ebsim: error: --threads " << t
          << ": expected 1 to 4096 partitions of the network (1: the serial engine)\n";
      return 2;
    }
    threads = unsigned(t);
  }
#ifdef EBSIM_HAVE_MPI
  MpiSession mpi;
  const int rank = mpi.rank(), ranks = mpi.size();
#else
  if (const char* size = std::getenv("OMPI_COMM_WORLD_SIZE"); size && std::atoi(size) > 1) {
    err << "ebsim: error: started by mpirun as " << size
        << " processes, but this ebsim was built without MPI (configure with -DEBSIM_MPI=ON)\n";
    return 2;
  }
  const int rank = 0, ranks = 1;
#endif
  // Under MPI every rank reads the same config and meets the same errors: rank 0 prints them.
  std::ostream silent(nullptr);
  std::ostream& say = rank == 0 ? err : silent;
  Config cfg;
  try {
    cfg = load_config(config_path, overrides_of(vm), experiment_catalog(), max_sweep_runs(vm));
  } catch (const ConfigError& e) {
    say << "ebsim: error: " << e.what() << "\n";
    return 2;
  }
  if (const std::string problem = partitions_problem(cfg, threads, unsigned(ranks)); !problem.empty()) {
    say << "ebsim: error: " << problem << "\n";
    return 2;
  }
  if (threads > 1 && !threads_apply(cfg))
    say << "ebsim: note: --threads " << threads << " has no effect here: "
        << (cfg.engine.kind == EngineKind::continuous ? "the continuous engine"
                                                      : "the `" + cfg.experiment_kind + "` experiment")
        << " runs each network on one thread (--jobs spreads independent runs)\n";
  const std::string output = vm.count("output") ? vm["output"].as<std::string>() : cfg.output.path;
  if (output.empty()) {
    say << "ebsim: error: no output file: give -o OUT or set output.path in " << config_path << "\n";
    return 2;
  }
  // Not a sweep: the ranks split its one network (PartitionedEngine), or rank 0 runs it alone.
  const bool one_network = ranks > 1 && splits_over_ranks(cfg);
  if (ranks > 1 && !cfg.sweep && !one_network) {
    if (rank != 0) return 0;
    err << "ebsim: note: not a sweep: rank 0 runs it alone (the other " << ranks - 1
        << " ranks have nothing to do; --jobs threads help a single run's independent parts)\n";
  }
  if (one_network && !cfg.experiment && !network_divides(cfg))
    say << "ebsim: note: every rank holds the whole network: " << network_kept_whole(cfg)
        << " (with no theory and no plasticity each rank holds its own units' synapses)\n";
  const bool distributed = ranks > 1 && (cfg.sweep || one_network);
#ifdef EBSIM_HAVE_MPI
  // The ranks of a distributed sweep start together or not at all: a rank that leaves before the
  // sweep starts (a resource problem, no output path) says so to the others on its way out.
  struct StartGate {
    const MpiSession* mpi;
    bool passed = false;
    bool pass(bool ready) {
      passed = true;
      return mpi ? mpi->all_ready(ready) : ready;
    }
    ~StartGate() {
      if (mpi && !passed) mpi->all_ready(false);
    }
  } gate{distributed ? &mpi : nullptr};
#endif
  const ResourceEstimate need =
      estimate_resources(cfg, jobs, threads_apply(cfg) ? threads : 1, distributed ? unsigned(ranks) : 1);
  if (const std::string problem = resource_problem(need, output, vm); !problem.empty()) {
    if (rank == 0)
      err << "ebsim: error: " << problem << "\n";
    else
      err << "ebsim: rank " << rank << ": error: " << problem << "\n";
    return 2;
  }
  const bool force = vm.count("force") > 0, quiet = vm.count("quiet") > 0 || rank != 0;
  // Before any file is created: from here on a signal asks the run to stop, and whatever file
  // exists is closed cleanly.
  SignalGuard guard;
  std::optional<OutputClaim> claim;
  if (rank == 0) {
    try {
      claim.emplace(output, force, input_files(cfg, config_path));
    } catch (const OutputPathError& e) {
      err << "ebsim: error: " << e.what() << "\n";
      return 2;
    }
  }
  std::unique_ptr<RunExchange> exchange;
#ifdef EBSIM_HAVE_MPI
  if (distributed) {
    if (!gate.pass(true)) {
      if (rank == 0) err << "ebsim: error: another rank could not start (its message is above); nothing was run\n";
      return 2;
    }
    if (cfg.sweep) exchange = make_mpi_exchange(mpi, cfg.sweep_points.size());
  }
  const std::unique_ptr<PartitionComm> comm = one_network ? make_mpi_partition_comm(mpi) : nullptr;
#else
  const std::unique_ptr<PartitionComm> comm;
#endif
  RunOptions options;
  options.command_line = join_args(args);
  options.stop = &g_stop_requested;
  options.jobs = jobs;
  options.threads = threads;
  if (comm) {  // every rank leaves at the same interval: the runner reads the agreed flag
    comm->set_signal_flag(&g_stop_requested);
    options.stop = &comm->agreed_stop;
    options.comm = comm.get();
  }
  if (rank != 0 && one_network) return run_other_rank(cfg, options, run_one, rank, err, abort_all_ranks);
  if (rank != 0) {
    // Another rank of a distributed sweep: computes its runs and sends them to rank 0.
    try {
      MemorySink unused;
      const SweepResult result = run_sweep(cfg, unused, options, run_one, exchange.get());
      return result.complete ? 0 : 1;
    } catch (const std::exception& e) {
      err << "ebsim: rank " << rank << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  try {
    Hdf5Sink sink(output, force);
    std::optional<ProgressBar> bar;
    if (terminal && !quiet) {
      bar.emplace(err);
      options.progress = [&bar](double f) { bar->update(f); };
      options.progress_note = [&bar](const std::string& what) { bar->note(what); };
    }
    sink.begin_run(make_metadata(cfg, options.command_line));
    bool complete = false;
    std::string summary;
    try {
      if (cfg.sweep) {
        const SweepResult result = run_sweep(cfg, sink, options, run_one, exchange.get());
        complete = result.complete;
        summary = format_sweep_summary(cfg, result);
      } else if (cfg.experiment) {
        std::ostringstream os;
        complete = find_experiment_kind(cfg.experiment_kind).run(cfg, sink, options, os);
        summary = os.str();
      } else {
        const RunResult result = run_experiment(cfg, sink, options);
        complete = result.complete;
        summary = format_summary(cfg, result);
      }
    } catch (const Interrupted&) {
      complete = false;  // stopped where no result could say so, e.g. while building a network
    }
    // A signal that came while the last results were computed or written still counts.
    if (g_stop_requested.load()) complete = false;
    sink.end_run(complete);
    bar.reset();
    if (!complete) {
      err << "ebsim: interrupted; the partial output is kept at `" << sink.partial_path() << "`, marked incomplete (`"
          << output << "` was not written)\n";
      return 130;
    }
    if (!quiet) out << summary << "  output: " << output << "\n";
  } catch (const std::exception& e) {
    err << "ebsim: error: " << e.what() << "\n";
    if (comm) {  // the partial file is closed; the other ranks may wait in a collective
      err << std::flush;
      abort_all_ranks(1);
    }
    return 1;
  }
  return 0;
}

int cmd_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("ebsim check options");
  opts.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                     "override a config key: --set key.path=value")(
      "seed", po::value<std::string>(), "override the seed (an integer from 0 to 2^63 - 1)")(
      "print", "print the resolved config (defaults filled in)")("yes", "accept a sweep of more than 100,000 runs");
  po::variables_map vm;
  int code = 0;
  if (!parse(args, opts, vm, "usage: ebsim check CONFIG [--set key.path=value]... [--print]\n", out, err, code))
    return code;
  const std::string path = vm["positional"].as<std::string>();
  try {
    const Config cfg = load_config(path, overrides_of(vm), experiment_catalog(), max_sweep_runs(vm));
    out << path << ": OK (" << cfg.populations.size() << " populations, " << cfg.projections.size() << " projections, "
        << cfg.protocol.phases.size() << " phases x " << cfg.protocol.trials << " trial(s), "
        << (cfg.engine.kind == EngineKind::spiking ? "spiking" : "continuous") << " engine"
        << (cfg.sweep ? ", a sweep of " + std::to_string(cfg.sweep_points.size()) + " runs" : std::string()) << ")\n"
        << "  needs " << resource_summary(estimate_resources(cfg))
        << (cfg.sweep ? " (memory: the largest run's, once per job; output: all runs)" : "") << "\n";
    if (vm.count("print")) out << cfg.resolved_yaml;
  } catch (const ConfigError& e) {
    err << "ebsim: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

int dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool terminal) {
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    (args.size() < 2 ? err : out) << kUsage;
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] == "--version") {
    out << "ebsim " << kVersion << " (" << kGitRevision << ")\n";
    return 0;
  }
  if (args[1] == "run") return cmd_run(args, out, err, terminal);
  if (args[1] == "check") return cmd_check(args, out, err);
  if (args[1] == "info") return cmd_info(args, out, err);
  if (args[1] == "sonata") return cmd_sonata(args, out, err);
  err << "ebsim: unknown command `" << args[1] << "`\n" << kUsage;
  return 2;
}

}  // namespace

int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool terminal) {
  // Whatever escapes a command becomes one line and exit 1, never an abort.
  try {
    return dispatch(args, out, err, terminal);
  } catch (const std::bad_alloc&) {
    err << "ebsim: error: out of memory (the run needs more memory than the machine gives it)\n";
  } catch (const std::exception& e) {
    err << "ebsim: error: " << e.what() << "\n";
  } catch (...) {
    err << "ebsim: error: unexpected failure\n";
  }
  return 1;
}

}  // namespace ebsim::cli
