#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "cxrisk/statistics.h"

using namespace cxrisk;

TEST_CASE("Percentiles interpolate between order statistics (definition 7)", "[statistics]") {
  const std::vector<double> sorted{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(sorted_quantile(sorted, 0.0) == 1);
  CHECK(sorted_quantile(sorted, 1.0) == 10);
  CHECK(sorted_quantile(sorted, 0.5) == Approx(5.5));    // h = 4.5
  CHECK(sorted_quantile(sorted, 0.05) == Approx(1.45));  // h = 0.45
  CHECK(sorted_quantile(sorted, 0.95) == Approx(9.55));  // h = 8.55
  CHECK(sorted_quantile(sorted, 0.25) == Approx(3.25));  // h = 2.25
  CHECK(sorted_quantile(std::vector<double>{42}, 0.3) == 42);
}

TEST_CASE("Statistics of a hand-computed case", "[statistics]") {
  // Unsorted on purpose; the statistics must not depend on the order except for rounding.
  const std::vector<double> v{4, 8, 15, 16, 23, 42, 1, 2, 3, 5, 7, 9, 11, 13, 17, 19, 21, 25, 30, 35};
  const Stats s = compute_stats(v);
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / 20;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  CHECK(s.mean == Approx(mean));
  CHECK(s.sd == Approx(std::sqrt(ss / 19)));
  CHECK(s.se == Approx(std::sqrt(ss / 19) / std::sqrt(20.0)));
  CHECK(s.min == 1);
  CHECK(s.max == 42);
  // Sorted: 1 2 3 4 5 7 8 9 11 13 15 16 17 19 21 23 25 30 35 42; p50 at h = 9.5 -> (13 + 15) / 2.
  CHECK(s.percentiles[3] == Approx(14));
  // p95 at h = 18.05 -> 35 + 0.05 * 7.
  CHECK(s.percentiles[6] == Approx(35.35));
  // cvar95: the worst k = 1 value.
  CHECK(s.cvar95 == Approx(42));
}

TEST_CASE("cvar95 weights the boundary trial by the fraction of 5% it covers", "[statistics]") {
  std::vector<double> v(30);
  std::iota(v.begin(), v.end(), 1.0);  // 1..30; k = 1.5: 30 + 0.5 * 29, over 1.5
  CHECK(compute_stats(v).cvar95 == Approx((30 + 0.5 * 29) / 1.5));
  // The lower tail for savings: 1 + 0.5 * 2, over 1.5.
  CHECK(compute_stats(v, Tail::lower).cvar95 == Approx((1 + 0.5 * 2) / 1.5));
  std::vector<double> w(100);
  std::iota(w.begin(), w.end(), 1.0);  // k = 5: mean of 96..100
  CHECK(compute_stats(w).cvar95 == Approx(98));
  // Fewer than 20 trials: k < 1, the worst value alone.
  CHECK(compute_stats(std::vector<double>{3, 1, 2}).cvar95 == Approx(3));
}

TEST_CASE("A constant sample has zero spread", "[statistics]") {
  const Stats s = compute_stats(std::vector<double>(1000, 0.1));
  CHECK(s.mean == Approx(0.1));
  CHECK(s.sd == 0);
  CHECK(s.se == 0);
  CHECK(s.percentiles[0] == 0.1);
  CHECK(s.cvar95 == Approx(0.1));
}

TEST_CASE("The compensated sum is exact where a naive sum is not", "[statistics]") {
  const std::vector<double> v{1e16, 1.0, -1e16, 1.0};
  CHECK(accurate_sum(v) == 2.0);
}

#include "cxrisk/random.h"
#include "stats/tally.h"

TEST_CASE("The quantile sketch is within its relative accuracy of the exact percentiles", "[statistics]") {
  // A skewed sample with negative values and exact zeros, like a net saving.
  std::vector<double> v;
  for (int i = 0; i < 50000; ++i) {
    const double u = keyed_uniform(5, static_cast<std::uint64_t>(i));
    v.push_back(i % 10 == 0 ? 0.0 : std::exp(6 * u) - 40);
  }
  QuantileSketch a, b;
  for (std::size_t i = 0; i < v.size(); ++i) (i % 3 ? a : b).add(v[i]);
  a.merge(b);  // merged sketches hold integer counts: any merge order gives the same sketch
  const Stats exact = compute_stats(v);
  CHECK(a.count() == 50000);
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i) {
    INFO("p" << PERCENTILES[i] << ": sketch " << a.quantile(PERCENTILES[i]) << " exact "
             << exact.percentiles[i]);
    CHECK(std::abs(a.quantile(PERCENTILES[i]) - exact.percentiles[i]) <=
          2 * QuantileSketch::RELATIVE_ACCURACY * std::abs(exact.percentiles[i]) + 1e-9);
  }
  CHECK(std::abs(a.cvar95() - exact.cvar95) <= QuantileSketch::RELATIVE_ACCURACY * std::abs(exact.cvar95));
}

TEST_CASE("Summary statistics equal those of a fully sorted sample", "[statistics]") {
  // compute_stats selects the order statistics it needs instead of sorting; a full sort must give the same
  // bits, for any sample size, with ties, for either tail.
  cxrisk::Stream draws(4242, 0, 0);
  for (std::size_t n = 1; n < 700; n += 1 + n / 7) {
    std::vector<double> values(n);
    for (double& v : values) v = draws.uniform() < 0.2 ? 7.0 : std::floor(draws.uniform() * 50) - 10;
    for (auto tail : {cxrisk::Tail::upper, cxrisk::Tail::lower}) {
      const cxrisk::Stats got = cxrisk::compute_stats(values, tail);
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      REQUIRE(got.min == sorted.front());
      REQUIRE(got.max == sorted.back());
      for (std::size_t i = 0; i < cxrisk::PERCENTILES.size(); ++i)
        REQUIRE(got.percentiles[i] == cxrisk::sorted_quantile(sorted, cxrisk::PERCENTILES[i]));
      const double k = 0.05 * static_cast<double>(n);
      const auto whole = static_cast<std::size_t>(std::floor(k));
      double sum = 0;
      for (std::size_t i = 0; i < whole; ++i)
        sum += tail == cxrisk::Tail::upper ? sorted[n - 1 - i] : sorted[i];
      if (k - static_cast<double>(whole) > 0 && whole < n)
        sum += (k - static_cast<double>(whole)) *
               (tail == cxrisk::Tail::upper ? sorted[n - 1 - whole] : sorted[whole]);
      REQUIRE(got.cvar95 == sum / k);
    }
  }
}
