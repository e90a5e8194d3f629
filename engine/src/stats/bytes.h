// Plain binary packing of numbers and arrays, for exchanging partial results between processes of the same
// build (no versioning, no byte-order conversion: both ends run this very code).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace cxrisk {

class ByteWriter {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  template <class T>
  void put_array(const T* data, std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<std::uint64_t>(n);
    out_.append(reinterpret_cast<const char*>(data), n * sizeof(T));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& in) : in_(in) {}
  template <class T>
  T get() {
    T value;
    need(sizeof(T));
    std::memcpy(&value, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  /// True when every byte was read.
  bool done() const { return at_ == in_.size(); }
  template <class T>
  std::vector<T> get_array() {
    const auto n = get<std::uint64_t>();
    std::vector<T> values(n);
    need(n * sizeof(T));
    if (n != 0)  // an empty vector's data() may be null, which memcpy must not be given
      std::memcpy(values.data(), in_.data() + at_, n * sizeof(T));
    at_ += n * sizeof(T);
    return values;
  }

 private:
  void need(std::size_t n) const {
    if (at_ + n > in_.size()) throw std::runtime_error("truncated partial result");
  }
  const std::string& in_;
  std::size_t at_ = 0;
};

}  // namespace cxrisk
