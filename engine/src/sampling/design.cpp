#include "cxrisk/design.h"

#include <algorithm>
#include <bit>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <string>

#include "cxrisk/error.h"
#include "cxrisk/random.h"

namespace cxrisk {

std::string_view to_string(Sampling s) {
  return SAMPLING_NAMES[static_cast<std::size_t>(s)];
}

Sampling parse_sampling(std::string_view name) {
  for (std::size_t i = 0; i < SAMPLING_NAMES.size(); ++i)
    if (SAMPLING_NAMES[i] == name) return static_cast<Sampling>(i);
  throw UsageError("unknown sampling '" + std::string(name) + "' (use random, lhs or sobol)");
}

std::int64_t chunk_trials(std::int64_t trials, Sampling sampling) {
  const std::int64_t plain = std::max<std::int64_t>(64, (trials + 4095) / 4096);
  if (sampling == Sampling::random) return plain;
  return std::min(plain, std::max<std::int64_t>(1, trials / REPLICATES));
}

namespace {

// Replicate r of a designed run: chunks [C r / R, C (r + 1) / R) of its C chunks.
Replicate replicate(int r, std::int64_t trials) {
  const std::int64_t size = chunk_trials(trials, Sampling::lhs);
  const std::int64_t chunks = (trials + size - 1) / size;
  const std::int64_t first = chunks * r / REPLICATES * size;
  const std::int64_t end = std::min(trials, chunks * (r + 1) / REPLICATES * size);
  return {r, first, end - first};
}

}  // namespace

std::vector<Replicate> replicates_of(std::int64_t trials) {
  std::vector<Replicate> out;
  for (int r = 0; r < REPLICATES; ++r) out.push_back(replicate(r, trials));
  return out;
}

Replicate replicate_of(std::int64_t trial, std::int64_t trials) {
  const std::int64_t size = chunk_trials(trials, Sampling::lhs);
  const std::int64_t chunks = (trials + size - 1) / size;
  // The first guess is at most one replicate off either way.
  int r = static_cast<int>(std::min<std::int64_t>(REPLICATES - 1, trial / size * REPLICATES / chunks));
  Replicate rep = replicate(r, trials);
  while (trial < rep.first) rep = replicate(--r, trials);
  while (trial >= rep.first + rep.size) rep = replicate(++r, trials);
  return rep;
}

double replicate_se(std::span<const double> means, std::span<const double> weights) {
  double mean = 0;
  for (std::size_t r = 0; r < means.size(); ++r) mean += weights[r] * means[r];
  double var = 0;
  for (std::size_t r = 0; r < means.size(); ++r) {
    const double d = weights[r] * (means[r] - mean);
    var += d * d;
  }
  const auto R = static_cast<double>(means.size());
  return R > 1 ? std::sqrt(var * R / (R - 1)) : 0.0;
}

double replicate_se(std::span<const double> values) {
  std::vector<double> means, weights;
  for (const Replicate& r : replicates_of(static_cast<std::int64_t>(values.size()))) {
    double sum = 0;  // in trial order, as compute_stats sums
    for (std::int64_t t = r.first; t < r.first + r.size; ++t) sum += values[static_cast<std::size_t>(t)];
    means.push_back(sum / static_cast<double>(r.size));
    weights.push_back(static_cast<double>(r.size) / static_cast<double>(values.size()));
  }
  return replicate_se(means, weights);
}

SobolDirections::SobolDirections(std::size_t dimensions) : dimensions_(dimensions), rows_(32 * dimensions) {
  CXRISK_REQUIRE(dimensions <= MAX_DIMENSIONS, "sobol sampling takes at most "
                                                   << MAX_DIMENSIONS
                                                   << " uncertain draws a trial; this scenario has "
                                                   << dimensions << " (use lhs)");
  if (dimensions == 0) return;
  // Boost's engine starts at point 1 of the Gray-code order, and its seed n moves it to point n + 1: the
  // point whose Gray code is 2^r, number 2^(r+1) - 1, is direction number r itself.
  boost::random::sobol_engine<std::uint32_t, 32> engine(dimensions);
  for (unsigned r = 0; r < 32; ++r) {
    engine.seed((std::uint64_t{2} << r) - 2);
    for (std::size_t d = 0; d < dimensions; ++d) rows_[r * dimensions + d] = engine();
  }
}

std::uint32_t SobolDirections::point(std::size_t dimension, std::uint64_t index) const {
  std::uint64_t gray = index ^ (index >> 1);
  std::uint32_t x = 0;
  for (unsigned r = 0; gray != 0 && r < 32; ++r, gray >>= 1)
    if (gray & 1) x ^= rows_[r * dimensions_ + dimension];
  return x;
}

namespace {

constexpr std::uint32_t reverse_bits(std::uint32_t v) {
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
  v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
  return (v >> 16) | (v << 16);
}

}  // namespace

std::uint32_t owen_scramble(std::uint32_t x, std::uint32_t seed) {
  // On the reversed bits a carry runs from the fraction's high bits to its low ones, so each bit of the
  // result depends on the bits above it: the multiplications are the permutation's hash, adding the seed its
  // key.
  std::uint32_t v = reverse_bits(x) + seed;
  v ^= v * 0x6c50b47cu;
  v ^= v * 0xb82f1e52u;
  v ^= v * 0xc7afe638u;
  v ^= v * 0x8d22f6e6u;
  return reverse_bits(v);
}

std::uint64_t keyed_permutation(std::uint64_t index, std::uint64_t n, std::uint64_t key) {
  if (n <= 1) return 0;
  int bits = std::bit_width(n - 1);
  bits += bits & 1;
  const int half = bits / 2;
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  std::uint64_t x = index;
  do {
    std::uint64_t left = x >> half, right = x & mask;
    for (std::uint64_t round = 0; round < 4; ++round) {
      const std::uint64_t f = key_combine(key, (round << 32) ^ right) & mask;
      const std::uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n);  // the cycle from an index inside [0, n) returns inside it
  return x;
}

double uniform_from_bits(std::uint32_t high, std::uint64_t low) {
  const std::uint64_t bits = (std::uint64_t{high} << 20) | (low >> 44);  // 52 bits
  return (static_cast<double>(bits) + 0.5) * 0x1.0p-52;
}

}  // namespace cxrisk
