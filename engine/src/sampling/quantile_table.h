// Fast inverse CDFs for the per-trial parameter draws.
#pragma once

#include <atomic>
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
/// the same way; what still fails, and the intervals that touch u = 0 or u = 1, are evaluated exactly. So
/// values differ from the exact quantile by about 1e-9 sd at most (far below anything a Monte Carlo run can
/// resolve), and the exact inverse is left to a small share of the draws.
///
/// Each interval of the top grid is built the first time a draw falls in it, by whichever thread draws it
/// (the others wait for it): a run of ten trials builds a few dozen intervals of a table, not its 512 with
/// their finer tables. An interval's nodes and decision depend on the quantity and the interval alone, so a
/// value is the same whichever intervals were built before it, and in any order. A node that a neighbouring
/// interval has already made is taken from it rather than made again (a third fewer exact inverses when a
/// run builds the whole table).
class FastQuantile {
 public:
  explicit FastQuantile(const Quantity& q);
  FastQuantile(const FastQuantile&) = delete;
  FastQuantile& operator=(const FastQuantile&) = delete;

  double operator()(double u) const {
    if (!tabulated_) return q_.quantile(u);
    // Exact: the interval widths are powers of 2.
    const double pos = u * INTERVALS;
    const auto i = static_cast<int>(pos);
    if (!(i >= 0 && i < INTERVALS)) return q_.quantile(u);
    const Cell& c = cells_[static_cast<std::size_t>(i)];
    std::int32_t action = c.action.load(std::memory_order_acquire);
    if (action < EXACT) action = build(i);  // not built yet
    if (action == INTERPOLATE) return hermite(c.a, c.b, pos - i);
    if (action == EXACT) return q_.quantile(u);
    const double fine = (u - i * (1.0 / INTERVALS)) * (INTERVALS * REFINE);
    const auto j = static_cast<int>(fine);
    if (!(j >= 0 && j < REFINE)) return q_.quantile(u);
    const Finer& f = *c.finer;
    if (f.action[j] == INTERPOLATE) return hermite(f.node[j], f.node[j + 1], fine - j);
    return q_.quantile(u);
  }

  /// Asks the processor to bring the interval of the top grid that Q(u) reads into the cache (a trial's
  /// parameters read a few hundred tables, each interval usually far from the cache: prefetching them all
  /// first lets the misses overlap).
  void prefetch(double u) const {
    const auto i = static_cast<int>(u * INTERVALS);
    if (tabulated_ && i >= 0 && i < INTERVALS) __builtin_prefetch(&cells_[static_cast<std::size_t>(i)]);
  }

  /// The quantity the table is of.
  const Quantity& quantity() const { return q_; }
  /// The largest interpolation error found by the checks (0 when not tabulated). Builds every interval.
  double checked_error() const;
  /// The share of u in (0, 1) left to the exact inverse (1 when not tabulated). Builds every interval.
  double exact_share() const;
  /// The intervals of the top grid built so far (of 512; 0 when not tabulated).
  int built_intervals() const;

 private:
  static constexpr int INTERVALS = 512;
  static constexpr int REFINE = 8;
  // What an interval does: a negative code, or (top grid only) REFINED, for its table of finer intervals.
  static constexpr std::int32_t REFINED = 0, INTERPOLATE = -1, EXACT = -2, UNBUILT = -3, BUILDING = -4;

  // A node: Q and dQ/du times the interval width at its u.
  struct Node {
    double x = 0, slope = 0;
  };
  // The finer table of one interval of the top grid: REFINE intervals, each interpolated or exact.
  struct Finer {
    Node node[REFINE + 1];
    std::int32_t action[REFINE] = {};
  };
  // An interval of the top grid: its two nodes side by side (one or two cache lines a look-up), its finer
  // table if it has one, and its action, published last (release) once the rest is written.
  struct Cell {
    Node a, b;
    std::unique_ptr<const Finer> finer;
    std::atomic<std::int32_t> action{UNBUILT};
  };

  static double hermite(const Node& a, const Node& b, double s) {
    const double s2 = s * s, s3 = s2 * s;
    const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
    return h00 * a.x + h10 * a.slope + h01 * b.x + h11 * b.slope;
  }
  // Builds interval i of the top grid, or waits for the thread building it; returns its action.
  std::int32_t build(int i) const;
  // The node at u of a grid of interval width h (Q(0) and Q(1) may be infinite: a node there stays 0, 0).
  Node node_at(double u, double h) const;
  // Whether the interval [a, b] of width h starting at u0 interpolates within the tolerance (its error, when
  // checked, raised into `error`).
  bool interpolates(const Node& a, const Node& b, double u0, double h, double& error) const;
  void build_all() const;

  Quantity q_;
  bool tabulated_ = false;
  double tolerance_ = 0;
  std::unique_ptr<Cell[]> cells_;
  std::unique_ptr<double[]> error_;
};

/// The tables built in this process, shared: a table of a quantity equal to `q` (same form, parameters and
/// factor) made by any model, among the last SHARED_QUANTILES remembered, or null. The points of a sweep and
/// the scenarios of a comparison or a batch share most of their distributions, and a table depends on its
/// quantity alone, so sharing changes the time of a run (the intervals one model built serve the next),
/// never a number. Thread-safe.
inline constexpr std::size_t SHARED_QUANTILES = 256;
std::shared_ptr<const FastQuantile> shared_quantile(const Quantity& q);
/// The shared table of `q`: the one remembered, or a new one, then remembered (forgetting the oldest beyond
/// SHARED_QUANTILES).
std::shared_ptr<const FastQuantile> share_quantile(const Quantity& q);

}  // namespace cxrisk
