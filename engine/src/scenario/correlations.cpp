#include "cxrisk/correlations.h"

#include <fmt/format.h>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "cxrisk/changes.h"
#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"

namespace cxrisk {

double normal_correlation(double rank) {
  return 2 * std::sin(std::numbers::pi * rank / 6);
}

double rank_correlation(double normal) {
  return 6 / std::numbers::pi * std::asin(std::clamp(normal / 2, -0.5, 0.5));
}

namespace {

using Eigen::MatrixXd;

MatrixXd as_matrix(const std::vector<double>& a, std::size_t k) {
  MatrixXd m(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = a[i * k + j];
  return m;
}

std::vector<double> as_vector(const MatrixXd& m) {
  const auto k = static_cast<std::size_t>(m.rows());
  std::vector<double> a(k * k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j)
      a[i * k + j] = m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  return a;
}

// The positive semi-definite part of a symmetric matrix: its negative eigenvalues set to 0.
MatrixXd psd_part(const MatrixXd& m) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eigen(m);
  return eigen.eigenvectors() * eigen.eigenvalues().cwiseMax(0.0).asDiagonal() *
         eigen.eigenvectors().transpose();
}

// The smallest eigenvalue of a symmetric matrix.
double smallest_eigenvalue(const MatrixXd& m) {
  return Eigen::SelfAdjointEigenSolver<MatrixXd>(m, Eigen::EigenvaluesOnly).eigenvalues().minCoeff();
}

// A factor L with L L^T = c for a correlation matrix c that may be singular (two inputs correlated +-1): from
// its eigendecomposition, each row rescaled to unit length so that every copula margin stays standard normal.
std::vector<double> copula_factor(const MatrixXd& c) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eigen(c);
  MatrixXd l = eigen.eigenvectors() * eigen.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  for (Eigen::Index i = 0; i < l.rows(); ++i) {
    const double norm = l.row(i).norm();
    if (norm > 0) l.row(i) /= norm;
  }
  return as_vector(l);
}

// One input, or the inputs a pattern matches, by path: the uncertain, active ones.
struct Target {
  std::string path;
};

std::vector<Target> targets(const Scenario& s, const std::string& path, const FileLoc& at,
                            const std::string& key) {
  const std::vector<ParamRef> refs = resolve_path(s, path, at, key);
  std::vector<Target> out;
  bool any_shares = false;
  for (const ParamRef& r : refs) {
    if (r.spec->id == Param::value_cv && refs.size() == 1)
      throw ScenarioError(
          at, key,
          fmt::format("'{}' sets how customers' values differ from one another inside a trial "
                      "(per-customer heterogeneity), which cannot be correlated with other inputs; "
                      "correlate the segment's value.mean",
                      path));
    if (!r.active || !r.uncertain() || r.spec->id == Param::value_cv) continue;
    if (r.spec->kind == Kind::shares) {
      any_shares = true;
      continue;
    }
    out.push_back({r.path_text()});
  }
  if (out.empty()) {
    if (any_shares)
      throw ScenarioError(at, key,
                          fmt::format("'{}' is a Dirichlet share vector: its shares are drawn together and "
                                      "cannot be correlated with other inputs",
                                      path));
    throw ScenarioError(at, key,
                        fmt::format("'{}' {} fixed: only inputs with a distribution can be correlated", path,
                                    refs.size() == 1 ? "is" : "matches only inputs that are"));
  }
  return out;
}

}  // namespace

std::vector<double> nearest_correlation(const std::vector<double>& a, std::size_t k) {
  const MatrixXd target = as_matrix(a, k);
  MatrixXd y = target, correction = MatrixXd::Zero(target.rows(), target.cols());
  for (int iteration = 0; iteration < 1000; ++iteration) {
    const MatrixXd r = y - correction;
    const MatrixXd x = psd_part(r);
    correction = x - r;
    MatrixXd next = x;
    next.diagonal().setOnes();
    const double change = (next - y).norm();
    y = std::move(next);
    if (change <= 1e-12 * std::max(1.0, y.norm())) break;
  }
  return as_vector(y);
}

ResolvedCorrelations resolve_correlations(const Scenario& s) {
  ResolvedCorrelations out;
  if (s.correlations.empty()) return out;
  out.at = s.correlations.front().at;
  out.key = s.correlations.front().key;
  // Every pair asked, by the inputs' paths (the smaller first), with the file that asked it.
  struct Asked {
    double rank;
    std::string file;
  };
  std::map<std::pair<std::string, std::string>, Asked> pairs;
  std::vector<std::string> order;  // the inputs in the order they first appear
  const auto ask = [&](const CorrelationEntry& e, const std::string& a, const std::string& b, double r) {
    if (a == b) throw ScenarioError(e.at, e.key, fmt::format("'{}' is correlated with itself", a));
    if (!(r >= -1 && r <= 1))
      throw ScenarioError(e.values_at, e.key, fmt::format("a rank correlation lies in [-1, 1], got {}", r));
    for (const std::string& x : {a, b})
      if (std::find(order.begin(), order.end(), x) == order.end()) order.push_back(x);
    const auto key = a < b ? std::pair{a, b} : std::pair{b, a};
    const auto [it, added] = pairs.try_emplace(key, Asked{r, e.at.file});
    if (added) return;
    if (it->second.file == e.at.file && it->second.rank != r)
      throw ScenarioError(e.at, e.key,
                          fmt::format("'{}' and '{}' are correlated twice, with {} and {}", key.first,
                                      key.second, it->second.rank, r));
    it->second = {r, e.at.file};  // a later file (an alternative's) replaces its base's value
  };
  for (const CorrelationEntry& e : s.correlations) {
    if (e.pair) {
      const std::vector<Target> a = targets(s, e.inputs[0], e.input_at[0], e.key + ".between[0]");
      const std::vector<Target> b = targets(s, e.inputs[1], e.input_at[1], e.key + ".between[1]");
      // Patterns correlate every input one matches with every other the other matches: an input they both
      // match is not paired with itself.
      const bool patterns =
          e.inputs[0].find('*') != std::string::npos || e.inputs[1].find('*') != std::string::npos;
      for (const Target& x : a)
        for (const Target& y : b)
          if (!(patterns && x.path == y.path)) ask(e, x.path, y.path, e.matrix[0][1]);
      continue;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < e.inputs.size(); ++i) {
      const std::vector<Target> t =
          targets(s, e.inputs[i], e.input_at[i], fmt::format("{}.inputs[{}]", e.key, i));
      if (t.size() != 1)
        throw ScenarioError(e.input_at[i], fmt::format("{}.inputs[{}]", e.key, i),
                            fmt::format("'{}' matches {} inputs; a matrix names each of its inputs exactly",
                                        e.inputs[i], t.size()));
      names.push_back(t[0].path);
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = i + 1; j < names.size(); ++j) ask(e, names[i], names[j], e.matrix[i][j]);
  }

  // The connected groups, in the registry's order of their inputs.
  std::vector<std::string> registry_order;
  for (const ParamRef& r : uncertain_inputs(s)) registry_order.push_back(r.path_text());
  const auto position = [&](const std::string& p) {
    return std::find(registry_order.begin(), registry_order.end(), p) - registry_order.begin();
  };
  for (const auto& [key, asked] : pairs) {
    AskedPair p{key.first, key.second, asked.rank};
    if (position(p.b) < position(p.a)) std::swap(p.a, p.b);
    out.pairs.push_back(std::move(p));
  }
  std::sort(out.pairs.begin(), out.pairs.end(), [&](const AskedPair& x, const AskedPair& y) {
    return std::pair{position(x.a), position(x.b)} < std::pair{position(y.a), position(y.b)};
  });
  std::map<std::string, std::string> parent;
  const auto find = [&](std::string x) {
    while (parent.at(x) != x) x = parent.at(x);
    return x;
  };
  for (const std::string& x : order) parent[x] = x;
  for (const auto& [key, asked] : pairs)
    if (asked.rank != 0) parent[find(key.first)] = find(key.second);
  std::map<std::string, std::vector<std::string>> members;
  for (const std::string& x : registry_order)
    if (parent.count(x)) members[find(x)].push_back(x);
  std::vector<std::vector<std::string>> groups;
  for (const std::string& x : registry_order)
    if (parent.count(x) && find(x) == x && members[x].size() > 1) groups.push_back(members[x]);
  std::sort(groups.begin(), groups.end(),
            [&](const auto& a, const auto& b) { return position(a.front()) < position(b.front()); });

  for (std::vector<std::string>& paths : groups) {
    CorrelatedGroup g;
    const std::size_t k = paths.size();
    g.asked.assign(k * k, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
      g.asked[i * k + i] = 1;
      for (std::size_t j = 0; j < k; ++j)
        if (i != j) {
          const auto key =
              paths[i] < paths[j] ? std::pair{paths[i], paths[j]} : std::pair{paths[j], paths[i]};
          if (const auto it = pairs.find(key); it != pairs.end()) g.asked[i * k + j] = it->second.rank;
        }
    }
    g.normal.resize(k * k);
    for (std::size_t i = 0; i < k * k; ++i) g.normal[i] = normal_correlation(g.asked[i]);
    g.used = g.asked;
    // Valid when positive semi-definite (to rounding): otherwise repaired to the nearest valid matrix.
    if (smallest_eigenvalue(as_matrix(g.normal, k)) < -1e-10) {
      g.normal = nearest_correlation(g.normal, k);
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = i + 1; j < k; ++j) {
          const double used = rank_correlation(g.normal[i * k + j]);
          g.used[i * k + j] = g.used[j * k + i] = used;
          if (std::abs(used - g.asked[i * k + j]) >= 5e-4)
            out.repaired.push_back({paths[i], paths[j], g.asked[i * k + j], used});
        }
    }
    g.factor = copula_factor(as_matrix(g.normal, k));
    g.paths = std::move(paths);
    out.groups.push_back(std::move(g));
  }
  if (s.strict_correlations && !out.repaired.empty()) {
    std::string list;
    for (const RepairedPair& p : out.repaired)
      list += fmt::format("{}{} ~ {}: {} (the nearest valid matrix has {:.3f})", list.empty() ? " " : "; ",
                          p.a, p.b, p.asked, p.used);
    throw ScenarioError(out.at, out.key,
                        "the rank correlations do not form a valid correlation matrix (not positive "
                        "semi-definite), and simulation.correlations is strict:" +
                            list);
  }
  return out;
}

}  // namespace cxrisk
