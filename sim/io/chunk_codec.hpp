#pragma once
// The chunks of the HDF5 sink's growing datasets (reports, spike lists), encoded the way HDF5's
// filter pipeline encodes them: HDF5's byte shuffle, then deflate (zlib). Whoever records a run can
// encode its chunks on its own thread (a sweep's worker, another MPI process) and hand them over in
// lieu of their rows (Sink::append_report_chunks, append_spike_chunks), so the one thread that
// writes the file stores them as they are (H5Dwrite_chunk) instead of compressing everything itself:
// compression was the writer's work, and the writer a bottleneck.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ebsim {

// Raw chunks are memory images of the file's little-endian types.
static_assert(std::endian::native == std::endian::little, "encoded chunks assume a little-endian machine");

// Chunks of whole rows near 64 KiB: large enough for deflate to pay off, small enough that a reader
// slicing a few rows or spikes decompresses little.
inline constexpr std::size_t kChunkBytes = 64 * 1024;
inline constexpr int kDeflateLevel = 4;

// Rows per chunk of a growing dataset whose rows are `row_bytes` long.
inline std::size_t chunk_rows(std::size_t row_bytes) { return row_bytes >= kChunkBytes ? 1 : kChunkBytes / row_bytes; }

// One whole chunk as HDF5 stores it with the shuffle and deflate filters (both applied).
struct EncodedChunk {
  std::uint64_t index = 0;  // along the first dimension, in chunks
  std::uint64_t rows = 0;   // rows it holds: always chunk_rows(row bytes)
  std::string bytes;
  template <class A>
  void serialize(A& ar, unsigned) {
    ar& index& rows& bytes;
  }
};

// `raw` (a whole chunk) through HDF5's shuffle filter for elements of `element_size` bytes, then
// zlib's compress2 at kDeflateLevel, which is what HDF5's deflate filter calls.
std::string encode_chunk(std::span<const std::byte> raw, std::size_t element_size);

// The values of an encoded chunk of T (inflate, then the shuffle undone), row after row.
template <class T>
std::vector<T> decode_chunk(const EncodedChunk& chunk, std::size_t columns);

// The appends to one growing dataset of T with `columns` per row, from its first row: each chunk
// encoded as soon as its last row arrives; the rows after the last whole chunk wait.
template <class T>
class ChunkEncoder {
 public:
  explicit ChunkEncoder(std::size_t columns)
      : rows_(chunk_rows(columns * sizeof(T))), chunk_elements_(rows_ * columns) {
    pending_.reserve(chunk_elements_);
  }
  void append(std::span<const T> values, std::vector<EncodedChunk>& out) {
    while (!values.empty()) {
      const std::size_t take = std::min(values.size(), chunk_elements_ - pending_.size());
      pending_.insert(pending_.end(), values.begin(), values.begin() + std::ptrdiff_t(take));
      values = values.subspan(take);
      if (pending_.size() < chunk_elements_) break;
      out.push_back({next_index_++, rows_, encode_chunk(std::as_bytes(std::span<const T>(pending_)), sizeof(T))});
      pending_.clear();
    }
  }
  const std::vector<T>& pending() const { return pending_; }

 private:
  std::size_t rows_, chunk_elements_;
  std::vector<T> pending_;
  std::uint64_t next_index_ = 0;
};

}  // namespace ebsim
