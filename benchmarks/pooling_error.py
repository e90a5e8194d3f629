#!/usr/bin/python3
"""The error of pooling lifetime values over the horizon, computed exactly.

Under `lifetime` valuation a customer lost in period t costs its value times F(t) = F(0) d^t, so the exact
value of a cell's customers over the horizon is a sum of gamma sums with different scales:

    X = sum_t F(t) G_t,   G_t ~ Gamma(n_t k, theta) independent   (k = 1 / cv^2, given the periods' counts n_t).

docs/proposal-lifetime-pooling.md proposes drawing X as one gamma with X's first two moments (given the
counts), as the engine already does for the sums of many lognormal values. This script measures what that
changes: the largest distance between the two CDFs (the Kolmogorov-Smirnov distance) for the cells where it
is largest. The exact CDF is Moschopoulos' (1985) representation of a sum of gammas with different scales,
a mixture of Gamma(sum_t n_t k + K, min_t F(t) theta) over a count K that is a sum of negative binomials;
it is computed here term by term to 1e-15, with no sampling. Standard library only:

    /usr/bin/python3 benchmarks/pooling_error.py
"""

import math


def gamma_p(s, x):
    """Regularised lower incomplete gamma function P(s, x)."""
    if x <= 0:
        return 0.0
    lead = math.exp(s * math.log(x) - x - math.lgamma(s))
    if x < s + 1:  # series
        term = total = 1.0 / s
        n = 0
        while abs(term) > 1e-17 * abs(total):
            n += 1
            term *= x / (s + n)
            total += term
        return min(1.0, lead * total)
    tiny = 1e-300  # continued fraction for 1 - P (modified Lentz)
    b = x + 1 - s
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - s)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return max(0.0, 1 - lead * h)


def lifetime_factors(discount_rate, periods=12, per_year=12):
    """F(t) / F(0) for t = 0 .. periods - 1 (the constant of MODEL.md section 4 cancels in every ratio)."""
    d = (1 + discount_rate) ** (-1 / per_year)
    return [d**t for t in range(periods)]


def negative_binomial(r, p, terms):
    return [
        math.exp(math.lgamma(r + j) - math.lgamma(r) - math.lgamma(j + 1) + r * math.log(p) + j * math.log1p(-p))
        for j in range(terms)
    ]


def exact_cdf(shapes, scales, terms=800):
    """CDF of sum_t Gamma(shapes[t], scales[t]), by Moschopoulos' mixture; also the mixture's lost mass."""
    low = min(scales)
    weights = [1.0]
    for shape, scale in zip(shapes, scales):
        if shape == 0 or scale == low:
            continue
        nb = negative_binomial(shape, low / scale, terms)
        mixed = [0.0] * terms
        for i, a in enumerate(weights):
            if a > 1e-300:
                for j in range(terms - i):
                    mixed[i + j] += a * nb[j]
        weights = mixed
    total = sum(shapes)
    kept = [(j, w) for j, w in enumerate(weights) if w > 1e-18]
    return (lambda x: sum(w * gamma_p(total + j, x / low) for j, w in kept)), 1 - sum(weights)


def matched_gamma(mean, variance):
    scale = variance / mean
    return mean / scale, scale


def ks_distance(exact, approx, mean, sd, points=400):
    xs = (max(1e-12, mean + sd * (-4 + 14 * i / points)) for i in range(1, points))
    return max(abs(exact(x) - approx(x)) for x in xs)


def customers_case(counts, F, k):
    """A cell's lost customers, n_t in period t, values Gamma(k, 1): exact sum against the pooled gamma."""
    shapes = [n * k for n in counts]
    exact, lost = exact_cdf(shapes, F)
    mean = sum(s * f for s, f in zip(shapes, F))
    variance = sum(s * f * f for s, f in zip(shapes, F))
    shape, scale = matched_gamma(mean, variance)
    assert abs(lost) < 1e-12, lost
    return ks_distance(exact, lambda x: gamma_p(shape, x / scale), mean, math.sqrt(variance))


def prospects_case(prospects, F, k):
    """A cell's prospects over the horizon, counted once (exact) and valued by the pooled gamma: given the
    count, each prospect's period is independent with the periods' shares of the mean (here equal)."""
    T = len(F)
    m1, m2 = sum(F) / T, sum(f * f for f in F) / T
    mean = prospects * k * m1
    variance = prospects * (k * m2 + k * k * (m2 - m1 * m1))
    shape, scale = matched_gamma(mean, variance)
    if prospects == 1:
        parts = [(1 / T, (lambda x, f=f: gamma_p(k, x / f))) for f in F]
    else:  # two prospects: every pair of periods
        parts = []
        for t in range(T):
            for u in range(t, T):
                cdf, _ = exact_cdf([k, k], [F[t], F[u]]) if t != u else (lambda x, f=F[t]: gamma_p(2 * k, x / f), 0)
                parts.append(((1 if t == u else 2) / T**2, cdf))
    return ks_distance(lambda x: sum(w * c(x) for w, c in parts), lambda x: gamma_p(shape, x / scale), mean,
                       math.sqrt(variance), points=200)


def main():
    print("Largest CDF distance (KS) between a cell's exact lifetime value and the pooled gamma")
    print("(values Gamma(1/cv^2), monthly periods over one year; the benchmark's discount rate is 6-12%)\n")
    header = f"{'rate':>5} {'cv':>4}  {'spread':>7}  {'1 at each end':>13} {'1 a period':>10} {'5 a period':>10}"
    print(header + f" {'1 prospect':>10} {'2 prospects':>11}")
    self_check = customers_case([2] + [0] * 11, lifetime_factors(0.12), 1.0)
    for rate in (0.06, 0.08, 0.12):
        F = lifetime_factors(rate)
        spread = (F[0] - F[-1]) / (F[0] + F[-1])
        for cv in (0.8, 1.0, 1.3):
            k = 1 / cv**2
            row = [
                customers_case([1] + [0] * 10 + [1], F, k),
                customers_case([1] * 12, F, k),
                customers_case([5] * 12, F, k),
                prospects_case(1, F, k),
                prospects_case(2, F, k),
            ]
            print(f"{rate:5.2f} {cv:4.1f}  {spread:7.4f}  {row[0]:13.1e} {row[1]:10.1e} {row[2]:10.1e} "
                  f"{row[3]:10.1e} {row[4]:11.1e}")
    print(f"\nCheck: two customers in one period (pooling exact there): distance {self_check:.1e}")


if __name__ == "__main__":
    main()
