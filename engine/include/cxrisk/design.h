// Sampling designs for a scenario's uncertain inputs: plain random sampling, Latin hypercubes and scrambled
// Sobol points (`simulation.sampling`). Only the inputs follow the design; the chain's own counting draws
// stay pseudo-random.
//
// A design's point for a trial is a pure function of (the input's stream key, the trial, the number of
// trials), like every draw of cxrisk: results stay bit-identical at any thread or process count, and one
// trial can be recomputed alone. The trials of a designed run form REPLICATES independent randomisations of
// the design, each a contiguous block of whole chunks of trials: the spread between the replicates' estimates
// is what gives an honest standard error, which the i.i.d. formula cannot for correlated design points.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cxrisk {

enum class Sampling { random, lhs, sobol };
inline constexpr std::array<std::string_view, 3> SAMPLING_NAMES{"random", "lhs", "sobol"};
std::string_view to_string(Sampling s);
/// The sampling named `name`; throws UsageError naming the choices.
Sampling parse_sampling(std::string_view name);

/// Independent randomisations of a design; a designed run needs MIN_DESIGN_TRIALS trials (two a replicate).
inline constexpr int REPLICATES = 16;
inline constexpr std::int64_t MIN_DESIGN_TRIALS = 2 * REPLICATES;

/// Trials per chunk of a run (the unit of work and of deterministic merging): 64, or more so that a run has
/// at most 4096 chunks; with a design, at most trials / REPLICATES, so that every replicate is whole chunks.
std::int64_t chunk_trials(std::int64_t trials, Sampling sampling);

/// Replicate `index` of a designed run: trials [first, first + size).
struct Replicate {
  int index = 0;
  std::int64_t first = 0, size = 0;
};
/// The replicates of a designed run of `trials` trials: REPLICATES contiguous blocks of whole chunks.
std::vector<Replicate> replicates_of(std::int64_t trials);
/// The replicate holding `trial` of a designed run of `trials` trials.
Replicate replicate_of(std::int64_t trial, std::int64_t trials);

/// The standard error of a weighted mean of independent replicates' means, sum_r w_r m_r (weights summing
/// to 1): sqrt(R / (R - 1) sum_r w_r^2 (m_r - mean)^2), for equal replicates the sample variance of the
/// means over R.
double replicate_se(std::span<const double> means, std::span<const double> weights);
/// The standard error of the mean of per-trial values of a designed run (values[t] of trial t, every trial),
/// from its replicates' means.
double replicate_se(std::span<const double> values);

/// The direction numbers of the Sobol sequence (Joe and Kuo's new-joe-kuo-6.21201, through Boost.Random) for
/// `dimensions` dimensions, 32 bits.
class SobolDirections {
 public:
  /// At most MAX_DIMENSIONS; throws UsageError beyond.
  explicit SobolDirections(std::size_t dimensions);
  static constexpr std::size_t MAX_DIMENSIONS = 3667;

  std::size_t dimensions() const { return dimensions_; }
  /// Coordinate `dimension` of point `index` of the unscrambled sequence (point 0 is the origin), as a 32-bit
  /// binary fraction, in Gray-code order: the first 2^m points are the same set in either order.
  std::uint32_t point(std::size_t dimension, std::uint64_t index) const;

 private:
  std::size_t dimensions_;
  std::vector<std::uint32_t> rows_;  // [bit][dimension]: the direction numbers
};

/// A nested uniform (Owen) scrambling of a 32-bit binary fraction, keyed by `seed`, by the hash-based
/// permutation of Burley ("Practical hash-based Owen scrambling", JCGT 2020): each bit is flipped by a
/// function of the bits above it, so that every point of a scrambled net stays uniform and the net keeps its
/// equidistribution.
std::uint32_t owen_scramble(std::uint32_t x, std::uint32_t seed);

/// A keyed permutation of [0, n): a four-round Feistel network over the smallest even number of bits that
/// holds n, walking the cycle until the value falls inside. A bijection for every key and n >= 1.
std::uint64_t keyed_permutation(std::uint64_t index, std::uint64_t n, std::uint64_t key);

/// A uniform in (0, 1) from the 32 bits `high` followed by the 20 high bits of `low`: 52 bits centred in
/// their cell, like Stream::uniform.
double uniform_from_bits(std::uint32_t high, std::uint64_t low);

}  // namespace cxrisk
