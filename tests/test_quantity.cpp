#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "cxrisk/quantity.h"
#include "cxrisk/random.h"
#include "helpers.h"

using namespace cxrisk;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

/// Draws n values by inverse CDF from keyed uniforms; checks mean, variance and support.
void check_moments(const Quantity& q, int n = 200000) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = q.quantile(keyed_uniform(0x5eed, static_cast<std::uint64_t>(i)));
  test::check_sample_moments(x, q.mean(), q.variance(), q.describe());
  for (double v : x) {
    REQUIRE(v >= q.support_min());
    REQUIRE(v <= q.support_max());
  }
}

}  // namespace

TEST_CASE("A fixed quantity is its value", "[quantity]") {
  const Quantity q = Quantity::fixed(0.04);
  CHECK(q.is_fixed());
  CHECK(q.quantile(0.3) == 0.04);
  CHECK(q.mean() == 0.04);
  CHECK(q.variance() == 0);
  CHECK(q.scaled(2).value() == 0.08);
}

TEST_CASE("Beta from mean and sd has that mean and sd", "[quantity][statistical]") {
  const Quantity q = Quantity::make(QuantityForm::beta_mean_sd, {0.04, 0.01});
  CHECK(q.mean() == Approx(0.04).epsilon(1e-12));
  CHECK(std::sqrt(q.variance()) == Approx(0.01).epsilon(1e-12));
  check_moments(q);
}

TEST_CASE("Beta from alpha and beta", "[quantity][statistical]") {
  const Quantity q = Quantity::make(QuantityForm::beta_alpha_beta, {4, 96});
  CHECK(q.mean() == Approx(0.04));
  CHECK(q.variance() == Approx(4.0 * 96 / (100.0 * 100 * 101)));
  check_moments(q);
}

TEST_CASE("Survey counts give the beta posterior Beta(k + 1, n - k + 1)", "[quantity][statistical]") {
  const Quantity q = Quantity::make(QuantityForm::observed, {37, 1200});
  const Quantity same = Quantity::make(QuantityForm::beta_alpha_beta, {38, 1164});
  CHECK(q.mean() == Approx(same.mean()));
  CHECK(q.variance() == Approx(same.variance()));
  CHECK(q.quantile(0.123) == Approx(same.quantile(0.123)));
  check_moments(q);
}

TEST_CASE("beta-PERT has mean (min + 4 mode + max) / 6", "[quantity][statistical]") {
  const Quantity q = Quantity::make(QuantityForm::pert, {0.02, 0.04, 0.08});
  CHECK(q.mean() == Approx((0.02 + 4 * 0.04 + 0.08) / 6));
  // lambda = 4: variance (mean - min)(max - mean) / 7.
  CHECK(q.variance() == Approx((q.mean() - 0.02) * (0.08 - q.mean()) / 7));
  check_moments(q);
}

TEST_CASE("Triangular and uniform", "[quantity][statistical]") {
  const Quantity t = Quantity::make(QuantityForm::triangular, {2.0e7, 3.0e7, 5.0e7});
  CHECK(t.mean() == Approx(10.0e7 / 3));
  check_moments(t);
  const Quantity u = Quantity::make(QuantityForm::uniform, {0.6, 0.8});
  CHECK(u.mean() == Approx(0.7));
  CHECK(u.variance() == Approx(0.04 / 12));
  check_moments(u);
}

TEST_CASE("Normal, plain and truncated", "[quantity][statistical]") {
  const Quantity plain = Quantity::make(QuantityForm::normal, {4800, 300, NaN, NaN});
  CHECK(plain.mean() == Approx(4800));
  CHECK(plain.variance() == Approx(300.0 * 300));
  check_moments(plain);
  // Truncated on both sides, asymmetrically, and a rate truncated to [0, 1].
  const Quantity truncated = Quantity::make(QuantityForm::normal, {0.5, 0.3, 0.2, 1.0});
  CHECK(truncated.support_min() == 0.2);
  CHECK(truncated.support_max() == 1.0);
  check_moments(truncated);
  // Truncation far in the upper tail keeps its precision.
  const Quantity tail = Quantity::make(QuantityForm::normal, {0, 1, 6, 7});
  CHECK(tail.quantile(0.5) > 6);
  CHECK(tail.quantile(0.5) < 7);
  check_moments(tail);
}

TEST_CASE("Lognormal from median and sigma, and from mean and sd", "[quantity][statistical]") {
  const Quantity a = Quantity::make(QuantityForm::lognormal_median_sigma, {52000, 0.5});
  CHECK(a.quantile(0.5) == Approx(52000));
  check_moments(a);
  const Quantity b = Quantity::make(QuantityForm::lognormal_mean_sd, {100, 30});
  CHECK(b.mean() == Approx(100));
  CHECK(std::sqrt(b.variance()) == Approx(30));
  check_moments(b);
}

TEST_CASE("Gamma from mean and sd, and from shape and scale", "[quantity][statistical]") {
  const Quantity a = Quantity::make(QuantityForm::gamma_mean_sd, {45, 5});
  CHECK(a.mean() == Approx(45));
  CHECK(std::sqrt(a.variance()) == Approx(5));
  check_moments(a);
  const Quantity b = Quantity::make(QuantityForm::gamma_shape_scale, {0.7, 2});
  CHECK(b.mean() == Approx(1.4));
  CHECK(b.variance() == Approx(2.8));
  check_moments(b);
}

TEST_CASE("A scaled quantity multiplies every draw", "[quantity]") {
  const Quantity q = Quantity::make(QuantityForm::pert, {0.02, 0.04, 0.08});
  const Quantity s = q.scaled(0.5);
  CHECK(s.quantile(0.3) == Approx(0.5 * q.quantile(0.3)));
  CHECK(s.mean() == Approx(0.5 * q.mean()));
  CHECK(s.variance() == Approx(0.25 * q.variance()));
  CHECK(s.support_max() == Approx(0.04));
}

TEST_CASE("A scale that would make a value or a draw infinite is refused", "[quantity]") {
  const auto refuses = [](const Quantity& q, double factor) {
    try {
      (void)q.scaled(factor);
      return false;
    } catch (const QuantityError&) {
      return true;
    }
  };
  CHECK(refuses(Quantity::fixed(5), 1e308));
  CHECK_FALSE(refuses(Quantity::fixed(5), 1e307));
  const Quantity pert = Quantity::make(QuantityForm::pert, {600, 800, 1200});
  CHECK(refuses(pert, 1e306));  // the scale itself is finite, the largest draw is not
  CHECK(refuses(pert, 1e160));  // the draws are finite, the variance is not
  CHECK_FALSE(refuses(pert, 1e100));
  const Quantity lognormal = Quantity::make(QuantityForm::lognormal_median_sigma, {100, 1});
  CHECK(refuses(lognormal, 1e305));
  CHECK_FALSE(refuses(lognormal, 2));
}

TEST_CASE("Shapes too extreme for the special functions are refused", "[quantity]") {
  CHECK_THROWS_AS(Quantity::make(QuantityForm::beta_alpha_beta, {1e-320, 4}), QuantityError);  // subnormal
  CHECK_THROWS_AS(Quantity::make(QuantityForm::beta_alpha_beta, {1e-13, 4}), QuantityError);
  CHECK_THROWS_AS(Quantity::make(QuantityForm::beta_alpha_beta, {4, 2e9}), QuantityError);
  CHECK_THROWS_AS(Quantity::make(QuantityForm::gamma_shape_scale, {2e9, 1}), QuantityError);
  CHECK_THROWS_AS(Quantity::make(QuantityForm::gamma_mean_sd, {1e200, 1e-200}), QuantityError);  // infinite
  CHECK_THROWS_AS(Quantity::make(QuantityForm::observed, {5, 3e9}), QuantityError);
  // Within the limits, but a variance that overflows.
  CHECK_THROWS_AS(Quantity::make(QuantityForm::gamma_shape_scale, {2, 1e300}), QuantityError);
  CHECK_NOTHROW(Quantity::make(QuantityForm::beta_alpha_beta, {1e-12, 1e9}));
  CHECK_NOTHROW(Quantity::make(QuantityForm::gamma_shape_scale, {1e9, 1e-300}));
  CHECK_NOTHROW(Quantity::make(QuantityForm::gamma_mean_sd, {1e4, 1}));  // shape 1e8
}

TEST_CASE("Every shape within the limits has finite quantiles", "[quantity]") {
  // A grid over the limits, ends included (half-decades), and uniforms from the smallest to the largest a
  // stream yields: no Boost.Math error and no infinite or NaN value anywhere (outside the limits, both occur:
  // beta(1e12, 3e10) fails at u = 0.12, beta(0.16, 8e-22) at the smallest u, gamma(3e10) at u = 0.5).
  std::vector<double> shapes, uniforms{0x1p-53, 1e-12, 1 - 1e-12, 1 - 0x1p-53};
  for (int e = -24; e <= 18; ++e) shapes.push_back(std::pow(10.0, e / 2.0));
  CHECK(shapes.front() == SHAPE_MIN);
  CHECK(shapes.back() == SHAPE_MAX);
  for (int i = 1; i < 50; ++i) uniforms.push_back(i / 50.0);
  int failures = 0;
  const auto check = [&](const Quantity& q) {
    for (double u : uniforms) {
      try {
        failures += !std::isfinite(q.quantile(u));
      } catch (const std::exception& e) {
        ++failures;
        UNSCOPED_INFO(q.describe() << " at u = " << u << ": " << e.what());
      }
    }
  };
  for (double a : shapes) {
    for (double b : shapes) check(Quantity::make(QuantityForm::beta_alpha_beta, {a, b}));
    for (double scale : {1e-300, 1.0, 1e100})
      check(Quantity::make(QuantityForm::gamma_shape_scale, {a, scale}));
  }
  CHECK(failures == 0);
}

TEST_CASE("Bad parameters name the offending key", "[quantity]") {
  auto key_of = [](QuantityForm form, std::vector<double> args) {
    try {
      Quantity::make(form, args);
    } catch (const QuantityError& e) {
      return e.key;
    }
    return std::string("(none)");
  };
  CHECK(key_of(QuantityForm::beta_mean_sd, {0.5, -0.1}) == "sd");
  CHECK(key_of(QuantityForm::beta_mean_sd, {1.5, 0.1}) == "mean");
  CHECK(key_of(QuantityForm::beta_mean_sd, {0.5, 0.6}) == "sd");
  CHECK(key_of(QuantityForm::beta_alpha_beta, {0, 3}) == "alpha");
  CHECK(key_of(QuantityForm::pert, {1, 5, 3}) == "mode");
  CHECK(key_of(QuantityForm::triangular, {3, 3, 3}) == "max");
  CHECK(key_of(QuantityForm::uniform, {2, 1}) == "max");
  CHECK(key_of(QuantityForm::normal, {0, 1, 2, 1}) == "max");
  CHECK(key_of(QuantityForm::lognormal_median_sigma, {-1, 1}) == "median");
  CHECK(key_of(QuantityForm::gamma_shape_scale, {1, 0}) == "scale");
  CHECK(key_of(QuantityForm::observed, {5, 3}) == "of");
}

TEST_CASE("Dirichlet shares average to the normalised concentrations", "[quantity]") {
  Shares d{true, {50, 30, 20}};
  const auto m = d.mean();
  CHECK(m[0] == Approx(0.5));
  CHECK(m[1] == Approx(0.3));
  CHECK(m[2] == Approx(0.2));
  Shares f{false, {0.55, 0.25, 0.20}};
  CHECK(f.mean() == f.values);
}

#include <thread>

#include "sampling/quantile_table.h"

TEST_CASE("Tabulated quantiles stay within 1e-9 standard deviations of the exact ones", "[quantity]") {
  const std::vector<Quantity> cases{
      Quantity::make(QuantityForm::beta_mean_sd, {0.004, 0.001}),
      Quantity::make(QuantityForm::beta_alpha_beta, {0.6, 3}),  // a steep end: intervals there go exact
      Quantity::make(QuantityForm::beta_alpha_beta, {2, 98}),
      Quantity::make(QuantityForm::observed, {0, 40}),
      Quantity::make(QuantityForm::pert, {0.005, 0.02, 0.05}),
      Quantity::make(QuantityForm::pert, {0.1, 0.1, 0.3}).scaled(0.8),
      Quantity::make(QuantityForm::gamma_shape_scale, {0.7, 1}),
      Quantity::make(QuantityForm::gamma_shape_scale, {51, 1}),
      Quantity::make(QuantityForm::gamma_mean_sd, {45, 5}),
  };
  for (const Quantity& q : cases) {
    const FastQuantile fast(q);
    const double sd = std::sqrt(q.variance());
    double worst = 0;
    for (int i = 0; i < 200000; ++i) {
      const double u = keyed_uniform(99, static_cast<std::uint64_t>(i));
      worst = std::max(worst, std::abs(fast(u) - q.quantile(u)) / sd);
    }
    INFO(q.describe() << ": largest error " << worst << " sd, exact share " << fast.exact_share());
    CHECK(worst < 2e-9);
    // The refined tables leave the exact inverse to a few percent of the draws at most (the top table alone
    // left 20-25% of them, towards both ends).
    CHECK(fast.exact_share() < 0.04);
  }
}

TEST_CASE("Built tables are shared between models for equal quantities only", "[quantity]") {
  const Quantity a = Quantity::make(QuantityForm::beta_alpha_beta, {3.25, 71.5});
  const Quantity same = Quantity::make(QuantityForm::beta_alpha_beta, {3.25, 71.5});
  const Quantity scaled = a.scaled(0.5), other = Quantity::make(QuantityForm::beta_alpha_beta, {3.25, 71.25});
  const std::shared_ptr<const FastQuantile> table = share_quantile(a);
  CHECK(shared_quantile(same) == table);
  CHECK(share_quantile(same) == table);
  CHECK(shared_quantile(scaled) == nullptr);  // a factor changes every value
  CHECK(shared_quantile(other) == nullptr);
  // Beyond SHARED_QUANTILES newer tables, the oldest is forgotten (models keep theirs alive). The newer ones
  // are of quantities no other test uses, so that each is new to the process.
  for (std::size_t i = 0; i < SHARED_QUANTILES; ++i)
    share_quantile(
        Quantity::make(QuantityForm::gamma_shape_scale, {1000.25 + static_cast<double>(i), 0.375}));
  CHECK(shared_quantile(same) == nullptr);
  CHECK(table->quantity() == a);
}

TEST_CASE(
    "A table built interval by interval, from several threads at once, gives the values of one built "
    "whole",
    "[quantity]") {
  // Steep ends (refined and exact intervals) and a smooth middle.
  const Quantity q = Quantity::make(QuantityForm::beta_alpha_beta, {0.6, 3});
  std::vector<double> u(60000);
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = keyed_uniform(7, i);
  const FastQuantile whole(q);
  const double share = whole.exact_share();  // builds every interval first
  std::vector<double> expected(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) expected[i] = whole(u[i]);

  const FastQuantile lazy(q);
  CHECK(lazy.built_intervals() == 0);
  for (std::size_t i = 0; i < 10; ++i) CHECK(lazy(u[i]) == expected[i]);
  CHECK(lazy.built_intervals() <= 10);  // ten draws build at most the ten intervals they fall in
  // Four threads draw the same values in different orders, racing to build the same intervals (and taking
  // from each other the nodes of neighbouring intervals, which the whole table took in order).
  std::vector<double> got(u.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t k = 0; k < u.size(); ++k) {
        const std::size_t i = t % 2 ? u.size() - 1 - k : k;
        const double x = lazy(u[i]);
        if (i % 4 == static_cast<std::size_t>(t)) got[i] = x;
      }
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < u.size(); ++i)
    if (got[i] != expected[i])
      FAIL("draw " << i << " (u = " << u[i] << "): " << got[i] << " != " << expected[i]);
  CHECK(lazy.exact_share() == share);
  CHECK(lazy.built_intervals() == 512);
}
