// An uncertain input's value in a trial, as the studies of the inputs (sensitivity, value of information) see
// it: a parameter's draw, or a Dirichlet's shares.
#pragma once

#include <span>
#include <vector>

#include "cxrisk/model.h"

namespace cxrisk {

/// The input's value in `draw`: the parameter's draw; for a Dirichlet, its first share (of the outcomes it
/// gives any weight), which is what its P10 and P90 describe.
double input_value(const Model& model, const Model::Input& input, const TrialDraw& draw);

/// How many numbers say where the input is: 1, or for a Dirichlet over k outcomes with weight its first k - 1
/// shares (the last is what they leave).
int covariate_count(const Model::Input& input);
/// Those numbers in `draw`, into out[0 .. covariate_count(input)).
void input_covariates(const Model& model, const Model::Input& input, const TrialDraw& draw, double* out);

/// Average ranks 1..n of `x`, ties sharing the mean of their ranks.
std::vector<double> average_ranks(std::span<const double> x);

}  // namespace cxrisk
