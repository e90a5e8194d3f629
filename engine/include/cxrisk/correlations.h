// Rank correlations between a scenario's uncertain inputs (`correlations:` in a scenario file), drawn through
// a Gaussian copula on the inputs' uniforms so that every input keeps its own distribution exactly.
#pragma once

#include <string>
#include <vector>

#include "cxrisk/error.h"

namespace cxrisk {

struct Scenario;

/// One entry of `correlations` as written: a pair {between: [A, B], rank: r}, where A and B may hold `*`
/// (every uncertain input each matches is correlated with every one the other matches), or a matrix {inputs:
/// [...], matrix: [[...]]} of inputs each named exactly.
struct CorrelationEntry {
  bool pair = true;
  std::vector<std::string> inputs;          ///< registry paths
  std::vector<std::vector<double>> matrix;  ///< Spearman rank correlations; a pair's is [[1, r], [r, 1]]
  /// Where it was written, for errors: the entry ("correlations[0]"), each path, and the values (the rank, or
  /// the matrix).
  FileLoc at, values_at;
  std::string key;
  std::vector<FileLoc> input_at;

  /// Entries are equal when they say the same (where they were written is not compared).
  friend bool operator==(const CorrelationEntry& a, const CorrelationEntry& b) {
    return a.pair == b.pair && a.inputs == b.inputs && a.matrix == b.matrix;
  }
};

/// Uncertain inputs correlated with one another (a connected set of the pairs given), and their copula.
struct CorrelatedGroup {
  std::vector<std::string> paths;  ///< the inputs' registry paths, in the registry's order
  /// k x k, row-major: the rank correlations asked (0 where none was given), those used (after a repair), and
  /// the Gaussian copula's correlations for those used (2 sin(pi r / 6)) with a factor L, L L^T = normal.
  std::vector<double> asked, used, normal, factor;
  std::size_t size() const { return paths.size(); }
};

/// A pair whose correlation the repair to a valid matrix changed.
struct RepairedPair {
  std::string a, b;
  double asked = 0, used = 0;
};

/// A pair of inputs and the rank correlation asked between them.
struct AskedPair {
  std::string a, b;
  double rank = 0;
  friend bool operator==(const AskedPair&, const AskedPair&) = default;
};

struct ResolvedCorrelations {
  /// Every pair asked, after patterns are expanded and a later file's values replace an earlier one's: the
  /// inputs of each pair, and the pairs, in the registry's order. What `expand` writes.
  std::vector<AskedPair> pairs;
  std::vector<CorrelatedGroup> groups;
  std::vector<RepairedPair> repaired;
  /// Where the first entry was written, for a repair's warning or error.
  FileLoc at;
  std::string key;
};

/// The scenario's correlations resolved against its uncertain inputs. Throws ScenarioError naming the file,
/// line, column and key of the entry at fault: a path that matches nothing or only fixed inputs, a Dirichlet
/// share vector (not correlatable), an input with itself, a value outside [-1, 1], a matrix that is not
/// square and symmetric with a unit diagonal, a pair given twice in one file with different values, and, when
/// the scenario asks for `simulation.correlations: strict`, a matrix that is not a valid correlation matrix.
/// A later file's value for a pair (an alternative's) replaces an earlier one's.
ResolvedCorrelations resolve_correlations(const Scenario& scenario);

/// The nearest correlation matrix to the symmetric k x k matrix `a` (row-major) in the Frobenius norm, by
/// Higham's alternating projections with Dykstra's correction (IMA J. Numer. Anal. 22, 2002): unit diagonal,
/// positive semi-definite.
std::vector<double> nearest_correlation(const std::vector<double>& a, std::size_t k);

/// The Gaussian copula's correlation for a Spearman rank correlation, and back.
double normal_correlation(double rank);
double rank_correlation(double normal);

}  // namespace cxrisk
