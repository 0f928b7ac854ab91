#include "sim/run/recorders.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ebsim {

namespace {

std::vector<const Population*> find_populations(const Network& net, const std::vector<std::string>& names) {
  std::vector<const Population*> out;
  for (const std::string& name : names)
    for (const Population& p : net.populations)
      if (p.name == name) out.push_back(&p);
  return out;
}

}  // namespace

StateRecorder::StateRecorder(const Config& cfg, const Network& net, Sink& sink)
    : sink_(sink), pops_(find_populations(net, cfg.record.states.populations)), buffer_(net.n_units) {
  for (const Population* p : pops_) sink.declare_report(p->name, p->size, 0.0, cfg.record.states.period_ms);
}

void StateRecorder::sample(Engine& engine) {
  engine.sample_states(buffer_);
  for (const Population* p : pops_) {
    row_.assign(buffer_.begin() + p->offset, buffer_.begin() + p->offset + p->size);
    sink_.append_report(p->name, row_);
  }
  ++samples_;
}

SpikeRecorder::SpikeRecorder(const Config& cfg, const Network& net, Engine& engine, Sink& sink)
    : net_(net), sink_(sink) {
  by_pop_.resize(net.populations.size());
  for (const Population* p : find_populations(net, cfg.record.spikes)) {
    engine.record_spikes(static_cast<std::uint32_t>(p - net.populations.data()));
    sink.declare_spikes(p->name);
    pops_.push_back(p);
    active_ = true;
  }
}

void SpikeRecorder::drain(Engine& engine, double t0) {
  if (!active_) return;
  engine.take_spikes(buffer_);
  for (auto& b : by_pop_) b.times.clear(), b.ids.clear();
  for (const Spike& s : buffer_) {
    const Population& p = net_.population_of(s.unit);
    Batch& b = by_pop_[&p - net_.populations.data()];
    b.times.push_back(t0 + s.time);
    b.ids.push_back(s.unit - p.offset);
  }
  for (std::size_t k = 0; k < by_pop_.size(); ++k)
    if (!by_pop_[k].times.empty()) sink_.append_spikes(net_.populations[k].name, by_pop_[k].times, by_pop_[k].ids);
}

RateRecorder::RateRecorder(const Config& cfg, const Network& net, std::uint32_t trials)
    : pops_(find_populations(net, cfg.record.rates.populations)),
      bin_ms_(cfg.record.rates.bin_ms),
      bins_(static_cast<std::uint64_t>(std::llround(cfg.protocol.total_duration_ms() / bin_ms_))),
      trials_(trials) {
  // Per unit of the whole network (Engine::integrals fills them so): only when rates are recorded.
  const std::size_t n = pops_.empty() ? 0 : net.n_units;
  integral_.assign(n, 0.0), counts_.assign(n, 0.0), prev_integral_.assign(n, 0.0), prev_counts_.assign(n, 0.0);
  for (const Population* p : pops_) {
    state_.emplace_back(trials_ * bins_ * p->size, 0.0);
    rate_.emplace_back(trials_ * bins_ * p->size, 0.0);
  }
}

void RateRecorder::start_trial() {
  std::fill(prev_integral_.begin(), prev_integral_.end(), 0.0);
  std::fill(prev_counts_.begin(), prev_counts_.end(), 0.0);
}

void RateRecorder::end_bin(Engine& engine, std::uint32_t trial, std::uint64_t bin) {
  engine.integrals(integral_, counts_);
  for (std::size_t k = 0; k < pops_.size(); ++k) {
    const Population& p = *pops_[k];
    const std::size_t row = (std::size_t(trial) * bins_ + bin) * p.size;
    for (std::uint32_t u = 0; u < p.size; ++u) {
      const std::uint32_t i = p.offset + u;
      state_[k][row + u] = (integral_[i] - prev_integral_[i]) / bin_ms_;
      rate_[k][row + u] = (counts_[i] - prev_counts_[i]) / bin_ms_ * 1000.0;  // Hz
    }
  }
  std::swap(integral_, prev_integral_);
  std::swap(counts_, prev_counts_);
}

void RateRecorder::copy_trials(const RateRecorder& from, std::uint32_t first, std::uint32_t end) {
  for (std::size_t k = 0; k < pops_.size(); ++k) {
    const std::size_t row = bins_ * pops_[k]->size;
    std::copy(from.state_[k].begin() + first * row, from.state_[k].begin() + end * row,
              state_[k].begin() + first * row);
    std::copy(from.rate_[k].begin() + first * row, from.rate_[k].begin() + end * row, rate_[k].begin() + first * row);
  }
}

std::vector<double> RateRecorder::trial_rows(std::uint32_t first, std::uint32_t end) const {
  std::vector<double> out;
  for (std::size_t k = 0; k < pops_.size(); ++k) {
    const std::size_t row = bins_ * pops_[k]->size;
    out.insert(out.end(), state_[k].begin() + first * row, state_[k].begin() + end * row);
    out.insert(out.end(), rate_[k].begin() + first * row, rate_[k].begin() + end * row);
  }
  return out;
}

void RateRecorder::set_trial_rows(std::uint32_t first, std::uint32_t end, const std::vector<double>& rows) {
  std::size_t expected = 0;
  for (const Population* p : pops_) expected += 2 * std::size_t(end - first) * bins_ * p->size;
  if (end < first || end > trials_ || rows.size() != expected)
    throw std::runtime_error("binned rates of trials " + std::to_string(first) + ".." + std::to_string(end) + ": " +
                             std::to_string(rows.size()) + " numbers where " + std::to_string(expected) +
                             " were expected");
  auto at = rows.begin();
  for (std::size_t k = 0; k < pops_.size(); ++k) {
    const std::size_t n = (end - first) * bins_ * pops_[k]->size, from = first * bins_ * pops_[k]->size;
    std::copy(at, at + std::ptrdiff_t(n), state_[k].begin() + std::ptrdiff_t(from));
    at += std::ptrdiff_t(n);
    std::copy(at, at + std::ptrdiff_t(n), rate_[k].begin() + std::ptrdiff_t(from));
    at += std::ptrdiff_t(n);
  }
}

void RateRecorder::write(Sink& sink, const std::string& group) const {
  for (std::size_t k = 0; k < pops_.size(); ++k) {
    const Population& p = *pops_[k];
    const std::string g = group + "/" + p.name;
    sink.write_array(g + "/rate_hz", trial_mean(rate_[k], p.size), {bins_, p.size});
    sink.write_array(g + "/mean_state", trial_mean(state_[k], p.size), {bins_, p.size});
    if (trials_ > 1) {
      sink.write_array(g + "/rate_hz_trials", rate_[k], {trials_, bins_, p.size});
      sink.write_array(g + "/mean_state_trials", state_[k], {trials_, bins_, p.size});
    }
    const std::vector<double> time{0.0, double(bins_) * bin_ms_, bin_ms_};
    sink.write_array(g + "/time", time, {3});
    sink.write_attribute(g + "/time", "units", std::string("ms"));
    sink.write_attribute(g + "/rate_hz", "units", std::string("Hz"));
    sink.write_attribute(g + "/mean_state", "units", std::string("1"));
    sink.write_attribute(g, "trials", std::int64_t(trials_));
  }
}

std::vector<double> RateRecorder::trial_mean(const std::vector<double>& v, std::uint32_t size) const {
  std::vector<double> m(bins_ * size, 0.0);
  for (std::uint32_t tr = 0; tr < trials_; ++tr)
    for (std::size_t j = 0; j < m.size(); ++j) m[j] += v[tr * m.size() + j] / trials_;
  return m;
}

}  // namespace ebsim
