#include "sim/io/chunk_codec.hpp"

#include <zlib.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ebsim {

std::string encode_chunk(std::span<const std::byte> raw, std::size_t element_size) {
  // Scratch space reused by each thread: a chunk's buffers are not fresh pages every time.
  thread_local std::vector<Bytef> shuffled, compressed;
  // HDF5's shuffle (H5Zshuffle.c): byte j of element i goes to j * n + i; the bytes after the last
  // whole element stay at the end. HDF5 has no public call that applies a filter to a buffer.
  shuffled.resize(raw.size());
  const std::size_t n = raw.size() / element_size;
  for (std::size_t j = 0; j < element_size; ++j)
    for (std::size_t i = 0; i < n; ++i) shuffled[j * n + i] = Bytef(raw[i * element_size + j]);
  for (std::size_t k = n * element_size; k < raw.size(); ++k) shuffled[k] = Bytef(raw[k]);
  // HDF5's deflate filter (H5Zdeflate.c): compress2 into a buffer of compressBound bytes.
  uLongf size = compressBound(uLong(shuffled.size()));
  compressed.resize(size);
  if (compress2(compressed.data(), &size, shuffled.data(), uLong(shuffled.size()), kDeflateLevel) != Z_OK)
    throw std::runtime_error("deflate failed while encoding a chunk");
  return std::string(reinterpret_cast<const char*>(compressed.data()), size);  // exactly its size
}

template <class T>
std::vector<T> decode_chunk(const EncodedChunk& chunk, std::size_t columns) {
  const std::size_t raw_bytes = chunk.rows * columns * sizeof(T);
  std::vector<Bytef> shuffled(raw_bytes);
  uLongf size = raw_bytes;
  if (uncompress(shuffled.data(), &size, reinterpret_cast<const Bytef*>(chunk.bytes.data()),
                 uLong(chunk.bytes.size())) != Z_OK ||
      size != raw_bytes)
    throw std::runtime_error("an encoded chunk does not inflate to " + std::to_string(raw_bytes) + " bytes");
  std::vector<T> values(chunk.rows * columns);
  auto* raw = reinterpret_cast<Bytef*>(values.data());
  const std::size_t n = values.size();
  for (std::size_t j = 0; j < sizeof(T); ++j)
    for (std::size_t i = 0; i < n; ++i) raw[i * sizeof(T) + j] = shuffled[j * n + i];
  return values;
}

template std::vector<float> decode_chunk<float>(const EncodedChunk&, std::size_t);
template std::vector<double> decode_chunk<double>(const EncodedChunk&, std::size_t);
template std::vector<std::uint64_t> decode_chunk<std::uint64_t>(const EncodedChunk&, std::size_t);

}  // namespace ebsim
