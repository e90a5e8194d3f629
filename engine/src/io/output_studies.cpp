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

namespace {

Json interval_json(const std::array<double, 2>& ci) {
  return Json::array({ci[0], ci[1]});
}

Json voi_to_json(const ValueOfInformation& v) {
  Json j;
  j["trials"] = v.trials;
  Json options = Json::array();
  for (std::size_t o = 0; o < v.options.size(); ++o)
    options.push_back({{"name", v.options[o]}, {"expected_net_benefit", v.expected_net_benefit[o]}});
  j["options"] = std::move(options);
  j["chosen"] = v.options[static_cast<std::size_t>(v.chosen)];
  j["evpi"] = v.evpi;
  j["evpi_ci"] = interval_json(v.evpi_ci);
  Json inputs = Json::array();
  for (const PartialValue& p : v.inputs)
    inputs.push_back({{"path", p.path}, {"value", p.value}, {"ci", interval_json(p.ci)}, {"terms", p.terms}});
  j["evppi"] = std::move(inputs);
  Json groups = Json::object();
  for (const char* d : {"problem", "segment", "kind"}) groups[d] = Json::object();
  for (const PartialValue& g : v.groups)
    groups[g.dimension][g.name] = {{"value", g.value}, {"ci", interval_json(g.ci)}, {"terms", g.terms}};
  j["groups"] = std::move(groups);
  return j;
}

}  // namespace

std::string comparison_json(const Comparison& c, int indent) {
  Json j;
  j["cxrisk"] = 1;
  j["base"] = c.base;
  if (!c.currency.empty()) j["currency"] = c.currency;
  j["trials"] = c.trials;
  j["seed"] = c.seed;
  j["sampling"] = sampling_json(c.sampling);
  j["period"] = std::string(to_string(c.period));  // the unit of payback_period
  if (c.precision) j["precision"] = precision_json(*c.precision);
  j["base_total_cost"] = stats_to_json(c.base_total_cost);  // what the savings are out of
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
    x["break_even_investment"] = {{"at_50", a.break_even_investment[0]},
                                  {"at_80", a.break_even_investment[1]},
                                  {"at_90", a.break_even_investment[2]}};
    x["same_structure"] = a.same_structure;
    x["distributions"]["net_benefit"] = distribution_json(a.net_benefit_distribution);
    const PaybackCurve& curve = a.payback_curve;
    std::vector<int> periods(curve.savings_mean.size());
    for (std::size_t t = 0; t < periods.size(); ++t) periods[t] = static_cast<int>(t) + 1;
    x["payback_curve"] = {{"period", periods},
                          {"savings_mean", curve.savings_mean},
                          {"savings_p10", curve.savings_p10},
                          {"savings_p50", curve.savings_p50},
                          {"savings_p90", curve.savings_p90},
                          {"investment_mean", curve.investment_mean},
                          {"p_paid_back", curve.p_paid_back}};
    alts.push_back(std::move(x));
  }
  j["alternatives"] = std::move(alts);
  if (c.voi) j["voi"] = voi_to_json(*c.voi);
  return json_text(j, indent) + "\n";
}

std::string comparison_csv(const Comparison& c) {
  std::string out =
      "alternative,savings_mean,savings_se,savings_p5,savings_p50,savings_p95,revenue_lost_savings_mean,"
      "customers_lost_savings_mean,investment_pv_mean,net_benefit_mean,net_benefit_p5,net_benefit_p50,"
      "net_benefit_p95,roi_mean,roi_p50,payback_period_p50,p_payback_within_horizon,p_net_benefit_positive,"
      "break_even_investment_at_50,break_even_investment_at_80,break_even_investment_at_90\n";
  auto opt = [](const std::optional<Stats>& s, bool median) {
    return s ? fmt::format("{}", median ? s->p50() : s->mean) : std::string();
  };
  for (const AlternativeResult& a : c.alternatives) {
    const std::string name = csv_field(a.name);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", name,
                       a.savings_total_cost.mean, a.savings_total_cost.se, a.savings_total_cost.p5(),
                       a.savings_total_cost.p50(), a.savings_total_cost.p95(), a.savings_revenue_lost.mean,
                       a.savings_customers_lost.mean, a.investment_pv.mean, a.net_benefit.mean,
                       a.net_benefit.p5(), a.net_benefit.p50(), a.net_benefit.p95(), opt(a.roi, false),
                       opt(a.roi, true), opt(a.payback_period, true), a.p_payback_within_horizon,
                       a.p_net_benefit_positive, a.break_even_investment[0], a.break_even_investment[1],
                       a.break_even_investment[2]);
  }
  return out;
}

std::string voi_csv(const ValueOfInformation& v) {
  std::string out = "of,dimension,name,value,ci_low,ci_high,terms\n";
  out += fmt::format("everything,,,{},{},{},\n", v.evpi, v.evpi_ci[0], v.evpi_ci[1]);
  for (const PartialValue& p : v.inputs)
    out += fmt::format("input,,{},{},{},{},{}\n", csv_field(p.path), p.value, p.ci[0], p.ci[1], p.terms);
  for (const PartialValue& g : v.groups)
    out += fmt::format("group,{},{},{},{},{},{}\n", g.dimension, csv_field(g.name), g.value, g.ci[0], g.ci[1],
                       g.terms);
  return out;
}

std::string voi_table(const ValueOfInformation& v, const std::string& currency, std::size_t rows) {
  const auto amount = [](double x, const std::array<double, 2>& ci) {
    return fmt::format("{} [{}, {}]", human_number(x), human_number(ci[0]), human_number(ci[1]));
  };
  std::string out = fmt::format("\nValue of information{} (on the inputs of {} trials)\n",
                                currency.empty() ? "" : ", " + currency, v.trials);
  const std::size_t chosen = static_cast<std::size_t>(v.chosen);
  out += fmt::format("With what is known now the best choice is {}",
                     chosen == 0 ? "to keep the base" : "'" + v.options[chosen] + "'");
  if (chosen > 0)
    out += fmt::format(":\nits net benefit in expectation at each trial's inputs averages {}",
                       human_number(v.expected_net_benefit[chosen]));
  out += ".\n";
  out += fmt::format("Perfect information about every input is worth up to {} (EVPI).\n",
                     amount(v.evpi, v.evpi_ci));
  const std::size_t shown = std::min(rows, v.inputs.size());
  std::size_t width = 30, amount_width = 24;
  for (std::size_t i = 0; i < shown; ++i) {
    width = std::max(width, v.inputs[i].path.size() + 2);
    amount_width = std::max(amount_width, amount(v.inputs[i].value, v.inputs[i].ci).size() + 2);
  }
  out += fmt::format("{:<{}}{:>{}}\n", "input", width, "EVPPI [95% interval]", amount_width);
  for (std::size_t i = 0; i < shown; ++i)
    out += fmt::format("{:<{}}{:>{}}\n", v.inputs[i].path, width, amount(v.inputs[i].value, v.inputs[i].ci),
                       amount_width);
  if (v.inputs.size() > rows)
    out += fmt::format("... and {} more inputs (--json or --out for all)\n", v.inputs.size() - rows);
  std::string dimension;
  for (const PartialValue& g : v.groups) {
    if (g.dimension != dimension) {
      dimension = g.dimension;
      out += fmt::format("  by {}:", dimension);
    }
    out += fmt::format("  {} {}", g.name, human_number(g.value));
    if (&g == &v.groups.back() || (&g + 1)->dimension != dimension) out += "\n";
  }
  out +=
      "\nEVPPI: the most it is worth paying to learn an input (or group) exactly before choosing; 0 when no "
      "value\n"
      "it could take would change the choice. Values below the interval's width are indistinguishable from "
      "0.\n";
  return out;
}

std::string comparison_table(const Comparison& c) {
  std::vector<const AlternativeResult*> ranked;
  for (const auto& a : c.alternatives) ranked.push_back(&a);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* x, const auto* y) { return x->net_benefit.mean > y->net_benefit.mean; });
  std::string out = fmt::format("Against '{}'  ({} trials, seed {}, {} sampling, common random numbers){}\n",
                                c.base, c.trials, c.seed, to_string(c.sampling),
                                c.currency.empty() ? "" : "  currency: " + c.currency);
  if (c.precision) out += "precision " + c.precision->describe() + "\n";
  out += fmt::format("base total_cost: mean {}, p95 {}\n\n", human_number(c.base_total_cost.mean),
                     human_number(c.base_total_cost.p95()));
  std::size_t width = 12;
  for (const auto& a : c.alternatives) width = std::max(width, a.name.size() + 4);
  const std::string payback_unit = fmt::format("payback ({})", to_string(c.period));
  out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>10}{:>8}{:>18}{:>18}\n", "rank",
                     "alternative", width, "saving (mean)", "investment (PV)", "net benefit", "net p5",
                     "net p95", "P(net>0)", "ROI", payback_unit, "break-even (80%)");
  int rank = 1;
  bool restructured = false;
  for (const AlternativeResult* a : ranked) {
    restructured = restructured || !a->same_structure;
    const std::string roi = a->roi ? fmt::format("{:.0f}%", 100 * a->roi->p50()) : "-";
    const std::string payback = a->payback_period ? fmt::format("{:.0f}", a->payback_period->p50()) : "never";
    out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>9.0f}%{:>8}{:>18}{:>18}\n", rank++,
                       a->same_structure ? a->name : a->name + " *", width,
                       human_number(a->savings_total_cost.mean), human_number(a->investment_pv.mean),
                       human_number(a->net_benefit.mean), human_number(a->net_benefit.p5()),
                       human_number(a->net_benefit.p95()), 100 * a->p_net_benefit_positive, roi, payback,
                       human_number(a->break_even_investment[1]));
  }
  out +=
      "\nsaving: fall in total_cost (lost revenue, word of mouth, handling) against the base; ROI: median "
      "of\n"
      "net benefit / investment; payback: median period in which cumulative savings cover the investment,\n"
      "over the trials that pay back within the horizon; break-even (80%): the largest up-front investment\n"
      "that would still pay back within the horizon with 80% probability (JSON and CSV: also 50% and 90%).\n";
  if (restructured)
    out +=
        "* has other segments, stages, problems or tiers than the base: its draws are common with the "
        "base's\n  only where the two match, so its savings carry more noise than an improvement's.\n";
  if (c.voi) out += voi_table(*c.voi, c.currency);
  return out;
}

std::string batch_csv(const BatchResult& result) {
  std::string out = "file,name,directory,status,hash,trials,seed,error_line,error";
  for (int m : MAIN_METRICS)
    for (const char* s : {"mean", "se", "p5", "p50", "p95", "cvar95"})
      out += fmt::format(",{}_{}", METRIC_NAMES[m], s);
  out += "\n";
  for (const BatchEntry& e : result.entries) {
    out += fmt::format("{},{},{},{},{},{},{},{},{}", csv_field(e.file), csv_field(e.name),
                       csv_field(e.directory), e.status(), e.hash, e.ok ? std::to_string(e.trials_run) : "",
                       e.ok ? std::to_string(e.seed) : "",
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
    x["status"] = std::string(e.status());
    x["hash"] = e.hash;
    x["trials"] = e.trials_run;
    x["seed"] = e.seed;
    if (!e.ok && !e.not_run) {
      x["error"] = e.error;
      x["error_line"] = e.error_line > 0 ? Json(e.error_line) : Json(nullptr);
    } else if (e.ok) {
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
      text +=
          fmt::format("{:<48}{:>8}{:>20}{:>20}{:>16}\n", label, e.status(), human_number(e.total_cost.mean),
                      human_number(e.total_cost.p95()), human_number(e.customers_lost.mean));
    else
      text += fmt::format("{:<48}{:>8}  {}\n", label, e.status(), e.error);
  }
  text += fmt::format("\n{} scenarios, {} failed{}\n", result.entries.size(), result.failed(),
                      out.empty() ? "" : "; results in " + out);
  return text;
}

std::string sweep_csv(const Sweep& s) {
  const bool comparing = !s.alternative.empty();
  std::string out;
  for (const auto& path : s.paths) out += csv_field(path) + ",";
  out += "status,trials,seed";
  if (comparing) {
    out +=
        ",savings_mean,savings_se,savings_p5,savings_p50,savings_p95,investment_pv_mean,net_benefit_mean,"
        "net_benefit_se,net_benefit_p5,net_benefit_p50,net_benefit_p95,p_net_benefit_positive,"
        "p_payback_within_horizon,break_even_investment_at_50,break_even_investment_at_80,"
        "break_even_investment_at_90";
  } else {
    for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}_mean", METRIC_NAMES[m]);
    for (int m : MAIN_METRICS)
      for (const char* st : {"se", "p5", "p50", "p95", "cvar95"})
        out += fmt::format(",{}_{}", METRIC_NAMES[m], st);
  }
  out += "\n";
  for (const SweepPoint& p : s.points) {
    for (double v : p.values) out += fmt::format("{},", v);
    out += fmt::format("{},{},{}", p.kept ? "kept" : "ok", s.trials, s.seed);
    if (comparing) {
      const SweepComparison& c = *p.comparison;
      out += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", c.savings.mean, c.savings.se,
                         c.savings.p5(), c.savings.p50(), c.savings.p95(), c.investment_pv.mean,
                         c.net_benefit.mean, c.net_benefit.se, c.net_benefit.p5(), c.net_benefit.p50(),
                         c.net_benefit.p95(), c.p_net_benefit_positive, c.p_payback_within_horizon,
                         c.break_even_investment[0], c.break_even_investment[1], c.break_even_investment[2]);
    } else {
      for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}", p.totals[m].mean);
      for (int m : MAIN_METRICS) {
        const Stats& st = p.totals[m];
        out += fmt::format(",{},{},{},{},{}", st.se, st.p5(), st.p50(), st.p95(), st.cvar95);
      }
    }
    out += "\n";
  }
  return out;
}

std::string sweep_json(const Sweep& s) {
  Json j;
  j["cxrisk"] = 1;
  j["scenario"] = s.scenario;
  if (!s.alternative.empty()) j["alternative"] = s.alternative;
  j["trials"] = s.trials;
  j["seed"] = s.seed;
  j["vary"] = s.paths;
  Json points = Json::array();
  for (const SweepPoint& p : s.points) {
    Json x;
    x["values"] = p.values;
    x["status"] = p.kept ? "kept" : "ok";
    if (p.comparison) {
      const SweepComparison& c = *p.comparison;
      x["comparison"] = {{"savings", stats_to_json(c.savings)},
                         {"investment_pv", stats_to_json(c.investment_pv)},
                         {"net_benefit", stats_to_json(c.net_benefit)},
                         {"p_net_benefit_positive", c.p_net_benefit_positive},
                         {"p_payback_within_horizon", c.p_payback_within_horizon},
                         {"break_even_investment",
                          {{"at_50", c.break_even_investment[0]},
                           {"at_80", c.break_even_investment[1]},
                           {"at_90", c.break_even_investment[2]}}}};
    } else {
      for (int m = 0; m < N_METRICS; ++m)
        x["metrics"][std::string(METRIC_NAMES[m])] = stats_to_json(p.totals[m]);
    }
    points.push_back(std::move(x));
  }
  j["points"] = std::move(points);
  return json_text(j, 2) + "\n";
}

std::string sweep_table(const Sweep& s) {
  const bool comparing = !s.alternative.empty();
  std::string out =
      comparing
          ? fmt::format("'{}' against '{}'  ({} trials, seed {}, common random numbers across the grid)\n\n",
                        s.alternative, s.scenario, s.trials, s.seed)
          : fmt::format("{}  ({} trials, seed {}, common random numbers across the grid)\n\n", s.scenario,
                        s.trials, s.seed);
  std::vector<std::size_t> widths;
  for (const auto& path : s.paths) {
    widths.push_back(std::max<std::size_t>(12, path.size() + 2));
    out += fmt::format("{:>{}}", path, widths.back());
  }
  if (comparing)
    out += fmt::format("{:>18}{:>16}{:>18}{:>18}{:>10}\n", "net benefit mean", "se", "p5", "p95", "P(>0)");
  else
    out += fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", "total_cost mean", "se", "p5", "p95",
                       "customers_lost");
  for (const SweepPoint& p : s.points) {
    for (std::size_t k = 0; k < p.values.size(); ++k)
      out += fmt::format("{:>{}}", fmt::format("{}", p.values[k]), widths[k]);
    if (comparing) {
      const Stats& nb = p.comparison->net_benefit;
      out += fmt::format("{:>18}{:>16}{:>18}{:>18}{:>10}\n", human_number(nb.mean), human_number(nb.se),
                         human_number(nb.p5()), human_number(nb.p95()),
                         fmt::format("{:.0f}%", 100 * p.comparison->p_net_benefit_positive));
    } else {
      const Stats& t = p.totals[total_cost];
      out += fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", human_number(t.mean), human_number(t.se),
                         human_number(t.p5()), human_number(t.p95()),
                         human_number(p.totals[customers_lost].mean));
    }
  }
  return out;
}

namespace {

Json sobol_json(const SobolIndex& s, Json j) {
  if (!s.applicable) {
    // An input correlated with others: see its group's indices.
    for (const char* key : {"sobol_first", "sobol_first_ci", "sobol_total", "sobol_total_ci"})
      j[key] = nullptr;
    return j;
  }
  j["sobol_first"] = s.first;
  j["sobol_first_ci"] = s.first_ci;
  j["sobol_total"] = s.total;
  j["sobol_total_ci"] = s.total_ci;
  return j;
}

}  // namespace

std::string sensitivity_json(const Sensitivity& s) {
  Json j;
  j["cxrisk"] = 1;
  j["scenario"] = s.scenario;
  j["trials"] = s.trials;
  j["seed"] = s.seed;
  j["design_rows"] = s.design_rows;
  j["bootstrap"] = s.bootstrap;
  Json metrics = Json::object();
  for (const MetricSensitivity& m : s.metrics) {
    Json x;
    x["variance"] = m.variance;
    x["unexplained_share"] = m.unexplained_share;
    x["expectation_variance"] = m.expectation_variance;
    x["tornado_base"] = m.tornado_base;
    Json inputs = Json::array();
    for (const InputSensitivity& i : m.inputs) {
      Json in;
      in["path"] = i.path;
      in["distribution"] = i.distribution;
      in["kind"] = std::string(to_string(i.group));
      in["p10"] = i.p10;
      in["p90"] = i.p90;
      in["tornado"] = {{"at_p10", i.at_p10}, {"at_p90", i.at_p90}, {"swing", i.swing}};
      in["spearman"] = i.spearman;
      if (!i.correlated_group.empty()) in["correlated_group"] = i.correlated_group;
      inputs.push_back(sobol_json(i.sobol, std::move(in)));
    }
    x["inputs"] = std::move(inputs);
    Json groups = {{"problem", Json::object()}, {"segment", Json::object()}, {"kind", Json::object()}};
    if (std::any_of(m.groups.begin(), m.groups.end(),
                    [](const GroupSensitivity& g) { return g.dimension == "correlated"; }))
      groups["correlated"] = Json::object();
    for (const GroupSensitivity& g : m.groups)
      groups[g.dimension][g.name] = sobol_json(g.sobol, Json::object());
    x["groups"] = std::move(groups);
    metrics[std::string(METRIC_NAMES[static_cast<std::size_t>(m.metric)])] = std::move(x);
  }
  j["metrics"] = std::move(metrics);
  return json_text(j, 2) + "\n";
}

std::string sensitivity_csv(const Sensitivity& s) {
  std::string out =
      "metric,dimension,name,distribution,p10,p90,at_p10,at_p90,swing,spearman,sobol_first,sobol_first_low,"
      "sobol_first_high,sobol_total,sobol_total_low,sobol_total_high\n";
  const auto indices = [](const SobolIndex& x) {
    if (!x.applicable) return std::string(",,,,,");  // a correlated input: its group's row has them
    return fmt::format("{},{},{},{},{},{}", x.first, x.first_ci[0], x.first_ci[1], x.total, x.total_ci[0],
                       x.total_ci[1]);
  };
  for (const MetricSensitivity& m : s.metrics) {
    const auto metric = METRIC_NAMES[static_cast<std::size_t>(m.metric)];
    for (const InputSensitivity& i : m.inputs)
      out += fmt::format("{},input,{},{},{},{},{},{},{},{},{}\n", metric, csv_field(i.path),
                         csv_field(i.distribution), i.p10, i.p90, i.at_p10, i.at_p90, i.swing, i.spearman,
                         indices(i.sobol));
    for (const GroupSensitivity& g : m.groups)
      out += fmt::format("{},{},{},,,,,,,,{}\n", metric, g.dimension, csv_field(g.name), indices(g.sobol));
  }
  return out;
}

std::string sensitivity_table(const Sensitivity& s, std::size_t rows) {
  std::string out = fmt::format(
      "{}  ({} trials, seed {}; Sobol indices from a design of {} rows, 95% intervals from {} resamples)\n",
      s.scenario, s.trials, s.seed, s.design_rows, s.bootstrap);
  const auto interval = [](double x, const std::array<double, 2>& ci) {
    return fmt::format("{:.3f} [{:.2f}, {:.2f}]", x, ci[0], ci[1]);
  };
  for (const MetricSensitivity& m : s.metrics) {
    const std::size_t width = std::max<std::size_t>(30, std::max_element(
                                                            m.inputs.begin(), m.inputs.end(),
                                                            [](auto& a, auto& b) {
                                                              return a.path.size() < b.path.size();
                                                            })->path.size() +
                                                            2);
    out += fmt::format(
        "\n{}: sd {}, of which the inputs explain {:.1f}% of the variance (the chain's own noise {:.1f}%)\n",
        METRIC_NAMES[static_cast<std::size_t>(m.metric)], human_number(std::sqrt(m.variance)),
        100 * (1 - m.unexplained_share), 100 * m.unexplained_share);
    out += fmt::format("{:<{}}{:>22}{:>22}{:>10}{:>18}\n", "input", width, "total index", "first-order",
                       "rank r", "swing P10-P90");
    for (std::size_t i = 0; i < std::min(rows, m.inputs.size()); ++i) {
      const InputSensitivity& x = m.inputs[i];
      if (!x.sobol.applicable) {
        out += fmt::format("{:<{}}{:>44}{:>10.2f}{:>18}\n", x.path, width, "correlated: see its group",
                           x.spearman, human_number(x.swing));
        continue;
      }
      out += fmt::format("{:<{}}{:>22}{:>22}{:>10.2f}{:>18}\n", x.path, width,
                         interval(x.sobol.total, x.sobol.total_ci), interval(x.sobol.first, x.sobol.first_ci),
                         x.spearman, human_number(x.swing));
    }
    if (m.inputs.size() > rows)
      out += fmt::format("... and {} more inputs (--json or --out for all)\n", m.inputs.size() - rows);
    std::string dimension;
    for (const GroupSensitivity& g : m.groups) {
      if (g.dimension != dimension) {
        dimension = g.dimension;
        out += fmt::format("  by {}:", dimension);
      }
      out += fmt::format("  {} {:.2f}", g.name, g.sobol.total);
      if (&g == &m.groups.back() || (&g + 1)->dimension != dimension) out += "\n";
    }
  }
  out +=
      "\ntotal index: the share of the variance of E[metric | inputs] an input takes part in; first-order: "
      "its share\n"
      "alone; rank r: Spearman's rank correlation over the trials; swing: the metric with the input at its "
      "P90\n"
      "minus at its P10, the others at their medians. An index whose interval is wide wants a larger "
      "--design.\n";
  return out;
}

void write_comparison(const std::filesystem::path& dir, const Comparison& c, const FolderExtras& extras) {
  std::vector<std::pair<std::string, std::string>> files{{"comparison.json", comparison_json(c)},
                                                         {"comparison.csv", comparison_csv(c)}};
  std::vector<std::string> stale;
  if (c.voi)
    files.emplace_back("voi.csv", voi_csv(*c.voi));
  else
    stale.emplace_back("voi.csv");  // of an earlier comparison with --voi
  if (c.precision)
    files.emplace_back("convergence.csv", convergence_csv(*c.precision));
  else
    stale.emplace_back("convergence.csv");
  add_extras(files, stale, "comparison.json", extras, {});
  write_files_atomically(dir, files, stale);
}

void write_sensitivity(const std::filesystem::path& dir, const Sensitivity& s, const FolderExtras& extras) {
  std::vector<std::pair<std::string, std::string>> files{{"sensitivity.json", sensitivity_json(s)},
                                                         {"sensitivity.csv", sensitivity_csv(s)}};
  std::vector<std::string> stale;
  add_extras(files, stale, "sensitivity.json", extras, {});
  write_files_atomically(dir, files, stale);
}

}  // namespace cxrisk
