"""The Python module: the same numbers as the command line, as dicts, arrays and frames."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import cxrisk
from conftest import EXAMPLES, SCENARIOS, TEST_DATA


def test_run_equals_the_command_line_exactly(cli_json):
    for name in ("telecom.yaml", "saas_b2b.yaml"):
        path = SCENARIOS / name
        py = cxrisk.run(str(path), trials=1500, seed=99).summary
        assert py == cli_json("run", path, "--trials", 1500, "--seed", 99)


def test_expect_and_compare_equal_the_command_line(cli_json):
    assert cxrisk.expect(SCENARIOS / "tarp_major.yaml") == cli_json("expect", SCENARIOS / "tarp_major.yaml")
    alts = [SCENARIOS / "ecommerce_easy_complaining.yaml", SCENARIOS / "ecommerce_expectation_setting.yaml"]
    py = cxrisk.compare(SCENARIOS / "ecommerce.yaml", *alts, trials=700, seed=3)
    assert dict(py) == cli_json("compare", SCENARIOS / "ecommerce.yaml", *alts, "--trials", 700, "--seed", 3)


def test_sensitivity_and_voi_equal_the_command_line(cli_json):
    path = SCENARIOS / "saas_b2b.yaml"
    py = cxrisk.sensitivity(path, metrics=["total_cost", "customers_lost"], design=256, trials=1200, seed=5)
    assert dict(py) == cli_json("sensitivity", path, "--metric", "total_cost", "--metric", "customers_lost",
                                "--design", 256, "--trials", 1200, "--seed", 5)
    frame = py.to_pandas()
    n_inputs = len(py["metrics"]["total_cost"]["inputs"])
    assert len(frame) == 2 * n_inputs and frame.index.names == ["metric", "input"]
    first = py["metrics"]["total_cost"]["inputs"][0]
    assert frame.loc[("total_cost", first["path"]), "sobol_total"] == first["sobol_total"]
    groups = py.groups_to_pandas()
    assert set(groups.index.get_level_values("dimension")) == {"problem", "segment", "kind"}

    base, alt = SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_easy_complaining.yaml"
    c = cxrisk.compare(base, alt, trials=1500, seed=8, voi=True)
    assert dict(c) == cli_json("compare", base, alt, "--trials", 1500, "--seed", 8, "--voi")
    voi = c.voi_to_pandas()
    assert voi.iloc[0]["of"] == "everything" and voi.iloc[0]["value"] == c["voi"]["evpi"]
    assert len(voi) == 1 + len(c["voi"]["evppi"]) + sum(len(g) for g in c["voi"]["groups"].values())
    assert (voi["value"] <= c["voi"]["evpi"]).all()
    with pytest.raises(ValueError, match="voi=True"):
        cxrisk.compare(base, alt, trials=300).voi_to_pandas()
    with pytest.raises(ValueError, match="unknown metric"):
        cxrisk.sensitivity(path, metrics=["total_costs"])
    with pytest.raises(ValueError, match="at least 1,000 trials"):
        cxrisk.compare(base, alt, trials=300, voi=True)


def test_samples_are_per_trial_views():
    r = cxrisk.run(SCENARIOS / "telecom.yaml", trials=1234)
    for metric in cxrisk.METRICS:
        x = r.samples(metric)
        assert isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype == np.float64
        assert len(x) == 1234 == r.trials
        assert x.mean() == pytest.approx(r.summary["metrics"][metric]["mean"], rel=1e-12, abs=1e-9)
    x = r.samples("total_cost")
    assert not x.flags.writeable and not x.flags.owndata  # a view of the engine's memory, no copy
    del r
    assert np.isfinite(x).all()  # the view keeps the result alive
    with pytest.raises(KeyError):
        cxrisk.run(SCENARIOS / "tarp_major.yaml", trials=10).samples("no_such_metric")


def test_frames():
    r = cxrisk.run(SCENARIOS / "ecommerce.yaml", trials=500)
    df = r.to_pandas()
    assert list(df.columns)[:len(cxrisk.METRICS)] == cxrisk.METRICS and len(df) == 500 and df.index.name == "trial"
    assert "problems.major_problem.incidence" not in df.columns or df["problems.major_problem.incidence"].nunique() > 1
    assert df["revenue_lost"].mean() == pytest.approx(r.summary["metrics"]["revenue_lost"]["mean"], rel=1e-12)
    tidy = r.breakdown_frame()
    assert list(tidy.columns) == ["dimension", "name", "metric", "statistic", "value"]
    assert set(tidy["dimension"]) == {"total", "problem", "stage", "segment", "cause", "outcome"}
    row = tidy.query("dimension == 'stage' and name == 'delivery' and metric == 'total_cost' and statistic == 'p95'")
    assert row["value"].item() == r.summary["breakdown"]["stage"]["delivery"]["total_cost"]["p95"]


def test_dict_yaml_string_and_file_give_the_same_result():
    path = SCENARIOS / "tarp_minor.yaml"
    text = path.read_text()
    from_file = cxrisk.load(path)
    from_text = cxrisk.load(text)
    from_dict = cxrisk.load(from_file.to_dict())
    import yaml

    from_plain_dict = cxrisk.load(yaml.safe_load(text))
    results = [cxrisk.run(s, trials=400, seed=5).summary for s in (from_file, from_text, from_dict, from_plain_dict)]
    assert all(r == results[0] for r in results)
    assert from_file.to_yaml() == from_dict.to_yaml()


def test_malformed_file_raises_scenario_error_with_its_place():
    bad = TEST_DATA / "bad" / "beta_sd_negative.yaml"
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load(bad)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.file, e.line, e.column, e.path) == (str(bad), 15, 49, "problems[0].complaint_rate.sd")
    cli = subprocess.run([os.environ.get("CXRISK_EXE", "build/engine/cxrisk"), "validate", str(bad)],
                         capture_output=True, text=True)
    assert cli.stderr.strip() == f"error: {e}"  # the same message as the command line


def test_malformed_dict_raises_scenario_error_with_its_path():
    d = cxrisk.load(SCENARIOS / "tarp_major.yaml").to_dict()
    d["problems"][0]["incidence"] = {"dist": "beta", "mean": 0.5, "sd": -1}
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load(d)
    assert info.value.path == "problems[0].incidence.sd"
    assert info.value.file == "<dict>" and info.value.line is None and info.value.column is None
    assert str(info.value) == "<dict>: problems[0].incidence.sd: must be > 0"
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load("cxrisk: 1\nname: x\nhorizon: {periods: 2}\nsegments: []\nproblems: []\n")
    assert info.value.file == "<string>" and info.value.line == 4 and info.value.path == "segments"


def test_an_error_quoting_bytes_that_are_not_utf8_is_still_a_scenario_error(tmp_path):
    # An unknown key with the byte 0xff: the message quotes it, replaced by U+FFFD, not a UnicodeDecodeError.
    bad = tmp_path / "key.yaml"
    bad.write_bytes(b"cxrisk: 1\nname: x\nhorizon: {periods: 2}\nfoo\xff: 1\n")
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load(bad)
    e = info.value
    # Every error of the file is in the text (the missing segments and problems come first, at 1:1).
    assert e.file == str(bad) and f"{bad}:4:1: foo\ufffd: unknown key 'foo\ufffd'" in str(e)


def test_a_file_name_that_is_not_utf8_loads_like_any_other(tmp_path, monkeypatch):
    # Python holds such a name with surrogates (os.fsdecode); it reaches the loader as the file's bytes.
    name = os.fsdecode(b"tarp \xff.yaml")
    (tmp_path / name).write_bytes((SCENARIOS / "tarp_major.yaml").read_bytes())
    expected = cxrisk.load(SCENARIOS / "tarp_major.yaml").to_yaml()
    for source in (tmp_path / name, str(tmp_path / name)):
        scenario = cxrisk.load(source)
        assert scenario.source == str(tmp_path / name) and scenario.to_yaml() == expected
    monkeypatch.chdir(tmp_path)
    assert cxrisk.load(f"cxrisk: 1\nname: improved\nextends: {name}\n").name == "improved"


def test_a_string_that_can_only_be_a_path_is_read_as_one():
    # A folder, or one line without a colon (never a scenario), is not parsed as YAML text.
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load(str(SCENARIOS))
    assert str(info.value).endswith("is a folder, not a scenario file (`cxrisk batch` runs every scenario of a folder)")
    with pytest.raises(cxrisk.ScenarioError) as info:
        cxrisk.load("no_such_scenario")
    assert str(info.value) == "no_such_scenario: cannot open the scenario file (No such file or directory)"


def test_damaged_dicts_give_scenario_errors_or_finite_results():
    """Leaves of a scenario dict replaced by values of every awkward kind: each load and run either succeeds
    with numbers everywhere or raises ScenarioError, never another exception."""
    import copy
    import math
    import random

    rng = random.Random(2026)
    base = cxrisk.load(SCENARIOS / "ecommerce.yaml").to_dict()
    awkward = [None, True, 2**70, -(2**70), float("nan"), float("inf"), 1e-320, 1e308, "", "x", [], {}, [1],
               {"dist": "beta"}, -1, 0, 0.5, "\x00", {"dist": "gamma", "shape": 1e20, "scale": 1}]

    def leaves(x, path=()):
        items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else None
        if items is None:
            yield path
        else:
            for k, v in items:
                yield from leaves(v, path + (k,))

    paths = list(leaves(base))
    outcomes = {"ran": 0, "refused": 0}
    for _ in range(300):
        d = copy.deepcopy(base)
        *parents, last = rng.choice(paths)
        node = d
        for k in parents:
            node = node[k]
        node[last] = rng.choice(awkward)
        try:
            summary = cxrisk.run(cxrisk.load(d), trials=8, threads=1).summary
        except cxrisk.ScenarioError:
            outcomes["refused"] += 1
            continue
        outcomes["ran"] += 1
        for stats in summary["metrics"].values():
            assert all(math.isfinite(v) for k, v in stats.items() if k != "ci95")
            assert all(b is None or all(math.isfinite(x) for x in b) for b in stats["ci95"].values())
    assert outcomes["ran"] > 20 and outcomes["refused"] > 100  # both kinds of outcome were exercised


def test_with_changes_equals_an_extends_file():
    base = cxrisk.load(TEST_DATA / "compare" / "base.yaml")
    changed = base.with_changes(
        [{"set": "problems.late_parcel.complaint_rate", "to": 0.6},
         {"set": "problems.wrong_invoice.handling.chat.resolution",
          "to": {"resolved": 0.7, "mollified": 0.2, "unresolved": 0.1}},
         {"set": "segments.trade.value.mean", "to": 800}],
        name="Set", investment={"upfront": 20000, "per_period": 3000})
    from_file = cxrisk.load(TEST_DATA / "compare" / "set.yaml")
    assert changed.to_yaml() == from_file.to_yaml()
    assert cxrisk.run(changed, trials=300).summary == cxrisk.run(from_file, trials=300).summary
    with pytest.raises(cxrisk.ScenarioError) as info:
        base.with_changes([{"set": "problems.nope.incidence", "to": 0.1}])
    assert info.value.path == "changes[0].set" and "matches nothing" in str(info.value)


def test_comparison_samples_and_frame():
    base = cxrisk.load(SCENARIOS / "ecommerce.yaml")
    c = cxrisk.compare(base, SCENARIOS / "ecommerce_easy_complaining.yaml", trials=300)
    s = c.samples("Make complaining easy")
    assert len(s) == 300
    assert s.mean() == pytest.approx(c["alternatives"][0]["savings"]["total_cost"]["mean"], rel=1e-9)
    assert list(c.to_pandas().index) == ["Make complaining easy"]


def test_the_gil_is_released_while_the_engine_runs():
    # Another Python thread can only run while the main thread is inside the engine if the engine released the
    # GIL. The helper waits until the main thread's innermost Python frame is the call into the engine, then
    # stops the run with SIGINT: the run ends with KeyboardInterrupt only if the helper could run meanwhile
    # (were the GIL held, it would wait for the whole run, which takes minutes, and the run would end normally).
    import inspect
    main = threading.main_thread().ident
    lines, first = inspect.getsourcelines(cxrisk.run)
    call = first + next(i for i, line in enumerate(lines) if "_cxrisk._run(" in line)
    seen = []

    def helper():
        while True:
            frame = sys._current_frames().get(main)
            if frame is not None and frame.f_code is cxrisk.run.__code__ and frame.f_lineno == call:
                seen.append(call)
                break
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=helper)
    t.start()
    with pytest.raises(KeyboardInterrupt):
        cxrisk.run(SCENARIOS / "telecom.yaml", trials=10_000_000, threads=1)
    t.join()
    assert seen


def test_ctrl_c_interrupts_a_long_run():
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        cxrisk.run(SCENARIOS / "telecom.yaml", trials=10_000_000)
    assert time.perf_counter() - start < 10


def test_bad_arguments():
    with pytest.raises(ValueError):
        cxrisk.run(SCENARIOS / "tarp_major.yaml", trials=10, mode="fast")
    with pytest.raises(ValueError):
        cxrisk.run(SCENARIOS / "tarp_major.yaml", trials=0)
    with pytest.raises(cxrisk.ScenarioError):
        cxrisk.load("no/such/file.yaml")
    with pytest.raises(TypeError):
        cxrisk.load(42)
    # trials, seed and threads: whole numbers in their ranges, with a message naming the argument.
    tarp = SCENARIOS / "tarp_major.yaml"
    for kwargs, error, message in [({"seed": -1}, ValueError, "seed must be between 0 and 18446744073709551615"),
                                   ({"seed": 2**64}, ValueError, "seed must be between"),
                                   ({"trials": 2**32}, ValueError, "trials must be between 1 and 4294967295"),
                                   ({"threads": 0}, ValueError, "threads must be between 1 and 1024"),
                                   ({"threads": 1025}, ValueError, "threads must be between 1 and 1024"),
                                   ({"trials": 1.5}, TypeError, "trials must be a whole number, got 1.5"),
                                   ({"seed": "7"}, TypeError, "seed must be a whole number, got '7'"),
                                   ({"threads": True}, TypeError, "threads must be a whole number")]:
        with pytest.raises(error, match=message):
            cxrisk.run(tarp, **({"trials": 10} | kwargs))
        with pytest.raises(error, match=message):
            cxrisk.compare(tarp, tarp, **({"trials": 10} | kwargs))
    numpy = pytest.importorskip("numpy")
    assert cxrisk.run(tarp, trials=numpy.int64(10), seed=numpy.uint64(2**64 - 1), threads=numpy.int32(2)).trials == 10


def test_the_example_builds_a_business_case():
    env = dict(os.environ)
    p = subprocess.run([sys.executable, str(EXAMPLES / "business_case.py"), str(SCENARIOS / "telecom.yaml")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "best:" in p.stdout and "First-contact resolution" in p.stdout


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_to_dict_loads_back_to_the_same_scenario(path):
    s = cxrisk.load(path)
    again = cxrisk.load(s.to_dict())
    assert again == s
    assert again.to_yaml() == s.to_yaml()
    assert cxrisk.run(again, trials=200).summary == cxrisk.run(s, trials=200).summary


@pytest.mark.parametrize("name", ["1e3", "true", "null", "0x10", "1000.0", "no", "~", "12:30"])
def test_to_dict_keeps_names_that_look_like_other_things(name):
    # Names key the random streams: a name read back as another text would change every number.
    text = (SCENARIOS / "tarp_major.yaml").read_text()
    d = cxrisk.load(SCENARIOS / "tarp_major.yaml").to_dict()
    d["segments"][0]["name"] = name
    d["problems"][0]["name"] = name
    s = cxrisk.load(d)
    back = s.to_dict()
    assert back["segments"][0]["name"] == name and back["problems"][0]["name"] == name
    assert isinstance(back["horizon"]["periods"], int) and isinstance(back["segments"][0]["customers"], float)
    again = cxrisk.load(back)
    assert again == s
    assert cxrisk.run(again, trials=300).summary == cxrisk.run(s, trials=300).summary
    # The YAML of `expand` reads back the same way.
    assert cxrisk.load(s.to_yaml()) == s
    assert text  # the shipped file itself is untouched


def test_sampling_and_correlations_equal_the_command_line(cli_json, tmp_path):
    path = tmp_path / "correlated.yaml"
    path.write_text(f"""cxrisk: 1
name: Telecom, correlated
extends: {(SCENARIOS / "telecom.yaml").resolve()}
correlations:
  - inputs: [problems.plan_mis_sold.incidence, problems.network_outage.incidence, problems.slow_support.incidence]
    matrix: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
""")
    # The repaired matrix is a warning, as the command line prints it.
    with pytest.warns(UserWarning, match="nearest valid one is used"):
        scenario = cxrisk.load(path)
    assert len(scenario.warnings) == 1 and scenario.sampling == "random"
    for sampling in ("lhs", "sobol"):
        py = cxrisk.run(scenario, trials=1000, seed=5, sampling=sampling).summary
        assert py == cli_json("run", path, "--trials", 1000, "--seed", 5, "--sampling", sampling)
        assert py["sampling"] == {"design": sampling, "replicates": 16, "se": "replicates"}
        assert py["correlations"][0]["asked"] == 0.9 and abs(py["correlations"][0]["used"] - 0.483) < 1e-3
    with pytest.raises(ValueError, match="sampling must be one of random, lhs, sobol"):
        cxrisk.run(scenario, trials=100, sampling="latin")


def test_sensitivity_of_correlated_inputs_to_pandas():
    result = cxrisk.sensitivity(SCENARIOS / "telecom_correlated.yaml", metrics=["total_cost"], design=256,
                                trials=500)
    frame = result.to_pandas()
    incidence = frame.loc[("total_cost", "problems.billing_error.incidence")]
    assert incidence["correlated_group"] == "problems.plan_mis_sold.incidence and 4 more"
    assert pd.isna(incidence["sobol_total"]) and pd.isna(incidence["sobol_total_low"])
    groups = result.groups_to_pandas()
    assert groups.loc[("total_cost", "correlated", "problems.plan_mis_sold.incidence and 4 more"), "sobol_total"] > 0.5


def test_precision_equals_the_command_line(cli_json):
    path = SCENARIOS / "tarp_minor.yaml"
    py = cxrisk.run(path, precision="total_cost:mean:0.2%").summary
    assert py == cli_json("run", path, "--precision", "total_cost:mean:0.2%")
    assert py["precision"]["met"] and py["variance_reduction"]["points"] == 8 * py["trials"]
    plain = cxrisk.run(path, trials=3000, variance_reduction=False).summary
    assert "variance_reduction" not in plain
    reduced = cxrisk.run(path, trials=3000, variance_reduction=True).summary
    assert reduced == cli_json("run", path, "--trials", 3000, "--variance-reduction", "on")
    with pytest.warns(UserWarning, match="precision not met by the maximum of 8192 trials"):
        cxrisk.run(path, precision=["total_cost:p99:0.001%"], max_trials=8192)
    with pytest.raises(ValueError, match="unknown statistic 'p97'"):
        cxrisk.run(path, precision="total_cost:p97:1%")
    alt = SCENARIOS / "tarp_major.yaml"
    c = cxrisk.compare(alt, path, precision="savings:mean:5%", trials=None)
    assert c["precision"]["met"] and c["trials"] == c["precision"]["trials"]


def test_reports_from_python_are_the_command_lines(tmp_path):
    """result.report, comparison.report and sensitivity.report write what `cxrisk ... --report` writes: the
    same page (remade by `cxrisk report` from the folder) and a workbook with the same numbers."""
    import openpyxl

    result = cxrisk.run(SCENARIOS / "tarp_major.yaml", trials=800, seed=4)
    result.report(tmp_path / "run")
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == ["breakdown.csv", "provenance.json", "report.html", "report.xlsx", "summary.json"]
    assert json.loads((tmp_path / "run" / "provenance.json").read_text())["command"].startswith("python ")
    page = (tmp_path / "run" / "report.html").read_text()
    subprocess.run([os.environ.get("CXRISK_EXE", "build/engine/cxrisk"), "report", str(tmp_path / "run")],
                   check=True)
    assert (tmp_path / "run" / "report.html").read_text() == page
    summary = openpyxl.load_workbook(tmp_path / "run" / "report.xlsx")["Summary"]
    mean = {r[0]: r[1] for r in summary.iter_rows(min_row=2, max_row=12, values_only=True)}
    # Excel keeps 15 to 17 significant digits; libxlsxwriter writes 16.
    assert mean["total_cost"] == pytest.approx(result.summary["metrics"]["total_cost"]["mean"], rel=1e-12)

    comparison = cxrisk.compare(SCENARIOS / "ecommerce.yaml", SCENARIOS / "ecommerce_easy_complaining.yaml",
                                trials=600, seed=2)
    comparison.report(tmp_path / "compare")
    assert json.loads((tmp_path / "compare" / "comparison.json").read_text()) == dict(comparison)
    sheet = openpyxl.load_workbook(tmp_path / "compare" / "report.xlsx")["Comparison"]
    row = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert row[0] == comparison["alternatives"][0]["name"]
    assert row[1] == pytest.approx(comparison["alternatives"][0]["savings"]["total_cost"]["mean"], rel=1e-12)

    s = cxrisk.sensitivity(SCENARIOS / "saas_b2b.yaml", metrics=["total_cost"], design=256, trials=600, seed=5)
    s.report(tmp_path / "sensitivity")
    assert json.loads((tmp_path / "sensitivity" / "sensitivity.json").read_text()) == dict(s)
    assert "Tornado of total_cost" in (tmp_path / "sensitivity" / "report.html").read_text()


def test_batch_and_sweep_equal_the_command_line(tmp_path, cli_json):
    files = [SCENARIOS / "tarp_major.yaml", SCENARIOS / "tarp_minor.yaml"]
    b = cxrisk.batch(*files, trials=400, seed=3, out=tmp_path / "batch")
    cli = cli_json("batch", *files, "--trials", 400, "--seed", 3)
    assert [e["name"] for e in b["scenarios"]] == [e["name"] for e in cli["scenarios"]]
    for e, c in zip(b["scenarios"], cli["scenarios"]):
        assert e["metrics"] == c["metrics"]
    frame = b.to_pandas()
    with open(tmp_path / "batch" / "batch.csv") as f:
        assert list(frame.columns) == f.readline().strip().split(",")
    assert list(frame["status"]) == ["ok", "ok"]
    assert frame["total_cost_mean"][0] == b["scenarios"][0]["metrics"]["total_cost"]["mean"]
    again = cxrisk.batch(*files, trials=400, seed=3, out=tmp_path / "batch", resume=True)
    assert [e["metrics"] for e in again["scenarios"]] == [e["metrics"] for e in b["scenarios"]]
    assert [e["status"] for e in again["scenarios"]] == ["kept", "kept"]

    path = "problems.major_problem.complaint_rate"
    s = cxrisk.sweep(SCENARIOS / "tarp_major.yaml", {path: [0.4, 0.6]}, trials=300, seed=2, out=tmp_path / "sweep")
    assert s == cli_json("sweep", SCENARIOS / "tarp_major.yaml", "--vary", f"{path}=0.4,0.6", "--trials", 300,
                         "--seed", 2)
    assert s == cxrisk.sweep(SCENARIOS / "tarp_major.yaml", [f"{path}=0.4:0.6:0.2"], trials=300, seed=2)
    frame = s.to_pandas()
    assert list(frame[path]) == [0.4, 0.6] and "total_cost_mean" in frame.columns
    assert (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()[0] == ",".join(frame.columns)
    with pytest.raises(ValueError, match="resume needs out"):
        cxrisk.batch(*files, resume=True)


def test_comparison_frame_has_the_csv_columns_and_unknown_metrics_are_named(tmp_path):
    c = cxrisk.compare(SCENARIOS / "ecommerce.yaml", SCENARIOS / "ecommerce_easy_complaining.yaml", trials=300)
    c.write(tmp_path)
    frame = c.to_pandas()
    header = (tmp_path / "comparison.csv").read_text().splitlines()[0].split(",")
    assert [frame.index.name] + list(frame.columns) == header
    assert frame["savings_mean"].iloc[0] == c["alternatives"][0]["savings"]["total_cost"]["mean"]
    result = cxrisk.run(SCENARIOS / "tarp_major.yaml", trials=100)
    with pytest.raises(KeyError, match="the metrics are customers_with_problems, complaints"):
        result.samples("total_costs")
    assert "Any" not in cxrisk.__all__ and "os" not in cxrisk.__all__ and "json" not in cxrisk.__all__
    assert {"batch", "sweep"} <= set(cxrisk.__all__)


def test_trials_frame_has_the_columns_of_samples(tmp_path):
    result = cxrisk.run(SCENARIOS / "telecom.yaml", trials=500, seed=8)
    result.write(tmp_path, samples="breakdown")
    frame = result.to_pandas(breakdown=True)
    written = pd.read_csv(tmp_path / "trials.csv", index_col="trial", float_precision="round_trip")
    assert list(frame.columns) == list(written.columns)
    assert (frame.to_numpy() == written.to_numpy()).all()  # the same numbers, bit for bit
    assert list(result.to_pandas().columns) == [c for c in written.columns if not c.startswith(
        ("problem.", "stage.", "segment.", "cause.", "outcome."))]
    incidence = result.samples("problems.billing_error.incidence")
    assert incidence.shape == (500,) and 0 < incidence.mean() < 0.05
    assert result.samples("problem.billing_error.total_cost").mean() == pytest.approx(
        result.summary["breakdown"]["problem"]["billing_error"]["total_cost"]["mean"], rel=1e-12)
