// Value of information: EVPI and EVPPI against closed forms for normal net benefits, on synthetic samples and
// on a comparison of scenarios built to have one.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "cxrisk/compare.h"
#include "cxrisk/output.h"
#include "cxrisk/random.h"
#include "cxrisk/sampling.h"
#include "cxrisk/voi.h"
#include "helpers.h"

using namespace cxrisk;

namespace {

// E[max(0, X)] - max(0, E[X]) for X ~ N(m, s^2): the value of perfect information on a choice between an
// option whose net benefit is X and one of net benefit 0.
double normal_evpi(double m, double s) {
  const double z = m / s;
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  return m * cdf + s * pdf - std::max(0.0, m);
}

// The standard error a 95% interval implies: checks against closed forms allow 4.5 of them.
double standard_error(const std::array<double, 2>& ci) {
  return (ci[1] - ci[0]) / (2 * 1.96);
}

}  // namespace

TEST_CASE("EVPI and EVPPI of normal net benefits match their closed forms", "[voi]") {
  // Net benefit = m + x + y, x ~ N(0, sx^2) and y ~ N(0, sy^2) independent, z unrelated to it.
  const double m = 0.3, sx = 1.0, sy = 0.5;
  const std::size_t n = 20000;
  std::vector<std::vector<double>> nb(1, std::vector<double>(n)), x(1, std::vector<double>(n)),
      y(1, std::vector<double>(n)), z(1, std::vector<double>(n));
  Stream s(mix64(2026), 0, 0);
  for (std::size_t t = 0; t < n; ++t) {
    x[0][t] = sx * draw_normal(s);
    y[0][t] = sy * draw_normal(s);
    z[0][t] = draw_normal(s);
    nb[0][t] = m + x[0][t] + y[0][t];
  }
  const VoiEstimate evpi = evpi_estimate(nb, 200, 1);
  const double evpi_known = normal_evpi(m, std::hypot(sx, sy));
  INFO("EVPI " << evpi.value << " [" << evpi.ci[0] << ", " << evpi.ci[1] << "], known " << evpi_known);
  CHECK(std::abs(evpi.value - evpi_known) <= 4.5 * standard_error(evpi.ci));

  // Learning x leaves y's noise: the decision is on m + x.
  const VoiEstimate of_x = evppi_estimate(nb, x, evpi.value, 200, 2);
  const double x_known = normal_evpi(m, sx);
  INFO("EVPPI(x) " << of_x.value << " [" << of_x.ci[0] << ", " << of_x.ci[1] << "], known " << x_known);
  CHECK(std::abs(of_x.value - x_known) <= 4.5 * standard_error(of_x.ci));
  CHECK(of_x.terms == 9);  // one covariate: the cubic B-spline

  const VoiEstimate of_y = evppi_estimate(nb, y, evpi.value, 200, 3);
  const double y_known = normal_evpi(m, sy);
  INFO("EVPPI(y) " << of_y.value << " [" << of_y.ci[0] << ", " << of_y.ci[1] << "], known " << y_known);
  CHECK(std::abs(of_y.value - y_known) <= 4.5 * standard_error(of_y.ci));

  // Both together are everything there is to learn.
  std::vector<std::vector<double>> xy{x[0], y[0]};
  const VoiEstimate of_xy = evppi_estimate(nb, xy, evpi.value, 200, 4);
  INFO("EVPPI(x, y) " << of_xy.value << " [" << of_xy.ci[0] << ", " << of_xy.ci[1] << "]");
  CHECK(of_xy.value <= evpi.value);
  CHECK(std::abs(of_xy.value - evpi_known) <=
        4.5 * std::hypot(standard_error(of_xy.ci), standard_error(evpi.ci)));

  // An input the net benefit does not depend on: its value is about 0 (the fit's own noise) and its
  // interval reaches 0.
  const VoiEstimate of_z = evppi_estimate(nb, z, evpi.value, 200, 5);
  INFO("EVPPI(z) " << of_z.value << " [" << of_z.ci[0] << ", " << of_z.ci[1] << "]");
  CHECK(of_z.ci[0] == 0);
  CHECK(of_z.value < 0.02 * evpi.value);
}

TEST_CASE("EVPPI needs trials enough for its regression", "[voi]") {
  std::vector<std::vector<double>> nb(1, std::vector<double>(50, 1.0)), cov(6, std::vector<double>(50));
  for (std::size_t c = 0; c < cov.size(); ++c)
    for (std::size_t t = 0; t < 50; ++t) cov[c][t] = static_cast<double>((t * (c + 3)) % 50);
  CHECK_THROWS_WITH(evppi_estimate(nb, cov, 1.0, 10, 1), Catch::Contains("too few trials (50)"));
}

namespace {

// The base and an improvement whose net benefit is a fixed saving less a normal investment: the saving
// comes from making complaining easier on problem `p`; problem `q`'s uncertain incidence touches base and
// improvement alike, so the decision does not depend on it.
std::string comparison_base(const std::string& p_complaint_rate) {
  return R"(
cxrisk: 1
name: Base
horizon: {periods: 1, period: year}
segments:
  - {name: all, customers: 1000000, value: {mean: 100}}
problems:
  - name: p
    incidence: 0.05
    complaint_rate: )" +
         p_complaint_rate + R"(
    handling: [{resolution: {resolved: 0.6, mollified: 0.3, unresolved: 0.1}}]
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.85, resolved: 0.8, mollified: 0.6, unresolved: 0.3}
  - name: q
    incidence: {dist: uniform, min: 0.01, max: 0.2}
    complaint_rate: 0.3
    handling: [{resolution: {resolved: 0.6, mollified: 0.3, unresolved: 0.1}}]
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.85, resolved: 0.8, mollified: 0.6, unresolved: 0.3}
)";
}

std::string fmt_investment(double mean, double sd) {
  return "investment: {upfront: {dist: normal, mean: " + std::to_string(mean) +
         ", sd: " + std::to_string(sd) + ", min: 0}}\n";
}

}  // namespace

TEST_CASE("A comparison's EVPI matches the closed form, and EVPPI finds the input the choice depends on",
          "[voi]") {
  const Scenario base = test::scenario_from(comparison_base("0.2"));
  const Scenario easier = test::scenario_from(comparison_base("0.6"));
  const double saving = expect(base).total(total_cost).mean - expect(easier).total(total_cost).mean;
  REQUIRE(saving > 0);
  // The investment: N(saving - m, s^2), so the net benefit is N(m, s^2); its mean is 5 sd from 0.
  const double s = 0.2 * saving, m = 0.1 * s;
  Scenario alt = test::scenario_from(comparison_base("0.6") + fmt_investment(saving - m, s));
  alt.name = "Easier";
  RunSettings settings;
  settings.trials = 20000;
  settings.seed = 11;
  settings.threads = 2;
  const ValueOfInformation v = value_of_information(base, {alt}, settings);
  REQUIRE(v.options.size() == 2);
  CHECK(v.options[1] == "Easier");
  const double known = normal_evpi(m, s);
  INFO("EVPI " << v.evpi << " [" << v.evpi_ci[0] << ", " << v.evpi_ci[1] << "], known " << known);
  CHECK(std::abs(v.evpi - known) <= 4.5 * standard_error(v.evpi_ci));
  REQUIRE(v.inputs.size() == 2);
  CHECK(v.inputs[0].path == "investment.upfront");
  // All there is to learn is the investment.
  CHECK(std::abs(v.inputs[0].value - v.evpi) <= 4.5 * standard_error(v.inputs[0].ci));
  CHECK(v.inputs[1].path == "problems.q.incidence");
  CHECK(v.inputs[1].ci[0] == 0);
  CHECK(v.inputs[1].value < 0.02 * v.evpi);
  for (const PartialValue& p : v.inputs) CHECK(p.value <= v.evpi);
  for (const PartialValue& g : v.groups) CHECK(g.value <= v.evpi);

  // The same numbers on any number of threads.
  settings.threads = 1;
  Comparison one, three;
  one.voi = value_of_information(base, {alt}, settings);
  settings.threads = 3;
  three.voi = value_of_information(base, {alt}, settings);
  CHECK(comparison_json(one) == comparison_json(three));
}
