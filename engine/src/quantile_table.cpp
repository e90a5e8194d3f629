#include "quantile_table.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>

namespace cxrisk {

FastQuantile::FastQuantile(const Quantity& q, bool deferred) : q_(q) {
  if (!deferred) build();
}

void FastQuantile::build() {
  const Quantity& q = q_;
  if (tabulated_ || q.is_fixed() || !q.quantile_is_costly()) return;
  const double sd = std::sqrt(q.variance());
  if (!(sd > 0)) return;
  Table top;
  top.u0 = 0;
  top.scale = INTERVALS;
  top.intervals = INTERVALS;
  tables_.push_back(std::move(top));
  fill(0, 1e-9 * sd);
  tabulated_ = true;
}

void FastQuantile::fill(std::size_t k, double tolerance) {
  const Quantity& q = q_;
  const int n = tables_[k].intervals;
  const double u0 = tables_[k].u0, h = 1 / tables_[k].scale;
  std::vector<Node> node(static_cast<std::size_t>(n) + 1);
  for (int j = 0; j <= n; ++j) {
    const double u = u0 + j * h;
    if (!(u > 0 && u < 1)) continue;  // Q(0) and Q(1) may be infinite: those intervals stay exact
    node[j].x = q.quantile(u);
    const double f = q.density(node[j].x);
    node[j].slope = f > 0 && std::isfinite(f) ? h / f : 0.0;
  }
  std::vector<int> refine;
  for (int j = 0; j < n; ++j) {
    // An end without a slope (at u = 0 or 1, or where the density is 0 or infinite) cannot be checked: a
    // finer table may take all but the part next to it.
    const Node &a = node[j], &b = node[j + 1];
    if (!(a.slope > 0 && b.slope > 0)) {
      refine.push_back(j);
      continue;
    }
    // The error of cubic Hermite interpolation is Q4(xi) s^2 (1 - s)^2 h^4 / 24, with Q4 the fourth
    // derivative: largest at the middle of the interval where Q4 is smooth, which a table this fine makes it.
    const double hermite = 0.5 * (a.x + b.x) + 0.125 * (a.slope - b.slope);
    const double worst = std::abs(hermite - q.quantile(u0 + (j + 0.5) * h));
    if (worst <= 0.5 * tolerance) {
      node[j].child = INTERPOLATE;
      checked_error_ = std::max(checked_error_, worst);
    } else {
      refine.push_back(j);
    }
  }
  const int depth = tables_[k].depth;
  tables_[k].node = std::move(node);
  if (depth == MAX_DEPTH) return;
  for (int j : refine) {
    Table finer;
    finer.u0 = u0 + j * h;
    finer.scale = tables_[k].scale * REFINE;
    finer.intervals = REFINE;
    finer.depth = depth + 1;
    const auto index = static_cast<std::int32_t>(tables_.size());
    tables_.push_back(std::move(finer));  // may move tables_[k]: referred to by index only
    tables_[k].node[static_cast<std::size_t>(j)].child = index;
    fill(static_cast<std::size_t>(index), tolerance);
  }
}

double FastQuantile::exact_share() const {
  if (!tabulated_) return 1;
  // Each table's exact intervals, weighted by their width.
  double share = 0;
  for (const Table& t : tables_)
    for (int j = 0; j < t.intervals; ++j)
      if (t.node[static_cast<std::size_t>(j)].child == EXACT) share += 1 / t.scale;
  return share;
}

namespace {
std::mutex shared_mutex;
std::deque<std::shared_ptr<const FastQuantile>> shared_tables;  // oldest first
}  // namespace

std::shared_ptr<const FastQuantile> shared_quantile(const Quantity& q) {
  std::lock_guard<std::mutex> lock(shared_mutex);
  for (const auto& t : shared_tables)
    if (t->quantity() == q) return t;
  return nullptr;
}

void share_quantile(std::shared_ptr<const FastQuantile> table) {
  std::lock_guard<std::mutex> lock(shared_mutex);
  for (const auto& t : shared_tables)
    if (t->quantity() == table->quantity()) return;  // another model built it meanwhile
  shared_tables.push_back(std::move(table));
  if (shared_tables.size() > SHARED_QUANTILES) shared_tables.pop_front();
}

}  // namespace cxrisk
