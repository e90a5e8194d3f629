// Many independent draws at once. The aggregate engine gathers the draws of a step of the chain that do not
// depend on each other (every problem, outcome, segment and trial of the trials it advances together) and
// makes them here in one batch, each from its own stream: the first, cheap acceptance test of each sampler
// (BTRD's and PTRD's first region, the ziggurat's rectangle and Marsaglia-Tsang's squeeze) runs over the
// batch as SIMD code; the small-mean inversions step sixteen draws together; the draws that fail the first
// test go through the samplers' rejection loops in eight refilled lanes (with AVX-512) or through the scalar
// samplers. Every path computes the same IEEE operations in the same order as the scalar sampler, so each
// draw is bit-identical to draw_binomial, draw_poisson or ValueDraw::sum on its stream: batching changes the
// speed, never the numbers. The kernels are in lane_kernels.inc (one build per instruction set,
// lane_kernels.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "cxrisk/sampling.h"

namespace cxrisk {

inline constexpr int LANES = 8;
template <class T>
using Lanes = std::array<T, LANES>;

/// The streams of one step of the chain for the lanes' trials: Stream(key, address, trial[l]).
struct LaneStreams {
  std::uint64_t key = 0;
  std::uint64_t address = 0;
  Lanes<std::uint64_t> trial{};
  Stream stream(int lane) const { return Stream(key, address, trial[lane]); }
};

/// The seeds of the lanes' streams (Stream::seed_of for each lane's trial).
Lanes<std::uint64_t> seeds_of(const LaneStreams& s);

/// Finishes stream seeds: seed[i] = Stream::seed_of(h, b) given seed[i] = h + b on entry, for i < count.
void mix_seeds(std::uint64_t* seed, std::size_t count);

/// Batches of independent draws, each from the stream with the given seed: out[i] equals the scalar
/// sampler's draw from Stream::with_seed(seed[i]). The cheap first tests run over the whole batch LANES at a
/// time; the draws that need a second method or another round are collected and made together, so the order
/// and size of a batch change the speed, never the numbers.
void binomial_batch(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* p,
                    std::int64_t* out);
void poisson_batch(std::size_t count, const std::uint64_t* seed, const double* mean, std::int64_t* out);
/// The sums of n[i] customers' values (ValueDraw::sum).
void value_sum_batch(std::size_t count, const std::uint64_t* seed, const ValueDraw* const* value,
                     const std::int64_t* n, double* out);

/// Binomial(n[l], p[l]) for the first `lanes` lanes: equal to draw_binomial on each lane's stream.
void binomial_lanes(const LaneStreams& s, const Lanes<std::int64_t>& n, const Lanes<double>& p,
                    Lanes<std::int64_t>& out, int lanes);

/// Poisson(mean[l]): equal to draw_poisson on each lane's stream.
void poisson_lanes(const LaneStreams& s, const Lanes<double>& mean, Lanes<std::int64_t>& out, int lanes);

/// The sums of n[l] customers' values (value[l]): equal to ValueDraw::sum on each lane's stream.
void value_sum_lanes(const LaneStreams& s, const Lanes<const ValueDraw*>& value, const Lanes<std::int64_t>& n,
                     Lanes<double>& out, int lanes);

}  // namespace cxrisk
