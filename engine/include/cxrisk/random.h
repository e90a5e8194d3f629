// Keyed, counter-based random streams.
//
// Every random draw in cxrisk is a pure function of (seed, place in the model, trial, index): a stream is
// a Philox4x32-10 counter-based generator (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011) whose key is a hash of the seed and the place in the chain (segment, problem,
// parameter path, ...) and whose counter holds the trial, the period and the step. Nothing depends on which
// thread or process runs a trial, so results are bit-identical at any thread or process count, one trial
// can be recomputed alone, and two scenarios that share structure (the same names) share their draws.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cxrisk {

/// One Philox4x32-10 block: 128 random bits from a 128-bit counter and a 64-bit key.
std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter,
                                           std::array<std::uint32_t, 2> key);

/// The SplitMix64 finaliser (Stafford's "Mix13"): a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// FNV-1a over the bytes of a name: stable across platforms and runs (unlike std::hash).
constexpr std::uint64_t hash_name(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// Combines a key with one more component; order matters.
constexpr std::uint64_t key_combine(std::uint64_t key, std::uint64_t component) {
  return mix64(key ^ mix64(component + 0x9e3779b97f4a7c15ULL));
}

/// Combines a key with a name.
constexpr std::uint64_t key_combine(std::uint64_t key, std::string_view name) {
  return key_combine(key, hash_name(name));
}

/// A random stream: Philox4x32-10 under a fixed key, with counter words (block, c1, c2, c3). The block word
/// advances as the stream is drawn from, so a stream holds 2^33 64-bit words. Satisfies the C++ uniform
/// random bit generator concept, so Boost.Random distributions draw from it directly.
class Stream {
 public:
  using result_type = std::uint64_t;

  Stream(std::uint64_t key, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3)
      : key_{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)},
        counter_{0, c1, c2, c3} {}

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  /// The next 64 random bits.
  result_type operator()() {
    if (next_ == 2) refill();
    return out_[next_++];
  }

  /// A uniform double in the open interval (0, 1): 52 random bits, centred in their cell, so the extremes are
  /// 2^-53 and 1 - 2^-53 (both exactly representable, unlike 1 - 2^-54).
  double uniform() { return (static_cast<double>((*this)() >> 12) + 0.5) * 0x1.0p-52; }

  /// Jumps to 64-bit word `index` of the stream (skip-ahead is free for a counter-based generator).
  void seek(std::uint64_t index) {
    counter_[0] = static_cast<std::uint32_t>(index / 2);
    refill();
    next_ = static_cast<int>(index % 2);
  }

 private:
  void refill() {
    auto r = philox4x32_10(counter_, key_);
    out_[0] = (static_cast<std::uint64_t>(r[1]) << 32) | r[0];
    out_[1] = (static_cast<std::uint64_t>(r[3]) << 32) | r[2];
    ++counter_[0];
    next_ = 0;
  }

  std::array<std::uint32_t, 2> key_;
  std::array<std::uint32_t, 4> counter_;
  std::array<std::uint64_t, 2> out_{};
  int next_ = 2;
};

/// A uniform in (0, 1) that is a pure function of (key, trial, component): the draw behind an uncertain
/// parameter. Keying by the parameter's path makes two scenarios share the draw of a parameter they share.
inline double keyed_uniform(std::uint64_t key, std::uint64_t trial, std::uint32_t component = 0) {
  Stream s(key, component, static_cast<std::uint32_t>(trial >> 32), static_cast<std::uint32_t>(trial));
  return s.uniform();
}

}  // namespace cxrisk
