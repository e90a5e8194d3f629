"""benchmarks/pooling_error.py, the exact error of the proposed pooling of lifetime values
(docs/proposal-lifetime-pooling.md): its incomplete gamma function, its exact CDF of a sum of gammas with
different scales, and the worst case the proposal cites."""

import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import pooling_error as pe  # noqa: E402


def test_incomplete_gamma_matches_closed_forms():
    for x in (1e-3, 0.1, 0.7, 1.0, 2.5, 9.0, 40.0):
        assert abs(pe.gamma_p(1.0, x) - (1 - math.exp(-x))) < 1e-13
        assert abs(pe.gamma_p(0.5, x) - math.erf(math.sqrt(x))) < 1e-13
        # P(2, x) = 1 - e^-x (1 + x)
        assert abs(pe.gamma_p(2.0, x) - (1 - math.exp(-x) * (1 + x))) < 1e-13


def test_sum_with_one_scale_is_one_gamma():
    cdf, lost = pe.exact_cdf([0.6, 1.7, 3.0], [2.0, 2.0, 2.0])
    assert abs(lost) < 1e-15
    for x in (0.5, 3.0, 10.0, 25.0):
        assert abs(cdf(x) - pe.gamma_p(5.3, x / 2.0)) < 1e-13


def test_exact_cdf_agrees_with_simulation():
    # Twelve monthly periods at a 12% discount rate, one customer each, values of cv 1.3.
    F = pe.lifetime_factors(0.12)
    k = 1 / 1.3**2
    cdf, lost = pe.exact_cdf([k] * 12, F)
    assert abs(lost) < 1e-12
    rng = random.Random(20261202)
    n = 100000
    xs = sorted(sum(f * rng.gammavariate(k, 1.0) for f in F) for _ in range(n))
    for q in (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99):
        se = math.sqrt(q * (1 - q) / n)
        assert abs(cdf(xs[int(q * n)]) - q) < 4.5 * se, q


def test_pooled_gamma_is_exact_within_one_period_and_close_across_them():
    F = pe.lifetime_factors(0.12)
    assert pe.customers_case([2] + [0] * 11, F, 1.0) < 1e-12
    # The worst case the proposal cites: one customer in the first period and one in the last.
    worst = pe.customers_case([1] + [0] * 10 + [1], F, 1 / 1.3**2)
    assert 3.0e-4 < worst < 3.8e-4
    # More customers, smaller distance.
    assert pe.customers_case([5] * 12, F, 1.0) < pe.customers_case([1] * 12, F, 1.0) < worst
