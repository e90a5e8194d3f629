// The value of information for a decision among improvement scenarios (`cxrisk compare --voi`): what it is
// worth, before choosing, to remove the uncertainty of every input (EVPI) or of one input or group (EVPPI).
//
// The decision is "which alternative, or none, maximises the mean net benefit", the net benefit of an
// alternative being the base's total_cost less its own, less its investment's present value, trial by trial
// on common inputs. Both values are computed on the net benefits in expectation at each trial's inputs (the
// chain in expectation, cxrisk/expectation.h), so that the chain's own counting noise, which no study of the
// inputs could remove, adds nothing to them. docs/sensitivity.md gives the method and how to read it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"
#include "cxrisk/simulate.h"

namespace cxrisk {

struct VoiOptions {
  int bootstrap = 200;  ///< resamples for the 95% intervals
};

/// The expected value of perfect information about one input or a group of inputs.
struct PartialValue {
  std::string path;       ///< the input's registry path; empty for a group
  std::string dimension;  ///< a group's "problem", "segment" or "kind"; empty for an input
  std::string name;       ///< a group's name
  double value = 0;       ///< in the base's currency, within [0, EVPI]
  std::array<double, 2> ci{};
  int covariates =
      0;          ///< what the regression saw: 1 for an input, 2 for a Dirichlet's shares, more for a group
  int terms = 0;  ///< the regression's basis functions
};

struct ValueOfInformation {
  std::int64_t trials = 0;  ///< the sample of inputs the values come from
  /// The options: "none" (keep the base) and every alternative, with each one's expected net benefit over the
  /// base (0 for none) on the same sample; `chosen` is the best under present knowledge.
  std::vector<std::string> options;
  std::vector<double> expected_net_benefit;
  int chosen = 0;
  double evpi = 0;  ///< E[max over options of the net benefit at the inputs] - max of the expected ones
  std::array<double, 2> evpi_ci{};
  std::vector<PartialValue> inputs;  ///< every uncertain input of the base or an alternative, largest first
  std::vector<PartialValue> groups;  ///< by dimension, then largest first
};

/// The value of information for choosing among `alternatives` to `base` (which must already be known to be
/// comparable: the same horizon), on the settings' trials and seed resolved against the base. Needs at least
/// 1,000 trials. Only process 0 computes it, on the settings' threads; the others return an empty one.
ValueOfInformation value_of_information(const Scenario& base, const std::vector<Scenario>& alternatives,
                                        const RunSettings& settings, const VoiOptions& options = {});

/// An estimate with its 95% bootstrap interval.
struct VoiEstimate {
  double value = 0;
  std::array<double, 2> ci{};
  int terms = 0;  ///< the regression's basis functions (EVPPI)
};

/// EVPI from per-trial net benefits of each alternative over the base, net_benefit[a][t]; the interval from
/// `bootstrap` resamples of the trials keyed by `seed`.
VoiEstimate evpi_estimate(const std::vector<std::vector<double>>& net_benefit, int bootstrap,
                          std::uint64_t seed);

/// EVPPI of the inputs whose values are covariates[c][t]: each net benefit regressed by least squares on a
/// basis of the covariates' rank scores (one covariate: a cubic B-spline of six intervals; several: cubic
/// Legendre polynomials of each and the products of pairs, fewer terms when the trials are few), then the
/// value of deciding on the fitted means. The interval resamples the trials and the coefficients (from their
/// least-squares covariance) together. Clamped to [0, evpi]: information about some inputs is never worth
/// more than about all.
VoiEstimate evppi_estimate(const std::vector<std::vector<double>>& net_benefit,
                           const std::vector<std::vector<double>>& covariates, double evpi, int bootstrap,
                           std::uint64_t seed);

}  // namespace cxrisk
