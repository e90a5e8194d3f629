// The HTML report: one file, its style inline and its charts inline SVG (report/charts.h), no script.
#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "cxrisk/statistics.h"
#include "cxrisk/text.h"
#include "report/charts.h"
#include "report/document.h"

namespace cxrisk::report {

namespace {

const char* const STYLE = R"css(
:root { --ink: #222; --muted: #666; --rule: #ddd; --accent: #2f5d8a; --warm: #c8553d; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK JP", "IPAGothic", "IPAPGothic",
       "Hiragino Sans", "Yu Gothic", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1040px;
       padding: 28px 32px 48px; line-height: 1.45; font-size: 15px; background: #fff; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 30px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.subtitle { color: var(--muted); margin: 0; }
.meta { color: var(--muted); font-size: 13px; margin-top: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--rule); border-left: 4px solid var(--accent); border-radius: 4px; padding: 10px 14px; }
.card .what { font-size: 13px; color: var(--muted); }
.card .figure { display: block; font-size: 24px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .detail { font-size: 12.5px; color: var(--muted); font-variant-numeric: tabular-nums; }
.card.warn { border-left-color: var(--warm); }
figure { margin: 10px 0 18px; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 4px; }
figcaption .note { font-weight: 400; color: var(--muted); }
svg.chart-svg { width: 100%; height: auto; display: block; }
svg text { font-family: inherit; font-size: 11px; fill: #333; }
svg text.axis-label, svg text.legend { fill: #555; font-size: 11.5px; }
svg text.marker { fill: var(--warm); font-size: 11.5px; font-weight: 600; }
svg text.value { font-size: 11px; fill: #444; }
svg text.sub { fill: #555; }
svg text.money { fill: #444; font-size: 11px; }
.pair svg text { font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 14px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.num small { color: var(--muted); white-space: nowrap; }
td.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
p.explain { color: #444; font-size: 13.5px; margin: 4px 0 10px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.ok { color: #3f8f5f; font-weight: 600; }
.no { color: var(--warm); font-weight: 600; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); padding-top: 8px; }
@media screen and (max-width: 760px) { .pair { grid-template-columns: 1fr; } body { padding: 14px; } }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  figure, table, .cards, tr { break-inside: avoid; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  .card { border-left-width: 3px; }
}
)css";

std::string esc(const std::string& s) {
  return xml_escape(s);
}

// The JSON's number, or NaN for null or a missing key.
double num(const Json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nan("");
  return j[key].get<double>();
}

// A statistic's Monte Carlo error: "+- JPY 27.1 m (95% interval)", or empty when none is known.
std::string interval_text(const Json& stats, const std::string& key,
                          const std::function<std::string(double)>& f) {
  if (!stats.contains("ci95") || !stats["ci95"].contains(key) || !stats["ci95"][key].is_array()) return "";
  const Json& ci = stats["ci95"][key];
  return fmt::format("\u00b1 {} (95% interval)", f((ci[1].get<double>() - ci[0].get<double>()) / 2));
}

// A headline figure: its value kept exactly in data-value (for a program to check), written for people.
std::string card(const std::string& what, const std::string& key, double value, const std::string& shown,
                 const std::string& detail, bool warn = false) {
  return fmt::format(
      "<div class=\"card{}\"><div class=\"what\">{}</div><span class=\"figure\" data-key=\"{}\" "
      "data-value=\"{}\" title=\"{}\">{}</span><div class=\"detail\">{}</div></div>\n",
      warn ? " warn" : "", esc(what), esc(key), exact(value), esc(plain(value)), esc(shown), esc(detail));
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric, const std::string& cls = "") {
  std::string out = fmt::format("<table{}><thead><tr>", cls.empty() ? "" : " class=\"" + cls + "\"");
  for (std::size_t i = 0; i < head.size(); ++i)
    out +=
        fmt::format("<th{}>{}</th>", i < numeric.size() && numeric[i] ? " class=\"num\"" : "", esc(head[i]));
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i)
      out += fmt::format("<td{}>{}</td>", i < numeric.size() && numeric[i] ? " class=\"num\"" : "", row[i]);
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string figure(const std::string& caption, const std::string& note, const std::string& svg) {
  return fmt::format("<figure><figcaption>{}{}</figcaption>{}</figure>\n", esc(caption),
                     note.empty() ? "" : " <span class=\"note\">" + esc(note) + "</span>", svg);
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      esc(title), STYLE, body);
}

std::string provenance_section(const Document& doc,
                               const std::vector<std::pair<std::string, std::string>>& run) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : run) rows.push_back({esc(k), esc(v)});
  const Json& p = doc.provenance;
  if (p.is_object()) {
    if (p.contains("cxrisk_version"))
      rows.push_back({"cxrisk version", esc(p["cxrisk_version"].get<std::string>())});
    if (p.contains("date")) rows.push_back({"run on", esc(p["date"].get<std::string>())});
    if (p.contains("command"))
      rows.push_back({"command", "<code>" + esc(p["command"].get<std::string>()) + "</code>"});
    if (p.contains("scenarios"))
      for (const Json& s : p["scenarios"])
        rows.push_back({"scenario file", esc(s.value("file", "")) + " <span class=\"meta\">content hash " +
                                             esc(s.value("hash", "")) + "</span>"});
    if (p.contains("threads"))
      rows.push_back({"threads, processes", fmt::format("{}, {} (the numbers do not depend on them)",
                                                        p.value("threads", 0), p.value("processes", 1))});
  } else {
    rows.push_back({"provenance", "not recorded (the folder has no provenance.json)"});
  }
  return "<h2>Provenance</h2>\n" + table({"", ""}, rows, {false, false});
}

// An index or a correlation to three decimals, without a "-0.000" for a tiny negative estimate.
std::string index_text(double x) {
  if (!std::isfinite(x)) return "-";
  const std::string t = fmt::format("{:.3f}", x);
  return t == "-0.000" ? "0.000" : t;
}

// ---- a run ------------------------------------------------------------------------------------------------

std::string precision_section(const Json& precision, const std::string& title) {
  if (!precision.is_object()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const Json& t : precision["targets"])
    rows.push_back(
        {esc(t.value("of", std::string())) + (t.contains("of") ? ": " : "") +
             esc(t["target"].get<std::string>()),
         esc(plain(num(t, "estimate"))), esc("+-" + plain(num(t, "half_width"))),
         esc("+-" + plain(num(t, "allowed"))),
         t.value("met", false) ? "<span class=\"ok\">met</span>" : "<span class=\"no\">not met</span>"});
  std::string rounds;
  for (const Json& r : precision["rounds"]) rounds += (rounds.empty() ? "" : ", ") + plain(r.get<double>());
  return fmt::format(
             "<h2>{}</h2>\n<p class=\"explain\">Trials were added in rounds ({}) until each figure was "
             "known to its tolerance (the half-width of its 95% interval), or {} trials were reached.</p>\n",
             esc(title), esc(rounds), esc(plain(num(precision, "max_trials")))) +
         table({"target", "estimate", "half-width", "allowed", ""}, rows, {false, true, true, true, false});
}

std::string run_html(const Document& doc) {
  const Json& s = doc.main;
  const std::string& cur = doc.currency;
  const Json& metrics = s["metrics"];
  const Json& tc = metrics["total_cost"];
  const auto m = [&](double x) { return money(x, cur); };
  std::string body;
  body += fmt::format(
      "<header><h1>{}</h1><p class=\"subtitle\">What poor customer experience costs: revenue at risk, as a "
      "distribution</p><div class=\"meta\">{} trials, seed {}, {}, {} mode{}{}</div></header>\n",
      esc(s["scenario"].get<std::string>()), esc(plain(num(s, "trials"))),
      esc(fmt::format("{}", s.value("seed", std::uint64_t{0}))), esc(sampling_text(s)),
      esc(s.value("mode", "aggregate")), cur.empty() ? "" : ", amounts in " + esc(cur),
      s.contains("correlations") ? ", correlated inputs" : "");

  // Headline.
  body += "<h2>Headline</h2>\n<div class=\"cards\">\n";
  body += card("Expected total cost", "metrics.total_cost.mean", num(tc, "mean"), m(num(tc, "mean")),
               interval_text(tc, "mean", m));
  body += card("P95: exceeded in one world in twenty", "metrics.total_cost.p95", num(tc, "p95"),
               m(num(tc, "p95")), interval_text(tc, "p95", m), true);
  body += card("CVaR95: the worst twentieth on average", "metrics.total_cost.cvar95", num(tc, "cvar95"),
               m(num(tc, "cvar95")), interval_text(tc, "cvar95", m), true);
  const Json& lost = metrics["customers_lost"];
  body += card("Customers lost (expected)", "metrics.customers_lost.mean", num(lost, "mean"),
               plain(num(lost, "mean")), "P95 " + plain(num(lost, "p95")));
  body += "</div>\n";
  body += fmt::format(
      "<p class=\"explain\">Read: in the average of {} simulated worlds, poor service costs {}; in one world "
      "in "
      "twenty it costs more than {}, and the worst twentieth of worlds average {}. Intervals are the Monte "
      "Carlo "
      "error of each figure (95%).</p>\n",
      esc(plain(num(s, "trials"))), esc(money_full(num(tc, "mean"), cur)),
      esc(money_full(num(tc, "p95"), cur)), esc(money_full(num(tc, "cvar95"), cur)));

  // Distribution.
  if (s.contains("distributions") && s["distributions"].contains("total_cost")) {
    const Json& d = s["distributions"]["total_cost"];
    const std::vector<double> edges = d["histogram"]["edges"].get<std::vector<double>>();
    const std::vector<long long> counts = d["histogram"]["counts"].get<std::vector<long long>>();
    const std::vector<Marker> markers{{"mean " + compact(num(tc, "mean")), num(tc, "mean")},
                                      {"P95 " + compact(num(tc, "p95")), num(tc, "p95")}};
    body += "<h2>How the total cost is distributed</h2>\n<div class=\"pair\">\n";
    body += figure("Histogram of total_cost", cur.empty() ? "" : "(" + cur + ")",
                   histogram_svg("Histogram of total_cost", edges, counts, markers, compact, 480));
    Series exceed{
        "P(total_cost > x)", d["quantiles"]["values"].get<std::vector<double>>(), {}, {}, {}, false};
    for (const Json& level : d["quantiles"]["levels"]) exceed.y.push_back(1 - level.get<double>());
    body += figure("Exceedance curve", "probability that the loss exceeds x",
                   line_chart_svg(
                       "Exceedance curve of total_cost", {exceed}, cur.empty() ? "x" : "x (" + cur + ")",
                       "P(total_cost > x)", compact, [](double p) { return fmt::format("{:.0f}%", 100 * p); },
                       markers, 480));
    body += "</div>\n";
  }

  // The chain.
  if (s.contains("breakdown") && s["breakdown"].contains("outcome")) {
    const Json& out = s["breakdown"]["outcome"];
    double customers = 0;
    if (s.contains("inputs"))
      for (const Json& in : s["inputs"])
        if (in.value("kind", "") == "customers" && in["path"].get<std::string>().ends_with(".customers"))
          customers += num(in, "mean");
    std::vector<FunnelStep> steps;
    if (customers > 0) steps.push_back({"Customers", customers, "", 0});
    steps.push_back({"With a problem", num(metrics["customers_with_problems"], "mean"),
                     "total cost " + m(num(tc, "mean")), 0});
    const auto outcome = [&](const std::string& key, const std::string& label) {
      if (!out.contains(key)) return;
      steps.push_back({label, num(out[key]["customers_with_problems"], "mean"),
                       m(num(out[key]["total_cost"], "mean")), 1});
    };
    outcome("silent", "did not complain");
    steps.push_back({"Complained", num(metrics["complaints"], "mean"),
                     "handling " + m(num(metrics["handling_cost"], "mean")), 0});
    outcome("quick", "resolved at once");
    outcome("resolved", "resolved");
    outcome("mollified", "mollified");
    outcome("unresolved", "unresolved");
    steps.push_back({"Lost", num(lost, "mean"), "revenue " + m(num(metrics["revenue_lost"], "mean")), 0});
    steps.push_back({"Prospects lost by word of mouth", num(metrics["wom_prospects_lost"], "mean"),
                     m(num(metrics["wom_revenue_lost"], "mean")), 0});
    body +=
        "<h2>The customer-loss chain</h2>\n<p class=\"explain\">Expected customers at each step of Goodman's "
        "chain, and what each costs (right): who has a problem, who complains, how the complaint ends, who "
        "is "
        "lost, and who is lost to word of mouth. A negative cost is a gain: a complaint handled well leaves "
        "customers more loyal than before.</p>\n";
    body +=
        figure("Customers at each step", "(expected)", funnel_svg("The customer-loss chain", steps, plain));
    std::vector<std::vector<std::string>> rows;
    for (const char* key : {"revenue_lost", "wom_revenue_lost", "handling_cost", "total_cost"}) {
      const Json& x = metrics[key];
      rows.push_back({esc(key), esc(money_full(num(x, "mean"), cur)), esc(money_full(num(x, "p5"), cur)),
                      esc(money_full(num(x, "p95"), cur))});
    }
    body += table({"what the cost is made of", "mean", "P5", "P95"}, rows, {false, true, true, true});
  }

  // Breakdowns.
  if (s.contains("breakdown")) {
    body +=
        "<h2>Where the cost comes from</h2>\n<p class=\"explain\">Expected total_cost of each part (bar) and "
        "its P95 (whisker); the shares add up to the total.</p>\n";
    const double total = num(tc, "mean");
    for (const auto& [dim, entries] : s["breakdown"].items()) {
      std::vector<std::pair<std::string, const Json*>> parts;
      for (const auto& [name, stats] : entries.items()) parts.emplace_back(name, &stats);
      if (parts.empty()) continue;
      std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
        return num((*a.second)["total_cost"], "mean") > num((*b.second)["total_cost"], "mean");
      });
      std::vector<Bar> bars;
      std::vector<std::vector<std::string>> rows;
      for (const auto& [name, stats] : parts) {
        const Json& t = (*stats)["total_cost"];
        bars.push_back({name, num(t, "mean"), num(t, "p95"), std::isfinite(num(t, "p95"))});
        rows.push_back({esc(name), esc(money_full(num(t, "mean"), cur)),
                        total != 0 ? esc(fmt::format("{:.1f}%", 100 * num(t, "mean") / total)) : "-",
                        esc(money_full(num(t, "p95"), cur)),
                        esc(plain(num((*stats)["customers_lost"], "mean")))});
      }
      body += fmt::format("<h3>By {}</h3>\n", esc(dim));
      body += figure("total_cost by " + dim, "",
                     bar_chart_svg("total_cost by " + dim, bars, compact, "bar: expected; whisker: P95"));
      body += table({dim, "mean", "share", "P95", "customers lost"}, rows, {false, true, true, true, true});
    }
  }

  body += precision_section(s.value("precision", Json()), "Precision");

  // Inputs.
  std::vector<std::vector<std::string>> fixed;
  if (s.contains("inputs")) {
    std::vector<std::vector<std::string>> uncertain;
    for (const Json& in : s["inputs"]) {
      const auto q = [&](const char* k) {
        return std::isfinite(num(in, k)) ? esc(plain(num(in, k))) : std::string();
      };
      if (in.value("uncertain", false))
        uncertain.push_back({"<span class=\"path\">" + esc(in["path"].get<std::string>()) + "</span>",
                             esc(in.value("kind", "")), esc(in.value("distribution", "")), q("p10"), q("p50"),
                             q("p90")});
      else
        fixed.push_back({esc(in["path"].get<std::string>()), esc(in.value("kind", "")),
                         esc(in.value("distribution", ""))});
    }
    body += "<h2>Inputs</h2>\n";
    if (!uncertain.empty())
      body +=
          "<h3>Uncertain inputs</h3>\n" + table({"input", "kind", "distribution", "P10", "P50", "P90"},
                                                uncertain, {false, false, false, true, true, true}, "inputs");
    if (s.contains("correlations")) {
      std::vector<std::vector<std::string>> rows;
      for (const Json& c : s["correlations"])
        rows.push_back({esc(c["between"][0].get<std::string>()), esc(c["between"][1].get<std::string>()),
                        esc(fmt::format("{:.3g}", num(c, "asked"))),
                        esc(fmt::format("{:.3g}", num(c, "used")))});
      body += "<h3>Correlated inputs (rank correlation)</h3>\n" +
              table({"input", "with", "asked", "used"}, rows, {false, false, true, true});
    }
  }
  body += provenance_section(doc, {{"scenario", s["scenario"].get<std::string>()},
                                   {"trials", plain(num(s, "trials"))},
                                   {"seed", fmt::format("{}", s.value("seed", std::uint64_t{0}))},
                                   {"design", sampling_text(s)},
                                   {"mode", s.value("mode", "aggregate")}});
  if (!fixed.empty())
    body += "<h2>Appendix: fixed inputs</h2>\n" +
            table({"input", "kind", "value"}, fixed, {false, false, false}, "inputs");
  body += "<footer>Made by cxrisk from summary.json; `cxrisk report DIR` remakes it.</footer>\n";
  return page(s["scenario"].get<std::string>() + " - cxrisk report", body);
}

// ---- a comparison -----------------------------------------------------------------------------------------

std::string comparison_html(const Document& doc) {
  const Json& c = doc.main;
  const std::string& cur = doc.currency;
  const auto m = [&](double x) { return money(x, cur); };
  const std::string unit = c.value("period", "period");
  std::vector<const Json*> alts;
  for (const Json& a : c["alternatives"]) alts.push_back(&a);
  std::stable_sort(alts.begin(), alts.end(), [](const Json* a, const Json* b) {
    return num((*a)["net_benefit"], "mean") > num((*b)["net_benefit"], "mean");
  });
  std::string body = fmt::format(
      "<header><h1>Improvements against {}</h1><p class=\"subtitle\">What each improvement returns, on "
      "common "
      "random numbers</p><div class=\"meta\">{} trials, seed {}, {}{}</div></header>\n",
      esc(c["base"].get<std::string>()), esc(plain(num(c, "trials"))),
      esc(fmt::format("{}", c.value("seed", std::uint64_t{0}))), esc(sampling_text(c)),
      cur.empty() ? "" : ", amounts in " + esc(cur));
  body += "<h2>Headline</h2>\n<div class=\"cards\">\n";
  if (c.contains("base_total_cost")) {
    const Json& b = c["base_total_cost"];
    body += card("The base's expected total cost", "base_total_cost.mean", num(b, "mean"), m(num(b, "mean")),
                 "P95 " + m(num(b, "p95")));
  }
  if (!alts.empty()) {
    const Json& best = *alts.front();
    body += card("Best: " + best["name"].get<std::string>(), "best.net_benefit.mean",
                 num(best["net_benefit"], "mean"), m(num(best["net_benefit"], "mean")),
                 "expected net benefit " + interval_text(best["net_benefit"], "mean", m));
    body += card("P(net benefit > 0) of the best", "best.p_net_benefit_positive",
                 num(best, "p_net_benefit_positive"), percent(num(best, "p_net_benefit_positive")),
                 "the share of worlds in which it pays");
  }
  body += "</div>\n";

  // Units of a payback period, singular for one.
  const auto periods = [&](double n) { return fmt::format("{} {}{}", plain(n), unit, n == 1 ? "" : "s"); };
  std::vector<std::vector<std::string>> rows;
  bool restructured = false;
  for (const Json* a : alts) {
    const Json& x = *a;
    const Json& pb = x["payback_period"];
    const Json& nb = x["net_benefit"];
    const bool other_structure = !x.value("same_structure", true);
    restructured = restructured || other_structure;
    rows.push_back({esc(x["name"].get<std::string>()) + (other_structure ? " *" : ""),
                    esc(m(num(x["savings"]["total_cost"], "mean"))), esc(m(num(x["investment_pv"], "mean"))),
                    "<strong>" + esc(m(num(nb, "mean"))) + "</strong>",
                    esc(m(num(nb, "p5"))) + "<br><small>to</small> " + esc(m(num(nb, "p95"))),
                    x["roi"].is_object() ? esc(fmt::format("{:.2f}", num(x["roi"], "mean"))) : "-",
                    pb.is_object() ? esc(periods(num(pb, "p50"))) : "never",
                    esc(percent(num(x, "p_net_benefit_positive"))),
                    esc(m(num(x["break_even_investment"], "at_80")))});
  }
  body +=
      "<h2>Ranking</h2>\n<p class=\"explain\">By expected net benefit: savings in total_cost less the "
      "present value "
      "of the investment, over the horizon. Break-even investment: the largest up-front investment that "
      "would "
      "still pay back with 80% probability. The workbook has every figure in full.</p>\n";
  body += table({"alternative", "savings", "investment (PV)", "net benefit", "net benefit P5 to P95", "ROI",
                 "payback (median)", "P(net benefit > 0)", "break-even at 80%"},
                rows, {false, true, true, true, true, true, true, true, true}, "ranking");
  if (restructured)
    body +=
        "<p class=\"explain\">* Other segments, stages, problems or tiers than the base: its draws are "
        "common "
        "with the base's only where the two match, so its savings carry more noise than an "
        "improvement's.</p>\n";

  std::vector<Series> curves;
  for (const Json* a : alts) {
    const Json& d = (*a)["distributions"]["net_benefit"]["quantiles"];
    Series s{(*a)["name"].get<std::string>(),
             d["values"].get<std::vector<double>>(),
             d["levels"].get<std::vector<double>>(),
             {},
             {},
             false};
    curves.push_back(std::move(s));
  }
  if (!curves.empty())
    body +=
        "<h2>Net benefit</h2>\n" +
        figure(
            "Cumulative distribution of each alternative's net benefit", "(left of the line at 0: a loss)",
            line_chart_svg("Net benefit, cumulative", curves,
                           cur.empty() ? "net benefit" : "net benefit (" + cur + ")", "P(net benefit <= x)",
                           compact, [](double p) { return fmt::format("{:.0f}%", 100 * p); }, {{"0", 0}}));

  body +=
      "<h2>Payback</h2>\n<p class=\"explain\">Cumulative savings by " + esc(unit) +
      " (median, with the band from P10 to P90 over the worlds) against the cumulative investment (dashed, "
      "discounted); payback is where the savings line crosses it.</p>\n<div class=\"pair\">\n";
  for (const Json* a : alts) {
    const Json& p = (*a)["payback_curve"];
    std::vector<double> t;
    for (const Json& v : p["period"]) t.push_back(v.get<double>());
    Series savings{"cumulative savings",
                   t,
                   p["savings_p50"].get<std::vector<double>>(),
                   p["savings_p10"].get<std::vector<double>>(),
                   p["savings_p90"].get<std::vector<double>>(),
                   false};
    Series invest{"cumulative investment", t, p["investment_mean"].get<std::vector<double>>(), {}, {}, true};
    body += figure(
        (*a)["name"].get<std::string>(),
        fmt::format("(paid back within the horizon in {} of worlds)",
                    percent(num(*a, "p_payback_within_horizon"))),
        line_chart_svg(
            "Payback of " + (*a)["name"].get<std::string>(), {savings, invest}, unit, cur.empty() ? "" : cur,
            [](double x) { return fmt::format("{:g}", x); }, compact, {}, 480));
  }
  body += "</div>\n";

  if (c.contains("voi") && c["voi"].is_object()) {
    const Json& v = c["voi"];
    body += "<h2>Value of information</h2>\n<div class=\"cards\">\n";
    body += card("EVPI: what perfect information is worth", "voi.evpi", num(v, "evpi"), m(num(v, "evpi")),
                 interval_text(Json{{"ci95", {{"evpi", v.value("evpi_ci", Json())}}}}, "evpi", m));
    body += "</div>\n";
    std::vector<std::pair<std::string, double>> inputs;
    for (const Json& e : v["evppi"]) inputs.emplace_back(e["path"].get<std::string>(), num(e, "value"));
    std::stable_sort(inputs.begin(), inputs.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (inputs.size() > 15) inputs.resize(15);
    std::vector<Bar> bars;
    for (const auto& [path, value] : inputs) bars.push_back({path, value, 0, false});
    body += figure(
        "EVPPI: what perfect information on each input is worth", "(the 15 largest)",
        bar_chart_svg("EVPPI by input", bars, compact, "bar: EVPPI, before choosing among the alternatives"));
  }
  body += precision_section(c.value("precision", Json()), "Precision");
  body += provenance_section(doc, {{"base", c["base"].get<std::string>()},
                                   {"trials", plain(num(c, "trials"))},
                                   {"seed", fmt::format("{}", c.value("seed", std::uint64_t{0}))},
                                   {"design", sampling_text(c)}});
  body += "<footer>Made by cxrisk from comparison.json; `cxrisk report DIR` remakes it.</footer>\n";
  return page("Improvements against " + c["base"].get<std::string>() + " - cxrisk report", body);
}

// ---- a sensitivity analysis -------------------------------------------------------------------------------

std::string sensitivity_html(const Document& doc) {
  const Json& s = doc.main;
  const std::string& cur = doc.currency;
  std::string body = fmt::format(
      "<header><h1>What drives the risk: {}</h1><p class=\"subtitle\">Tornado, rank correlations and Sobol "
      "indices of each uncertain input</p><div class=\"meta\">{} trials, {} design rows, seed "
      "{}</div></header>\n",
      esc(s["scenario"].get<std::string>()), esc(plain(num(s, "trials"))), esc(plain(num(s, "design_rows"))),
      esc(fmt::format("{}", s.value("seed", std::uint64_t{0}))));
  for (const auto& [metric, x] : s["metrics"].items()) {
    const bool money_metric =
        metric.find("cost") != std::string::npos || metric.find("revenue") != std::string::npos;
    const NumberFormat f = [money_metric, &cur](double v) { return money_metric ? money(v, cur) : plain(v); };
    body += fmt::format(
        "<h2>{}</h2>\n<p class=\"explain\">{:.1f}% of its variance is the chain's own counting "
        "noise, which no input explains.</p>\n",
        esc(metric), 100 * num(x, "unexplained_share"));
    std::vector<const Json*> inputs;
    for (const Json& in : x["inputs"]) inputs.push_back(&in);
    std::vector<const Json*> by_swing = inputs;
    std::stable_sort(by_swing.begin(), by_swing.end(), [](const Json* a, const Json* b) {
      return std::abs(num((*a)["tornado"], "swing")) > std::abs(num((*b)["tornado"], "swing"));
    });
    if (by_swing.size() > 15) by_swing.resize(15);
    std::vector<TornadoRow> rows;
    for (const Json* in : by_swing)
      rows.push_back({(*in)["path"].get<std::string>(), num((*in)["tornado"], "at_p10"),
                      num((*in)["tornado"], "at_p90")});
    body += figure("Tornado of " + metric, "(the 15 widest swings)",
                   tornado_svg("Tornado of " + metric, rows, num(x, "tornado_base"), compact));
    std::vector<IndexRow> idx;
    for (std::size_t i = 0; i < inputs.size() && idx.size() < 15; ++i) {
      const Json& in = *inputs[i];
      if (!in["sobol_total"].is_number()) continue;
      const auto lo = [&](const char* k) { return in[k].is_array() ? in[k][0].get<double>() : std::nan(""); };
      const auto hi = [&](const char* k) { return in[k].is_array() ? in[k][1].get<double>() : std::nan(""); };
      idx.push_back({in["path"].get<std::string>(), num(in, "sobol_first"), lo("sobol_first_ci"),
                     hi("sobol_first_ci"), num(in, "sobol_total"), lo("sobol_total_ci"),
                     hi("sobol_total_ci")});
    }
    if (!idx.empty())
      body += figure("Sobol indices of " + metric, "(the 15 largest total indices, with 95% intervals)",
                     indices_svg("Sobol indices of " + metric, idx));
    std::vector<std::vector<std::string>> table_rows;
    for (const Json* p : inputs) {
      const Json& in = *p;
      const auto ci = [&](const char* k) {
        return in[k].is_array()
                   ? fmt::format("<br><small>{} to {}</small>", index_text(in[k][0].get<double>()),
                                 index_text(in[k][1].get<double>()))
                   : std::string();
      };
      const auto index = [&](const char* k, const char* c) {
        return in[k].is_number() ? index_text(in[k].get<double>()) + ci(c)
                                 : esc("in group " + in.value("correlated_group", std::string()));
      };
      table_rows.push_back({"<span class=\"path\">" + esc(in["path"].get<std::string>()) + "</span>",
                            esc(in.value("distribution", "")), esc(f(num(in["tornado"], "swing"))),
                            index_text(num(in, "spearman")), index("sobol_first", "sobol_first_ci"),
                            index("sobol_total", "sobol_total_ci")});
    }
    body += table({"input", "distribution", "tornado swing", "Spearman", "first-order", "total"}, table_rows,
                  {false, false, true, true, true, true}, "inputs");
    if (x.contains("groups"))
      for (const auto& [dim, groups] : x["groups"].items()) {
        std::vector<std::vector<std::string>> g;
        for (const auto& [name, v] : groups.items())
          g.push_back({esc(name), index_text(num(v, "sobol_first")), index_text(num(v, "sobol_total"))});
        if (!g.empty())
          body += fmt::format("<h3>Indices by {}</h3>\n", esc(dim)) +
                  table({dim, "first-order", "total"}, g, {false, true, true});
      }
  }
  body += provenance_section(doc, {{"scenario", s["scenario"].get<std::string>()},
                                   {"trials", plain(num(s, "trials"))},
                                   {"seed", fmt::format("{}", s.value("seed", std::uint64_t{0}))}});
  body += "<footer>Made by cxrisk from sensitivity.json; `cxrisk report DIR` remakes it.</footer>\n";
  return page("What drives the risk: " + s["scenario"].get<std::string>() + " - cxrisk report", body);
}

}  // namespace

std::string report_html(const Document& doc) {
  switch (doc.kind) {
    case Document::Kind::run:
      return run_html(doc);
    case Document::Kind::comparison:
      return comparison_html(doc);
    case Document::Kind::sensitivity:
      return sensitivity_html(doc);
  }
  return {};
}

}  // namespace cxrisk::report
