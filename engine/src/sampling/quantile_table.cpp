#include "quantile_table.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>

namespace cxrisk {

FastQuantile::FastQuantile(const Quantity& q) : q_(q) {
  if (q.is_fixed() || !q.quantile_is_costly()) return;
  const double sd = std::sqrt(q.variance());
  if (!(sd > 0)) return;
  tolerance_ = 1e-9 * sd;
  cells_ = std::make_unique<Cell[]>(INTERVALS);
  error_ = std::make_unique<double[]>(INTERVALS);
  tabulated_ = true;
}

FastQuantile::Node FastQuantile::node_at(double u, double h) const {
  Node n;
  if (!(u > 0 && u < 1)) return n;
  n.x = q_.quantile(u);
  const double f = q_.density(n.x);
  n.slope = f > 0 && std::isfinite(f) ? h / f : 0.0;
  return n;
}

bool FastQuantile::interpolates(const Node& a, const Node& b, double u0, double h, double& error) const {
  // An end without a slope (at u = 0 or 1, or where the density is 0 or infinite) cannot be checked.
  if (!(a.slope > 0 && b.slope > 0)) return false;
  // The error of cubic Hermite interpolation is Q4(xi) s^2 (1 - s)^2 h^4 / 24, with Q4 the fourth
  // derivative: largest at the middle of the interval where Q4 is smooth, which a table this fine makes it.
  const double hermite = 0.5 * (a.x + b.x) + 0.125 * (a.slope - b.slope);
  const double worst = std::abs(hermite - q_.quantile(u0 + 0.5 * h));
  if (!(worst <= 0.5 * tolerance_)) return false;
  error = std::max(error, worst);
  return true;
}

std::int32_t FastQuantile::build(int i) const {
  Cell& c = cells_[static_cast<std::size_t>(i)];
  std::int32_t action = UNBUILT;
  if (!c.action.compare_exchange_strong(action, BUILDING, std::memory_order_acquire)) {
    // Built, or being built by another thread: wait for it (a failed builder leaves it to us).
    while ((action = c.action.load(std::memory_order_acquire)) == BUILDING) std::this_thread::yield();
    return action == UNBUILT ? build(i) : action;
  }
  try {
    // Exact: u0 and the widths are powers of 2.
    const double h = 1.0 / INTERVALS, u0 = i * h;
    double error = 0;
    // A node the neighbouring interval has already made is the same node (the same computation at the same
    // u): taken from there, it costs nothing. The neighbour's action, read with acquire, publishes its nodes.
    const auto built = [&](int k) {
      return k >= 0 && k < INTERVALS &&
             cells_[static_cast<std::size_t>(k)].action.load(std::memory_order_acquire) >= EXACT;
    };
    c.a = built(i - 1) ? cells_[static_cast<std::size_t>(i - 1)].b : node_at(u0, h);
    c.b = built(i + 1) ? cells_[static_cast<std::size_t>(i + 1)].a : node_at((i + 1) * h, h);
    action = INTERPOLATE;
    if (!interpolates(c.a, c.b, u0, h, error)) {
      // A finer table may take all but the part next to an end without a slope.
      auto f = std::make_unique<Finer>();
      const double fh = h / REFINE;
      for (int j = 0; j <= REFINE; ++j) f->node[j] = node_at(u0 + j * fh, fh);
      for (int j = 0; j < REFINE; ++j)
        f->action[j] = interpolates(f->node[j], f->node[j + 1], u0 + j * fh, fh, error) ? INTERPOLATE : EXACT;
      c.finer = std::move(f);
      action = REFINED;
    }
    error_[static_cast<std::size_t>(i)] = error;
  } catch (...) {
    c.action.store(UNBUILT, std::memory_order_release);
    throw;
  }
  c.action.store(action, std::memory_order_release);
  return action;
}

void FastQuantile::build_all() const {
  if (!tabulated_) return;
  for (int i = 0; i < INTERVALS; ++i)
    if (cells_[static_cast<std::size_t>(i)].action.load(std::memory_order_acquire) < EXACT) build(i);
}

int FastQuantile::built_intervals() const {
  int built = 0;
  for (int i = 0; tabulated_ && i < INTERVALS; ++i)
    built += cells_[static_cast<std::size_t>(i)].action.load(std::memory_order_acquire) >= EXACT;
  return built;
}

double FastQuantile::checked_error() const {
  build_all();
  if (!tabulated_) return 0;
  return *std::max_element(error_.get(), error_.get() + INTERVALS);
}

double FastQuantile::exact_share() const {
  if (!tabulated_) return 1;
  build_all();
  // The exact intervals, weighted by their width.
  double share = 0;
  for (int i = 0; i < INTERVALS; ++i) {
    const Cell& c = cells_[static_cast<std::size_t>(i)];
    const std::int32_t action = c.action.load(std::memory_order_acquire);
    if (action == EXACT) share += 1.0 / INTERVALS;
    if (action == REFINED)
      for (int j = 0; j < REFINE; ++j)
        if (c.finer->action[j] == EXACT) share += 1.0 / (INTERVALS * REFINE);
  }
  return share;
}

namespace {
std::mutex shared_mutex;
std::deque<std::shared_ptr<const FastQuantile>> shared_tables;  // oldest first

// The remembered table of q, or null; shared_mutex held.
std::shared_ptr<const FastQuantile> find_shared(const Quantity& q) {
  for (const auto& t : shared_tables)
    if (t->quantity() == q) return t;
  return nullptr;
}
}  // namespace

std::shared_ptr<const FastQuantile> shared_quantile(const Quantity& q) {
  std::lock_guard<std::mutex> lock(shared_mutex);
  return find_shared(q);
}

std::shared_ptr<const FastQuantile> share_quantile(const Quantity& q) {
  std::lock_guard<std::mutex> lock(shared_mutex);
  if (auto t = find_shared(q)) return t;
  shared_tables.push_back(std::make_shared<const FastQuantile>(q));
  if (shared_tables.size() > SHARED_QUANTILES) shared_tables.pop_front();
  return shared_tables.back();
}

}  // namespace cxrisk
