#include "sim/io/recording_sink.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <sstream>
#include <stdexcept>

#include "sim/io/archive.hpp"

namespace ebsim {

void RecordingSink::replay(Sink& to) { replay(to, true); }

void RecordingSink::replay_without_declarations(Sink& to) { replay(to, false); }

void RecordingSink::replay(Sink& to, bool declarations) {
  std::deque<Call> calls;
  {
    std::lock_guard lock(mutex_);
    calls.swap(calls_);
    open_.clear();
  }
  for (Call& call : calls) {
    std::visit(
        [&to, declarations](auto& c) {
          using C = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<C, BeginRun>) to.begin_run(c.meta);
          if constexpr (std::is_same_v<C, SetScope>) to.set_scope(c.prefix);
          if constexpr (std::is_same_v<C, DeclareReport>)
            if (declarations) to.declare_report(c.population, c.n_nodes, c.t_start_ms, c.dt_ms);
          if constexpr (std::is_same_v<C, AppendReportChunks>)
            to.append_report_chunks(c.population, c.n_nodes, c.chunks);
          if constexpr (std::is_same_v<C, AppendSpikeChunks>)
            to.append_spike_chunks(c.population, c.times_ms, c.node_ids);
          if constexpr (std::is_same_v<C, AppendReport>) {
            const std::size_t width = c.n_rows == 0 ? 0 : c.rows.size() / c.n_rows;
            for (std::uint64_t r = 0; r < c.n_rows; ++r)
              to.append_report(c.population, std::span<const float>(c.rows).subspan(r * width, width));
          }
          if constexpr (std::is_same_v<C, DeclareSpikes>)
            if (declarations) to.declare_spikes(c.population);
          if constexpr (std::is_same_v<C, AppendSpikes>) to.append_spikes(c.population, c.times_ms, c.node_ids);
          if constexpr (std::is_same_v<C, WriteWeights>) to.write_weights(c.label, c.table);
          if constexpr (std::is_same_v<C, WriteArray>) to.write_array(c.path, c.data, std::move(c.shape));
          if constexpr (std::is_same_v<C, WriteAttribute>) to.write_attribute(c.path, c.name, c.value);
          if constexpr (std::is_same_v<C, EndRun>) to.end_run(c.complete);
        },
        call);
    call = EndRun{false};  // frees the recorded data as soon as it is written
  }
}

namespace {

// An append joins the one before it until that holds this many elements and would have to grow:
// growing further would copy it again, so the next starts a new piece.
constexpr std::size_t kPieceElements = std::size_t{1} << 16;

template <class T>
bool full(const std::vector<T>& piece, std::size_t more) {
  return piece.size() >= kPieceElements && piece.size() + more > piece.capacity();
}

}  // namespace

template <class C>
C& RecordingSink::open_append(const std::string& population, const std::function<bool(const C&)>& joins) {
  for (auto it = open_.begin(); it != open_.end();) {
    const bool same_dataset = std::visit(
        [&](const auto& o) {
          using O = std::decay_t<decltype(o)>;
          if constexpr (requires { o.population; })
            return writes_report<O> == writes_report<C> && o.population == population;
          return false;
        },
        **it);
    if (!same_dataset) {
      ++it;
      continue;
    }
    if (C* c = std::get_if<C>(*it); c && joins(*c)) return *c;
    it = open_.erase(it);  // a new piece for this dataset from here on (rows after chunks, or a full piece)
  }
  C fresh;
  fresh.population = population;
  open_.push_back(&calls_.emplace_back(std::move(fresh)));
  return std::get<C>(*open_.back());
}

void RecordingSink::set_scope(const std::string& prefix) {
  finish_chunks();  // the previous scope's datasets are finished
  record(SetScope{prefix});
}

void RecordingSink::encode_declared_report(const std::string& population, std::uint32_t n_nodes) {
  report_encoders_.insert_or_assign(population, ReportEncoder{n_nodes, ChunkEncoder<float>(n_nodes)});
}

void RecordingSink::encode_declared_spikes(const std::string& population) {
  spike_encoders_.insert_or_assign(population, SpikeEncoders{});
}

void RecordingSink::declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms,
                                   double dt_ms) {
  if (encode_) encode_declared_report(population, n_nodes);
  record(DeclareReport{population, n_nodes, t_start_ms, dt_ms});
}

void RecordingSink::declare_spikes(const std::string& population) {
  if (encode_) encode_declared_spikes(population);
  record(DeclareSpikes{population});
}

void RecordingSink::append_report(const std::string& population, std::span<const float> row) {
  const auto e = report_encoders_.find(population);
  if (e != report_encoders_.end()) {
    if (row.size() != e->second.n_nodes)
      throw std::invalid_argument("append_report(" + population + "): a row of " + std::to_string(row.size()) +
                                  " values, declared " + std::to_string(e->second.n_nodes) + " nodes");
    std::vector<EncodedChunk> chunks;  // encoded before the lock: a replay meanwhile does not wait
    e->second.rows.append(row, chunks);
    if (chunks.empty()) return;
    std::lock_guard lock(mutex_);
    AppendReportChunks& open =
        open_append<AppendReportChunks>(population, [](const AppendReportChunks&) { return true; });
    open.n_nodes = e->second.n_nodes;
    for (EncodedChunk& c : chunks) open.chunks.push_back(std::move(c));
    return;
  }
  std::lock_guard lock(mutex_);
  AppendReport& open = open_append<AppendReport>(population, [&](const AppendReport& c) {
    return c.rows.size() == c.n_rows * row.size() && !full(c.rows, row.size());  // rows of one width
  });
  open.rows.insert(open.rows.end(), row.begin(), row.end());
  ++open.n_rows;
}

void RecordingSink::append_spikes(const std::string& population, std::span<const double> times_ms,
                                  std::span<const std::uint64_t> node_ids) {
  const auto e = spike_encoders_.find(population);
  if (e != spike_encoders_.end()) {
    require_spikes(population, times_ms, node_ids, e->second.last_time_ms);  // the HDF5 sink checks rows, not chunks
    std::vector<EncodedChunk> time_chunks, id_chunks;
    e->second.times.append(times_ms, time_chunks);
    e->second.ids.append(node_ids, id_chunks);
    if (time_chunks.empty()) return;
    std::lock_guard lock(mutex_);
    AppendSpikeChunks& open = open_append<AppendSpikeChunks>(population, [](const AppendSpikeChunks&) { return true; });
    for (EncodedChunk& c : time_chunks) open.times_ms.push_back(std::move(c));
    for (EncodedChunk& c : id_chunks) open.node_ids.push_back(std::move(c));
    return;
  }
  std::lock_guard lock(mutex_);
  AppendSpikes& open =
      open_append<AppendSpikes>(population, [&](const AppendSpikes& c) { return !full(c.times_ms, times_ms.size()); });
  open.times_ms.insert(open.times_ms.end(), times_ms.begin(), times_ms.end());
  open.node_ids.insert(open.node_ids.end(), node_ids.begin(), node_ids.end());
}

void RecordingSink::finish_chunks() {
  std::map<std::string, ReportEncoder> reports;
  std::map<std::string, SpikeEncoders> spikes;
  reports.swap(report_encoders_);  // what comes after is recorded as rows
  spikes.swap(spike_encoders_);
  for (auto& [population, e] : reports) {
    const std::vector<float>& rows = e.rows.pending();
    for (std::size_t r = 0; r < rows.size(); r += e.n_nodes)
      append_report(population, std::span<const float>(rows).subspan(r, e.n_nodes));
  }
  for (auto& [population, e] : spikes)
    if (!e.times.pending().empty()) append_spikes(population, e.times.pending(), e.ids.pending());
}

void RecordingSink::append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                                         std::span<const EncodedChunk> chunks) {
  if (report_encoders_.contains(population))
    throw std::logic_error("append_report_chunks(" + population + "): into a recording that encodes it itself");
  std::lock_guard lock(mutex_);
  AppendReportChunks& open =
      open_append<AppendReportChunks>(population, [](const AppendReportChunks&) { return true; });
  open.n_nodes = n_nodes;
  open.chunks.insert(open.chunks.end(), chunks.begin(), chunks.end());
}

void RecordingSink::append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                                        std::span<const EncodedChunk> node_ids) {
  if (spike_encoders_.contains(population))
    throw std::logic_error("append_spike_chunks(" + population + "): into a recording that encodes it itself");
  std::lock_guard lock(mutex_);
  AppendSpikeChunks& open = open_append<AppendSpikeChunks>(population, [](const AppendSpikeChunks&) { return true; });
  open.times_ms.insert(open.times_ms.end(), times_ms.begin(), times_ms.end());
  open.node_ids.insert(open.node_ids.end(), node_ids.begin(), node_ids.end());
}

template <class A>
void RecordingSink::WriteAttribute::serialize(A& ar, unsigned) {
  ar& path& name;
  if constexpr (A::is_saving::value)
    save_variant(ar, value);
  else
    load_variant(ar, value);
}

std::string RecordingSink::pack() const {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os);
    std::lock_guard lock(mutex_);
    const std::uint64_t n = calls_.size();
    ar << n;
    for (const Call& call : calls_) save_variant(ar, call);
  }
  return std::move(os).str();
}

void RecordingSink::unpack(const std::string& bytes) {
  std::istringstream is(bytes, std::ios::binary);
  try {
    boost::archive::binary_iarchive ar(is);
    std::uint64_t n = 0;
    ar >> n;
    std::lock_guard lock(mutex_);
    open_.clear();  // what is appended next comes after the unpacked calls
    for (std::uint64_t i = 0; i < n; ++i) load_variant(ar, calls_.emplace_back());
  } catch (const std::exception& e) {  // a bad archive: Boost throws archive_exception, bad_alloc, ...
    throw std::runtime_error(std::string("a packed run could not be read (") + e.what() + ")");
  }
}

}  // namespace ebsim
