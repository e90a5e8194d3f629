// The outputs of the studies (comparisons, sweeps and batches) as JSON, CSV and readable tables.
#include <fmt/format.h>
#include <algorithm>

#include "cxrisk/output.h"
#include "cxrisk/text.h"
#include "io/json.h"

namespace cxrisk {

namespace {

// The metrics a sweep's and a batch's tables report beyond their means.
constexpr int MAIN_METRICS[3] = {total_cost, revenue_lost, customers_lost};

Json optional_stats_json(const std::optional<Stats>& s) {
  return s ? stats_to_json(*s) : Json(nullptr);
}

}  // namespace

std::string comparison_json(const Comparison& c, int indent) {
  Json j;
  j["cxrisk"] = 1;
  j["base"] = c.base;
  if (!c.currency.empty()) j["currency"] = c.currency;
  j["trials"] = c.trials;
  j["seed"] = c.seed;
  Json alts = Json::array();
  for (const AlternativeResult& a : c.alternatives) {
    Json x;
    x["name"] = a.name;
    x["savings"]["total_cost"] = stats_to_json(a.savings_total_cost);
    x["savings"]["revenue_lost"] = stats_to_json(a.savings_revenue_lost);
    x["savings"]["customers_lost"] = stats_to_json(a.savings_customers_lost);
    x["investment_pv"] = stats_to_json(a.investment_pv);
    x["net_benefit"] = stats_to_json(a.net_benefit);
    x["roi"] = optional_stats_json(a.roi);
    x["payback_period"] = optional_stats_json(a.payback_period);
    x["p_payback_within_horizon"] = a.p_payback_within_horizon;
    x["p_net_benefit_positive"] = a.p_net_benefit_positive;
    alts.push_back(std::move(x));
  }
  j["alternatives"] = std::move(alts);
  return json_text(j, indent) + "\n";
}

std::string comparison_csv(const Comparison& c) {
  std::string out =
      "alternative,savings_mean,savings_se,savings_p5,savings_p50,savings_p95,revenue_lost_savings_mean,"
      "customers_lost_savings_mean,investment_pv_mean,net_benefit_mean,net_benefit_p5,net_benefit_p50,"
      "net_benefit_p95,roi_mean,roi_p50,payback_period_p50,p_payback_within_horizon,p_net_benefit_positive\n";
  auto opt = [](const std::optional<Stats>& s, bool median) {
    return s ? fmt::format("{}", median ? s->p50() : s->mean) : std::string();
  };
  for (const AlternativeResult& a : c.alternatives) {
    const std::string name = csv_field(a.name);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", name,
                       a.savings_total_cost.mean, a.savings_total_cost.se, a.savings_total_cost.p5(),
                       a.savings_total_cost.p50(), a.savings_total_cost.p95(), a.savings_revenue_lost.mean,
                       a.savings_customers_lost.mean, a.investment_pv.mean, a.net_benefit.mean,
                       a.net_benefit.p5(), a.net_benefit.p50(), a.net_benefit.p95(), opt(a.roi, false),
                       opt(a.roi, true), opt(a.payback_period, true), a.p_payback_within_horizon,
                       a.p_net_benefit_positive);
  }
  return out;
}

std::string comparison_table(const Comparison& c) {
  std::vector<const AlternativeResult*> ranked;
  for (const auto& a : c.alternatives) ranked.push_back(&a);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* x, const auto* y) { return x->net_benefit.mean > y->net_benefit.mean; });
  std::string out = fmt::format("Against '{}'  ({} trials, seed {}, common random numbers){}\n\n", c.base,
                                c.trials, c.seed, c.currency.empty() ? "" : "  currency: " + c.currency);
  std::size_t width = 12;
  for (const auto& a : c.alternatives) width = std::max(width, a.name.size() + 2);
  out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>10}{:>8}{:>9}\n", "rank", "alternative",
                     width, "saving (mean)", "investment (PV)", "net benefit", "net p5", "net p95",
                     "P(net>0)", "ROI", "payback");
  int rank = 1;
  for (const AlternativeResult* a : ranked) {
    const std::string roi = a->roi ? fmt::format("{:.0f}%", 100 * a->roi->p50()) : "-";
    const std::string payback = a->payback_period ? fmt::format("{:.0f}", a->payback_period->p50()) : "never";
    out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>9.0f}%{:>8}{:>9}\n", rank++, a->name,
                       width, human_number(a->savings_total_cost.mean), human_number(a->investment_pv.mean),
                       human_number(a->net_benefit.mean), human_number(a->net_benefit.p5()),
                       human_number(a->net_benefit.p95()), 100 * a->p_net_benefit_positive, roi, payback);
  }
  out +=
      "\nsaving: fall in total_cost (lost revenue, word of mouth, handling) against the base; ROI: median "
      "of\n"
      "net benefit / investment; payback: median period in which cumulative savings cover the investment,\n"
      "over the trials that pay back within the horizon.\n";
  return out;
}

std::string batch_csv(const BatchResult& result) {
  std::string out = "file,name,status,hash,trials,seed,error_line,error";
  for (int m : MAIN_METRICS)
    for (const char* s : {"mean", "se", "p5", "p50", "p95", "cvar95"})
      out += fmt::format(",{}_{}", METRIC_NAMES[m], s);
  out += "\n";
  for (const BatchEntry& e : result.entries) {
    out += fmt::format("{},{},{},{},{},{},{},{}", csv_field(e.file), csv_field(e.name), e.ok ? "ok" : "error",
                       e.hash, e.ok ? std::to_string(e.trials) : "", e.ok ? std::to_string(e.seed) : "",
                       e.error_line > 0 ? std::to_string(e.error_line) : "", csv_field(e.error));
    for (const Stats* s : {&e.total_cost, &e.revenue_lost, &e.customers_lost}) {
      if (e.ok)
        out += fmt::format(",{},{},{},{},{},{}", s->mean, s->se, s->p5(), s->p50(), s->p95(), s->cvar95);
      else
        out += ",,,,,,";
    }
    out += "\n";
  }
  return out;
}

std::string batch_json(const BatchResult& result) {
  Json j;
  j["cxrisk"] = 1;
  j["failed"] = result.failed();
  Json list = Json::array();
  for (const BatchEntry& e : result.entries) {
    Json x;
    x["file"] = e.file;
    x["name"] = e.name;
    x["status"] = e.ok ? "ok" : "error";
    x["hash"] = e.hash;
    x["trials"] = e.trials;
    x["seed"] = e.seed;
    if (!e.ok) {
      x["error"] = e.error;
      x["error_line"] = e.error_line > 0 ? Json(e.error_line) : Json(nullptr);
    } else {
      x["directory"] = e.directory;
      x["metrics"]["total_cost"] = stats_to_json(e.total_cost);
      x["metrics"]["revenue_lost"] = stats_to_json(e.revenue_lost);
      x["metrics"]["customers_lost"] = stats_to_json(e.customers_lost);
    }
    list.push_back(std::move(x));
  }
  j["scenarios"] = std::move(list);
  return json_text(j, 2) + "\n";
}

std::string batch_table(const BatchResult& result, const std::string& out) {
  std::string text = fmt::format("{:<48}{:>8}{:>20}{:>20}{:>16}\n", "scenario", "status", "total_cost mean",
                                 "total_cost p95", "customers_lost");
  for (const BatchEntry& e : result.entries) {
    const std::string label = e.name.empty() ? e.file : e.name;
    if (e.ok)
      text += fmt::format("{:<48}{:>8}{:>20}{:>20}{:>16}\n", label, e.reused ? "kept" : "ok",
                          human_number(e.total_cost.mean), human_number(e.total_cost.p95()),
                          human_number(e.customers_lost.mean));
    else
      text += fmt::format("{:<48}{:>8}  {}\n", label, "error", e.error);
  }
  text += fmt::format("\n{} scenarios, {} failed{}\n", result.entries.size(), result.failed(),
                      out.empty() ? "" : "; results in " + out);
  return text;
}

std::string sweep_csv(const Sweep& s) {
  std::string out;
  for (const auto& path : s.paths) out += csv_field(path) + ",";
  out += "trials,seed";
  for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}_mean", METRIC_NAMES[m]);
  for (int m : MAIN_METRICS)
    for (const char* st : {"se", "p5", "p50", "p95", "cvar95"})
      out += fmt::format(",{}_{}", METRIC_NAMES[m], st);
  out += "\n";
  for (const SweepPoint& p : s.points) {
    for (double v : p.values) out += fmt::format("{},", v);
    out += fmt::format("{},{}", s.trials, s.seed);
    for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}", p.totals[m].mean);
    for (int m : MAIN_METRICS) {
      const Stats& st = p.totals[m];
      out += fmt::format(",{},{},{},{},{}", st.se, st.p5(), st.p50(), st.p95(), st.cvar95);
    }
    out += "\n";
  }
  return out;
}

std::string sweep_json(const Sweep& s) {
  Json j;
  j["cxrisk"] = 1;
  j["scenario"] = s.scenario;
  j["trials"] = s.trials;
  j["seed"] = s.seed;
  j["vary"] = s.paths;
  Json points = Json::array();
  for (const SweepPoint& p : s.points) {
    Json x;
    x["values"] = p.values;
    for (int m = 0; m < N_METRICS; ++m)
      x["metrics"][std::string(METRIC_NAMES[m])] = stats_to_json(p.totals[m]);
    points.push_back(std::move(x));
  }
  j["points"] = std::move(points);
  return json_text(j, 2) + "\n";
}

std::string sweep_table(const Sweep& s) {
  std::string out = fmt::format("{}  ({} trials, seed {}, common random numbers across the grid)\n\n",
                                s.scenario, s.trials, s.seed);
  std::vector<std::size_t> widths;
  for (const auto& path : s.paths) {
    widths.push_back(std::max<std::size_t>(12, path.size() + 2));
    out += fmt::format("{:>{}}", path, widths.back());
  }
  out +=
      fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", "total_cost mean", "se", "p5", "p95", "customers_lost");
  for (const SweepPoint& p : s.points) {
    for (std::size_t k = 0; k < p.values.size(); ++k)
      out += fmt::format("{:>{}}", fmt::format("{}", p.values[k]), widths[k]);
    const Stats& t = p.totals[total_cost];
    out +=
        fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", human_number(t.mean), human_number(t.se),
                    human_number(t.p5()), human_number(t.p95()), human_number(p.totals[customers_lost].mean));
  }
  return out;
}

}  // namespace cxrisk
