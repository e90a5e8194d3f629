// Keyed random streams.
//
// Every random draw in cxrisk is a pure function of (seed, place in the model, trial, index). A stream is
// addressed by a 64-bit key (a hash of the seed and the names of the place: segment, problem, parameter
// path) and two 64-bit counters (say step and period, and the trial); its seed is a hash of the three, and
// its words are SplitMix64 over that seed (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): word i is mix64(seed + (i + 1) * golden gamma). Opening a stream costs two
// multiplications, so every step of the chain can have its own stream; a word costs one mix, and any word
// can be reached directly. Nothing depends on which thread or process runs a trial, so results are
// bit-identical at any thread or process count, one trial can be recomputed alone, and two scenarios that
// share structure (the same names) share their draws.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxrisk {

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

/// A random stream: SplitMix64 words from a seed that hashes (key, a, b). Satisfies the C++ uniform random
/// bit generator concept, so Boost.Random distributions draw from it directly.
class Stream {
 public:
  using result_type = std::uint64_t;

  /// The stream at counters (a, b) under `key`; distinct (key, a, b) give independent-looking streams.
  Stream(std::uint64_t key, std::uint64_t a, std::uint64_t b) : seed_(seed_of(mix64(key ^ a), b)) {}

  /// The stream whose seed (seed_of) is already known.
  static Stream with_seed(std::uint64_t seed) { return Stream(seed); }

  /// The seed of the stream (key, a, b), from h = mix64(key ^ a): split so that streams differing only in b
  /// (the trials of one step) share the first mix.
  static constexpr std::uint64_t seed_of(std::uint64_t h, std::uint64_t b) { return mix64(h + b); }
  /// Word i (from 0) of the stream with this seed.
  static constexpr std::uint64_t word(std::uint64_t seed, std::uint64_t i) {
    return mix64(seed + (i + 1) * GOLDEN_GAMMA);
  }
  /// The uniform in (0, 1) a word makes: 52 random bits, centred in their cell, so the extremes are 2^-53
  /// and 1 - 2^-53 (both exactly representable, unlike 1 - 2^-54).
  static constexpr double uniform_of(std::uint64_t w) {
    return (static_cast<double>(w >> 12) + 0.5) * 0x1.0p-52;
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  /// The next 64 random bits.
  result_type operator()() { return word(seed_, next_++); }

  /// A uniform double in the open interval (0, 1), from the next word.
  double uniform() { return uniform_of((*this)()); }

  /// Jumps so that the next word is word `index` (from 0) of the stream: skipping ahead is free.
  void seek(std::uint64_t index) { next_ = index; }

 private:
  static constexpr std::uint64_t GOLDEN_GAMMA = 0x9e3779b97f4a7c15ULL;
  explicit Stream(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed_;
  std::uint64_t next_ = 0;
};

/// A uniform in (0, 1) that is a pure function of (key, trial, component): the draw behind an uncertain
/// parameter. Keying by the parameter's path makes two scenarios share the draw of a parameter they share.
inline double keyed_uniform(std::uint64_t key, std::uint64_t trial, std::uint64_t component = 0) {
  return Stream(key, component, trial).uniform();
}

}  // namespace cxrisk
