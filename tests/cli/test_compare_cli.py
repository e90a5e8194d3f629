"""cxrisk compare and cxrisk expand end to end."""
import csv
import json

from conftest import SCENARIOS, TEST_DATA

STATS = ["mean", "sd", "se", "min", "max", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "cvar95", "ci95"]


def test_compare_json_follows_the_contract(cli):
    alts = [p for p in sorted(SCENARIOS.glob("telecom_*.yaml")) if p.name != "telecom_correlated.yaml"]  # improvements
    c = cli.json("compare", SCENARIOS / "telecom.yaml", *alts, "--trials", "500")
    assert list(c)[:5] == ["cxrisk", "base", "currency", "trials", "seed"]
    assert c["base"] == "Telecom, 2026 baseline"
    assert c["trials"] == 500
    assert len(c["alternatives"]) == len(alts)
    for a in c["alternatives"]:
        assert list(a) == ["name", "savings", "investment_pv", "net_benefit", "roi", "payback_period",
                           "p_payback_within_horizon", "p_net_benefit_positive", "break_even_investment",
                           "same_structure", "distributions", "payback_curve"]
        # Paying back with more certainty allows less up front.
        b = a["break_even_investment"]
        assert list(b) == ["at_50", "at_80", "at_90"] and b["at_50"] >= b["at_80"] >= b["at_90"]
        assert list(a["savings"]) == ["total_cost", "revenue_lost", "customers_lost"]
        for stats in (a["savings"]["total_cost"], a["investment_pv"], a["net_benefit"], a["roi"]):
            assert list(stats) == STATS
        assert 0 <= a["p_net_benefit_positive"] <= 1
        assert 0 <= a["p_payback_within_horizon"] <= 1
        assert abs(a["net_benefit"]["mean"] - (a["savings"]["total_cost"]["mean"] - a["investment_pv"]["mean"])) <= \
            1e-6 * abs(a["savings"]["total_cost"]["mean"])


def test_compare_table_and_outputs(cli, tmp_path):
    alts = sorted(SCENARIOS.glob("ecommerce_*.yaml"))
    _, out, _ = cli("compare", SCENARIOS / "ecommerce.yaml", *alts, "--trials", "300", "--out", tmp_path, check=0)
    assert "rank" in out and "net benefit" in out
    c = json.loads((tmp_path / "comparison.json").read_text())
    for a in c["alternatives"]:
        assert a["name"] in out  # every alternative is ranked
    rows = list(csv.DictReader((tmp_path / "comparison.csv").open()))
    assert [r["alternative"] for r in rows] == [a["name"] for a in c["alternatives"]]
    assert float(rows[0]["net_benefit_mean"]) == c["alternatives"][0]["net_benefit"]["mean"]


def test_compare_identical_alternative_saves_nothing(cli):
    c = cli.json("compare", TEST_DATA / "compare" / "base.yaml", TEST_DATA / "compare" / "same.yaml",
                 "--trials", "300")
    s = c["alternatives"][0]["savings"]["total_cost"]
    assert s["min"] == s["max"] == 0
    assert c["alternatives"][0]["roi"] is None


def test_expand_round_trip(cli, tmp_path):
    for name in ("telecom_first_contact_resolution.yaml", "saas_b2b.yaml"):
        _, expanded, _ = cli("expand", SCENARIOS / name, check=0)
        copy = tmp_path / name
        copy.write_text(expanded)
        a = cli.json("run", SCENARIOS / name, "--trials", "300")
        b = cli.json("run", copy, "--trials", "300")
        assert a == b


def test_compare_bad_alternative_exits_2(cli):
    status, _, err = cli("compare", SCENARIOS / "telecom.yaml", TEST_DATA / "compare" / "unmatched.yaml")
    assert status == 2
    assert "matches nothing" in err
