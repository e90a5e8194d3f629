#include "report/charts.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace cxrisk::report {

namespace {

constexpr std::array<const char*, 6> PALETTE{"#2f5d8a", "#c8553d", "#3f8f5f",
                                             "#8a6d2f", "#6b4f9a", "#2f8a87"};
constexpr const char* INK = "#333";
constexpr const char* GRID = "#e3e3e3";
constexpr const char* MARK = "#c8553d";

// Coordinates with one decimal: finer than a printer's dot, and short.
std::string c(double v) {
  return fmt::format("{:.1f}", v);
}

// A linear map from data to drawing coordinates.
struct Scale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const {
    return d1 == d0 ? (r0 + r1) / 2 : r0 + (v - d0) / (d1 - d0) * (r1 - r0);
  }
};

// An SVG element being written: the chart's drawing primitives.
class Canvas {
 public:
  Canvas(double width, double height, const std::string& title) : width_(width), height_(height) {
    out_ = fmt::format(
        "<svg class=\"chart-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
        "aria-label=\"{}\"><title>{}</title>",
        c(width), c(height), xml_escape(title), xml_escape(title));
  }
  void line(double x1, double y1, double x2, double y2, const char* stroke, double w = 1,
            const char* dash = nullptr) {
    out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>",
                        c(x1), c(y1), c(x2), c(y2), stroke, c(w),
                        dash ? fmt::format(" stroke-dasharray=\"{}\"", dash) : "");
  }
  void rect(double x, double y, double w, double h, const char* fill, const char* extra = "") {
    if (w < 0) x += w, w = -w;
    if (h < 0) y += h, h = -h;
    out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}/>", c(x), c(y),
                        c(std::max(w, 0.5)), c(std::max(h, 0.5)), fill, extra);
  }
  void text(double x, double y, const std::string& s, const char* anchor = "start", const char* cls = "") {
    out_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}</text>", c(x), c(y), anchor,
                        *cls ? fmt::format(" class=\"{}\"", cls) : "", xml_escape(s));
  }
  void path(const std::string& d, const char* stroke, const char* fill, double w, const char* extra = "") {
    out_ += fmt::format("<path d=\"{}\" stroke=\"{}\" fill=\"{}\" stroke-width=\"{}\"{}/>", d, stroke, fill,
                        c(w), extra);
  }
  std::string finish() { return out_ + "</svg>"; }
  double width() const { return width_; }
  double height() const { return height_; }

 private:
  std::string out_;
  double width_, height_;
};

// The x axis at the bottom of a plot area, with ticks, grid lines up to `top` and a label.
void x_axis(Canvas& cv, const Scale& x, double y, double top, const std::vector<double>& ticks,
            const NumberFormat& format, const std::string& label) {
  for (double t : ticks) {
    const double px = x(t);
    cv.line(px, top, px, y, GRID);
    cv.line(px, y, px, y + 4, INK);
    cv.text(px, y + 16, format(t), "middle", "tick");
  }
  cv.line(x.r0, y, x.r1, y, INK);
  if (!label.empty()) cv.text((x.r0 + x.r1) / 2, y + 32, label, "middle", "axis-label");
}

// The y axis at the left of a plot area, with grid lines across to `right`.
void y_axis(Canvas& cv, const Scale& y, double x, double right, const std::vector<double>& ticks,
            const NumberFormat& format, const std::string& label) {
  for (double t : ticks) {
    const double py = y(t);
    cv.line(x, py, right, py, GRID);
    cv.text(x - 6, py + 4, format(t), "end", "tick");
  }
  cv.line(x, y.r0, x, y.r1, INK);
  if (!label.empty()) cv.text(x, y.r1 - 10, label, "start", "axis-label");
}

double finite_or(double v, double fallback) {
  return std::isfinite(v) ? v : fallback;
}

// The widest label in characters, as a guess at its drawn width (CJK characters count twice).
double label_width(const std::vector<std::string>& labels, double per_char) {
  std::size_t widest = 0;
  for (const std::string& s : labels) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      const std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      w += len >= 3 ? 2 : 1;
      i += len;
    }
    widest = std::max(widest, w);
  }
  return std::min(420.0, static_cast<double>(widest) * per_char + 12);
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) return {lo};
  const double raw = (hi - lo) / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string histogram_svg(const std::string& title, const std::vector<double>& edges,
                          const std::vector<long long>& counts, const std::vector<Marker>& markers,
                          const NumberFormat& x_format, double width) {
  Canvas cv(width, 300, title);
  const double left = 60, right = width - 20, top = 24, bottom = 250;
  if (counts.empty() || edges.size() != counts.size() + 1) return cv.finish();
  long long total = 0, highest = 0;
  for (long long k : counts) total += k, highest = std::max(highest, k);
  const double share_max = total ? static_cast<double>(highest) / static_cast<double>(total) : 1;
  const std::vector<double> y_ticks = nice_ticks(0, share_max, 4);
  const double y_top = std::max(share_max, y_ticks.empty() ? share_max : y_ticks.back());
  Scale x{edges.front(), edges.back(), left, right}, y{0, y_top, bottom, top};
  if (edges.front() == edges.back()) x = Scale{edges.front() - 1, edges.back() + 1, left, right};
  y_axis(
      cv, y, left, right, y_ticks, [](double v) { return fmt::format("{:.0f}%", 100 * v); },
      "share of trials");
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double share = total ? static_cast<double>(counts[i]) / static_cast<double>(total) : 0;
    const double x0 = edges.front() == edges.back() ? x(edges.front()) - 4 : x(edges[i]);
    const double x1 = edges.front() == edges.back() ? x(edges.front()) + 4 : x(edges[i + 1]);
    cv.rect(x0 + 0.5, y(share), x1 - x0 - 1, bottom - y(share), PALETTE[0], " class=\"bin\"");
  }
  x_axis(cv, x, bottom, top, nice_ticks(x.d0, x.d1, width < 600 ? 4 : 6), x_format, "");
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const double px = x(markers[i].x);
    cv.line(px, top - 4, px, bottom, MARK, 1.5, "4 3");
    cv.text(px + 4, top + 8 + 14 * static_cast<double>(i), markers[i].label, "start", "marker");
  }
  return cv.finish();
}

std::string line_chart_svg(const std::string& title, const std::vector<Series>& series,
                           const std::string& x_label, const std::string& y_label,
                           const NumberFormat& x_format, const NumberFormat& y_format,
                           const std::vector<Marker>& markers, double width) {
  const double legend_rows = series.size() > 1 ? std::ceil(static_cast<double>(series.size()) / 2) : 0;
  Canvas cv(width, 310 + 18 * legend_rows, title);
  const double left = 70, right = width - 20, top = 28, bottom = 250;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Series& s : series) {
    for (double v : s.x) x0 = std::min(x0, v), x1 = std::max(x1, v);
    for (const auto* ys : {&s.y, &s.low, &s.high})
      for (double v : *ys)
        if (std::isfinite(v)) y0 = std::min(y0, v), y1 = std::max(y1, v);
  }
  if (!std::isfinite(x0) || !std::isfinite(y0)) return cv.finish();
  // Amounts and probabilities are read against 0.
  y0 = std::min(y0, 0.0);
  y1 = std::max(y1, 0.0);
  const std::vector<double> yt = nice_ticks(y0, y1, 5), xt = nice_ticks(x0, x1, width < 600 ? 4 : 6);
  if (!yt.empty()) y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  const Scale x{x0, x1, left, right}, y{y0, y1, bottom, top};
  y_axis(cv, y, left, right, yt, y_format, y_label);
  x_axis(cv, x, bottom, top, xt, x_format, x_label);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const char* color = PALETTE[k % PALETTE.size()];
    if (!s.low.empty() && s.low.size() == s.x.size() && s.high.size() == s.x.size()) {
      std::string d;
      for (std::size_t i = 0; i < s.x.size(); ++i)
        d += fmt::format("{}{},{}", i ? "L" : "M", c(x(s.x[i])), c(y(finite_or(s.high[i], y0))));
      for (std::size_t i = s.x.size(); i-- > 0;)
        d += fmt::format("L{},{}", c(x(s.x[i])), c(y(finite_or(s.low[i], y0))));
      cv.path(d + "Z", "none", color, 0, " fill-opacity=\"0.16\" class=\"band\"");
    }
    std::string d;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      d += fmt::format("{}{},{}", i ? "L" : "M", c(x(s.x[i])), c(y(finite_or(s.y[i], y0))));
    cv.path(d, color, "none", 2, s.dashed ? " stroke-dasharray=\"6 4\" class=\"line\"" : " class=\"line\"");
  }
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const Marker& m = markers[i];
    if (m.x < x0 || m.x > x1) continue;
    cv.line(x(m.x), top, x(m.x), bottom, MARK, 1.2, "4 3");
    cv.text(x(m.x) + 4, top + 12 + 15 * static_cast<double>(i), m.label, "start", "marker");
  }
  if (series.size() > 1)
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double lx = left + (right - left) / 2 * static_cast<double>(k % 2),
                   ly = 292 + 18 * static_cast<double>(k / 2);
      cv.line(lx, ly - 4, lx + 22, ly - 4, PALETTE[k % PALETTE.size()], 3,
              series[k].dashed ? "6 4" : nullptr);
      cv.text(lx + 28, ly, series[k].name, "start", "legend");
    }
  return cv.finish();
}

std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars, const NumberFormat& format,
                          const std::string& legend) {
  std::vector<std::string> labels;
  for (const Bar& b : bars) labels.push_back(b.label);
  const double left = std::max(90.0, label_width(labels, 7.2)), right = 600, row = 26, top = 10;
  Canvas cv(720, top + row * static_cast<double>(bars.size()) + 46, title);
  double lo = 0, hi = 0;
  for (const Bar& b : bars) {
    lo = std::min({lo, b.value, b.has_upper ? b.upper : 0.0});
    hi = std::max({hi, b.value, b.has_upper ? b.upper : 0.0});
  }
  if (hi == lo) hi = lo + 1;
  const Scale x{lo, hi, left, right};
  const double bottom = top + row * static_cast<double>(bars.size());
  x_axis(cv, x, bottom, top, nice_ticks(lo, hi, 5), format, "");
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = top + row * static_cast<double>(i);
    cv.text(left - 8, y + 17, b.label, "end", "label");
    cv.rect(x(0), y + 5, x(b.value) - x(0), row - 10, PALETTE[0], " class=\"bar\"");
    double end = std::max(x(b.value), x(0));
    if (b.has_upper) {
      cv.line(x(b.value), y + row / 2, x(b.upper), y + row / 2, INK, 1.2);
      cv.line(x(b.upper), y + 7, x(b.upper), y + row - 7, INK, 1.5);
      end = std::max(end, x(b.upper));
    }
    cv.text(end + 6, y + 17, format(b.value), "start", "value");
  }
  cv.text(left, bottom + 38, legend, "start", "legend");
  return cv.finish();
}

std::string tornado_svg(const std::string& title, const std::vector<TornadoRow>& rows, double base,
                        const NumberFormat& format) {
  std::vector<std::string> labels;
  for (const TornadoRow& r : rows) labels.push_back(r.label);
  const double left = std::max(120.0, label_width(labels, 6.6)), row = 24, top = 10;
  const double right = left + 440;
  Canvas cv(right + 20, top + row * static_cast<double>(rows.size()) + 76, title);
  double lo = base, hi = base;
  for (const TornadoRow& r : rows)
    lo = std::min({lo, r.at_low, r.at_high}), hi = std::max({hi, r.at_low, r.at_high});
  if (hi == lo) hi = lo + 1;
  const Scale x{lo, hi, left, right};
  const double bottom = top + row * static_cast<double>(rows.size());
  x_axis(cv, x, bottom, top, nice_ticks(lo, hi, 5), format, "");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TornadoRow& r = rows[i];
    const double y = top + row * static_cast<double>(i);
    cv.text(left - 8, y + 16, r.label, "end", "label");
    cv.rect(x(base), y + 4, x(r.at_low) - x(base), row - 8, PALETTE[2], " class=\"bar low\"");
    cv.rect(x(base), y + 4, x(r.at_high) - x(base), row - 8, PALETTE[1], " class=\"bar high\"");
  }
  cv.line(x(base), top - 4, x(base), bottom, INK, 1.5);
  cv.rect(left, bottom + 32, 12, 10, PALETTE[2]);
  cv.text(left + 18, bottom + 41, "input at its P10", "start", "legend");
  cv.rect(left + 150, bottom + 32, 12, 10, PALETTE[1]);
  cv.text(left + 168, bottom + 41, "input at its P90", "start", "legend");
  cv.line(left + 5, bottom + 52, left + 5, bottom + 64, INK, 1.5);
  cv.text(left + 18, bottom + 61, "every input at its median: " + format(base), "start", "legend");
  return cv.finish();
}

std::string indices_svg(const std::string& title, const std::vector<IndexRow>& rows) {
  std::vector<std::string> labels;
  for (const IndexRow& r : rows) labels.push_back(r.label);
  const double left = std::max(120.0, label_width(labels, 6.6)), row = 24, top = 10;
  const double right = left + 440;
  Canvas cv(right + 20, top + row * static_cast<double>(rows.size()) + 76, title);
  double hi = 0;
  for (const IndexRow& r : rows) hi = std::max({hi, r.total_high, r.first_high, r.total});
  hi = std::min(1.0, std::max(hi, 0.05));
  const Scale x{0, hi, left, right};
  const double bottom = top + row * static_cast<double>(rows.size());
  x_axis(
      cv, x, bottom, top, nice_ticks(0, hi, 5), [](double v) { return fmt::format("{:.2g}", v); }, "");
  const auto dot = [&](double px, double py) {
    cv.path(fmt::format("M{},{}m-4,0a4,4 0 1,0 8,0a4,4 0 1,0 -8,0", c(px), c(py)), PALETTE[1], PALETTE[1], 1,
            " class=\"dot\"");
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const IndexRow& r = rows[i];
    const double y = top + row * static_cast<double>(i), mid = y + row / 2;
    cv.text(left - 8, y + 16, r.label, "end", "label");
    cv.rect(x(0), y + 5, x(std::max(r.total, 0.0)) - x(0), row - 10, PALETTE[0],
            " fill-opacity=\"0.35\" class=\"bar\"");
    if (std::isfinite(r.total_low))
      cv.line(x(std::max(r.total_low, 0.0)), mid, x(std::min(r.total_high, hi)), mid, PALETTE[0], 2);
    if (std::isfinite(r.first_low))
      cv.line(x(std::max(r.first_low, 0.0)), mid + 4, x(std::min(r.first_high, hi)), mid + 4, PALETTE[1],
              1.2);
    dot(x(std::clamp(r.first, 0.0, hi)), mid + 4);
  }
  cv.rect(left, bottom + 32, 12, 10, PALETTE[0], " fill-opacity=\"0.35\"");
  cv.text(left + 18, bottom + 41, "total index (bar), with its 95% interval (line)", "start", "legend");
  dot(left + 6, bottom + 57);
  cv.text(left + 18, bottom + 61, "first-order index, with its 95% interval", "start", "legend");
  return cv.finish();
}

std::string funnel_svg(const std::string& title, const std::vector<FunnelStep>& steps,
                       const NumberFormat& count_format) {
  std::vector<std::string> labels;
  for (const FunnelStep& s : steps) labels.push_back(s.label);
  const double left = std::max(170.0, label_width(labels, 7.2) + 16), right = left + 300, row = 30, top = 8;
  const double money_at = right + 90;
  Canvas cv(money_at + 170, top + row * static_cast<double>(steps.size()) + 8, title);
  double most = 0;
  for (const FunnelStep& s : steps) most = std::max(most, s.customers);
  if (most <= 0) most = 1;
  const Scale x{0, most, left, right};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const FunnelStep& s = steps[i];
    const double y = top + row * static_cast<double>(i);
    cv.text(left - 10, y + 19, s.label, "end", s.depth ? "label sub" : "label");
    cv.rect(x(0), y + 4, std::max(x(std::max(s.customers, 0.0)) - x(0), 1.0), row - 8,
            s.depth ? PALETTE[5] : PALETTE[0],
            s.depth ? " fill-opacity=\"0.75\" class=\"bar\"" : " class=\"bar\"");
    cv.text(std::max(x(std::max(s.customers, 0.0)), x(0)) + 6, y + 19, count_format(s.customers), "start",
            "value");
    if (!s.note.empty()) cv.text(money_at, y + 19, s.note, "start", "money");
  }
  return cv.finish();
}

}  // namespace cxrisk::report
