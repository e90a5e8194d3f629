#include "cxrisk/precision.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "cxrisk/error.h"
#include "cxrisk/text.h"

namespace cxrisk {

std::string PrecisionTarget::text() const {
  return relative ? fmt::format("{}:{}:{}%", metric, statistic, tolerance * 100)
                  : fmt::format("{}:{}:{}", metric, statistic, tolerance);
}

PrecisionTarget parse_precision(std::string_view text, bool comparison) {
  const auto fail = [&](const std::string& why) {
    throw UsageError(fmt::format("precision '{}': {} (write METRIC:STATISTIC:TOLERANCE, e.g. {}:p95:1%)",
                                 text, why, comparison ? "net_benefit" : "total_cost"));
  };
  const std::size_t a = text.find(':'), b = a == std::string_view::npos ? a : text.find(':', a + 1);
  if (b == std::string_view::npos || text.find(':', b + 1) != std::string_view::npos)
    fail("three parts separated by colons");
  PrecisionTarget t;
  t.metric = std::string(text.substr(0, a));
  t.statistic = std::string(text.substr(a + 1, b - a - 1));
  std::string_view tolerance = text.substr(b + 1);
  const auto list = [](const auto& names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  };
  const bool known_metric =
      comparison ? std::find(COMPARISON_METRICS.begin(), COMPARISON_METRICS.end(), t.metric) !=
                       COMPARISON_METRICS.end()
                 : std::find(METRIC_NAMES.begin(), METRIC_NAMES.end(), t.metric) != METRIC_NAMES.end();
  if (!known_metric)
    fail(fmt::format("unknown metric '{}' (use one of {})", t.metric,
                     comparison ? list(COMPARISON_METRICS) : list(METRIC_NAMES)));
  if (std::find(PRECISION_STATISTICS.begin(), PRECISION_STATISTICS.end(), t.statistic) ==
      PRECISION_STATISTICS.end())
    fail(fmt::format("unknown statistic '{}' (use one of {})", t.statistic, list(PRECISION_STATISTICS)));
  t.relative = !tolerance.empty() && tolerance.back() == '%';
  if (t.relative) tolerance.remove_suffix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(tolerance.data(), tolerance.data() + tolerance.size(), value);
  if (tolerance.empty() || error != std::errc() || end != tolerance.data() + tolerance.size() ||
      !std::isfinite(value) || value <= 0)
    fail(fmt::format("the tolerance '{}' is not a number above 0", text.substr(b + 1)));
  t.tolerance = t.relative ? value / 100 : value;
  return t;
}

Estimate statistic_of(const Stats& s, std::string_view statistic) {
  if (statistic == "mean") return {s.mean, s.mean_ci};
  if (statistic == "cvar95") return {s.cvar95, s.cvar95_ci};
  for (std::size_t i = 0; i < PERCENTILE_NAMES.size(); ++i)
    if (PERCENTILE_NAMES[i] == statistic) return {s.percentiles[i], s.percentile_ci[i]};
  throw std::logic_error("statistic_of: unknown statistic");
}

TargetStatus status_of(const PrecisionTarget& target, const Stats& stats, std::string of) {
  TargetStatus st;
  st.target = target;
  st.of = std::move(of);
  const Estimate e = statistic_of(stats, target.statistic);
  st.estimate = e.value;
  st.half_width = e.ci.half_width();
  st.allowed = target.relative ? target.tolerance * std::abs(e.value) : target.tolerance;
  st.met = std::isfinite(st.half_width) && st.half_width <= st.allowed;
  return st;
}

bool PrecisionRound::met() const {
  return std::all_of(targets.begin(), targets.end(), [](const TargetStatus& t) { return t.met; });
}

std::string PrecisionReport::describe() const {
  if (rounds.empty()) return "";
  const PrecisionRound& last = rounds.back();
  std::string out = met() ? fmt::format("met at {} trials", last.trials)
                          : fmt::format("NOT met by the maximum of {} trials", max_trials);
  out += fmt::format(" ({} round{}):", rounds.size(), rounds.size() == 1 ? "" : "s");
  for (const TargetStatus& t : last.targets) {
    out += fmt::format("\n  {}{} {}: +-{}", t.of.empty() ? "" : t.of + ": ", t.target.metric,
                       t.target.statistic, human_number(t.half_width));
    if (t.estimate != 0) out += fmt::format(" ({:.3g}%)", 100 * t.half_width / std::abs(t.estimate));
    out += fmt::format(
        " of {}, target {}{}", human_number(t.estimate),
        t.target.relative ? fmt::format("{:g}%", 100 * t.target.tolerance) : human_number(t.target.tolerance),
        t.met ? "" : "  NOT MET");
  }
  return out;
}

std::int64_t next_round(std::int64_t trials, const std::vector<TargetStatus>& status, std::int64_t max_trials,
                        Sampling sampling) {
  if (trials >= max_trials || std::all_of(status.begin(), status.end(), [](auto& t) { return t.met; }))
    return 0;
  // Half-widths fall as 1 / sqrt(trials): the widest relative to what it may be says how many are needed.
  double ratio = 1;
  for (const TargetStatus& t : status)
    if (!t.met)
      ratio = std::max(ratio, t.allowed > 0 && std::isfinite(t.half_width) ? t.half_width / t.allowed : 1e6);
  const double need = std::max(1.5 * static_cast<double>(trials),
                               std::min(1e15, static_cast<double>(trials) * ratio * ratio * 1.2));
  std::int64_t next = FIRST_ROUND;
  if (sampling == Sampling::sobol) {
    while (static_cast<double>(next) < need) next *= 2;  // each replicate a power of two
  } else {
    next = static_cast<std::int64_t>(std::ceil(need / FIRST_ROUND)) * FIRST_ROUND;
  }
  return std::min(next, max_trials);
}

}  // namespace cxrisk
