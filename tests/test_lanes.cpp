// The lane-parallel samplers (engine/src/lanes.h) must give every lane exactly the scalar sampler's draw
// from that lane's stream: the engine's results may not depend on which trials share a batch.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "cxrisk/sampling.h"
#include "lanes.h"

using namespace cxrisk;

namespace {
// Means spread over every method's range: zero, inversion (below 10), BTRD/PTRD (10 and above), flipped.
double mean_of(std::uint64_t w) {
  return std::pow(10.0, -2 + 11 * Stream::uniform_of(w));
}
}  // namespace

TEST_CASE("Lane-parallel draws equal the scalar samplers' draws bit for bit", "[sampling][lanes]") {
  const std::vector<ValueShape> shapes{ValueShape::gamma, ValueShape::fixed, ValueShape::lognormal};
  std::vector<ValueDraw> values(shapes.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    values[i].shape = shapes[i];
    values[i].mean = 60;
    values[i].cv = i == 0 ? 1.3 : 0.8;  // a gamma shape below 1 for single customers
    values[i].prepare();
  }
  Stream params(77, 0, 0);
  int checked = 0, slow = 0;
  for (std::uint64_t batch = 0; batch < 20000; ++batch) {
    const int lanes = 1 + static_cast<int>(batch % LANES);
    LaneStreams s{0xabcdef ^ batch, batch << 7, {}};
    Lanes<std::int64_t> n{}, counts{}, got{};
    Lanes<double> p{}, mean{}, sums{};
    Lanes<const ValueDraw*> value{};
    for (int l = 0; l < LANES; ++l) {
      s.trial[l] = 1000 + batch * LANES + static_cast<std::uint64_t>(l);
      const double m = mean_of(params());
      p[l] = params.uniform() < 0.1 ? (params.uniform() < 0.5 ? 0.0 : 1.0) : params.uniform();
      n[l] = static_cast<std::int64_t>(
          std::min(1e15, std::ceil(m / std::max(p[l] > 0.5 ? 1 - p[l] : p[l], 1e-9))));
      if (params.uniform() < 0.05) n[l] = 0;
      mean[l] = params.uniform() < 0.05 ? 0.0 : m;
      counts[l] = static_cast<std::int64_t>(params.uniform() * (l % 2 ? 4 : 5000));
      value[l] = &values[params() % values.size()];
    }
    binomial_lanes(s, n, p, got, lanes);
    for (int l = 0; l < lanes; ++l) {
      Stream one = s.stream(l);
      REQUIRE(got[l] == draw_binomial(one, n[l], p[l]));
    }
    poisson_lanes(s, mean, got, lanes);
    for (int l = 0; l < lanes; ++l) {
      Stream one = s.stream(l);
      REQUIRE(got[l] == draw_poisson(one, mean[l]));
    }
    value_sum_lanes(s, value, counts, sums, lanes);
    for (int l = 0; l < lanes; ++l) {
      Stream one = s.stream(l);
      const double expected = value[l]->sum(one, counts[l]);
      REQUIRE(sums[l] == expected);
      slow += counts[l] == 1;
    }
    checked += lanes;
  }
  CHECK(checked > 80000);
  CHECK(slow > 1000);
}
