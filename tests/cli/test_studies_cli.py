"""cxrisk sensitivity and cxrisk compare --voi end to end: the JSON contract, the files, the table."""
import csv
import json

from conftest import SCENARIOS


def test_sensitivity_json_follows_the_contract(cli):
    s = cli.json("sensitivity", SCENARIOS / "saas_b2b.yaml", "--trials", "800", "--design", "256")
    assert list(s)[:4] == ["cxrisk", "scenario", "trials", "seed"]
    assert s["trials"] == 800 and s["design_rows"] == 256
    assert list(s["metrics"]) == ["total_cost", "revenue_lost", "customers_lost"]
    for m in s["metrics"].values():
        assert m["variance"] > 0 and 0 <= m["unexplained_share"] < 1
        totals = [i["sobol_total"] for i in m["inputs"]]
        assert totals == sorted(totals, reverse=True)  # largest first
        for i in m["inputs"]:
            assert set(i) >= {"path", "distribution", "kind", "p10", "p90", "tornado", "spearman", "sobol_first",
                              "sobol_first_ci", "sobol_total", "sobol_total_ci"}
            assert i["p10"] <= i["p90"]
            assert i["tornado"]["swing"] == i["tornado"]["at_p90"] - i["tornado"]["at_p10"]
            assert -1 <= i["spearman"] <= 1
            assert i["sobol_total_ci"][0] <= i["sobol_total"] <= i["sobol_total_ci"][1]
        assert set(m["groups"]) == {"problem", "segment", "kind"}


def test_sensitivity_files_and_table(cli, tmp_path):
    _, out, _ = cli("sensitivity", SCENARIOS / "telecom.yaml", "--metric", "revenue_lost", "--trials", "600",
                    "--design", "128", "--out", tmp_path, check=0)
    assert "revenue_lost: sd" in out and "total index" in out and "by kind:" in out
    s = json.loads((tmp_path / "sensitivity.json").read_text())
    assert list(s["metrics"]) == ["revenue_lost"]
    rows = list(csv.DictReader((tmp_path / "sensitivity.csv").open()))
    inputs = [r for r in rows if r["dimension"] == "input"]
    assert len(inputs) == len(s["metrics"]["revenue_lost"]["inputs"])
    top = s["metrics"]["revenue_lost"]["inputs"][0]
    assert inputs[0]["name"] == top["path"] and float(inputs[0]["sobol_total"]) == top["sobol_total"]
    assert top["path"] in out


def test_sensitivity_refuses_what_it_cannot_do(cli):
    status, _, err = cli("sensitivity", SCENARIOS / "tarp_major.yaml", "--trials", "100")
    assert status == 2 and "no uncertain input" in err
    status, _, err = cli("sensitivity", SCENARIOS / "telecom.yaml", "--metric", "total_costs")
    assert status == 2 and "total_costs" in err


def test_compare_voi_json_files_and_table(cli, tmp_path):
    base, alt = SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_first_contact_resolution.yaml"
    _, out, _ = cli("compare", base, alt, "--trials", "2000", "--voi", "--out", tmp_path, check=0)
    assert "Value of information" in out and "EVPI" in out and "EVPPI" in out
    c = json.loads((tmp_path / "comparison.json").read_text())
    v = c["voi"]
    assert [o["name"] for o in v["options"]] == ["none", "First-contact resolution"]
    assert v["chosen"] in ("none", "First-contact resolution")
    assert v["evpi_ci"][0] <= v["evpi"] <= v["evpi_ci"][1]
    values = [p["value"] for p in v["evppi"]]
    assert values == sorted(values, reverse=True)
    assert all(0 <= x <= v["evpi"] for x in values)
    assert set(v["groups"]) == {"problem", "segment", "kind"}
    rows = list(csv.DictReader((tmp_path / "voi.csv").open()))
    assert rows[0]["of"] == "everything" and float(rows[0]["value"]) == v["evpi"]
    assert [r["name"] for r in rows if r["of"] == "input"] == [p["path"] for p in v["evppi"]]
    # A comparison without --voi into the same folder leaves no stale voi.csv behind.
    cli("compare", base, alt, "--trials", "300", "--out", tmp_path, check=0)
    assert not (tmp_path / "voi.csv").exists()
    assert "voi" not in json.loads((tmp_path / "comparison.json").read_text())


def test_compare_voi_needs_enough_trials(cli, tmp_path):
    status, _, err = cli("compare", SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_prevention.yaml", "--trials",
                         "500", "--voi", "--out", tmp_path / "o")
    assert status == 2 and "at least 1,000 trials" in err
    assert not (tmp_path / "o").exists()


def test_run_to_a_precision_writes_its_convergence_and_warns_when_out_of_reach(cli, tmp_path):
    status, out, err = cli("run", SCENARIOS / "tarp_minor.yaml", "--precision", "total_cost:mean:0.2%",
                           "--precision", "customers_lost:p95:1%", "--out", tmp_path / "met", "--json")
    assert status == 0, err
    summary = json.loads(out)
    precision = summary["precision"]
    assert precision["met"] and precision["rounds"][0] == 2048 and precision["trials"] == summary["trials"]
    assert [t["target"] for t in precision["targets"]] == ["total_cost:mean:0.2%", "customers_lost:p95:1%"]
    rows = (tmp_path / "met" / "convergence.csv").read_text().splitlines()
    assert rows[0] == "trials,of,metric,statistic,estimate,half_width,allowed,met"
    assert len(rows) == 1 + 2 * len(precision["rounds"]) and rows[-1].endswith(",true")
    # The same numbers as a run of that many trials with the same estimators (variance reduction is on for a
    # run to a precision).
    assert summary["variance_reduction"]["points"] == 8 * summary["trials"]
    plain = cli.json("run", SCENARIOS / "tarp_minor.yaml", "--trials", summary["trials"], "--variance-reduction", "on")
    assert plain["metrics"] == summary["metrics"]
    # Out of reach: the maximum's results, a warning, exit 0; a later plain run leaves no stale convergence.csv.
    status, out, err = cli("run", SCENARIOS / "tarp_minor.yaml", "--precision", "total_cost:p99:0.001%",
                           "--max-trials", "8192", "--json")
    assert status == 0 and json.loads(out)["precision"]["met"] is False and json.loads(out)["trials"] == 8192
    assert "warning: precision NOT met by the maximum of 8192 trials" in err
    cli("run", SCENARIOS / "tarp_minor.yaml", "--trials", "100", "--out", tmp_path / "met", check=0)
    assert not (tmp_path / "met" / "convergence.csv").exists()
    for bad, message in [("total_cost:p97:1%", "unknown statistic 'p97'"), ("total_cost:mean", "three parts"),
                         ("total_cost:mean:0%", "not a number above 0")]:
        status, _, err = cli("run", SCENARIOS / "tarp_minor.yaml", "--precision", bad)
        assert status == 2 and message in err, err
    status, _, err = cli("compare", SCENARIOS / "tarp_minor.yaml", SCENARIOS / "tarp_major.yaml", "--precision",
                         "total_cost:mean:1%")
    assert status == 2 and "unknown metric 'total_cost'" in err
