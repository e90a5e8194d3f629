"""The rough edges a new user hit writing a scenario from scratch: forgiving where it is safe (shares that
nearly sum to 1), and precise where it matters (what was meant by 35, 45%, 700,000, or a line indented
wrongly)."""
import json
import textwrap

import pytest

from conftest import SCENARIOS

HEAD = """\
cxrisk: 1
name: Insurer from scratch
horizon: {periods: 12, period: month}
valuation: {method: annual}
"""

PROBLEM = """\
problems:
  - name: claims_delay
    incidence: {incidence}
    complaint_rate: {complaint_rate}
    handling:
      - {{tier: front_line, resolution: {resolution}}}
    loyalty: {{no_problem: 0.9, silent: 0.5, quick: 0.9, resolved: 0.8, mollified: 0.6, unresolved: 0.4}}
"""


def scenario(tmp_path, customers="700000", incidence="0.02", complaint_rate="0.35",
             resolution="{resolved: 0.6, mollified: 0.25, unresolved: 0.15}", segments=None):
    segments = segments or f"segments:\n  - name: retail\n    customers: {customers}\n    value: {{mean: 900}}\n"
    path = tmp_path / "insurer.yaml"
    path.write_text(HEAD + segments + PROBLEM.format(incidence=incidence, complaint_rate=complaint_rate,
                                                     resolution=resolution))
    return path


def test_the_written_scenario_is_valid(cli, tmp_path):
    cli("validate", scenario(tmp_path), check=0)


def test_shares_that_nearly_sum_to_one_are_scaled_with_a_warning(cli, tmp_path):
    path = scenario(tmp_path, resolution="{resolved: 0.3333, mollified: 0.3333, unresolved: 0.3333}")
    _, out, err = cli("validate", path, check=0)
    assert "ok" in out
    assert "warning:" in err and "insurer.yaml:14:" in err and "problems[0].handling[0].resolution" in err
    assert "shares sum to 0.9999, not 1" in err
    expanded = cli("expand", path, check=0)[1]
    assert "resolved: 0.33333333333333337" in expanded or "resolved: 0.3333333333333333" in expanded
    # The scaled shares are what a run uses: the same numbers as shares written to sum to 1.
    exact = scenario(tmp_path / ".." , resolution="{resolved: 0.3333333333333333, mollified: 0.3333333333333333, "
                                                  "unresolved: 0.3333333333333334}")
    a = cli.json("run", path, "--trials", 300)
    b = cli.json("run", exact, "--trials", 300)
    assert a["metrics"]["total_cost"]["mean"] == b["metrics"]["total_cost"]["mean"]


def test_shares_far_from_one_are_refused_with_the_sum_as_a_person_writes_it(cli, tmp_path):
    path = scenario(tmp_path, resolution="{resolved: 0.7, mollified: 0.2, unresolved: 0.2}")
    status, _, err = cli("validate", path)
    assert status == 2
    assert "shares must sum to 1 (within 0.5%), got 0.7 + 0.2 + 0.2 = 1.1" in err
    assert "0.9999999" not in err and "1.0999999" not in err


def test_a_percentage_for_a_probability_says_how_to_write_it(cli, tmp_path):
    status, _, err = cli("validate", scenario(tmp_path, complaint_rate="35"))
    assert status == 2 and "got 35 (a percentage? 35% is 0.35)" in err and "problems[0].complaint_rate" in err
    status, _, err = cli("validate", scenario(tmp_path, incidence="45%"))
    assert status == 2 and "got '45%' (write a percentage as a fraction: 45% is 0.45)" in err


def test_a_thousands_separator_says_how_to_write_the_number(cli, tmp_path):
    status, _, err = cli("validate", scenario(tmp_path, customers="700,000"))
    assert status == 2 and "segments[0].customers: must be a number, got '700,000' (write it without separators: 700000)" in err
    # Inside { } the comma ends the value, and YAML reads the digits after it as a key.
    flow = "segments:\n  - {name: retail, customers: 700,000, value: {mean: 900}}\n"
    status, _, err = cli("validate", scenario(tmp_path, segments=flow))
    assert status == 2 and "unknown key '000'" in err and "Write it without separators (700000)" in err


def test_an_indentation_error_names_the_line_to_check(cli, tmp_path):
    bad = "segments:\n  - name: retail\n    customers: 700000\n   value: {mean: 900}\n"
    status, _, err = cli("validate", scenario(tmp_path, segments=bad))
    assert status == 2
    assert "insurer.yaml:8:" in err and "check the indentation of line 8" in err
    unclosed = "segments:\n  - {name: retail, customers: 700000, value: {mean: 900}\n"
    status, _, err = cli("validate", scenario(tmp_path, segments=unclosed))
    assert status == 2 and "is not closed" in err


def test_a_change_path_with_a_wrong_tier_lists_the_tiers(cli, tmp_path):
    alt = tmp_path / "alt.yaml"
    alt.write_text(textwrap.dedent(f"""\
        cxrisk: 1
        name: Faster claims
        extends: {SCENARIOS / 'telecom.yaml'}
        changes:
          - {{set: problems.billing_error.handling.frontline.cost, to: 500}}
        """))
    status, _, err = cli("validate", alt)
    assert status == 2
    assert "no tier 'frontline' (there are: front_line, headquarters); did you mean 'front_line'?" in err
    assert "alt.yaml:5:" in err and "changes[0].set" in err


def test_a_name_with_a_dot_is_addressed_in_quotes(cli, tmp_path):
    base = scenario(tmp_path).read_text().replace("name: claims_delay", "name: claims.delay")
    (tmp_path / "base.yaml").write_text(base)
    alt = tmp_path / "alt.yaml"
    alt.write_text('cxrisk: 1\nname: Alt\nextends: base.yaml\nchanges:\n'
                   '  - {set: \'problems."claims.delay".incidence\', to: 0.01}\n')
    expanded = cli("expand", alt, check=0)[1]
    assert "incidence: 0.01" in expanded
    summary = cli.json("run", alt, "--trials", 200)
    assert list(summary["breakdown"]["problem"]) == ["claims.delay"]
    assert json.dumps(summary)  # a name with a dot round-trips in the JSON


def test_ten_percent_more_of_a_probability_is_a_scale(cli, tmp_path):
    """A beta scaled by 1.1 reaches 1.1, but with a probability far below 1e-12: accepted, and its mean is
    1.1 times the base's (what the closed form and a run both say)."""
    alt = tmp_path / "more.yaml"
    alt.write_text(textwrap.dedent(f"""\
        cxrisk: 1
        name: 10% more billing errors
        extends: {SCENARIOS / 'telecom.yaml'}
        changes:
          - {{scale: problems.billing_error.incidence, by: 1.1}}
        """))
    cli("validate", alt, check=0)
    path = "problems.billing_error.incidence"
    base = {i["path"]: i for i in cli.json("expect", SCENARIOS / "telecom.yaml")["inputs"]}[path]
    more = {i["path"]: i for i in cli.json("expect", alt)["inputs"]}[path]
    assert more["mean"] == pytest.approx(1.1 * base["mean"], rel=1e-12)
    assert more["p90"] == pytest.approx(1.1 * base["p90"], rel=1e-12)
    # The draws are the scaled distribution's: a run agrees with the closed form at the inputs' means.
    closed = cli.json("expect", alt)["breakdown"]["problem"]["billing_error"]["customers_with_problems"]["mean"]
    run = cli.json("run", alt, "--trials", 4000)["breakdown"]["problem"]["billing_error"]["customers_with_problems"]
    assert abs(run["mean"] - closed) < 5 * run["se"]
    # A gamma for a small probability: unbounded, but with nothing to speak of above 1.
    gamma = tmp_path / "gamma.yaml"
    gamma.write_text(alt.read_text().replace("{scale: problems.billing_error.incidence, by: 1.1}",
                                             "{set: problems.network_outage.incidence, "
                                             "to: {dist: gamma, mean: 0.004, sd: 0.001}}"))
    cli("validate", gamma, check=0)
    # Scaled so far that its tail past 1 is not negligible: refused, saying the rule.
    alt.write_text(alt.read_text().replace("by: 1.1", "by: 400"))
    status, _, err = cli("validate", alt)
    assert status == 2 and "up to 1e-12 of its probability beyond" in err and "more.yaml:5:" in err


def test_samples_hold_each_trials_inputs_and_breakdowns(cli, tmp_path):
    """--samples: each trial's totals and sampled inputs; --samples breakdown: and its metrics by every
    breakdown entry, which add up to the totals and average to the summary's breakdown."""
    import csv
    import math

    out = tmp_path / "out"
    status, _, _ = cli("run", SCENARIOS / "telecom.yaml", "--trials", 2000, "--out", out, "--samples", "breakdown",
                       "--json")
    assert status == 0
    summary = json.loads((out / "summary.json").read_text())
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == 2000
    uncertain = [i for i in summary["inputs"] if i["uncertain"]]
    header = list(rows[0])
    for x in uncertain:
        assert x["path"] in header, x["path"]
    # Inputs: each column is a draw of its distribution (its mean within 5 standard errors).
    for x in uncertain:
        if "mean" not in x:
            continue
        values = [float(r[x["path"]]) for r in rows]
        mean = math.fsum(values) / len(values)
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
        assert abs(mean - x["mean"]) <= 5 * sd / math.sqrt(len(values)) + 1e-12 * abs(x["mean"]), x["path"]
    # Breakdowns: each entry's column averages to the summary's, and the problems add up to the total.
    problems = list(summary["breakdown"]["problem"])
    for name in problems:
        column = [float(r[f"problem.{name}.total_cost"]) for r in rows]
        want = summary["breakdown"]["problem"][name]["total_cost"]["mean"]
        assert math.fsum(column) / len(column) == pytest.approx(want, rel=1e-12)
    for r in rows[:50]:
        parts = math.fsum(float(r[f"problem.{p}.customers_lost"]) for p in problems)
        assert parts == pytest.approx(float(r["customers_lost"]), rel=1e-9, abs=1e-6)
    # Plain --samples: totals and inputs, no breakdowns; a bad word says what is allowed.
    cli("run", SCENARIOS / "telecom.yaml", "--trials", 100, "--out", tmp_path / "plain", "--samples", check=0)
    plain = (tmp_path / "plain" / "trials.csv").read_text().splitlines()[0].split(",")
    assert plain[:12] == ["trial"] + list(summary["metrics"]) and uncertain[0]["path"] in plain
    assert not any(c.startswith("problem.") for c in plain)
    status, _, err = cli("run", SCENARIOS / "telecom.yaml", "--out", tmp_path / "x", "--samples", "breakdwn")
    assert status == 2 and "breakdown" in err


def test_validate_reports_every_independent_error_in_file_order(cli):
    from conftest import TEST_DATA

    path = TEST_DATA / "several" / "four_mistakes.yaml"
    status, out, err = cli("validate", path)
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 4 and all(line.startswith(f"error: {path}:") for line in lines)
    assert [line.split(":")[2] for line in lines] == ["7", "14", "16", "19"]  # the lines, in file order
    assert "segments[0].valeu: unknown key 'valeu'; did you mean 'value'?" in lines[0]
    assert "problems[0].complaint_rate: must be a probability between 0 and 1, got 35" in lines[1]
    assert "problems[0].handling[0].resolution: shares must sum to 1" in lines[2]
    assert "problems[1].stage: unknown stage 'delivry'" in lines[3]
    # run says the same, and a typo does not also report the key it misspelled as missing.
    assert cli("run", path)[2] == err
    typo = TEST_DATA / "bad" / "unknown_top_key.yaml"
    assert len(cli("validate", typo)[2].splitlines()) == 1


def test_compare_names_the_base_cost_and_alternatives_of_another_structure(cli, tmp_path):
    """An alternative with another problem list shares draws with the base only where they match: compare
    names it, in the table and the JSON; the table also gives the base's own cost."""
    other = tmp_path / "other.yaml"
    text = (SCENARIOS / "tarp_major.yaml").read_text().replace("name: TARP major problem (loss over $100)",
                                                                "name: With a second problem")
    extra = text[text.index("  - name: major_problem"):].replace("major_problem", "second_problem")
    other.write_text(text + extra)
    status, out, _ = cli("compare", SCENARIOS / "tarp_major.yaml", SCENARIOS / "tarp_minor.yaml", other,
                         "--trials", 500)
    assert status == 0
    assert "With a second problem *" in out and "* has other segments, stages, problems or tiers" in out
    assert "base total_cost: mean " in out
    c = cli.json("compare", SCENARIOS / "tarp_major.yaml", other, "--trials", 500)
    assert c["alternatives"][0]["same_structure"] is False and "base_total_cost" in c
    same = cli.json("compare", SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_prevention.yaml", "--trials", 500)
    assert same["alternatives"][0]["same_structure"] is True
