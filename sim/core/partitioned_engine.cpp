#include "sim/core/partitioned_engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace ebsim {

PartitionedEngine::PartitionedEngine(const EngineParams& params, const Network& net, unsigned partitions,
                                     PartitionComm* comm)
    : comm_(comm && comm->size() > 1 ? comm : nullptr), sync_(std::max(partitions, 1u)) {
  if (partitions < 1) throw std::invalid_argument("a partitioned engine needs at least one partition");
  const unsigned ranks = comm_ ? unsigned(comm_->size()) : 1, rank = comm_ ? unsigned(comm_->rank()) : 0;
  const std::vector<std::uint32_t> bound = bounds(params, net.n_units, std::uint64_t(partitions) * ranks);
  lo_ = bound[std::size_t(rank) * partitions];
  hi_ = bound[std::size_t(rank + 1) * partitions];
  if (!net.kept.whole() && (net.kept.lo > lo_ || net.kept.hi < hi_))
    throw std::invalid_argument("this process's part of the network (units " + std::to_string(net.kept.lo) + " to " +
                                std::to_string(net.kept.hi) + ") lacks synapses of units it owns (" +
                                std::to_string(lo_) + " to " + std::to_string(hi_) + ")");
  parts_.reserve(partitions);
  for (unsigned q = 0; q < partitions; ++q) {
    const std::size_t global = std::size_t(rank) * partitions + q;
    parts_.emplace_back(params, net, UnitRange{bound[global], bound[global + 1]});
    if (comm_) parts_.back().mirror_weight_changes();
  }
  d_min_ = parts_.front().min_delay();
  start_workers();
}

std::vector<std::uint32_t> PartitionedEngine::bounds(const EngineParams& params, std::uint32_t n_units,
                                                     std::uint64_t total) {
  if (total < 1) throw std::invalid_argument("a partitioned engine needs at least one partition");
  if (total > n_units)
    throw std::invalid_argument(std::to_string(total) + " partitions for " + std::to_string(n_units) +
                                " units: at most one partition per unit");
  std::vector<std::uint32_t> b(total + 1);
  std::uint64_t covered = 0;
  double sum = 0.0;
  for (const PopulationCost& c : params.unit_costs) covered += c.size, sum += c.size * c.per_unit;
  for (std::uint64_t k = 0; k <= total; ++k) b[k] = std::uint32_t(std::uint64_t(n_units) * k / total);
  if (covered == n_units && sum > 0.0) {
    std::size_t pop = 0;
    std::uint64_t offset = 0;  // the first unit of population `pop`
    double before = 0.0;       // the cost of the units before it
    for (std::uint64_t k = 1; k < total; ++k) {
      const double target = sum * double(k) / double(total);
      while (pop < params.unit_costs.size() &&
             before + params.unit_costs[pop].size * params.unit_costs[pop].per_unit < target) {
        before += params.unit_costs[pop].size * params.unit_costs[pop].per_unit;
        offset += params.unit_costs[pop].size;
        ++pop;
      }
      b[k] =
          pop < params.unit_costs.size()
              ? std::uint32_t(offset + std::uint64_t(std::llround((target - before) / params.unit_costs[pop].per_unit)))
              : n_units;
    }
  }
  // Every block at least one unit (total <= n_units).
  for (std::uint64_t k = 1; k < total; ++k) b[k] = std::max(b[k], b[k - 1] + 1);
  for (std::uint64_t k = total - 1; k >= 1; --k) b[k] = std::min(b[k], std::uint32_t(b[k + 1] - 1));
  return b;
}

UnitRange PartitionedEngine::block(const EngineParams& params, std::uint32_t n_units, unsigned partitions,
                                   const PartitionComm* comm) {
  const bool over = comm && comm->size() > 1;
  const std::uint64_t ranks = over ? std::uint64_t(comm->size()) : 1, rank = over ? std::uint64_t(comm->rank()) : 0;
  const std::uint64_t per_rank = std::max(partitions, 1u);
  const std::vector<std::uint32_t> b = bounds(params, n_units, per_rank * ranks);
  return {b[rank * per_rank], b[(rank + 1) * per_rank]};
}

PartitionedEngine::PartitionedEngine(const PartitionedEngine& other)
    : Engine(other),
      parts_(other.parts_),
      inbox_(other.inbox_),
      d_min_(other.d_min_),
      next_boundary_(other.next_boundary_),
      intervals_(other.intervals_),
      deferred_(other.deferred_),
      comm_(other.comm_),
      lo_(other.lo_),
      hi_(other.hi_),
      sync_(other.partitions()) {
  start_workers();
}

void PartitionedEngine::start_workers() {
  errors_.assign(parts_.size(), nullptr);
  workers_.reserve(parts_.size() - 1);
  for (unsigned q = 1; q < parts_.size(); ++q) workers_.emplace_back([this, q] { worker(q); });
}

PartitionedEngine::~PartitionedEngine() {
  quit_ = true;
  if (!workers_.empty()) sync_.arrive_and_wait();  // wakes the workers, which see quit_
  for (std::thread& t : workers_) t.join();
}

void PartitionedEngine::worker(unsigned q) {
  for (;;) {
    sync_.arrive_and_wait();  // a task is set (or quit_)
    if (quit_) return;
    try {
      (*task_)(q);
    } catch (...) {
      errors_[q] = std::current_exception();
    }
    sync_.arrive_and_wait();  // done
  }
}

void PartitionedEngine::run(const std::function<void(unsigned)>& task) {
  task_ = &task;
  if (!workers_.empty()) sync_.arrive_and_wait();
  try {
    task(0);
  } catch (...) {
    errors_[0] = std::current_exception();
  }
  if (!workers_.empty()) sync_.arrive_and_wait();
  for (std::exception_ptr& e : errors_)
    if (e) {
      const std::exception_ptr first = e;
      std::fill(errors_.begin(), errors_.end(), nullptr);
      std::rethrow_exception(first);
    }
}

void PartitionedEngine::set_stop_flag(const std::atomic<bool>* stop) {
  Engine::set_stop_flag(stop);
  // Over processes the partitions never stop on their own: advance_to stops them all together at
  // an interval's end (PartitionComm::agreed_stop).
  for (SpikingEngine& p : parts_) p.set_stop_flag(comm_ ? nullptr : stop);
}

void PartitionedEngine::reset(std::uint32_t trial) {
  run([&](unsigned q) { parts_[q].reset(trial); });
  inbox_.clear();
  deferred_.clear();
  next_boundary_ = 1;
}

void PartitionedEngine::set_phase(const PhaseDrive& drive) {
  run([&](unsigned q) { parts_[q].set_phase(drive); });
}

bool PartitionedEngine::exchange(bool stop) {
  inbox_.clear();
  for (SpikingEngine& p : parts_) {
    inbox_.insert(inbox_.end(), p.outbox().begin(), p.outbox().end());
    p.outbox().clear();
  }
  if (!comm_) return stop;
  // Over processes: every process's spikes, each block led by a marker that carries its stop flag.
  inbox_.insert(inbox_.begin(), Spike{stop ? 1.0 : 0.0, kMarker});
  std::vector<Spike> all = comm_->all_gather_values<Spike>(inbox_);
  inbox_.clear();
  bool any = false;
  for (const Spike& s : all) {
    if (s.unit == kMarker)
      any = any || s.time != 0.0;
    else
      inbox_.push_back(s);
  }
  if (any) comm_->agreed_stop = true;
  return any;
}

void PartitionedEngine::apply_deferred() {
  for (SpikingEngine& p : parts_) {
    std::vector<DeferredChange>& waiting = p.deferred();
    deferred_.insert(deferred_.end(), waiting.begin(), waiting.end());
    waiting.clear();
  }
  // Over processes every process holds every weight: each applies every process's changes.
  if (comm_) deferred_ = comm_->all_gather_values<DeferredChange>(deferred_);
  if (!deferred_.empty()) parts_.front().apply_deferred(deferred_);  // sorts by key, then applies
}

void PartitionedEngine::sync_mirrored() {
  if (!comm_) return;
  // Changes a partition made at once (weights only its own units use) reach the other processes'
  // copies as values: the output and the learning experiment read whole projections.
  std::vector<WeightValue> mine;
  for (SpikingEngine& p : parts_) {
    mine.insert(mine.end(), p.mirrored().begin(), p.mirrored().end());
    p.mirrored().clear();
  }
  const std::vector<WeightValue> all = comm_->all_gather_values<WeightValue>(mine);
  if (!all.empty()) parts_.front().set_weight_values(all);
}

void PartitionedEngine::advance_to(double t_ms) {
  for (;;) {
    const double boundary = double(next_boundary_) * d_min_;
    const double end = std::min(t_ms, boundary);
    run([&](unsigned q) {
      parts_[q].receive(inbox_);
      parts_[q].advance_to(end);
    });
    ++intervals_;
    // The partitions stopped short (a signal): the run is abandoned, by every process at once.
    if (exchange(comm_ ? comm_->signalled() : stop_requested())) return;
    if (end == boundary) {
      apply_deferred();
      ++next_boundary_;
    }
    if (end >= t_ms) break;
  }
  // The last interval's spikes are received now, not at the next call: what a spike schedules
  // depends on the state of the plasticity rule when it is emitted (its phase may change before
  // the next call), as in the serial engine.
  run([&](unsigned q) { parts_[q].receive(inbox_); });
  inbox_.clear();
  sync_mirrored();  // whatever reads the weights next sees every process's changes
}

bool PartitionedEngine::advance_until_settled(double, double) {
  throw std::logic_error("the spiking engine has no settle-to-tolerance (the config loader rejects it)");
}

double PartitionedEngine::residual() const { return std::numeric_limits<double>::quiet_NaN(); }

// Over processes, each fills its own units of a per-unit array; then every process gets all of them
// (the processes' unit ranges are contiguous, in rank order).
template <class T>
void PartitionedEngine::gather_units(std::span<T> out) const {
  if (!comm_) return;
  const std::vector<T> all = comm_->all_gather_values<T>(out.subspan(lo_, hi_ - lo_));
  if (all.size() != out.size()) throw std::logic_error("the processes' unit ranges do not cover the network");
  std::copy(all.begin(), all.end(), out.begin());
}

void PartitionedEngine::sample_states(std::span<double> out) {
  run([&](unsigned q) { parts_[q].sample_states(out); });
  gather_units(out);
}

void PartitionedEngine::set_states(std::span<const double> states) {
  run([&](unsigned q) { parts_[q].set_states(states); });
}

void PartitionedEngine::held_units(std::span<std::uint8_t> out) const {
  for (const SpikingEngine& p : parts_) p.held_units(out);
  gather_units(out);
}

std::vector<BoundaryCounts> PartitionedEngine::boundary_counts() const {
  std::vector<BoundaryCounts> total = parts_.front().boundary_counts();
  for (std::size_t q = 1; q < parts_.size(); ++q) {
    const std::vector<BoundaryCounts> c = parts_[q].boundary_counts();
    for (std::size_t k = 0; k < total.size(); ++k) {
      total[k].held_low += c[k].held_low;
      total[k].held_high += c[k].held_high;
      total[k].chattering += c[k].chattering;
    }
  }
  if (!comm_) return total;
  const std::vector<BoundaryCounts> all = comm_->all_gather_values<BoundaryCounts>(total);  // every rank's
  std::fill(total.begin(), total.end(), BoundaryCounts{});
  for (std::size_t k = 0; k < all.size(); ++k) {
    total[k % total.size()].held_low += all[k].held_low;
    total[k % total.size()].held_high += all[k].held_high;
    total[k % total.size()].chattering += all[k].chattering;
  }
  return total;
}

void PartitionedEngine::take_spikes(std::vector<Spike>& out) {
  out.clear();
  for (SpikingEngine& p : parts_) {
    p.take_spikes(merged_);
    out.insert(out.end(), merged_.begin(), merged_.end());
  }
  if (comm_) out = comm_->all_gather_values<Spike>(out);
  // The serial engine's order: by time, then unit (candidates at equal times go by unit).
  std::sort(out.begin(), out.end(),
            [](const Spike& a, const Spike& b) { return a.time != b.time ? a.time < b.time : a.unit < b.unit; });
}

void PartitionedEngine::record_spikes(std::uint32_t population) {
  for (SpikingEngine& p : parts_) p.record_spikes(population);
}

void PartitionedEngine::enable_integrals() {
  for (SpikingEngine& p : parts_) p.enable_integrals();
}

void PartitionedEngine::integrals(std::span<double> integral_s, std::span<double> counts) {
  run([&](unsigned q) { parts_[q].integrals(integral_s, counts); });
  gather_units(integral_s);
  gather_units(counts);
}

void PartitionedEngine::set_plasticity(PlasticityRule* rule) {
  for (SpikingEngine& p : parts_) p.set_plasticity(rule);
}

void PartitionedEngine::end_trial() {
  run([&](unsigned q) { parts_[q].end_trial(); });  // closes every partition's open windows
  apply_deferred();
  sync_mirrored();
}

std::uint64_t PartitionedEngine::sum_over_processes(std::uint64_t n) const {
  if (!comm_) return n;
  std::uint64_t total = 0;
  for (std::uint64_t x : comm_->all_gather_values<std::uint64_t>(std::span<const std::uint64_t>(&n, 1))) total += x;
  return total;
}

std::uint64_t PartitionedEngine::synaptic_events() const {
  std::uint64_t n = 0;
  for (const SpikingEngine& p : parts_) n += p.synaptic_events();
  return sum_over_processes(n);
}

std::uint64_t PartitionedEngine::spike_count() const {
  std::uint64_t n = 0;
  for (const SpikingEngine& p : parts_) n += p.spike_count();
  return sum_over_processes(n);
}

}  // namespace ebsim
