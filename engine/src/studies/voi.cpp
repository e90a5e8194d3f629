// Value of information: EVPI from the net benefits in expectation at each trial's inputs, and EVPPI of an
// input or a group by regressing those net benefits on the inputs' values (Strong, Oakley and Brennan,
// Medical Decision Making 2014: the partial value is the value of deciding on E[net benefit | those inputs],
// and a least-squares fit on a flexible basis estimates that conditional mean from the one sample).
#include "cxrisk/voi.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "cxrisk/error.h"
#include "cxrisk/expectation.h"
#include "cxrisk/random.h"
#include "cxrisk/sampling.h"
#include "cxrisk/statistics.h"
#include "studies/groups.h"
#include "studies/inputs.h"
#include "studies/parallel.h"

namespace cxrisk {

namespace {

using Eigen::Index;
using Eigen::MatrixXd;

// The value of deciding on the net benefits g[t][a] of each alternative over the base: mean over t of the
// best option's, less the best option's mean (the base's net benefit is 0). Over the rows `rows`.
template <class Rows>
double decision_value(const MatrixXd& g, const Rows& rows, std::size_t n) {
  const Index A = g.cols();
  double with_information = 0;
  Eigen::VectorXd means = Eigen::VectorXd::Zero(A);
  for (std::size_t j = 0; j < n; ++j) {
    const Index t = static_cast<Index>(rows(j));
    with_information += std::max(0.0, g.row(t).maxCoeff());
    means += g.row(t).transpose();
  }
  means /= static_cast<double>(n);
  return with_information / static_cast<double>(n) - std::max(0.0, means.maxCoeff());
}

MatrixXd as_matrix(const std::vector<std::vector<double>>& columns) {
  const auto n = static_cast<Index>(columns.front().size());
  MatrixXd m(n, static_cast<Index>(columns.size()));
  for (std::size_t c = 0; c < columns.size(); ++c)
    m.col(static_cast<Index>(c)) = Eigen::Map<const Eigen::VectorXd>(columns[c].data(), n);
  return m;
}

// `bootstrap` resamples of n rows, keyed by `seed`: resample b's row j.
class Resamples {
 public:
  Resamples(std::size_t n, std::uint64_t seed) : n_(n), seed_(seed), rows_(n) {}
  const std::vector<std::size_t>& draw(int b) {
    Stream s(seed_, static_cast<std::uint64_t>(b), 0);
    for (std::size_t& r : rows_)
      r = std::min(n_ - 1, static_cast<std::size_t>(s.uniform() * static_cast<double>(n_)));
    return rows_;
  }
  Stream coefficients(int b) const { return Stream(seed_, static_cast<std::uint64_t>(b), 1); }

 private:
  std::size_t n_;
  std::uint64_t seed_;
  std::vector<std::size_t> rows_;
};

std::array<double, 2> interval(std::vector<double> replicates) {
  if (replicates.empty()) return {0, 0};
  std::sort(replicates.begin(), replicates.end());
  return {sorted_quantile(replicates, 0.025), sorted_quantile(replicates, 0.975)};
}

// Shifted Legendre polynomials on a rank score x in (0, 1): P1, P2, P3 of z = 2x - 1, orthogonal under the
// uniform law, so that the least-squares problem stays well conditioned.
std::array<double, 3> legendre(double x) {
  const double z = 2 * x - 1;
  return {z, 0.5 * (3 * z * z - 1), 0.5 * (5 * z * z * z - 3 * z)};
}

// The regression basis on the covariates' rank scores (see evppi_estimate), with at most max_terms columns.
MatrixXd basis(const std::vector<std::vector<double>>& scores, Index max_terms) {
  const auto n = static_cast<Index>(scores.front().size());
  const auto c = static_cast<Index>(scores.size());
  constexpr int INTERVALS = 6;
  if (c == 1 && INTERVALS + 3 <= max_terms) {
    // A uniform cubic B-spline: the four functions non-zero on a point's interval; they sum to 1.
    MatrixXd x = MatrixXd::Zero(n, INTERVALS + 3);
    for (Index t = 0; t < n; ++t) {
      const double at = scores[0][static_cast<std::size_t>(t)] * INTERVALS;
      const int i = std::clamp(static_cast<int>(at), 0, INTERVALS - 1);
      const double u = at - i, v = 1 - u;
      x(t, i) = v * v * v / 6;
      x(t, i + 1) = (3 * u * u * u - 6 * u * u + 4) / 6;
      x(t, i + 2) = (-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6;
      x(t, i + 3) = u * u * u / 6;
    }
    return x;
  }
  // Each covariate's polynomials to `degree`, and with `pairs` the products of their linear terms: the most
  // of these that the trials can support.
  int degree = 3;
  bool pairs = c <= 12;
  const auto terms = [&] { return 1 + c * degree + (pairs ? c * (c - 1) / 2 : 0); };
  while (terms() > max_terms && (pairs || degree > 1)) {
    if (pairs)
      pairs = false;
    else
      --degree;
  }
  if (terms() > max_terms) return {};
  MatrixXd x(n, terms());
  for (Index t = 0; t < n; ++t) {
    Index k = 0;
    x(t, k++) = 1;
    for (Index i = 0; i < c; ++i) {
      const std::array<double, 3> p =
          legendre(scores[static_cast<std::size_t>(i)][static_cast<std::size_t>(t)]);
      for (int d = 0; d < degree; ++d) x(t, k++) = p[static_cast<std::size_t>(d)];
    }
    if (pairs)
      for (Index i = 0; i < c; ++i)
        for (Index j = i + 1; j < c; ++j)
          x(t, k++) = (2 * scores[static_cast<std::size_t>(i)][static_cast<std::size_t>(t)] - 1) *
                      (2 * scores[static_cast<std::size_t>(j)][static_cast<std::size_t>(t)] - 1);
  }
  return x;
}

}  // namespace

VoiEstimate evpi_estimate(const std::vector<std::vector<double>>& net_benefit, int bootstrap,
                          std::uint64_t seed) {
  CXRISK_REQUIRE(!net_benefit.empty() && !net_benefit.front().empty(), "no net benefits to value");
  const MatrixXd g = as_matrix(net_benefit);
  const auto n = static_cast<std::size_t>(g.rows());
  VoiEstimate out;
  out.value = decision_value(
      g, [](std::size_t j) { return j; }, n);
  Resamples resamples(n, seed);
  std::vector<double> replicates;
  for (int b = 0; b < bootstrap; ++b) {
    const std::vector<std::size_t>& rows = resamples.draw(b);
    replicates.push_back(decision_value(
        g, [&](std::size_t j) { return rows[j]; }, n));
  }
  out.ci = interval(std::move(replicates));
  return out;
}

VoiEstimate evppi_estimate(const std::vector<std::vector<double>>& net_benefit,
                           const std::vector<std::vector<double>>& covariates, double evpi, int bootstrap,
                           std::uint64_t seed) {
  CXRISK_REQUIRE(!net_benefit.empty() && !covariates.empty(), "no net benefits or no inputs to value");
  const MatrixXd y = as_matrix(net_benefit);
  const auto n = static_cast<std::size_t>(y.rows());
  std::vector<std::vector<double>> scores;
  for (const std::vector<double>& c : covariates) {
    std::vector<double> s = average_ranks(c);
    for (double& v : s) v = (v - 0.5) / static_cast<double>(n);
    scores.push_back(std::move(s));
  }
  // At least ten trials a term: a fit with fewer overfits, and its decision value grows with the noise.
  const MatrixXd x = basis(scores, static_cast<Index>(n / 10));
  CXRISK_REQUIRE(x.cols() > 0, "too few trials (" << n << ") to value " << covariates.size()
                                                  << " inputs together: at least "
                                                  << 10 * (1 + covariates.size()) << " are needed");
  const Eigen::ColPivHouseholderQR<MatrixXd> qr(x);
  const MatrixXd beta = qr.solve(y);
  const MatrixXd fitted = x * beta;
  VoiEstimate out;
  out.terms = static_cast<int>(x.cols());
  const auto clamp = [&](double v) { return std::clamp(v, 0.0, std::max(0.0, evpi)); };
  out.value = clamp(decision_value(
      fitted, [](std::size_t j) { return j; }, n));

  // The coefficients' sampling law, N(beta, sigma^2 (X'X)^-1): with X P = Q R and R1 R's leading block of the
  // fit's rank r, a draw is beta + sigma P [R1^-1 z; 0] for z standard normal.
  const Index p = x.cols(), r = qr.rank(), A = y.cols();
  const double dof = std::max<double>(1, static_cast<double>(n) - static_cast<double>(r));
  const Eigen::VectorXd sigma = ((y - fitted).colwise().squaredNorm() / dof).cwiseSqrt().transpose();
  const MatrixXd r1 = qr.matrixR().topLeftCorner(r, r).triangularView<Eigen::Upper>();
  Resamples resamples(n, seed);
  std::vector<double> replicates;
  MatrixXd delta(p, A);
  for (int b = 0; b < bootstrap; ++b) {
    Stream normals = resamples.coefficients(b);
    delta.setZero();
    for (Index a = 0; a < A; ++a) {
      Eigen::VectorXd z(r);
      for (Index k = 0; k < r; ++k) z(k) = draw_normal(normals);
      Eigen::VectorXd permuted = Eigen::VectorXd::Zero(p);
      permuted.head(r) = r1.triangularView<Eigen::Upper>().solve(z) * sigma(a);
      delta.col(a) = qr.colsPermutation() * permuted;
    }
    const MatrixXd perturbed = fitted + x * delta;
    const std::vector<std::size_t>& rows = resamples.draw(b);
    replicates.push_back(clamp(decision_value(
        perturbed, [&](std::size_t j) { return rows[j]; }, n)));
  }
  out.ci = interval(std::move(replicates));
  return out;
}

namespace {

// An uncertain input of the decision: the first of the scenarios (base, then alternatives) that has it.
struct DecisionInput {
  std::size_t model, input;
  std::string path;
};

}  // namespace

ValueOfInformation value_of_information(const Scenario& base, const std::vector<Scenario>& alternatives,
                                        const RunSettings& settings, const VoiOptions& options) {
  CXRISK_REQUIRE(!alternatives.empty(),
                 "the value of information needs at least one alternative to the base");
  const RunSettings::Resolved r = settings.resolve(base);
  CXRISK_REQUIRE(r.trials >= 1000, "the value of information needs at least 1,000 trials, got " << r.trials);
  CXRISK_REQUIRE(options.bootstrap >= 0 && options.bootstrap <= 100000,
                 "the bootstrap takes 0 to 100,000 resamples, got " << options.bootstrap);
  if (!settings.processes().is_root()) return {};

  // Every scenario's model under the base's seed: an input of the same path draws the same uniforms in each
  // (its stream is named by its path), as the comparison's trials do.
  std::vector<const Scenario*> scenarios{&base};
  for (const Scenario& s : alternatives) scenarios.push_back(&s);
  std::vector<std::unique_ptr<Model>> models;
  for (const Scenario* s : scenarios)
    models.push_back(std::make_unique<Model>(*s, r.seed, Model::Use::trials, r.design()));
  std::vector<DecisionInput> inputs;
  std::map<std::string, std::size_t> seen;
  for (std::size_t m = 0; m < models.size(); ++m)
    for (std::size_t i = 0; i < models[m]->inputs().size(); ++i) {
      std::string path = models[m]->inputs()[i].ref.path_text();
      if (seen.emplace(path, inputs.size()).second) inputs.push_back({m, i, std::move(path)});
    }

  // Net benefits in expectation, and the inputs' covariates, trial by trial.
  const auto n = static_cast<std::size_t>(r.trials);
  const std::size_t A = alternatives.size();
  std::vector<std::vector<double>> cost(models.size(), std::vector<double>(n)),
      investment(A, std::vector<double>(n));
  std::vector<std::size_t> first_covariate;
  std::size_t n_covariates = 0;
  for (const DecisionInput& d : inputs) {
    first_covariate.push_back(n_covariates);
    n_covariates += static_cast<std::size_t>(covariate_count(models[d.model]->inputs()[d.input]));
  }
  std::vector<std::vector<double>> covariates(n_covariates, std::vector<double>(n));
  const int threads = r.threads;
  std::vector<std::vector<ConditionalExpectation>> workers(static_cast<std::size_t>(threads));
  for (auto& w : workers)
    for (const auto& m : models) w.emplace_back(*m);
  constexpr std::int64_t BLOCK = 256;
  const auto trials = static_cast<std::int64_t>(n);
  parallel_blocks((trials + BLOCK - 1) / BLOCK, threads,
                  [&](std::int64_t block, int worker) {
                    constexpr int BATCH = ConditionalExpectation::BATCH;
                    auto& mine = workers[static_cast<std::size_t>(worker)];
                    std::vector<std::vector<double>> rows(models.size());
                    std::vector<std::array<double*, BATCH>> row_of(models.size());
                    for (std::size_t m = 0; m < models.size(); ++m) {
                      const auto series = static_cast<std::size_t>(models[m]->layout().n_series());
                      rows[m].resize(series * BATCH);
                      for (std::size_t l = 0; l < BATCH; ++l) row_of[m][l] = rows[m].data() + l * series;
                    }
                    double cov[3];
                    const std::int64_t end = std::min(trials, (block + 1) * BLOCK);
                    for (std::int64_t first = block * BLOCK; first < end; first += BATCH) {
                      const int count = static_cast<int>(std::min<std::int64_t>(BATCH, end - first));
                      for (std::size_t m = 0; m < models.size(); ++m) {
                        ConditionalExpectation& e = mine[m];
                        e.at_trials(static_cast<std::uint64_t>(first), count, row_of[m].data());
                        for (int l = 0; l < count; ++l) {
                          const auto t = static_cast<std::size_t>(first + l);
                          cost[m][t] = row_of[m][static_cast<std::size_t>(l)][total_cost];
                          const TrialDraw& draw = e.draw(l);
                          if (m > 0)
                            investment[m - 1][t] =
                                TrialInvestment{draw.investment_upfront, draw.investment_per_period,
                                                draw.period_discount}
                                    .present_value(base.periods);
                          for (std::size_t k = 0; k < inputs.size(); ++k) {
                            if (inputs[k].model != m) continue;
                            const Model::Input& input = models[m]->inputs()[inputs[k].input];
                            input_covariates(*models[m], input, draw, cov);
                            for (int c = 0; c < covariate_count(input); ++c)
                              covariates[first_covariate[k] + static_cast<std::size_t>(c)][t] = cov[c];
                          }
                        }
                      }
                    }
                  },
                  settings.cancel);
  std::vector<std::vector<double>> net_benefit(A, std::vector<double>(n));
  for (std::size_t a = 0; a < A; ++a)
    for (std::size_t t = 0; t < n; ++t) net_benefit[a][t] = cost[0][t] - cost[a + 1][t] - investment[a][t];

  ValueOfInformation out;
  out.trials = r.trials;
  out.options.push_back("none");
  out.expected_net_benefit.push_back(0);
  for (std::size_t a = 0; a < A; ++a) {
    out.options.push_back(alternatives[a].name);
    double sum = 0;
    for (double v : net_benefit[a]) sum += v;
    out.expected_net_benefit.push_back(sum / static_cast<double>(n));
  }
  out.chosen =
      static_cast<int>(std::max_element(out.expected_net_benefit.begin(), out.expected_net_benefit.end()) -
                       out.expected_net_benefit.begin());
  const std::uint64_t key = key_combine(r.seed, "value of information");
  const VoiEstimate evpi = evpi_estimate(net_benefit, options.bootstrap, key_combine(key, "evpi"));
  out.evpi = evpi.value;
  out.evpi_ci = evpi.ci;

  // Every input, then every group: each a regression of its own.
  std::vector<GroupedInput> grouped;
  for (const DecisionInput& d : inputs)
    grouped.push_back({&models[d.model]->inputs()[d.input].ref, scenarios[d.model]});
  const std::vector<InputGroup> groups = input_groups(grouped);
  std::vector<std::vector<std::size_t>> columns;
  for (std::size_t k = 0; k < inputs.size(); ++k) columns.push_back({k});
  for (const InputGroup& g : groups) columns.push_back(g.members);
  std::vector<PartialValue> values(columns.size());
  parallel_blocks(
      static_cast<std::int64_t>(columns.size()), threads,
      [&](std::int64_t c, int) {
        const auto i = static_cast<std::size_t>(c);
        std::vector<std::vector<double>> x;
        for (std::size_t k : columns[i]) {
          const int count = covariate_count(models[inputs[k].model]->inputs()[inputs[k].input]);
          for (int j = 0; j < count; ++j)
            x.push_back(covariates[first_covariate[k] + static_cast<std::size_t>(j)]);
        }
        const VoiEstimate e = evppi_estimate(net_benefit, x, out.evpi, options.bootstrap,
                                             key_combine(key, static_cast<std::uint64_t>(c)));
        PartialValue& v = values[i];
        if (i < inputs.size()) {
          v.path = inputs[i].path;
        } else {
          v.dimension = groups[i - inputs.size()].dimension;
          v.name = groups[i - inputs.size()].name;
        }
        v.value = e.value;
        v.ci = e.ci;
        v.covariates = static_cast<int>(x.size());
        v.terms = e.terms;
      },
      settings.cancel);
  out.inputs.assign(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(inputs.size()));
  out.groups.assign(values.begin() + static_cast<std::ptrdiff_t>(inputs.size()), values.end());
  std::stable_sort(out.inputs.begin(), out.inputs.end(),
                   [](const auto& a, const auto& b) { return a.value > b.value; });
  std::stable_sort(out.groups.begin(), out.groups.end(), [](const auto& a, const auto& b) {
    return a.dimension != b.dimension ? a.dimension < b.dimension : a.value > b.value;
  });
  return out;
}

}  // namespace cxrisk
