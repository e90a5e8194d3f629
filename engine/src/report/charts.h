// Charts as inline SVG for the HTML report: drawn here rather than by a JavaScript library, so that the page
// needs no script, prints as vectors, and shows the same picture in every browser and on paper. Each chart
// takes binned or summarised data (a few hundred numbers), never every trial.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cxrisk::report {

/// How a chart writes the numbers on an axis or a label.
using NumberFormat = std::function<std::string(double)>;

/// Text for XML (element content and attribute values): &, <, >, " and ' escaped; UTF-8 passes unchanged.
std::string xml_escape(const std::string& text);

/// Round tick values covering [lo, hi]: about `count` of them at 1, 2 or 5 times a power of ten.
std::vector<double> nice_ticks(double lo, double hi, int count);

/// A vertical marker on a chart's x axis (the mean, the P95).
struct Marker {
  std::string label;
  double x = 0;
};

/// Charts are drawn `width` units wide (and scaled to the page): narrower for a chart that shares a row.
///
/// A histogram of counts over bins (edges.size() == counts.size() + 1), as the share of trials per bin.
std::string histogram_svg(const std::string& title, const std::vector<double>& edges,
                          const std::vector<long long>& counts, const std::vector<Marker>& markers,
                          const NumberFormat& x_format, double width = 720);

/// A line; with `low` and `high` set, a band around it.
struct Series {
  std::string name;
  std::vector<double> x, y, low, high;
  bool dashed = false;
};
/// Lines (and bands) against a common x axis.
std::string line_chart_svg(const std::string& title, const std::vector<Series>& series,
                           const std::string& x_label, const std::string& y_label,
                           const NumberFormat& x_format, const NumberFormat& y_format,
                           const std::vector<Marker>& markers = {}, double width = 720);

/// A horizontal bar with an optional whisker to `upper` (a P95) and its value written beside it.
struct Bar {
  std::string label;
  double value = 0;
  double upper = 0;
  bool has_upper = false;
};
/// Horizontal bars in the order given (sort them first); `legend` says what the bar and the whisker are.
std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars, const NumberFormat& format,
                          const std::string& legend);

/// A tornado: for each input, the metric with it at its P10 and at its P90, every other at its median.
struct TornadoRow {
  std::string label;
  double at_low = 0, at_high = 0;
};
std::string tornado_svg(const std::string& title, const std::vector<TornadoRow>& rows, double base,
                        const NumberFormat& format);

/// Sobol indices with their intervals: a dot for the first-order index, a bar for the total.
struct IndexRow {
  std::string label;
  double first = 0, first_low = 0, first_high = 0;
  double total = 0, total_low = 0, total_high = 0;
};
std::string indices_svg(const std::string& title, const std::vector<IndexRow>& rows);

/// A step of the customer-loss chain: how many customers, and what they cost.
struct FunnelStep {
  std::string label;
  double customers = 0;
  std::string note;  ///< the money at this step, written
  int depth = 0;     ///< 0 for the chain's main steps, 1 for an outcome under "complained" or "silent"
};
std::string funnel_svg(const std::string& title, const std::vector<FunnelStep>& steps,
                       const NumberFormat& count_format);

}  // namespace cxrisk::report
