#!/usr/bin/python3
"""The same aggregate chain as cxrisk, written as a competent Python analyst would: vectorised over trials with
numpy.random.Generator, one array of trials for every count, looping in Python over segments, periods and
problems. It reads the same scenario file and computes the same metrics, in total and broken down by problem,
stage, segment, cause and outcome.

Run with Debian's Python: /usr/bin/python3 benchmarks/baseline_numpy.py benchmarks/retailer.yaml --trials 20000
With --check SUMMARY.json (the output of `cxrisk run --json` on the same file) it checks that every total
metric's mean agrees with cxrisk's within 4.5 combined standard errors, so the race is fair.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import yaml

OUTCOMES = ["silent", "quick", "resolved", "mollified", "unresolved"]
METRICS = ["customers_with_problems", "complaints", "contacts", "escalations", "customers_lost", "revenue_lost",
           "wom_prospects_lost", "wom_prospects_won", "wom_revenue_lost", "handling_cost", "total_cost"]
PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def draw(q, rng, n):
    """n draws of a quantity of the scenario schema (a number or a distribution)."""
    if not isinstance(q, dict):
        return np.full(n, float(q))
    factor = q.get("factor", 1.0)
    if "observed" in q:
        return factor * rng.beta(q["observed"] + 1, q["of"] - q["observed"] + 1, n)
    d = q["dist"]
    if d == "beta":
        if "alpha" in q:
            a, b = q["alpha"], q["beta"]
        else:
            m, sd = q["mean"], q["sd"]
            nu = m * (1 - m) / sd ** 2 - 1
            a, b = m * nu, (1 - m) * nu
        x = rng.beta(a, b, n)
    elif d == "pert":
        lo, mode, hi = q["min"], q["mode"], q["max"]
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        x = lo + (hi - lo) * rng.beta(a, b, n)
    elif d == "triangular":
        x = rng.triangular(q["min"], q["mode"], q["max"], n)
    elif d == "uniform":
        x = rng.uniform(q["min"], q["max"], n)
    elif d == "normal":
        lo, hi = q.get("min", -np.inf), q.get("max", np.inf)
        x = rng.normal(q["mean"], q["sd"], n)
        bad = (x < lo) | (x > hi)
        while bad.any():  # truncation by rejection: exact
            x[bad] = rng.normal(q["mean"], q["sd"], bad.sum())
            bad = (x < lo) | (x > hi)
    elif d == "lognormal":
        if "median" in q:
            mu, sigma = math.log(q["median"]), q["sigma"]
        else:
            s2 = math.log1p((q["sd"] / q["mean"]) ** 2)
            mu, sigma = math.log(q["mean"]) - s2 / 2, math.sqrt(s2)
        x = rng.lognormal(mu, sigma, n)
    elif d == "gamma":
        if "shape" in q:
            k, theta = q["shape"], q["scale"]
        else:
            k, theta = (q["mean"] / q["sd"]) ** 2, q["sd"] ** 2 / q["mean"]
        x = rng.gamma(k, theta, n)
    else:
        raise ValueError(f"unknown dist {d}")
    return factor * x


def shares(r, rng, n):
    """(resolved, mollified, unresolved) share arrays: fixed, or Dirichlet."""
    keys = ("resolved", "mollified", "unresolved")
    if r.get("dist") == "dirichlet":
        g = np.stack([rng.gamma(r.get(k, 0), 1.0, n) if r.get(k, 0) > 0 else np.zeros(n) for k in keys])
        return g / g.sum(axis=0)
    return np.stack([np.full(n, float(r.get(k, 0))) for k in keys])


def gamma_sum(rng, count, mean, cv):
    """Sum of `count` gamma customer values (mean, cv arrays): Gamma(count / cv^2, mean cv^2)."""
    k = 1 / cv ** 2
    out = np.zeros(count.shape)
    pos = count > 0
    out[pos] = rng.gamma(count[pos] * k, (mean * cv ** 2)[pos] if np.ndim(mean) else mean * cv ** 2)
    return out


def simulate(sc, trials, seed):
    rng = np.random.default_rng(seed)
    n = trials
    T = sc["horizon"]["periods"]
    per_year = PER_YEAR[sc["horizon"].get("period", "month")]
    method = sc.get("valuation", {}).get("method", "annual")
    margin = draw(sc.get("valuation", {}).get("margin", 1.0), rng, n)
    rate = draw(sc["horizon"].get("discount_rate", 0.0), rng, n)
    d = (1 + rate) ** (-1 / per_year)
    wom = sc.get("word_of_mouth", {})
    q_lost = draw(wom.get("negative_conversion", 0.0), rng, n)
    q_won = draw(wom.get("positive_conversion", 0.0), rng, n)

    segments = sc["segments"]
    problems = sc["problems"]
    stages = sc.get("stages", [])
    order = sorted(range(len(problems)), key=lambda j: stages.index(problems[j]["stage"]) if stages else 0)

    # Parameters of every problem, one array of trials each.
    P = []
    for p in problems:
        tiers = []
        for t in p["handling"]:
            sh = shares(t["resolution"], rng, n)
            rest = sh[1] + sh[2]
            tiers.append(dict(resolved=sh[0], moll_rest=np.where(rest > 0, sh[1] / np.where(rest > 0, rest, 1), 0),
                              escalate=draw(t.get("escalate", 0.0), rng, n), cost=draw(t.get("cost", 0.0), rng, n)))
        loyalty = p["loyalty"]
        l0 = draw(loyalty["no_problem"], rng, n)
        r = {o: draw(loyalty[o], rng, n) / l0 for o in OUTCOMES}
        w = p.get("wom", {})
        P.append(dict(incidence=draw(p["incidence"], rng, n), complaint=draw(p["complaint_rate"], rng, n),
                      tiers=tiers, defect={o: np.clip(1 - r[o], 0, 1) for o in OUTCOMES},
                      save={o: np.clip(r[o] - 1, 0, 1) for o in OUTCOMES},
                      bad={o: draw(w.get("negative", {}).get(o, 0.0), rng, n) for o in OUTCOMES},
                      good={o: draw(w.get("positive", {}).get(o, 0.0), rng, n) for o in OUTCOMES},
                      segments=p.get("segments", [s["name"] for s in segments])))

    # Cells: [segment, problem, outcome, metric] x trials.
    cells = np.zeros((len(segments), len(problems), len(OUTCOMES), len(METRICS), n))
    M = {m: i for i, m in enumerate(METRICS)}
    for si, seg in enumerate(segments):
        churn = draw(seg.get("baseline_churn", 0.0), rng, n)
        vmean = draw(seg["value"]["mean"], rng, n)
        cv = float(seg["value"].get("cv", 0.0))
        F = np.empty((T, n))
        for t in range(1, T + 1):
            if method == "annual":
                F[t - 1] = per_year
            elif method == "lifetime":
                F[t - 1] = d ** (t + 1) / (1 - (1 - churn) * d)
            else:
                F[t - 1] = sum((1 - churn) ** (u - t - 1) * d ** u for u in range(t + 1, T + 1))
        F *= margin
        active = np.full(n, int(seg["customers"]), dtype=np.int64)
        for t in range(T):
            churned = rng.binomial(active, churn)
            remaining = active - churned
            lost_total = np.zeros(n, dtype=np.int64)
            for j in order:
                p = P[j]
                if seg["name"] not in p["segments"]:
                    continue
                with_problem = rng.binomial(remaining, p["incidence"])
                remaining -= with_problem
                complained = rng.binomial(with_problem, p["complaint"])
                count = {o: np.zeros(n, dtype=np.int64) for o in OUTCOMES}
                contacts = {o: np.zeros(n) for o in OUTCOMES}
                cost = {o: np.zeros(n) for o in OUTCOMES}
                escal = {o: np.zeros(n) for o in OUTCOMES}
                count["silent"] = with_problem - complained
                entering = complained
                cum_cost = np.zeros(n)
                for k, tier in enumerate(p["tiers"]):
                    cum_cost = cum_cost + tier["cost"]
                    res = rng.binomial(entering, tier["resolved"])
                    moll = rng.binomial(entering - res, tier["moll_rest"])
                    unres = entering - res - moll
                    last = k + 1 == len(p["tiers"])
                    esc = np.zeros(n, dtype=np.int64) if last else rng.binomial(unres, tier["escalate"])
                    for o, c in (("quick" if k == 0 else "resolved", res), ("mollified", moll),
                                 ("unresolved", unres - esc)):
                        count[o] += c
                        contacts[o] += c * (k + 1)
                        cost[o] += c * cum_cost
                        if last and len(p["tiers"]) > 1:
                            escal[o] += c
                    entering = esc
                for oi, o in enumerate(OUTCOMES):
                    c = cells[si, j, oi]
                    no = count[o]
                    c[M["customers_with_problems"]] += no
                    if o != "silent":
                        c[M["complaints"]] += no
                    c[M["contacts"]] += contacts[o]
                    c[M["escalations"]] += escal[o]
                    c[M["handling_cost"]] += cost[o]
                    # Defect with probability 1 - r, or (r > 1) be saved with probability min(1, r - 1).
                    lost = rng.binomial(no, p["defect"][o])
                    lost_total += lost
                    c[M["customers_lost"]] += lost
                    c[M["revenue_lost"]] += F[t] * gamma_sum(rng, lost, vmean, cv)
                    if (p["save"][o] > 0).any():
                        saved = rng.binomial(no, p["save"][o])
                        c[M["customers_lost"]] -= saved
                        c[M["revenue_lost"]] -= F[t] * gamma_sum(rng, saved, vmean, cv)
                    if (p["bad"][o] > 0).any():
                        pl = rng.poisson(no * p["bad"][o] * q_lost)
                        c[M["wom_prospects_lost"]] += pl
                        c[M["wom_revenue_lost"]] += F[t] * gamma_sum(rng, pl, vmean, cv)
                    if (p["good"][o] > 0).any():
                        pw = rng.poisson(no * p["good"][o] * q_won)
                        c[M["wom_prospects_won"]] += pw
                        c[M["wom_revenue_lost"]] -= F[t] * gamma_sum(rng, pw, vmean, cv)
            active = active - churned - lost_total
    cells[:, :, :, M["total_cost"]] = (cells[:, :, :, M["revenue_lost"]] + cells[:, :, :, M["wom_revenue_lost"]]
                                       + cells[:, :, :, M["handling_cost"]])
    # Totals and breakdowns: the same entries as cxrisk's JSON.
    totals = cells.sum(axis=(0, 1, 2))
    breakdown = {
        "problem": {p["name"]: cells[:, j].sum(axis=(0, 1)) for j, p in enumerate(problems)},
        "segment": {s["name"]: cells[i].sum(axis=(0, 1)) for i, s in enumerate(segments)},
        "outcome": {o: cells[:, :, i].sum(axis=(0, 1)) for i, o in enumerate(OUTCOMES)},
        "stage": {st: sum(cells[:, j].sum(axis=(0, 1)) for j, p in enumerate(problems) if p["stage"] == st)
                  for st in stages},
        "cause": {}}
    for j, p in enumerate(problems):
        cause = p.get("cause", "unspecified")
        breakdown["cause"][cause] = breakdown["cause"].get(cause, 0) + cells[:, j].sum(axis=(0, 1))
    return totals, breakdown


def summarise(values):
    """mean, se and the percentiles cxrisk reports, for each metric (rows of `values`)."""
    out = {}
    for i, m in enumerate(METRICS):
        x = values[i]
        out[m] = {"mean": float(x.mean()), "se": float(x.std(ddof=1) / math.sqrt(len(x))),
                  "p5": float(np.percentile(x, 5)), "p50": float(np.percentile(x, 50)),
                  "p95": float(np.percentile(x, 95))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--trials", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", help="cxrisk run --json output to compare means with")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()
    with open(args.scenario) as f:
        sc = yaml.safe_load(f)
    start = time.perf_counter()
    totals, breakdown = simulate(sc, args.trials, args.seed)
    summary = {"metrics": summarise(totals),
               "breakdown": {d: {k: summarise(v) for k, v in e.items()} for d, e in breakdown.items()}}
    seconds = time.perf_counter() - start
    result = {"trials": args.trials, "seconds": seconds, "trials_per_second": args.trials / seconds}
    if args.json:
        print(json.dumps({**result, **summary}))
    else:
        print(f"numpy baseline: {args.trials} trials in {seconds:.2f} s = {args.trials / seconds:.0f} trials/s", flush=True)
    if args.check:
        with open(args.check) as f:
            cx = json.load(f)
        worst = 0.0
        for m in METRICS:
            a, b = summary["metrics"][m], cx["metrics"][m]
            z = abs(a["mean"] - b["mean"]) / max(math.hypot(a["se"], b["se"]), 1e-300)
            worst = max(worst, z)
            if z > 4.5:
                print(f"MISMATCH {m}: numpy {a['mean']:.6g} (se {a['se']:.3g}) vs cxrisk {b['mean']:.6g} "
                      f"(se {b['se']:.3g}): {z:.1f} SE", file=sys.stderr)
                sys.exit(1)
        print(f"means agree with cxrisk: largest gap {worst:.2f} combined standard errors (limit 4.5)",
              file=sys.stderr)


if __name__ == "__main__":
    main()
