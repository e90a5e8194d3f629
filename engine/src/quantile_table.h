// Fast inverse CDFs for the per-trial parameter draws.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cxrisk/quantity.h"

namespace cxrisk {

/// Q(u) of a quantity at the cost of a table look-up where the exact inverse is iterative (beta, PERT, survey
/// counts, gamma: Boost.Math's ibeta_inv and gamma_p_inv cost 0.2-0.5 microseconds a call).
///
/// The table is a cubic Hermite interpolant of Q on a uniform grid of u, with the exact derivative
/// dQ/du = 1 / density(Q(u)) at every node. Each interval is checked at its midpoint, where the interpolation
/// error peaks, against the exact quantile. An interval whose error there exceeds 0.5e-9 standard deviations
/// of the quantity (towards the ends, where Q bends fastest) gets a table of REFINE finer intervals, checked
/// the same way (MAX_DEPTH levels of refinement); what still fails, and the intervals that touch u = 0 or
/// u = 1, are evaluated exactly. So values differ from the exact quantile by about 1e-9 sd at most (far below
/// anything a Monte Carlo run can resolve), and the exact inverse is left to 1-3% of the draws instead of the
/// 20-25% the top grid alone leaves.
class FastQuantile {
 public:
  /// The table of q, built now, or left to build() when `deferred` (so that several can be built at once).
  explicit FastQuantile(const Quantity& q, bool deferred = false);

  /// Builds the table (once; a deferred quantile must be built before it is used).
  void build();

  double operator()(double u) const {
    if (!tabulated_) return q_.quantile(u);
    const Table* t = &tables_[0];
    for (;;) {
      // Exact: u0 and the interval widths are powers of 2.
      const double pos = (u - t->u0) * t->scale;
      const auto i = static_cast<int>(pos);
      const std::int32_t next = i >= 0 && i < t->intervals ? t->node[i].child : EXACT;
      if (next == EXACT) return q_.quantile(u);
      if (next == INTERPOLATE) return hermite(t->node[i], t->node[i + 1], pos - i);
      t = &tables_[static_cast<std::size_t>(next)];
    }
  }

  /// The quantity the table is of.
  const Quantity& quantity() const { return q_; }
  /// The largest interpolation error found when the table was built (0 when not tabulated).
  double checked_error() const { return checked_error_; }
  /// The share of u in (0, 1) left to the exact inverse (1 when not tabulated).
  double exact_share() const;

 private:
  static constexpr int INTERVALS = 512;
  static constexpr int REFINE = 8;
  static constexpr int MAX_DEPTH = 1;
  static constexpr std::int32_t INTERPOLATE = -1, EXACT = -2;

  // A node of a table: Q and dQ/du times the interval width at its u, and what the interval that starts
  // there does (INTERPOLATE, EXACT or the index of its finer table). Side by side, so that a look-up reads
  // one or two cache lines rather than one from each of three arrays.
  struct Node {
    double x = 0, slope = 0;
    std::int32_t child = EXACT;
  };
  // A uniform grid over [u0, u0 + intervals / scale), intervals + 1 nodes (the last one starts no interval).
  struct Table {
    double u0 = 0, scale = 0;
    int intervals = 0, depth = 0;
    std::vector<Node> node;
  };

  static double hermite(const Node& a, const Node& b, double s) {
    const double s2 = s * s, s3 = s2 * s;
    const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
    return h00 * a.x + h10 * a.slope + h01 * b.x + h11 * b.slope;
  }
  // Fills the nodes of tables_[k] (those at u = 0 and u = 1 stay unset) and decides each of its intervals,
  // refining those that fail the check.
  void fill(std::size_t k, double tolerance);

  Quantity q_;
  bool tabulated_ = false;
  std::vector<Table> tables_;  // [0]: the whole of (0, 1)
  double checked_error_ = 0;
};

/// The tables built in this process, shared: a table of a quantity equal to `q` (same form, parameters and
/// factor) built by any model, among the last SHARED_QUANTILES remembered, or null. The points of a sweep and
/// the scenarios of a comparison or a batch share most of their distributions, and a table depends on its
/// quantity alone, so sharing changes the time of setting up a model, never a number. Thread-safe.
inline constexpr std::size_t SHARED_QUANTILES = 256;
std::shared_ptr<const FastQuantile> shared_quantile(const Quantity& q);
/// Remembers a built table for shared_quantile (forgetting the oldest beyond SHARED_QUANTILES).
void share_quantile(std::shared_ptr<const FastQuantile> table);

}  // namespace cxrisk
