#pragma once
// A Sink that records every call in order and replays them, in the same order, into another sink.
// A sweep's worker threads run into one each; the writer thread hands them to the HDF5 sink one
// after another, in the order of the runs' keys, so the file is the same whatever the number of
// threads and no HDF5 call ever comes from two threads.
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/io/chunk_codec.hpp"
#include "sim/io/sink.hpp"

namespace ebsim {

class RecordingSink final : public Sink {
 public:
  // With encode_chunks, the rows appended to the datasets declared here (whose first rows it sees)
  // are encoded chunk by chunk on the recording thread (sim/io/chunk_codec.hpp) and recorded as
  // chunks, not rows (Sink::append_report_chunks, append_spike_chunks): the HDF5 sink stores them
  // without compressing, where compressing was its work. For a recording that goes to an HDF5
  // file. The rows after a dataset's last whole chunk are recorded at finish_chunks, which the
  // recording thread calls when the run is over (set_scope and end_run call it too).
  explicit RecordingSink(bool encode_chunks = false) : encode_(encode_chunks) {}
  void encode_chunks(bool on) { encode_ = on; }  // before the first call
  void finish_chunks();
  // Encodes, as if declared here, a dataset declared in the sink this recording is replayed into
  // (without declarations), which has no rows yet.
  void encode_declared_report(const std::string& population, std::uint32_t n_nodes);
  void encode_declared_spikes(const std::string& population);

  void begin_run(const RunMetadata& meta) override { record(BeginRun{meta}); }
  void set_scope(const std::string& prefix) override;
  void declare_report(const std::string& population, std::uint32_t n_nodes, double t_start_ms, double dt_ms) override;
  void append_report(const std::string& population, std::span<const float> row) override;
  void declare_spikes(const std::string& population) override;
  void append_spikes(const std::string& population, std::span<const double> times_ms,
                     std::span<const std::uint64_t> node_ids) override;
  // Chunks recorded by another recording; never for a dataset this one encodes.
  void append_report_chunks(const std::string& population, std::uint32_t n_nodes,
                            std::span<const EncodedChunk> chunks) override;
  void append_spike_chunks(const std::string& population, std::span<const EncodedChunk> times_ms,
                           std::span<const EncodedChunk> node_ids) override;
  void write_weights(const std::string& label, const WeightTable& table) override {
    record(WriteWeights{label, table});
  }
  void write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) override {
    record(WriteArray{path, {data.begin(), data.end()}, std::move(shape)});
  }
  void write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) override {
    record(WriteAttribute{path, name, value});
  }
  void end_run(bool complete) override {
    finish_chunks();
    record(EndRun{complete});
  }

  // Every call recorded so far, in order, into `to`; the record is emptied. Safe while another
  // thread records (a sweep's writer hands a run to the file as it runs): what that thread adds
  // later stays for the next replay. Without the
  // declarations (declare_report, declare_spikes): for part of a run whose datasets the caller
  // declared (the trials of one run computed apart, sim/run/run.cpp).
  void replay(Sink& to);
  void replay_without_declarations(Sink& to);
  void clear() {  // forgets every call recorded so far
    std::lock_guard lock(mutex_);
    calls_.clear();
    open_.clear();
  }
  std::size_t calls() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }

  // The record as bytes (a Boost.Serialization binary archive, sim/io/archive.hpp) and back, for a
  // run computed by another process: unpack appends the packed calls to this record.
  std::string pack() const;
  void unpack(const std::string& bytes);

 private:
  struct BeginRun {
    RunMetadata meta;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& meta;
    }
  };
  struct SetScope {
    std::string prefix;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& prefix;
    }
  };
  struct DeclareReport {
    std::string population;
    std::uint32_t n_nodes;
    double t_start_ms, dt_ms;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population& n_nodes& t_start_ms& dt_ms;
    }
  };
  struct AppendReport {  // rows of equal length, one after another
    std::string population;
    std::vector<float> rows;
    std::uint64_t n_rows = 0;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population& rows& n_rows;
    }
  };
  struct AppendReportChunks {
    std::string population;
    std::uint32_t n_nodes = 0;
    std::vector<EncodedChunk> chunks;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population& n_nodes& chunks;
    }
  };
  struct DeclareSpikes {
    std::string population;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population;
    }
  };
  struct AppendSpikes {
    std::string population;
    std::vector<double> times_ms;
    std::vector<std::uint64_t> node_ids;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population& times_ms& node_ids;
    }
  };
  struct AppendSpikeChunks {
    std::string population;
    std::vector<EncodedChunk> times_ms, node_ids;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& population& times_ms& node_ids;
    }
  };
  struct WriteWeights {
    std::string label;
    WeightTable table;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& label& table;
    }
  };
  struct WriteArray {
    std::string path;
    std::vector<double> data;
    std::vector<std::uint64_t> shape;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& path& data& shape;
    }
  };
  struct WriteAttribute {
    std::string path, name;
    AttributeValue value;
    template <class A>
    void serialize(A& ar, unsigned);  // recording_sink.cpp: the value is a variant
  };
  struct EndRun {
    bool complete;
    template <class A>
    void serialize(A& ar, unsigned) {
      ar& complete;
    }
  };
  using Call = std::variant<BeginRun, SetScope, DeclareReport, AppendReport, DeclareSpikes, AppendSpikes, WriteWeights,
                            WriteArray, WriteAttribute, EndRun, AppendReportChunks, AppendSpikeChunks>;
  // Which dataset family an append record writes: rows and chunks of one dataset stay in order.
  template <class C>
  static constexpr bool writes_report = std::is_same_v<C, AppendReport> || std::is_same_v<C, AppendReportChunks>;
  void replay(Sink& to, bool declarations);
  template <class C>
  void record(C&& call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::forward<C>(call));
    open_.clear();
  }
  // The recorded append of this kind and population that the next data joins if `joins` says so,
  // else a new one (caller holds the lock).
  template <class C>
  C& open_append(const std::string& population, const std::function<bool(const C&)>& joins);
  mutable std::mutex mutex_;
  std::deque<Call> calls_;  // a deque: recording never moves what it holds
  // Appends that later appends to the same dataset join, so a run recorded in many small pieces
  // (a spike drain per state sample) holds a few large buffers, not one allocation per piece:
  // every append since the last call of another kind. Appends to different datasets may be
  // replayed in another order than they came; each dataset's own order is kept.
  std::vector<Call*> open_;
  // The recording thread's own (no lock): the encoders of this scope's declared datasets.
  bool encode_;
  struct ReportEncoder {
    std::uint32_t n_nodes;
    ChunkEncoder<float> rows;
  };
  struct SpikeEncoders {
    ChunkEncoder<double> times{1};
    ChunkEncoder<std::uint64_t> ids{1};
    double last_time_ms = -std::numeric_limits<double>::infinity();
  };
  std::map<std::string, ReportEncoder> report_encoders_;
  std::map<std::string, SpikeEncoders> spike_encoders_;
};

}  // namespace ebsim
