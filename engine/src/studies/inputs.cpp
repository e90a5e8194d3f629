#include "studies/inputs.h"

#include <algorithm>
#include <numeric>

namespace cxrisk {

namespace {

// The shares of a Dirichlet input in `draw`, normalised, with how many of its outcomes have weight.
std::array<double, 3> shares_of(const Model& model, const ParamRef& r, const TrialDraw& draw) {
  const double* x = &draw.inputs[model.slot(Param::resolution, r.place)];
  const double total = x[0] + x[1] + x[2];
  std::array<double, 3> out{};
  for (std::size_t k = 0; k < 3; ++k) out[k] = total > 0 ? x[k] / total : 0.0;
  return out;
}

}  // namespace

double input_value(const Model& model, const Model::Input& input, const TrialDraw& draw) {
  const ParamRef& r = input.ref;
  if (!r.shares) return draw.inputs[model.slot(r.spec->id, r.place)];
  const std::array<double, 3> shares = shares_of(model, r, draw);
  for (std::size_t k = 0; k < 3; ++k)
    if (r.shares->values[k] > 0) return shares[k];
  return 0.0;
}

int covariate_count(const Model::Input& input) {
  if (!input.ref.shares) return 1;
  const auto& w = input.ref.shares->values;
  const auto weighted = std::count_if(w.begin(), w.end(), [](double v) { return v > 0; });
  return std::max(1, static_cast<int>(weighted) - 1);
}

void input_covariates(const Model& model, const Model::Input& input, const TrialDraw& draw, double* out) {
  const ParamRef& r = input.ref;
  if (!r.shares) {
    out[0] = draw.inputs[model.slot(r.spec->id, r.place)];
    return;
  }
  const std::array<double, 3> shares = shares_of(model, r, draw);
  const int n = covariate_count(input);
  for (std::size_t k = 0, c = 0; k < 3 && static_cast<int>(c) < n; ++k)
    if (r.shares->values[k] > 0) out[c++] = shares[k];
}

std::vector<double> average_ranks(std::span<const double> x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = average;
    i = j + 1;
  }
  return r;
}

}  // namespace cxrisk
