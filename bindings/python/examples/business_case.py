#!/usr/bin/python3
"""A business case in a few lines: what poor service costs a telecom operator today, and which of two fixes
pays. Run from the repository with the module built:  PYTHONPATH=build/python /usr/bin/python3 \
bindings/python/examples/business_case.py [scenarios/telecom.yaml]"""
import sys

import cxrisk

base = cxrisk.load(sys.argv[1] if len(sys.argv) > 1 else "scenarios/telecom.yaml")
today = cxrisk.run(base, trials=4000)
cost = today.summary["metrics"]["total_cost"]
print(f"{base.name}: poor service costs {cost['mean']:,.0f} a year on average, {cost['p95']:,.0f} in one year in twenty")

easy = base.with_changes(
    [{"set": "problems.billing_error.complaint_rate", "to": {"dist": "pert", "min": 0.6, "mode": 0.7, "max": 0.8}}],
    name="Easier complaining", investment={"upfront": 3.0e8, "per_period": 2.0e7})
fcr = base.with_changes(
    [{"set": "problems.billing_error.handling.front_line.resolution",
      "to": {"resolved": 0.75, "mollified": 0.15, "unresolved": 0.10}}],
    name="First-contact resolution", investment={"upfront": 5.0e8, "per_period": 3.0e7})
case = cxrisk.compare(base, easy, fcr, trials=4000)
print(case.to_pandas()[["savings_mean", "investment_pv_mean", "net_benefit_mean", "p_net_benefit_positive"]])
best = max(case["alternatives"], key=lambda a: a["net_benefit"]["mean"])
print(f"best: {best['name']}, pays for itself with probability {best['p_net_benefit_positive']:.0%}")
