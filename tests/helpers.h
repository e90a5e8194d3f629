// Shared helpers of the unit tests.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "cxrisk/loader.h"
#include "cxrisk/simulate.h"

namespace cxrisk::test {

/// Whether a test of this run was skipped.
inline bool& skipped() {
  static bool flag = false;
  return flag;
}
/// Skips the rest of a test, visibly: a warning with the reason, and the run exits 77 (ctest: skipped).
inline void skip(const std::string& why) {
  WARN("skipped: " << why);
  skipped() = true;
}

inline Scenario scenario_from(const std::string& yaml) {
  return load_scenario_text(yaml, "<test>", CXRISK_TEST_DATA);
}

/// The TARP major-problem worked example of the issue: 1,000 customers with a major problem, half complain;
/// complainants end 20% resolved quickly, 30% resolved, 50% unresolved.
inline const char* TARP_WORKED_EXAMPLE = R"(
cxrisk: 1
name: TARP worked example
horizon: {periods: 1, period: year}
segments:
  - {name: all, customers: 1000, value: {mean: 100}}
problems:
  - name: major
    incidence: 1
    complaint_rate: 0.5
    handling:
      - {tier: front_line, resolution: {resolved: 0.2, mollified: 0, unresolved: 0.8}, escalate: 0.375, cost: 10}
      - {tier: headquarters, resolution: {resolved: 1, mollified: 0, unresolved: 0}, cost: 50}
    loyalty: {no_problem: 1.0, silent: 0.09, quick: 0.82, resolved: 0.54, mollified: 0.19, unresolved: 0.19}
)";

/// A scenario with every parameter fixed that exercises every part of the chain: several periods, segments
/// with churn and each value shape, stages, problems limited to segments, three tiers, the recovery paradox,
/// word of mouth both ways, and a discounted valuation.
inline std::string fixed_chain(const std::string& method, double customers_scale = 1) {
  const auto n = [&](int x) { return std::to_string(std::llround(x * customers_scale)); };
  return R"(
cxrisk: 1
name: Fixed chain
horizon: {periods: 6, period: month, discount_rate: 0.1}
valuation: {method: )" +
         method + R"(, margin: 0.4}
word_of_mouth: {negative_conversion: 0.05, positive_conversion: 0.03}
segments:
  - {name: gamma_values, customers: )" +
         n(3000) + R"(, value: {mean: 80, cv: 0.7}, baseline_churn: 0.02}
  - {name: lognormal_values, customers: )" +
         n(800) + R"(, value: {mean: 400, cv: 1.3, shape: lognormal}, baseline_churn: 0.01}
  - {name: fixed_values, customers: )" +
         n(500) + R"(, value: {mean: 150}, baseline_churn: 0.03}
  - {name: survey_values, customers: )" +
         n(300) + R"(, value: {empirical: values.csv}, baseline_churn: 0.015}
stages: [purchase, delivery, support]
problems:
  - name: slow_refund
    stage: support
    cause: process
    incidence: 0.04
    complaint_rate: 0.6
    handling:
      - {tier: chat, resolution: {resolved: 0.4, mollified: 0.3, unresolved: 0.3}, escalate: 0.5, cost: 3}
      - {tier: care, resolution: {resolved: 0.5, mollified: 0.2, unresolved: 0.3}, escalate: 0.4, cost: 20}
      - {tier: executive, resolution: {resolved: 0.8, mollified: 0.1, unresolved: 0.1}, cost: 150}
    loyalty: {no_problem: 0.9, silent: 0.3, quick: 0.96, resolved: 0.7, mollified: 0.5, unresolved: 0.2}
    wom:
      negative: {silent: 6, mollified: 2, unresolved: 10}
      positive: {quick: 5, resolved: 3}
  - name: late_parcel
    stage: delivery
    cause: partner
    segments: [gamma_values, fixed_values, survey_values]
    incidence: 0.08
    complaint_rate: 0.35
    handling:
      - {tier: chat, resolution: {resolved: 0.7, mollified: 0.2, unresolved: 0.1}, cost: 4}
    loyalty: {no_problem: 0.9, silent: 0.6, quick: 0.9, resolved: 0.8, mollified: 0.7, unresolved: 0.5}
    wom:
      negative: {silent: 2, unresolved: 5}
  - name: checkout_bug
    stage: purchase
    cause: company
    segments: [lognormal_values, survey_values]
    incidence: 0.03
    complaint_rate: 0
    loyalty: {no_problem: 0.9, silent: 0.45, quick: 0.9, resolved: 0.9, mollified: 0.9, unresolved: 0.9}
    wom:
      negative: {silent: 3}
)";
}

/// True when `a` and `b` agree within `k` standard errors `se`; with se = 0 the values must be equal (up
/// to rounding).
inline bool within_se(double a, double b, double se, double k = 4.5) {
  if (se == 0) return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
  return std::abs(a - b) <= k * se;
}

/// Checks a sample's mean and variance against the expected ones within 4.5 standard errors; the SE of the
/// variance comes from the sample's fourth central moment.
inline void check_sample_moments(const std::vector<double>& x, double mean, double var,
                                 const std::string& label) {
  const auto n = static_cast<double>(x.size());
  double m = 0;
  for (double v : x) m += v;
  m /= n;
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d2 = (v - m) * (v - m);
    m2 += d2;
    m4 += d2 * d2;
  }
  const double sample_var = m2 / (n - 1);
  const double se_mean = std::sqrt(sample_var / n);
  const double se_var = std::sqrt(std::max(0.0, m4 / n - sample_var * sample_var) / n);
  INFO(label << ": sample mean " << m << " vs " << mean << " (se " << se_mean << "), variance " << sample_var
             << " vs " << var << " (se " << se_var << ")");
  CHECK(within_se(m, mean, se_mean));
  CHECK(within_se(sample_var, var, se_var));
}

/// The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs.
inline double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  return d;
}

}  // namespace cxrisk::test
