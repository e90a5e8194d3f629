// Many independent draws at once. The aggregate engine gathers the draws of a step of the chain that do not
// depend on each other (every problem, outcome, segment and trial of the bundle it advances together) and
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
#include <vector>

#include "cxrisk/sampling.h"

namespace cxrisk {

inline constexpr int LANES = 8;
template <class T>
using Lanes = std::array<T, LANES>;

/// The working lists of the batch samplers, owned by the caller (a trial runner) and reused from batch to
/// batch, so that a worker allocates nothing once it has seen its largest batch.
struct BatchScratch {
  std::vector<std::uint32_t> pending[3];  // draws left for inversion, a rejection loop, the scalar sampler
  struct Power {
    std::uint32_t at;
    std::uint32_t word;
    double gamma;
  };
  std::vector<Power> powers;  // gamma draws of a shape below 1, finished together
};

/// Finishes stream seeds: seed[i] = Stream::seed_of(h, b) given seed[i] = h + b on entry, for i < count.
void mix_seeds(std::uint64_t* seed, std::size_t count);

/// Batches of independent draws, each from the stream with the given seed: out[i] equals the scalar
/// sampler's draw from Stream::with_seed(seed[i]). The cheap first tests run over the whole batch LANES at a
/// time; the draws that need a second method or another round are collected and made together, so the order
/// and size of a batch change the speed, never the numbers.
void binomial_batch(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* p,
                    std::int64_t* out, BatchScratch& scratch);
void poisson_batch(std::size_t count, const std::uint64_t* seed, const double* mean, std::int64_t* out,
                   BatchScratch& scratch);
/// The sums of n[i] customers' values (ValueDraw::sum).
void value_sum_batch(std::size_t count, const std::uint64_t* seed, const ValueDraw* const* value,
                     const std::int64_t* n, double* out, BatchScratch& scratch);

}  // namespace cxrisk
