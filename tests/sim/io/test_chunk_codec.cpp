#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sim/io/chunk_codec.hpp"
#include "tests/support.hpp"

using ebsim::ChunkEncoder;
using ebsim::EncodedChunk;

namespace {

template <class T>
const H5::PredType& native();
template <>
const H5::PredType& native<float>() {
  return H5::PredType::NATIVE_FLOAT;
}
template <>
const H5::PredType& native<double>() {
  return H5::PredType::NATIVE_DOUBLE;
}
template <>
const H5::PredType& native<std::uint64_t>() {
  return H5::PredType::NATIVE_UINT64;
}

// Rows like a run's: sorted spike times (ms, 0.1 ms apart on average), small node ids, states.
template <class T>
std::vector<T> sample(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  double t = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, double>)
      v[i] = t += std::exponential_distribution<double>(10.0)(rng);
    else if constexpr (std::is_same_v<T, std::uint64_t>)
      v[i] = rng() % 60;
    else
      v[i] = float(std::normal_distribution<double>(0.2, 0.4)(rng));
  }
  return v;
}

// Two whole chunks written through HDF5's own shuffle and deflate filters, read back as stored
// (H5Dread_chunk), against encode_chunk of the same rows.
template <class T>
void check_same_bytes_as_hdf5(hsize_t columns) {
  ebsim::test::TempDir dir;
  const std::string path = (dir.path() / "c.h5").string();
  const hsize_t rows = ebsim::chunk_rows(columns * sizeof(T));
  const std::vector<T> data = sample<T>(2 * rows * columns, 7);
  {
    H5::H5File file(path, H5F_ACC_TRUNC);
    const std::array<hsize_t, 2> dims{2 * rows, columns}, chunk{rows, columns};
    H5::DSetCreatPropList properties;
    properties.setChunk(2, chunk.data());
    properties.setShuffle();
    properties.setDeflate(ebsim::kDeflateLevel);
    const H5::DataSet ds = file.createDataSet("d", native<T>(), H5::DataSpace(2, dims.data()), properties);
    ds.write(data.data(), native<T>());
  }
  H5::H5File file(path, H5F_ACC_RDONLY);
  const H5::DataSet ds = file.openDataSet("d");
  for (hsize_t c = 0; c < 2; ++c) {
    CAPTURE(c);
    const std::array<hsize_t, 2> offset{c * rows, 0};
    hsize_t stored = 0;
    REQUIRE(H5Dget_chunk_storage_size(ds.getId(), offset.data(), &stored) >= 0);
    std::string bytes(stored, '\0');
    std::uint32_t mask = 1;
    REQUIRE(H5Dread_chunk(ds.getId(), H5P_DEFAULT, offset.data(), &mask, bytes.data()) >= 0);
    CHECK(mask == 0);  // both filters applied
    const std::span<const T> raw = std::span<const T>(data).subspan(c * rows * columns, rows * columns);
    const std::string mine = ebsim::encode_chunk(std::as_bytes(raw), sizeof(T));
    CHECK(mine.size() == bytes.size());
    CHECK(mine == bytes);
    const EncodedChunk chunk{c, rows, mine};
    CHECK(ebsim::decode_chunk<T>(chunk, columns) == std::vector<T>(raw.begin(), raw.end()));
  }
}

}  // namespace

TEST_CASE("an encoded chunk is byte for byte what HDF5's shuffle and deflate filters store, and decodes back") {
  check_same_bytes_as_hdf5<float>(20);  // a report of 20 nodes: 819 rows a chunk
  check_same_bytes_as_hdf5<float>(7);
  check_same_bytes_as_hdf5<double>(1);         // spike times
  check_same_bytes_as_hdf5<std::uint64_t>(1);  // node ids
}

TEST_CASE("a chunk encoder encodes each chunk when its last row arrives, numbered from the dataset's first") {
  const std::size_t rows = ebsim::chunk_rows(sizeof(double));  // 8192
  const std::vector<double> data = sample<double>(3 * rows + 5, 3);
  ChunkEncoder<double> encoder(1);
  std::vector<EncodedChunk> out;
  std::size_t at = 0;
  for (const std::size_t piece : {1u, 8190u, 1u, 12000u, 3u, 4386u}) {  // the last row of chunk 0 in the third
    encoder.append(std::span<const double>(data).subspan(at, piece), out);
    at += piece;
    CHECK(out.size() == at / rows);
  }
  REQUIRE(at == data.size());
  REQUIRE(out.size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(out[c].index == c);
    CHECK(out[c].rows == rows);
    const std::vector<double> back = ebsim::decode_chunk<double>(out[c], 1);
    CHECK(std::equal(back.begin(), back.end(), data.begin() + std::ptrdiff_t(c * rows)));
  }
  CHECK(encoder.pending() == std::vector<double>(data.end() - 5, data.end()));
  EncodedChunk bad = out[0];
  bad.bytes.resize(bad.bytes.size() / 2);
  CHECK_THROWS_AS(ebsim::decode_chunk<double>(bad, 1), std::runtime_error);
}
