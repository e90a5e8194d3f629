#!/usr/bin/env python3
"""A differential fuzzer over valid scenarios: random scenarios generated from the parameter registry
(`cxrisk reference --json`), with every parameter spread over its whole valid range, its bounds included, and
every input fixed so that `cxrisk expect` is the exact expectation of a run. For each scenario it checks that

* every mean of `run` (every metric, in total and in every breakdown) agrees with `expect` within its standard
  errors (the chain's own noise; with a relative floor of 1e-9 for the rounding of sums of huge numbers);
* every kernel set this processor runs gives the same JSON, byte for byte;
* every number of every output is finite.

A scenario the loader refuses (a product of parameters beyond a limit, say) is counted and skipped: the
refusal itself is the hardening tests' business. Findings are written to FOLDER/finding-N.yaml with the reason.

    scripts/differential_fuzz.py [--cases N] [--seed S] [--trials T] [--out FOLDER] [--exe build/engine/cxrisk]
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

KERNEL_SETS = {"baseline": set(), "x86-64-v3": {"avx2", "fma", "bmi1", "bmi2"},
               "x86-64-v4": {"avx2", "fma", "bmi1", "bmi2", "avx512f", "avx512bw", "avx512cd", "avx512dq",
                             "avx512vl"}}
OUTCOMES = ["silent", "quick", "resolved", "mollified", "unresolved"]
SIGMAS = 5.0  # per check; a case makes about a hundred


def runnable_kernel_sets():
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    return [name for name, needs in KERNEL_SETS.items() if needs <= flags]


def log_uniform(rng, low, high):
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class Generator:
    """Random valid scenarios, from the registry's kinds and bounds."""

    def __init__(self, registry, rng):
        self.params = registry["parameters"]
        self.rng = rng

    def value(self, param, periods, customers):
        """A value of the parameter's kind, often at a bound."""
        r, kind = self.rng, param["kind"]
        largest = param["largest"]
        edge = r.random() < 0.2
        if kind == "probability":
            return r.choice([0.0, 1.0]) if edge else r.uniform(0.02, 0.98)
        if kind == "count":
            return r.choice([0.0, 1e15]) if edge else float(round(log_uniform(r, 1e3, 1e9)))
        if kind == "money":
            return r.choice([0.0, largest]) if edge else log_uniform(r, 1e-3, 1e6)
        if kind == "people":
            # Prospects stay at most 1e15 a cell: customers x periods x people x conversion (conversion <= 1).
            most = min(largest, 1e15 / max(customers * periods, 1.0))
            return most if edge else r.uniform(0, min(most, 30))
        if kind == "ratio":
            return r.choice([0.0, 2.0]) if edge else r.uniform(0, 1.5)
        if kind == "rate":
            return r.uniform(0, 0.5)
        raise ValueError(kind)

    def params_of(self, scope, periods, customers, skip=()):
        out = {}
        for p in self.params:
            if p["scope"] != scope or p["kind"] == "shares" or p["key"] in skip:
                continue
            if not p["required"] and self.rng.random() < 0.3:
                continue  # the default
            node = out
            parts = p["key"].split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = self.value(p, periods, customers)
        return out

    def shares(self):
        r = self.rng
        if r.random() < 0.3:
            return r.choice([{"resolved": 1.0, "mollified": 0.0, "unresolved": 0.0},
                             {"resolved": 0.0, "mollified": 0.0, "unresolved": 1.0}])
        a, b = sorted([r.random(), r.random()])
        return {"resolved": a, "mollified": b - a, "unresolved": 1 - b}

    def scenario(self, index):
        r = self.rng
        periods = r.choice([1, 2, 3, 6])
        method = r.choice(["annual", "horizon", "lifetime"])
        segments = []
        for s in range(r.randint(1, 3)):
            customers = r.choice([0.0, 1e15]) if r.random() < 0.15 else float(round(log_uniform(r, 1e3, 1e9)))
            seg = {"name": f"segment{s}", "customers": customers}
            seg.update(self.params_of("segment", periods, customers, skip=("customers",)))
            value = seg.setdefault("value", {})
            value.setdefault("mean", self.value({"kind": "money", "largest": 1e15}, periods, customers))
            value["shape"] = r.choice(["gamma", "fixed", "lognormal"])
            if value["shape"] == "fixed":
                value.pop("cv", None)
            segments.append(seg)
        most_customers = max(seg["customers"] for seg in segments)
        doc = {"cxrisk": 1, "name": f"fuzz {index}", "horizon": {"periods": periods, "period": r.choice(["month", "year"])},
               "valuation": {"method": method}, "segments": segments, "problems": []}
        extra = self.params_of("scenario", periods, most_customers, skip=("investment.upfront", "investment.per_period"))
        for key, sub in extra.items():
            doc.setdefault(key, {}).update(sub)
        if method == "lifetime":  # a remaining lifetime value must be finite: a positive rate
            doc["horizon"]["discount_rate"] = r.uniform(0.01, 0.5)
        for p in range(r.randint(1, 4)):
            problem = {"name": f"problem{p}"}
            problem.update(self.params_of("problem", periods, most_customers))
            problem["loyalty"]["no_problem"] = max(problem["loyalty"]["no_problem"], 1e-3)
            tiers = r.randint(1, 3)
            problem["handling"] = []
            for k in range(tiers):
                tier = {"tier": f"tier{k}", "resolution": self.shares()}
                tier.update(self.params_of("tier", periods, most_customers))
                if k + 1 == tiers:
                    tier.pop("escalate", None)
                problem["handling"].append(tier)
            doc["problems"].append(problem)
        return doc


def run(exe, *args, env=None):
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})))


def numbers(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from numbers(v)
    elif isinstance(node, list):
        for v in node:
            yield from numbers(v)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield node


def means(summary):
    """(where, stats) for every metric of the totals and of every breakdown entry."""
    for metric, stats in summary["metrics"].items():
        yield f"total {metric}", stats
    for dimension, entries in summary.get("breakdown", {}).items():
        for name, metrics in entries.items():
            for metric, stats in metrics.items():
                yield f"{dimension}={name} {metric}", stats


def check(exe, path, trials, kernel_sets):
    """The first problem found with the scenario at `path`, or None; "refused" when the loader refuses it."""
    v = run(exe, "validate", path)
    if v.returncode != 0:
        return "refused"
    e = run(exe, "expect", path, "--json")
    if e.returncode != 0:
        return f"expect failed: {e.stderr.strip()}"
    outputs = {}
    for kernels in kernel_sets:
        p = run(exe, "run", path, "--trials", trials, "--json", env={"CXRISK_LANE_KERNELS": kernels})
        if p.returncode != 0:
            return f"run with {kernels} kernels failed: {p.stderr.strip()}"
        outputs[kernels] = p.stdout
    first = next(iter(outputs.values()))
    for kernels, out in outputs.items():
        if out != first:
            return f"the {kernels} kernels give other numbers than the {kernel_sets[0]} kernels"
    summary, expected = json.loads(first), json.loads(e.stdout)
    if not all(math.isfinite(x) for x in numbers(summary)) or "null" in first:
        return "a number of the run is not finite"
    exact = dict(means(expected))
    for where, stats in means(summary):
        want = exact[where]["mean"]
        gap = abs(stats["mean"] - want)
        allowed = SIGMAS * stats["se"] + 1e-9 * max(abs(want), abs(stats["mean"])) + 1e-12
        # A metric that is 0 in at least 90% of the trials comes from events the run saw only a few times: its
        # standard error does not yet measure its error (a rare event not seen at all gives a mean and an se
        # of 0). Its mean may then lie anywhere between 0 and the expectation, give or take its se.
        if stats["p5"] == stats["p95"] == 0:
            allowed = max(allowed, abs(want) + SIGMAS * stats["se"])
        if gap > allowed:
            return f"{where}: run mean {stats['mean']!r} (se {stats['se']!r}) against expect {want!r}"
    return None


def fuzz(exe, cases, seed, trials, out):
    import yaml  # Debian's python3-yaml
    registry = json.loads(run(exe, "reference", "--json").stdout)
    generator = Generator(registry, random.Random(seed))
    kernel_sets = runnable_kernel_sets()
    out.mkdir(parents=True, exist_ok=True)
    findings, refused = [], 0
    for i in range(cases):
        path = out / "case.yaml"
        path.write_text(yaml.safe_dump(generator.scenario(i), sort_keys=False))
        problem = check(exe, path, trials, kernel_sets)
        if problem == "refused":
            refused += 1
        elif problem:
            kept = out / f"finding-{len(findings)}.yaml"
            kept.write_text(f"# {problem}\n" + path.read_text())
            findings.append((kept, problem))
    return findings, refused


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings/differential"))
    parser.add_argument("--exe", default="build/engine/cxrisk")
    a = parser.parse_args()
    findings, refused = fuzz(a.exe, a.cases, a.seed, a.trials, a.out)
    print(f"differential_fuzz: {a.cases} cases, {refused} refused by the loader, {len(findings)} findings")
    for path, problem in findings:
        print(f"  {path}: {problem}")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
