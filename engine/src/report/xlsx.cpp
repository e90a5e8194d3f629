// The Excel workbook, through libxlsxwriter: real numbers with number formats (never numbers stored as text),
// frozen header rows, fitted columns, and native charts that a finance user can restyle. The workbook is
// written in libxlsxwriter's constant-memory mode (a million trials on the Trials sheet would otherwise take
// gigabytes), which asks every sheet to be written row by row, top to bottom.
#include <xlsxwriter.h>

#include <fmt/format.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cxrisk/error.h"
#include "cxrisk/statistics.h"
#include "report/document.h"

namespace cxrisk::report {

namespace {

// The column names of the statistics, as breakdown.csv names them.
std::vector<std::string> stat_columns() {
  std::vector<std::string> c{"mean", "sd", "se", "min", "max"};
  for (auto p : PERCENTILE_NAMES) c.emplace_back(p);
  c.emplace_back("cvar95");
  c.emplace_back("mean_low");
  c.emplace_back("mean_high");
  for (auto p : PERCENTILE_NAMES) {
    c.push_back(std::string(p) + "_low");
    c.push_back(std::string(p) + "_high");
  }
  c.emplace_back("cvar95_low");
  c.emplace_back("cvar95_high");
  return c;
}

// The statistic a column names in a statistics object of the JSON: NaN when not there (null).
double stat(const Json& s, const std::string& column) {
  const auto number = [](const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); };
  for (const char* end : {"_low", "_high"})
    if (column.size() > std::string(end).size() && column.ends_with(end)) {
      const std::string key = column.substr(0, column.size() - std::string(end).size());
      if (!s.contains("ci95") || !s["ci95"].contains(key) || !s["ci95"][key].is_array()) return std::nan("");
      return number(s["ci95"][key][end[1] == 'l' ? 0 : 1]);
    }
  return s.contains(column) ? number(s[column]) : std::nan("");
}

bool is_money_metric(const std::string& metric) {
  return metric.find("revenue") != std::string::npos || metric.find("cost") != std::string::npos;
}

// A workbook being written into a file of a private temporary folder.
class Workbook {
 public:
  Workbook(const std::filesystem::path& file, const std::filesystem::path& tmpdir,
           const std::string& currency)
      : tmpdir_(tmpdir.string()) {
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    options.tmpdir = tmpdir_.data();
    options.use_zip64 = LXW_TRUE;
    wb_ = workbook_new_opt(file.c_str(), &options);
    CXRISK_REQUIRE_AS(RuntimeError, wb_, "cannot create the workbook in " << tmpdir_);
    header = workbook_add_format(wb_);
    format_set_bold(header);
    format_set_bg_color(header, 0xF4F6F8);
    format_set_bottom(header, LXW_BORDER_THIN);
    format_set_text_wrap(header);
    format_set_align(header, LXW_ALIGN_VERTICAL_TOP);
    title = workbook_add_format(wb_);
    format_set_bold(title);
    format_set_font_size(title, 13);
    bold = workbook_add_format(wb_);
    format_set_bold(bold);
    // The currency code in the number format: a real number that reads "16,180,783,629 JPY".
    const std::string money_code = currency.empty() ? "#,##0" : fmt::format("#,##0\" {}\"", currency);
    money = number_format(money_code);
    count = number_format("#,##0");
    decimal = number_format("#,##0.00");
    ratio = number_format("0.000");
    pct = number_format("0.0%");
    general = number_format("General");
  }
  ~Workbook() {
    if (wb_) workbook_close(wb_);
  }
  Workbook(const Workbook&) = delete;
  Workbook& operator=(const Workbook&) = delete;

  lxw_worksheet* sheet(const char* name) { return workbook_add_worksheet(wb_, name); }
  lxw_chart* chart(uint8_t type) { return workbook_add_chart(wb_, type); }
  void close() {
    const lxw_error e = workbook_close(wb_);
    wb_ = nullptr;
    CXRISK_REQUIRE_AS(RuntimeError, e == LXW_NO_ERROR, "cannot write the workbook: " << lxw_strerror(e));
  }
  void properties(const std::string& subject) {
    subject_ = subject;
    lxw_doc_properties p{};
    p.title = subject_.data();
    p.subject = const_cast<char*>("Revenue at risk from poor customer experience");
    p.author = const_cast<char*>("cxrisk");
    workbook_set_properties(wb_, &p);
  }

  lxw_format *header, *title, *bold, *money, *count, *decimal, *ratio, *pct, *general;

 private:
  lxw_format* number_format(const std::string& code) {
    lxw_format* f = workbook_add_format(wb_);
    format_set_num_format(f, code.c_str());
    return f;
  }
  std::string tmpdir_, subject_;
  lxw_workbook* wb_ = nullptr;
};

// Cells of one sheet, written row after row.
class Sheet {
 public:
  Sheet(Workbook& wb, const char* name) : wb_(wb), ws_(wb.sheet(name)), name_(name) {}
  lxw_worksheet* ws() const { return ws_; }
  const std::string& name() const { return name_; }

  void text(lxw_row_t r, lxw_col_t c, const std::string& s, lxw_format* f = nullptr) {
    worksheet_write_string(ws_, r, c, s.c_str(), f);
    fit(c, s.size());
  }
  // A number, or an empty cell for NaN (Excel has no NaN).
  void number(lxw_row_t r, lxw_col_t c, double v, lxw_format* f) {
    if (std::isfinite(v))
      worksheet_write_number(ws_, r, c, v, f);
    else
      worksheet_write_blank(ws_, r, c, f);
    fit(c, 12);
  }
  void header_row(lxw_row_t r, const std::vector<std::string>& names, lxw_col_t first = 0) {
    for (std::size_t i = 0; i < names.size(); ++i)
      text(r, static_cast<lxw_col_t>(first + i), names[i], wb_.header);
  }
  void freeze(lxw_row_t rows, lxw_col_t cols) { worksheet_freeze_panes(ws_, rows, cols); }
  // Column widths that fit what was written (set at the end: constant-memory mode keeps them to the close).
  void set_widths() {
    for (const auto& [c, w] : widths_)
      worksheet_set_column(ws_, c, c, std::clamp(static_cast<double>(w) * 1.1 + 2, 8.0, 60.0), nullptr);
  }
  void insert(lxw_row_t r, lxw_col_t c, lxw_chart* chart, double x_scale = 1.3, double y_scale = 1.2) {
    lxw_chart_options o{};
    o.x_scale = x_scale;
    o.y_scale = y_scale;
    worksheet_insert_chart_opt(ws_, r, c, chart, &o);
  }

 private:
  void fit(lxw_col_t c, std::size_t chars) {
    widths_[c] = std::max(widths_[c], std::min<std::size_t>(chars, 60));
  }
  Workbook& wb_;
  lxw_worksheet* ws_;
  std::string name_;
  std::map<lxw_col_t, std::size_t> widths_;
};

lxw_format* metric_format(Workbook& wb, const std::string& metric) {
  return is_money_metric(metric) ? wb.money : wb.decimal;
}

void series_range(lxw_chart_series* s, const std::string& sheet, lxw_row_t r0, lxw_col_t c0, lxw_row_t r1,
                  lxw_col_t c1, bool values) {
  (values ? chart_series_set_values : chart_series_set_categories)(s, sheet.c_str(), r0, c0, r1, c1);
}

lxw_chart_series* add_series(lxw_chart* chart, const std::string& sheet, lxw_row_t r0, lxw_row_t r1,
                             lxw_col_t categories, lxw_col_t values, const std::string& name) {
  lxw_chart_series* s = chart_add_series(chart, nullptr, nullptr);
  series_range(s, sheet, r0, categories, r1, categories, false);
  series_range(s, sheet, r0, values, r1, values, true);
  if (!name.empty()) chart_series_set_name(s, name.c_str());
  return s;
}

// About the run: key, value rows from `row` on. Returns the next free row.
lxw_row_t about(Sheet& sh, Workbook& wb, const Document& doc, lxw_row_t row,
                const std::vector<std::pair<std::string, std::string>>& facts) {
  sh.text(row++, 0, "About these results", wb.title);
  std::vector<std::pair<std::string, std::string>> all = facts;
  const Json& p = doc.provenance;
  if (p.is_object()) {
    all.emplace_back("cxrisk version", p.value("cxrisk_version", ""));
    all.emplace_back("run on", p.value("date", ""));
    all.emplace_back("command", p.value("command", ""));
    for (const Json& s : p.value("scenarios", Json::array()))
      all.emplace_back("scenario file", s.value("file", "") + "  (content hash " + s.value("hash", "") + ")");
  }
  for (const auto& [k, v] : all) {
    sh.text(row, 0, k, wb.bold);
    // A count is a number (a seed, up to 2^64, is an identifier: text, as a double would round it).
    double number = 0;
    const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), number);
    if (k != "seed" && !v.empty() && error == std::errc() && end == v.data() + v.size())
      sh.number(row++, 1, number, wb.count);
    else
      sh.text(row++, 1, v);
  }
  return row;
}

// ---- a run ------------------------------------------------------------------------------------------------

void run_sheets(Workbook& wb, const Document& doc) {
  const Json& s = doc.main;
  const std::vector<std::string> columns = stat_columns();
  {
    Sheet sh(wb, "Summary");
    std::vector<std::string> head{"metric"};
    head.insert(head.end(), columns.begin(), columns.end());
    sh.header_row(0, head);
    lxw_row_t row = 1;
    for (const auto& [metric, stats] : s["metrics"].items()) {
      sh.text(row, 0, metric);
      for (std::size_t c = 0; c < columns.size(); ++c)
        sh.number(row, static_cast<lxw_col_t>(c + 1), stat(stats, columns[c]), metric_format(wb, metric));
      ++row;
    }
    sh.freeze(1, 1);
    row = about(sh, wb, doc, row + 1,
                {{"scenario", s.value("scenario", "")},
                 {"currency", doc.currency},
                 {"trials", fmt::format("{}", s.value("trials", 0))},
                 {"seed", fmt::format("{}", s.value("seed", std::uint64_t{0}))},
                 {"design", sampling_text(s, false)},
                 {"mode", s.value("mode", "")}});
    if (s.contains("distributions") && s["distributions"].contains("total_cost")) {
      const Json& h = s["distributions"]["total_cost"]["histogram"];
      row += 1;
      sh.text(row++, 0, "Histogram of total_cost", wb.title);
      sh.header_row(row++, {"bin from", "bin to", "trials", "share of trials"});
      const lxw_row_t first = row;
      long long total = 0;
      for (const Json& k : h["counts"]) total += k.get<long long>();
      for (std::size_t i = 0; i < h["counts"].size(); ++i) {
        const double n = h["counts"][i].get<double>();
        sh.number(row, 0, h["edges"][i].get<double>(), wb.money);
        sh.number(row, 1, h["edges"][i + 1].get<double>(), wb.money);
        sh.number(row, 2, n, wb.count);
        sh.number(row++, 3, total ? n / static_cast<double>(total) : 0, wb.pct);
      }
      lxw_chart* chart = wb.chart(LXW_CHART_COLUMN);
      add_series(chart, sh.name(), first, row - 1, 0, 3, "share of trials");
      chart_title_set_name(chart, "Histogram of total_cost");
      chart_axis_set_name(
          chart->x_axis,
          ("total_cost, bin from" + (doc.currency.empty() ? "" : " (" + doc.currency + ")")).c_str());
      chart_axis_set_num_format(chart->x_axis, "#,##0");
      chart_axis_set_name(chart->y_axis, "share of trials");
      chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
      chart_set_series_gap(chart, 10);
      sh.insert(first - 2, 5, chart);
    }
    sh.set_widths();
  }
  if (s.contains("breakdown")) {
    Sheet sh(wb, "Breakdown");
    // A handful of statistics (breakdown.csv has them all), so that the charts beside the table are in view.
    const std::vector<std::string> cols{"mean", "se",     "sd",       "p5",        "p50",     "p95",
                                        "p99",  "cvar95", "mean_low", "mean_high", "p95_low", "p95_high"};
    std::vector<std::string> head{"dimension", "name", "metric"};
    head.insert(head.end(), cols.begin(), cols.end());
    sh.header_row(0, head);
    lxw_row_t row = 1;
    std::vector<std::tuple<std::string, lxw_row_t, lxw_row_t>> total_cost_rows;  // per dimension
    for (const auto& [dim, entries] : s["breakdown"].items()) {
      if (entries.empty()) continue;
      // Metric by metric, so that each metric's entries of a dimension are one range for a chart.
      for (const auto& [metric, unused] : s["metrics"].items()) {
        (void)unused;
        const lxw_row_t first = row;
        for (const auto& [name, stats] : entries.items()) {
          sh.text(row, 0, dim);
          sh.text(row, 1, name);
          sh.text(row, 2, metric);
          for (std::size_t c = 0; c < cols.size(); ++c)
            sh.number(row, static_cast<lxw_col_t>(c + 3), stat(stats[metric], cols[c]),
                      metric_format(wb, metric));
          ++row;
        }
        if (metric == "total_cost") total_cost_rows.emplace_back(dim, first, row - 1);
      }
    }
    sh.freeze(1, 3);
    lxw_row_t at = 1;
    for (const auto& [dim, r0, r1] : total_cost_rows) {
      lxw_chart* chart = wb.chart(LXW_CHART_BAR);
      add_series(chart, sh.name(), r0, r1, 1, 3, "expected total_cost");
      chart_title_set_name(chart, ("Expected total_cost by " + dim).c_str());
      chart_axis_set_num_format(chart->x_axis, "#,##0");
      chart_axis_set_reverse(chart->y_axis);
      chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
      sh.insert(at, static_cast<lxw_col_t>(cols.size() + 4), chart, 1.2, 1.0);
      at += 16;
    }
    sh.set_widths();
  }
  if (s.contains("distributions")) {
    Sheet sh(wb, "Percentiles");
    std::vector<std::string> head{"level"}, metrics;
    for (const auto& [metric, unused] : s["distributions"].items()) {
      (void)unused;
      metrics.push_back(metric);
      head.push_back(metric);
    }
    sh.header_row(0, head);
    const Json& levels = s["distributions"][metrics.front()]["quantiles"]["levels"];
    lxw_row_t row = 1;
    for (std::size_t i = 0; i < levels.size(); ++i, ++row) {
      sh.number(row, 0, levels[i].get<double>(), wb.pct);
      for (std::size_t m = 0; m < metrics.size(); ++m)
        sh.number(row, static_cast<lxw_col_t>(m + 1),
                  s["distributions"][metrics[m]]["quantiles"]["values"][i].get<double>(),
                  metric_format(wb, metrics[m]));
    }
    sh.freeze(1, 1);
    const auto tc = std::find(metrics.begin(), metrics.end(), "total_cost");
    if (tc != metrics.end()) {
      lxw_chart* chart = wb.chart(LXW_CHART_SCATTER_STRAIGHT);
      const auto col = static_cast<lxw_col_t>(tc - metrics.begin() + 1);
      lxw_chart_series* series = chart_add_series(chart, nullptr, nullptr);
      series_range(series, sh.name(), 1, col, row - 1, col, false);
      series_range(series, sh.name(), 1, 0, row - 1, 0, true);
      chart_series_set_name(series, "P(total_cost <= x)");
      chart_title_set_name(chart, "Cumulative distribution of total_cost");
      chart_axis_set_num_format(chart->x_axis, "#,##0");
      chart_axis_set_num_format(chart->y_axis, "0%");
      chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
      sh.insert(1, static_cast<lxw_col_t>(metrics.size() + 2), chart);
    }
    sh.set_widths();
  }
  if (s.contains("inputs")) {
    Sheet sh(wb, "Inputs");
    sh.header_row(0, {"path", "kind", "distribution", "uncertain", "mean", "p10", "p50", "p90"});
    lxw_row_t row = 1;
    for (const Json& in : s["inputs"]) {
      sh.text(row, 0, in.value("path", ""));
      sh.text(row, 1, in.value("kind", ""));
      sh.text(row, 2, in.value("distribution", ""));
      worksheet_write_boolean(sh.ws(), row, 3, in.value("uncertain", false), nullptr);
      for (lxw_col_t c = 4; c < 8; ++c) {
        const char* key = c == 4 ? "mean" : c == 5 ? "p10" : c == 6 ? "p50" : "p90";
        sh.number(row, c, in.contains(key) && in[key].is_number() ? in[key].get<double>() : std::nan(""),
                  wb.general);
      }
      ++row;
    }
    sh.freeze(1, 1);
    sh.set_widths();
  }
  if (doc.trials && doc.trials->rows() > 0) {
    Sheet sh(wb, "Trials");
    sh.header_row(0, doc.trials->columns);
    const std::size_t width = doc.trials->columns.size();
    const std::size_t rows = std::min(doc.trials->rows(), MAX_SHEET_TRIALS);
    // The trial number and the sampled inputs as they are; a metric (a total, or a breakdown's
    // "problem.NAME.METRIC") as money or a count.
    std::vector<lxw_format*> formats(width, wb.general);
    for (std::size_t c = 1; c < width; ++c) {
      const std::string& name = doc.trials->columns[c];
      const std::string metric = name.substr(name.find_last_of('.') + 1);
      const bool is_metric =
          c <= static_cast<std::size_t>(N_METRICS) ||
          std::any_of(DIMENSION_NAMES.begin(), DIMENSION_NAMES.end(),
                      [&](std::string_view d) { return name.starts_with(std::string(d) + "."); });
      if (is_metric) formats[c] = is_money_metric(metric) ? wb.money : wb.count;
    }
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < width; ++c)
        worksheet_write_number(sh.ws(), static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c),
                               doc.trials->values[r * width + c], formats[c]);
    for (std::size_t c = 0; c < width; ++c)
      worksheet_set_column(sh.ws(), static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                           std::max(10.0, static_cast<double>(doc.trials->columns[c].size()) + 2), nullptr);
    sh.freeze(1, 1);
  }
}

// ---- a comparison -----------------------------------------------------------------------------------------

void comparison_sheets(Workbook& wb, const Document& doc) {
  const Json& c = doc.main;
  {
    Sheet sh(wb, "Comparison");
    const std::vector<std::string> head{"alternative",
                                        "savings_mean",
                                        "savings_low",
                                        "savings_high",
                                        "savings_p5",
                                        "savings_p50",
                                        "savings_p95",
                                        "revenue_lost_savings_mean",
                                        "customers_lost_savings_mean",
                                        "investment_pv_mean",
                                        "net_benefit_mean",
                                        "net_benefit_low",
                                        "net_benefit_high",
                                        "net_benefit_p5",
                                        "net_benefit_p50",
                                        "net_benefit_p95",
                                        "roi_mean",
                                        "payback_period_p50",
                                        "p_payback_within_horizon",
                                        "p_net_benefit_positive",
                                        "break_even_investment_at_50",
                                        "break_even_investment_at_80",
                                        "break_even_investment_at_90"};
    sh.header_row(0, head);
    lxw_row_t row = 1;
    for (const Json& a : c["alternatives"]) {
      const Json& sv = a["savings"]["total_cost"];
      const Json& nb = a["net_benefit"];
      const Json& be = a["break_even_investment"];
      const std::vector<std::pair<double, lxw_format*>> cells{
          {stat(sv, "mean"), wb.money},
          {stat(sv, "mean_low"), wb.money},
          {stat(sv, "mean_high"), wb.money},
          {stat(sv, "p5"), wb.money},
          {stat(sv, "p50"), wb.money},
          {stat(sv, "p95"), wb.money},
          {stat(a["savings"]["revenue_lost"], "mean"), wb.money},
          {stat(a["savings"]["customers_lost"], "mean"), wb.decimal},
          {stat(a["investment_pv"], "mean"), wb.money},
          {stat(nb, "mean"), wb.money},
          {stat(nb, "mean_low"), wb.money},
          {stat(nb, "mean_high"), wb.money},
          {stat(nb, "p5"), wb.money},
          {stat(nb, "p50"), wb.money},
          {stat(nb, "p95"), wb.money},
          {a["roi"].is_object() ? stat(a["roi"], "mean") : std::nan(""), wb.ratio},
          {a["payback_period"].is_object() ? stat(a["payback_period"], "p50") : std::nan(""), wb.decimal},
          {a["p_payback_within_horizon"].get<double>(), wb.pct},
          {a["p_net_benefit_positive"].get<double>(), wb.pct},
          {be["at_50"].get<double>(), wb.money},
          {be["at_80"].get<double>(), wb.money},
          {be["at_90"].get<double>(), wb.money}};
      sh.text(row, 0, a["name"].get<std::string>());
      for (std::size_t k = 0; k < cells.size(); ++k)
        sh.number(row, static_cast<lxw_col_t>(k + 1), cells[k].first, cells[k].second);
      ++row;
    }
    const lxw_row_t last = row - 1;
    sh.freeze(1, 1);
    row += 1;
    if (c.contains("base_total_cost")) {
      sh.text(row, 0, "base total_cost (mean)", wb.bold);
      sh.number(row++, 1, stat(c["base_total_cost"], "mean"), wb.money);
      sh.text(row, 0, "base total_cost (p95)", wb.bold);
      sh.number(row++, 1, stat(c["base_total_cost"], "p95"), wb.money);
    }
    row = about(sh, wb, doc, row + 1,
                {{"base", c.value("base", "")},
                 {"currency", doc.currency},
                 {"trials", fmt::format("{}", c.value("trials", 0))},
                 {"seed", fmt::format("{}", c.value("seed", std::uint64_t{0}))},
                 {"design", sampling_text(c, false)},
                 {"payback period unit", c.value("period", "")}});
    lxw_chart* chart = wb.chart(LXW_CHART_BAR);
    add_series(chart, sh.name(), 1, last, 0, 10, "expected net benefit");
    chart_title_set_name(chart, "Expected net benefit");
    chart_axis_set_num_format(chart->x_axis, "#,##0");
    chart_axis_set_reverse(chart->y_axis);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    sh.insert(row + 1, 0, chart, 1.4, 1.0);
    sh.set_widths();
  }
  {
    Sheet sh(wb, "Payback");
    std::vector<std::string> head{"period"};
    for (const Json& a : c["alternatives"])
      for (const char* k : {"savings_p10", "savings_p50", "savings_p90", "investment_mean", "p_paid_back"})
        head.push_back(a["name"].get<std::string>() + ": " + k);
    sh.header_row(0, head);
    const std::size_t periods =
        c["alternatives"].empty() ? 0 : c["alternatives"][0]["payback_curve"]["period"].size();
    for (std::size_t t = 0; t < periods; ++t) {
      const auto row = static_cast<lxw_row_t>(t + 1);
      sh.number(row, 0, static_cast<double>(t + 1), wb.count);
      lxw_col_t col = 1;
      for (const Json& a : c["alternatives"])
        for (const char* k : {"savings_p10", "savings_p50", "savings_p90", "investment_mean", "p_paid_back"})
          sh.number(row, col++, a["payback_curve"][k][t].get<double>(),
                    std::string(k) == "p_paid_back" ? wb.pct : wb.money);
    }
    sh.freeze(1, 1);
    if (periods > 0) {
      lxw_chart* chart = wb.chart(LXW_CHART_LINE);
      lxw_col_t col = 1;
      for (const Json& a : c["alternatives"]) {
        add_series(chart, sh.name(), 1, static_cast<lxw_row_t>(periods), 0, col + 1,
                   a["name"].get<std::string>() + ": savings (median)");
        lxw_chart_series* inv = add_series(chart, sh.name(), 1, static_cast<lxw_row_t>(periods), 0, col + 3,
                                           a["name"].get<std::string>() + ": investment");
        lxw_chart_line dashed{};
        dashed.dash_type = LXW_CHART_LINE_DASH_DASH;
        dashed.width = 1.5;
        chart_series_set_line(inv, &dashed);
        col += 5;
      }
      chart_title_set_name(chart, "Cumulative savings and investment by period");
      chart_axis_set_name(chart->x_axis, c.value("period", "period").c_str());
      chart_axis_set_num_format(chart->y_axis, "#,##0");
      chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
      sh.insert(static_cast<lxw_row_t>(periods + 3), 0, chart, 1.6, 1.3);
    }
    sh.set_widths();
  }
  if (c.contains("voi") && c["voi"].is_object()) {
    const Json& v = c["voi"];
    Sheet sh(wb, "Value of information");
    sh.header_row(0, {"of", "path", "value", "ci_low", "ci_high"});
    lxw_row_t row = 1;
    const auto ci = [](const Json& j, int k) {
      return j.is_array() && j[k].is_number() ? j[k].get<double>() : std::nan("");
    };
    sh.text(row, 0, "everything (EVPI)");
    sh.number(row, 2, v.value("evpi", std::nan("")), wb.money);
    sh.number(row, 3, ci(v.value("evpi_ci", Json()), 0), wb.money);
    sh.number(row++, 4, ci(v.value("evpi_ci", Json()), 1), wb.money);
    for (const Json& e : v.value("evppi", Json::array())) {
      sh.text(row, 0, "input (EVPPI)");
      sh.text(row, 1, e.value("path", ""));
      sh.number(row, 2, e["value"].get<double>(), wb.money);
      sh.number(row, 3, ci(e.value("ci", Json()), 0), wb.money);
      sh.number(row++, 4, ci(e.value("ci", Json()), 1), wb.money);
    }
    sh.freeze(1, 0);
    sh.set_widths();
  }
}

// ---- a sensitivity analysis -------------------------------------------------------------------------------

void sensitivity_sheets(Workbook& wb, const Document& doc) {
  const Json& s = doc.main;
  Sheet sh(wb, "Sensitivity");
  const std::vector<std::string> head{"metric",
                                      "path",
                                      "kind",
                                      "distribution",
                                      "p10",
                                      "p90",
                                      "at_p10",
                                      "at_p90",
                                      "swing",
                                      "spearman",
                                      "sobol_first",
                                      "sobol_first_low",
                                      "sobol_first_high",
                                      "sobol_total",
                                      "sobol_total_low",
                                      "sobol_total_high",
                                      "",
                                      "tornado input",
                                      "at P10 - base",
                                      "at P90 - base"};
  sh.header_row(0, head);
  lxw_row_t row = 1;
  // The tornado's data (beside the table, the widest swings first) for the first metric: a native bar chart
  // of the two deviations from the base.
  std::vector<const Json*> tornado;
  std::string tornado_metric;
  double base = 0;
  for (const auto& [metric, x] : s["metrics"].items()) {
    if (tornado_metric.empty()) {
      tornado_metric = metric;
      base = x.value("tornado_base", 0.0);
      for (const Json& in : x["inputs"]) tornado.push_back(&in);
      std::stable_sort(tornado.begin(), tornado.end(), [](const Json* a, const Json* b) {
        return std::abs((*a)["tornado"]["swing"].get<double>()) >
               std::abs((*b)["tornado"]["swing"].get<double>());
      });
      if (tornado.size() > 15) tornado.resize(15);
    }
    lxw_format* f = metric_format(wb, metric);
    for (const Json& in : x["inputs"]) {
      const auto n = [&](const char* k) {
        return in.contains(k) && in[k].is_number() ? in[k].get<double>() : std::nan("");
      };
      const auto ci = [&](const char* k, int i) {
        return in.contains(k) && in[k].is_array() ? in[k][i].get<double>() : std::nan("");
      };
      sh.text(row, 0, metric);
      sh.text(row, 1, in.value("path", ""));
      sh.text(row, 2, in.value("kind", ""));
      sh.text(row, 3, in.value("distribution", ""));
      sh.number(row, 4, n("p10"), wb.general);
      sh.number(row, 5, n("p90"), wb.general);
      sh.number(row, 6, in["tornado"]["at_p10"].get<double>(), f);
      sh.number(row, 7, in["tornado"]["at_p90"].get<double>(), f);
      sh.number(row, 8, in["tornado"]["swing"].get<double>(), f);
      sh.number(row, 9, n("spearman"), wb.ratio);
      sh.number(row, 10, n("sobol_first"), wb.ratio);
      sh.number(row, 11, ci("sobol_first_ci", 0), wb.ratio);
      sh.number(row, 12, ci("sobol_first_ci", 1), wb.ratio);
      sh.number(row, 13, n("sobol_total"), wb.ratio);
      sh.number(row, 14, ci("sobol_total_ci", 0), wb.ratio);
      sh.number(row, 15, ci("sobol_total_ci", 1), wb.ratio);
      const std::size_t k = row - 1;
      if (k < tornado.size()) {
        const Json& t = *tornado[k];
        sh.text(row, 17, t.value("path", ""));
        sh.number(row, 18, t["tornado"]["at_p10"].get<double>() - base, f);
        sh.number(row, 19, t["tornado"]["at_p90"].get<double>() - base, f);
      }
      ++row;
    }
  }
  sh.freeze(1, 2);
  if (!tornado.empty()) {
    lxw_chart* chart = wb.chart(LXW_CHART_BAR);
    const auto last = static_cast<lxw_row_t>(tornado.size());
    add_series(chart, sh.name(), 1, last, 17, 18, "input at its P10");
    add_series(chart, sh.name(), 1, last, 17, 19, "input at its P90");
    chart_set_series_overlap(chart, 100);
    chart_set_series_gap(chart, 40);
    chart_title_set_name(chart, fmt::format("Tornado of {}: change from every input at its median ({:.4g})",
                                            tornado_metric, base)
                                    .c_str());
    chart_axis_set_num_format(chart->x_axis, "#,##0");
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_label_position(chart->y_axis, LXW_CHART_AXIS_LABEL_POSITION_LOW);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    sh.insert(static_cast<lxw_row_t>(tornado.size() + 2), 17, chart, 1.6, 1.5);
  }
  row = about(sh, wb, doc, row + 1,
              {{"scenario", s.value("scenario", "")},
               {"trials", fmt::format("{}", s.value("trials", 0))},
               {"design rows", fmt::format("{}", s.value("design_rows", 0))},
               {"seed", fmt::format("{}", s.value("seed", std::uint64_t{0}))}});
  sh.set_widths();
}

// A private temporary folder, removed with what is in it.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cxrisk-report-XXXXXX").string();
    CXRISK_REQUIRE_AS(RuntimeError, ::mkdtemp(pattern.data()),
                      "cannot create a temporary folder for the workbook");
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::string report_xlsx(const Document& doc) {
  // libxlsxwriter writes to a file by name: one of a private folder, read back and removed.
  TemporaryFolder tmp;
  const std::filesystem::path file = tmp.path() / "report.xlsx";
  {
    Workbook wb(file, tmp.path(), doc.currency);
    switch (doc.kind) {
      case Document::Kind::run:
        wb.properties(doc.main.value("scenario", ""));
        run_sheets(wb, doc);
        break;
      case Document::Kind::comparison:
        wb.properties("Improvements against " + doc.main.value("base", ""));
        comparison_sheets(wb, doc);
        break;
      case Document::Kind::sensitivity:
        wb.properties("What drives the risk: " + doc.main.value("scenario", ""));
        sensitivity_sheets(wb, doc);
        break;
    }
    wb.close();
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  CXRISK_REQUIRE_AS(RuntimeError, in.good() || in.eof(), "cannot read back the workbook");
  return bytes.str();
}

}  // namespace cxrisk::report
