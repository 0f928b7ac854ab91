#pragma once
// Unit indices packed in the fewest whole bytes that hold every index of a population: 2 bytes up
// to 65,536 units, 3 up to 16,777,216, 4 beyond. A synapse is one index and one 4-byte weight, so
// this takes it from 8 bytes to 6 or 7 (README, performance: bytes per synapse). Reading an index
// is one or two loads; hot loops call `visit` to dispatch on the width once, outside the loop.
#include <algorithm>
#include <boost/iterator/counting_iterator.hpp>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebsim::models {

// Reads the indices of one width from packed bytes (the host's byte order, as UnitIndex wrote them).
template <unsigned W>
struct IndexReader {
  static_assert(W >= 2 && W <= 4);
  const std::uint8_t* bytes = nullptr;
  std::uint32_t operator[](std::uint64_t k) const {
    const std::uint8_t* p = bytes + W * k;
    if constexpr (W == 4) {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    } else {
      std::uint16_t low;
      std::memcpy(&low, p, 2);
      if constexpr (W == 2)
        return low;
      else
        return low | std::uint32_t(p[2]) << 16;
    }
  }
};

// A read-only view of packed indices (or of plain 32-bit ones).
class IndexView {
 public:
  IndexView() = default;
  IndexView(const std::uint8_t* bytes, std::uint64_t size, unsigned width)
      : bytes_(bytes), size_(size), width_(width) {}
  IndexView(std::span<const std::uint32_t> plain)  // NOLINT: implicit, as a span is
      : bytes_(reinterpret_cast<const std::uint8_t*>(plain.data())), size_(plain.size()), width_(4) {}

  std::uint64_t size() const { return size_; }
  unsigned width() const { return width_; }
  // Calls f(IndexReader<width>{...}): one branch here, none in f's loop.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (width_) {
      case 2: return f(IndexReader<2>{bytes_});
      case 3: return f(IndexReader<3>{bytes_});
      default: return f(IndexReader<4>{bytes_});
    }
  }
  std::uint32_t operator[](std::uint64_t k) const {
    return visit([k](auto read) { return read[k]; });
  }
  // The first position in [begin, end) whose index is not below `value`; the indices there ascend.
  std::uint64_t lower_bound(std::uint64_t begin, std::uint64_t end, std::uint32_t value) const {
    // (Over counting iterators: clang 14, which builds the fuzzer, rejects libstdc++ 12's iota_view.)
    using Position = boost::counting_iterator<std::uint64_t>;
    return visit([&](auto read) {
      return *std::partition_point(Position(begin), Position(end), [&](std::uint64_t k) { return read[k] < value; });
    });
  }

 private:
  const std::uint8_t* bytes_ = nullptr;
  std::uint64_t size_ = 0;
  unsigned width_ = 4;
};

// A growable array of indices below a bound fixed at construction, packed to the bound's width.
class UnitIndex {
 public:
  static unsigned width_for(std::uint64_t bound) {
    return bound <= (std::uint64_t(1) << 16) ? 2 : bound <= (std::uint64_t(1) << 24) ? 3 : 4;
  }
  // Holds indices in [0, bound).
  explicit UnitIndex(std::uint64_t bound = std::uint64_t(1) << 32) : width_(width_for(bound)) {}

  std::uint64_t size() const { return bytes_.size() / width_; }
  bool empty() const { return bytes_.empty(); }
  unsigned width() const { return width_; }
  std::uint64_t capacity() const { return bytes_.capacity() / width_; }
  std::uint64_t bytes() const { return bytes_.capacity(); }  // what it holds in memory
  void reserve(std::uint64_t n) { bytes_.reserve(n * width_); }
  void resize(std::uint64_t n) { bytes_.resize(n * width_); }
  void shrink_to_fit() { bytes_.shrink_to_fit(); }

  IndexView view() const { return {bytes_.data(), size(), width_}; }
  operator IndexView() const { return view(); }  // NOLINT: implicit, as a container's span is
  std::uint32_t operator[](std::uint64_t k) const { return view()[k]; }

  void set(std::uint64_t k, std::uint32_t v) {
    check(v);
    std::uint8_t* p = bytes_.data() + width_ * k;
    if (width_ == 4) {
      std::memcpy(p, &v, 4);
    } else {
      const auto low = static_cast<std::uint16_t>(v);
      std::memcpy(p, &low, 2);
      if (width_ == 3) p[2] = static_cast<std::uint8_t>(v >> 16);
    }
  }
  void push_back(std::uint32_t v) {
    check(v);
    bytes_.resize(bytes_.size() + width_);
    set(size() - 1, v);
  }
  // The indices at [begin, end), unpacked.
  std::vector<std::uint32_t> unpack(std::uint64_t begin, std::uint64_t end) const {
    std::vector<std::uint32_t> out;
    out.reserve(end - begin);
    for (std::uint64_t k = begin; k < end; ++k) out.push_back((*this)[k]);
    return out;
  }

  bool operator==(const UnitIndex&) const = default;

 private:
  void check(std::uint32_t v) const {
    if (width_ < 4 && v >> (8 * width_))
      throw std::out_of_range("unit index " + std::to_string(v) + " does not fit in " + std::to_string(width_) +
                              " bytes");
  }
  std::vector<std::uint8_t> bytes_;
  unsigned width_;
};

}  // namespace ebsim::models
