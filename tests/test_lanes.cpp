// The lane-parallel samplers (engine/src/sampling/lanes.h) must give every lane exactly the scalar sampler's
// draw from that lane's stream: the engine's results may not depend on which trials share a batch.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "cxrisk/sampling.h"
#include "helpers.h"
#include "sampling/lane_kernels.h"
#include "sampling/lanes.h"
#include "sampling/logarithm.h"

using namespace cxrisk;

namespace {
// Means spread over every method's range: zero, inversion (below 10), BTRD/PTRD (10 and above), flipped.
double mean_of(std::uint64_t w) {
  return std::pow(10.0, -2 + 11 * Stream::uniform_of(w));
}
}  // namespace

TEST_CASE("Small batches (padded to the lanes) equal the scalar samplers' draws bit for bit",
          "[sampling][lanes]") {
  const std::vector<ValueShape> shapes{ValueShape::gamma, ValueShape::fixed, ValueShape::lognormal};
  std::vector<ValueDraw> values(shapes.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    values[i].shape = shapes[i];
    values[i].mean = 60;
    values[i].cv = i == 0 ? 1.3 : 0.8;  // a gamma shape below 1 for single customers
    values[i].prepare();
  }
  Stream params(77, 0, 0);
  BatchScratch scratch;
  int checked = 0, slow = 0;
  for (std::uint64_t batch = 0; batch < 20000; ++batch) {
    const auto count = static_cast<std::size_t>(1 + batch % LANES);
    // The streams of one step of the chain for `count` trials: Stream(key, address, trial).
    const std::uint64_t h = mix64((0xabcdef ^ batch) ^ (batch << 7));
    std::vector<std::uint64_t> seed(count), trial(count);
    std::vector<std::int64_t> n(count), counts(count), got(count);
    std::vector<double> p(count), mean(count), sums(count);
    std::vector<const ValueDraw*> value(count);
    for (std::size_t l = 0; l < count; ++l) {
      trial[l] = 1000 + batch * LANES + l;
      seed[l] = Stream::seed_of(h, trial[l]);
      const double m = mean_of(params());
      p[l] = params.uniform() < 0.1 ? (params.uniform() < 0.5 ? 0.0 : 1.0) : params.uniform();
      n[l] = static_cast<std::int64_t>(
          std::min(1e15, std::ceil(m / std::max(p[l] > 0.5 ? 1 - p[l] : p[l], 1e-9))));
      if (params.uniform() < 0.05) n[l] = 0;
      mean[l] = params.uniform() < 0.05 ? 0.0 : m;
      counts[l] = static_cast<std::int64_t>(params.uniform() * (l % 2 ? 4 : 5000));
      value[l] = &values[params() % values.size()];
    }
    const auto stream = [&](std::size_t l) { return Stream(0xabcdef ^ batch, batch << 7, trial[l]); };
    binomial_batch(count, seed.data(), n.data(), p.data(), got.data(), scratch);
    for (std::size_t l = 0; l < count; ++l) {
      Stream one = stream(l);
      REQUIRE(got[l] == draw_binomial(one, n[l], p[l]));
    }
    poisson_batch(count, seed.data(), mean.data(), got.data(), scratch);
    for (std::size_t l = 0; l < count; ++l) {
      Stream one = stream(l);
      REQUIRE(got[l] == draw_poisson(one, mean[l]));
    }
    value_sum_batch(count, seed.data(), value.data(), counts.data(), sums.data(), scratch);
    for (std::size_t l = 0; l < count; ++l) {
      Stream one = stream(l);
      REQUIRE(sums[l] == value[l]->sum(one, counts[l]));
      slow += counts[l] == 1;
    }
    checked += static_cast<int>(count);
  }
  CHECK(checked > 80000);
  CHECK(slow > 1000);
}

TEST_CASE("Batched draws equal the scalar samplers' draws with every instruction set", "[sampling][lanes]") {
  // Batches of up to 3,000 draws, so that hundreds in a batch fail the first tests and go through the lanes'
  // inversion and rejection loops, slots refilled many times; every kernel set this processor runs.
  const std::vector<ValueShape> shapes{ValueShape::gamma, ValueShape::gamma, ValueShape::lognormal};
  std::vector<ValueDraw> values(shapes.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    values[i].shape = shapes[i];
    values[i].mean = 60;
    values[i].cv = i == 0 ? 1.3 : 0.4;
    values[i].prepare();
  }
  // One set, when CXRISK_TEST_KERNEL_SET names it (ctest's lane_kernels_* tests, each skipped visibly where
  // the processor lacks its set); else every set this processor runs.
  auto sets = lane_kernel_sets();
  REQUIRE(!sets.empty());
  if (const char* wanted = std::getenv("CXRISK_TEST_KERNEL_SET")) {
    std::erase_if(sets, [&](const auto& set) { return std::string_view(set.first) != wanted; });
    if (sets.empty()) return test::skip(std::string("this processor cannot run the kernel set ") + wanted);
  }
  BatchScratch scratch;
  for (const auto& [name, kernels] : sets) {
    INFO("kernels " << name);
    use_lane_kernels(kernels);
    Stream params(91, 0, 0);
    std::size_t checked = 0;
    for (int batch = 0; batch < 12; ++batch) {
      const std::size_t count = batch == 0 ? 1 : static_cast<std::size_t>(params() % 3000) + 1;
      std::vector<std::uint64_t> seed(count);
      std::vector<std::int64_t> n(count), counts(count), got(count);
      std::vector<double> p(count), mean(count), sums(count);
      std::vector<const ValueDraw*> value(count);
      for (std::size_t i = 0; i < count; ++i) {
        seed[i] = params();
        const double m = mean_of(params());
        p[i] = params.uniform() < 0.05 ? (params.uniform() < 0.5 ? 0.0 : 1.0) : params.uniform();
        n[i] = static_cast<std::int64_t>(
            std::min(1e15, std::ceil(m / std::max(p[i] > 0.5 ? 1 - p[i] : p[i], 1e-9))));
        if (params.uniform() < 0.03) n[i] = 0;
        mean[i] = params.uniform() < 0.03 ? 0.0 : m;
        counts[i] = static_cast<std::int64_t>(params.uniform() * (i % 3 ? 3 : 20000));
        value[i] = &values[params() % values.size()];
      }
      binomial_batch(count, seed.data(), n.data(), p.data(), got.data(), scratch);
      for (std::size_t i = 0; i < count; ++i) {
        Stream one = Stream::with_seed(seed[i]);
        REQUIRE(got[i] == draw_binomial(one, n[i], p[i]));
      }
      poisson_batch(count, seed.data(), mean.data(), got.data(), scratch);
      for (std::size_t i = 0; i < count; ++i) {
        Stream one = Stream::with_seed(seed[i]);
        REQUIRE(got[i] == draw_poisson(one, mean[i]));
      }
      value_sum_batch(count, seed.data(), value.data(), counts.data(), sums.data(), scratch);
      for (std::size_t i = 0; i < count; ++i) {
        Stream one = Stream::with_seed(seed[i]);
        REQUIRE(sums[i] == value[i]->sum(one, counts[i]));
      }
      checked += count;
    }
    CHECK(checked > 10000);
  }
  use_lane_kernels(nullptr);
}

TEST_CASE("The samplers' logarithm and exponential agree with the C library's to 2 ulps",
          "[sampling][lanes]") {
  // Measured worst cases: 1.0 ulp (exponential, also for subnormal results) and 1.44 ulps (logarithm).
  Stream s(5, 0, 0);
  double worst_exp = 0, worst_sub = 0, worst_log = 0, worst_power = 0;
  for (int i = 0; i < 400000; ++i) {
    // Exponents over the whole range the samplers use, with the ziggurat's wedges ([-40, 0]) weighted up.
    const double x = i % 4 == 0 ? -40 * s.uniform() : -1100 + 1809 * s.uniform();
    const double got = exponential(x), want = std::exp(x);
    if (want > DBL_MIN)
      worst_exp = std::max(worst_exp, std::abs(got - want) / want / DBL_EPSILON);
    else
      worst_sub = std::max(worst_sub, std::abs(got - want) / 0x1.0p-1074);
    const double y = std::exp(-745 * s.uniform() + (i % 2 ? 700 * s.uniform() : 0.0));
    const double ly = std::log(y);
    worst_log =
        std::max(worst_log, std::abs(logarithm(y) - ly) / std::max(std::abs(ly), 1e-300) / DBL_EPSILON);
    // The Gamma(shape + 1) to Gamma(shape) factor, for shapes down to 0.01.
    const double u = s.uniform(), shape = 0.01 + s.uniform();
    const double p = std::pow(u, 1 / shape);
    if (p > DBL_MIN)
      worst_power = std::max(worst_power, std::abs(power_of_uniform(u, shape) - p) / p / DBL_EPSILON /
                                              std::max(1.0, std::abs(std::log(p))));
  }
  CHECK(worst_exp <= 2);
  CHECK(worst_sub <= 2);
  CHECK(worst_log <= 2);
  // The logarithm's error grows by |log p| through the exponential: relative to that, a few ulps.
  CHECK(worst_power <= 4);
  CHECK(exponential(0) == 1);
  CHECK(exponential(-2000) == 0);
}
