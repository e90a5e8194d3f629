#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "cxrisk/sampling.h"
#include "helpers.h"

using namespace cxrisk;

namespace {
template <class Draw>
std::vector<double> sample(int n, std::uint64_t key, Draw draw) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) {
    Stream s(key, static_cast<std::uint64_t>(i), 0);
    x[i] = static_cast<double>(draw(s));
  }
  return x;
}
}  // namespace

TEST_CASE("Binomial draws have mean n p and variance n p (1 - p), up to 10^10 trials",
          "[sampling][statistical]") {
  const std::vector<std::pair<std::int64_t, double>> cases{
      {7, 0.5}, {50, 0.3}, {1000, 0.004}, {1000000, 0.97}, {10000000000LL, 0.001}, {10000000000LL, 0.3}};
  for (auto [n, p] : cases) {
    const auto x = sample(100000, 11, [&](Stream& s) { return draw_binomial(s, n, p); });
    const double dn = static_cast<double>(n);
    test::check_sample_moments(x, dn * p, dn * p * (1 - p),
                               "binomial(" + std::to_string(n) + ", " + std::to_string(p) + ")");
    for (double v : x) {
      REQUIRE(v >= 0);
      REQUIRE(v <= dn);
    }
  }
  Stream s(1, 0, 0);
  CHECK(draw_binomial(s, 0, 0.5) == 0);
  CHECK(draw_binomial(s, 10, 0) == 0);
  CHECK(draw_binomial(s, 10, 1) == 10);
}

TEST_CASE("Poisson draws have mean and variance equal to the rate", "[sampling][statistical]") {
  for (double mean : {0.3, 7.5, 50.0, 1.0e8}) {
    const auto x = sample(100000, 12, [&](Stream& s) { return draw_poisson(s, mean); });
    test::check_sample_moments(x, mean, mean, "poisson(" + std::to_string(mean) + ")");
  }
}

TEST_CASE("Sums of per-customer values have the exact mean and variance", "[sampling][statistical]") {
  const std::vector<double> empirical{5, 10, 10, 40, 200, 3};
  for (ValueShape shape :
       {ValueShape::gamma, ValueShape::lognormal, ValueShape::fixed, ValueShape::empirical}) {
    ValueDraw v;
    v.shape = shape;
    v.mean = 80;
    v.cv = 0.7;
    v.empirical = &empirical;
    v.prepare();
    // Below and above the threshold of exact lognormal and empirical sums.
    for (std::int64_t n : {std::int64_t{1}, std::int64_t{5}, VALUE_SUM_EXACT_MAX, VALUE_SUM_EXACT_MAX + 1,
                           std::int64_t{2000}}) {
      const auto x = sample(60000, 13 + n, [&](Stream& s) { return v.sum(s, n); });
      const double sd_one = v.mean * v.cv;
      test::check_sample_moments(x, static_cast<double>(n) * v.mean, static_cast<double>(n) * sd_one * sd_one,
                                 std::string(to_string(shape)) + " sum of " + std::to_string(n));
    }
  }
}

TEST_CASE("Moment-matched lognormal sums stay within a stated distance of the exact sums",
          "[sampling][statistical]") {
  // Above VALUE_SUM_EXACT_MAX values a lognormal (or empirical) sum is drawn from a lognormal with the sum's
  // exact mean and variance (Fenton-Wilkinson). The approximation is worst just above the threshold and for
  // very unequal values; this measures the largest gap between the CDFs of the approximate and the exact sum
  // (two-sample Kolmogorov-Smirnov) there. With 100,000 draws each, sampling noise alone gives about 0.004.
  // Measured (seeded): 0.004 at cv 0.5, 0.010 at cv 1, 0.034 at cv 2; the gap shrinks like 1 / sqrt(n).
  const std::int64_t n = VALUE_SUM_EXACT_MAX + 1;
  for (double cv : {0.5, 1.0, 2.0}) {
    ValueDraw v;
    v.shape = ValueShape::lognormal;
    v.mean = 100;
    v.cv = cv;
    v.prepare();
    const auto approx = sample(100000, 21, [&](Stream& s) { return v.sum(s, n); });
    const auto exact = sample(100000, 22, [&](Stream& s) {
      double total = 0;
      for (std::int64_t i = 0; i < n; ++i) total += v.one(s);
      return total;
    });
    const double d = test::ks_statistic(approx, exact);
    INFO("cv " << cv << ": KS distance " << d);
    CHECK(d < (cv <= 1.0 ? 0.015 : 0.04));
  }
}
