"""The reports (report.html and report.xlsx) of run, compare and sensitivity, looked at as their readers would:
the page in headless Chromium (no console error, no network request, charts with geometry, the headline
equal to the JSON, Japanese names shown as written) and the workbook read back with openpyxl (numbers equal
to the JSON, numeric cells, native charts)."""
import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser import Browser  # noqa: E402

EXE = os.environ["CXRISK_EXE"]
SCENARIOS = Path(os.environ["CXRISK_SCENARIOS"])
DATA = Path(os.environ["CXRISK_TEST_DATA"])
SHOTS = Path(os.environ.get("CXRISK_REPORT_SHOTS", "/tmp/cxrisk-report-shots"))
JA = DATA / "report" / "insurer_ja.yaml"
JA_ALT = DATA / "report" / "insurer_ja_fast_claims.yaml"


def cxrisk(*args, check=True):
    r = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"cxrisk {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
    return r


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cxrisk("run", SCENARIOS / "telecom.yaml", "--trials", 3000, "--out", out, "--report", "--samples")
    return out


@pytest.fixture(scope="module")
def ja_run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ja_run")
    cxrisk("run", JA, "--out", out, "--report")
    return out


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    cxrisk("compare", SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_easy_complaining.yaml",
           SCENARIOS / "telecom_prevention.yaml", "--trials", 2000, "--voi", "--out", out, "--report")
    return out


@pytest.fixture(scope="module")
def sensitivity_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity")
    cxrisk("sensitivity", SCENARIOS / "telecom.yaml", "--trials", 2000, "--design", 1024, "--out", out, "--report")
    return out


def close(a, b, rel=1e-12):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def look_at(browser, folder, name):
    """Opens the folder's report.html; checks what every page must hold; saves a screenshot and a print."""
    page = (folder / "report.html").resolve()
    browser.open(page.as_uri())
    assert browser.console_errors() == []
    # The page and nothing else: no request to the network, and none to another file.
    assert browser.requests() == [page.as_uri()]
    charts = browser.evaluate("""[...document.querySelectorAll('svg.chart-svg')].map(svg => {
        const box = svg.getBoundingClientRect();
        const shapes = [...svg.querySelectorAll('rect, path, line, circle')].filter(e => {
            const b = e.getBBox(); return b.width > 0 || b.height > 0; });
        return {label: svg.getAttribute('aria-label'), width: box.width, height: box.height,
                shapes: shapes.length, marks: svg.querySelectorAll('rect.bin, rect.bar, path.line, path.dot').length};
    })""")
    assert charts, "the page has no chart"
    for c in charts:
        assert c["width"] > 100 and c["height"] > 50, c
        assert c["marks"] > 0 and c["shapes"] >= c["marks"], c  # data marks with an area or a length
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SHOTS / f"{name}.png")
    browser.pdf(SHOTS / f"{name}.pdf")
    assert (SHOTS / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
    return charts


def figures(browser):
    return browser.evaluate("""Object.fromEntries([...document.querySelectorAll('[data-key]')].map(
        e => [e.dataset.key, e.dataset.value]))""")


def test_run_report_page(browser, run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    charts = look_at(browser, run_dir, "run")
    labels = [c["label"] for c in charts]
    assert "Histogram of total_cost" in labels and "Exceedance curve of total_cost" in labels
    assert "The customer-loss chain" in labels
    for dim in ("problem", "stage", "segment", "cause", "outcome"):
        assert f"total_cost by {dim}" in labels
    shown = figures(browser)
    tc = summary["metrics"]["total_cost"]
    for key, value in {"metrics.total_cost.mean": tc["mean"], "metrics.total_cost.p95": tc["p95"],
                       "metrics.total_cost.cvar95": tc["cvar95"],
                       "metrics.customers_lost.mean": summary["metrics"]["customers_lost"]["mean"]}.items():
        assert float(shown[key]) == value, key
    text = browser.evaluate("document.body.innerText")
    # The headline in words, the intervals, the inputs with their quantiles, and the provenance.
    assert f"{round(tc['mean']):,} JPY" in text
    half = (tc["ci95"]["mean"][1] - tc["ci95"]["mean"][0]) / 2
    written = re.search(r"± JPY ([\d.]+) m \(95% interval\)", text)
    assert written and abs(float(written.group(1)) * 1e6 - half) <= 0.005 * half
    assert "word_of_mouth.negative_conversion" in text and "pert(min=0.005, mode=0.02, max=0.05)" in text
    assert "cxrisk run" in text and "--report" in text and "content hash" in text
    # The histogram holds every trial.
    hist = summary["distributions"]["total_cost"]["histogram"]
    assert sum(hist["counts"]) == summary["trials"]


def test_japanese_names_are_shown_as_written(browser, ja_run_dir):
    look_at(browser, ja_run_dir, "run_ja")
    assert browser.evaluate("document.querySelector('h1').innerText") == "保険会社 2027 ベースライン"
    assert browser.evaluate("document.title").startswith("保険会社 2027 ベースライン")
    svg_text = browser.evaluate("[...document.querySelectorAll('svg text')].map(t => t.textContent)")
    for name in ("保険金請求の遅れ", "契約内容の誤解", "個人", "請求", "契約"):
        assert name in svg_text, name
    cells = browser.evaluate("[...document.querySelectorAll('td')].map(t => t.textContent)")
    assert "保険金請求の遅れ" in cells
    # A CJK font draws them: the page's text is not wider than its glyphs would be as boxes.
    assert browser.evaluate("document.fonts.check('16px IPAGothic', '保険')")
    wb = openpyxl.load_workbook(ja_run_dir / "report.xlsx")
    assert "保険金請求の遅れ" in [r[1] for r in wb["Breakdown"].iter_rows(min_row=2, values_only=True)]


def test_comparison_report_page(browser, compare_dir):
    comparison = json.loads((compare_dir / "comparison.json").read_text())
    charts = look_at(browser, compare_dir, "compare")
    labels = [c["label"] for c in charts]
    assert "Net benefit, cumulative" in labels and "EVPPI by input" in labels
    for a in comparison["alternatives"]:
        assert f"Payback of {a['name']}" in labels
    shown = figures(browser)
    best = max(comparison["alternatives"], key=lambda a: a["net_benefit"]["mean"])
    assert float(shown["base_total_cost.mean"]) == comparison["base_total_cost"]["mean"]
    assert float(shown["best.net_benefit.mean"]) == best["net_benefit"]["mean"]
    assert float(shown["best.p_net_benefit_positive"]) == best["p_net_benefit_positive"]
    assert float(shown["voi.evpi"]) == comparison["voi"]["evpi"]
    ranking = browser.evaluate("[...document.querySelectorAll('table.ranking tbody tr')].map(r => r.cells[0].innerText)")
    assert ranking == [a["name"] for a in sorted(comparison["alternatives"], key=lambda a: -a["net_benefit"]["mean"])]


def test_sensitivity_report_page(browser, sensitivity_dir):
    s = json.loads((sensitivity_dir / "sensitivity.json").read_text())
    charts = look_at(browser, sensitivity_dir, "sensitivity")
    labels = [c["label"] for c in charts]
    for metric in s["metrics"]:
        assert f"Tornado of {metric}" in labels and f"Sobol indices of {metric}" in labels
    text = browser.evaluate("document.body.innerText")
    top = s["metrics"]["total_cost"]["inputs"][0]
    assert top["path"] in text and f"{top['sobol_total']:.3f}" in text


def test_workbook_of_a_run_equals_the_json(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    wb = openpyxl.load_workbook(run_dir / "report.xlsx")
    assert {"Summary", "Breakdown", "Percentiles", "Inputs", "Trials"} <= set(wb.sheetnames)

    def statistic(stats, column):
        for end, i in (("_low", 0), ("_high", 1)):
            if column.endswith(end):
                return stats["ci95"][column[: -len(end)]][i]
        return stats[column]

    ws = wb["Summary"]
    head = [c.value for c in ws[1]]
    assert ws.freeze_panes == "B2"
    checked = 0
    for row in ws.iter_rows(min_row=2, max_row=1 + len(summary["metrics"])):
        stats = summary["metrics"][row[0].value]
        for col, cell in zip(head[1:], row[1:]):
            expected = statistic(stats, col)
            assert cell.data_type == "n" and isinstance(cell.value, (int, float)), (row[0].value, col)
            assert close(cell.value, expected), (row[0].value, col, cell.value, expected)
            checked += 1
    assert checked == len(summary["metrics"]) * (len(head) - 1)
    assert len(ws._charts) == 1  # the histogram
    assert "JPY" in ws.cell(row=2 + 10, column=2).number_format  # total_cost in its currency

    ws = wb["Breakdown"]
    head = [c.value for c in ws[1]]
    rows = 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        dim, name, metric = row[:3]
        stats = summary["breakdown"][dim][name][metric]
        for col, value in zip(head[3:], row[3:]):
            assert isinstance(value, (int, float)) and close(value, statistic(stats, col)), (dim, name, metric, col)
        rows += 1
    assert rows == sum(len(e) for e in summary["breakdown"].values()) * len(summary["metrics"])
    assert len(ws._charts) == sum(1 for e in summary["breakdown"].values() if e)

    ws = wb["Percentiles"]
    head = [c.value for c in ws[1]]
    levels = summary["distributions"]["total_cost"]["quantiles"]["levels"]
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
        assert close(row[0], levels[i])
        for metric, value in zip(head[1:], row[1:]):
            assert close(value, summary["distributions"][metric]["quantiles"]["values"][i]), (metric, i)
    assert i + 1 == len(levels) and len(ws._charts) == 1

    inputs = list(wb["Inputs"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in inputs] == [x["path"] for x in summary["inputs"]]
    trials = list(wb["Trials"].iter_rows(min_row=2, values_only=True))
    assert len(trials) == summary["trials"]
    with open(run_dir / "trials.csv") as f:
        f.readline()
        first = [float(x) for x in f.readline().split(",")]
    assert list(trials[0]) == pytest.approx(first, rel=1e-15)


def test_workbook_of_a_comparison_equals_the_json(compare_dir):
    comparison = json.loads((compare_dir / "comparison.json").read_text())
    wb = openpyxl.load_workbook(compare_dir / "report.xlsx")
    assert {"Comparison", "Payback", "Value of information"} <= set(wb.sheetnames)
    ws = wb["Comparison"]
    head = [c.value for c in ws[1]]
    by_name = {a["name"]: a for a in comparison["alternatives"]}

    def expected(a, column):
        parts = {
            "savings": a["savings"]["total_cost"], "net_benefit": a["net_benefit"],
            "investment_pv": a["investment_pv"], "roi": a["roi"], "payback_period": a["payback_period"],
            "revenue_lost_savings": a["savings"]["revenue_lost"],
            "customers_lost_savings": a["savings"]["customers_lost"]}
        if column.startswith("break_even_investment_"):
            return a["break_even_investment"][column[len("break_even_investment_"):]]
        if column in ("p_payback_within_horizon", "p_net_benefit_positive"):
            return a[column]
        for prefix, stats in sorted(parts.items(), key=lambda kv: -len(kv[0])):
            if column.startswith(prefix + "_"):
                stat = column[len(prefix) + 1:]
                if stat in ("low", "high"):
                    return stats["ci95"]["mean"][0 if stat == "low" else 1]
                return stats[stat]
        raise KeyError(column)

    n = 0
    for row in ws.iter_rows(min_row=2, max_row=1 + len(by_name)):
        a = by_name[row[0].value]
        for col, cell in zip(head[1:], row[1:]):
            assert cell.data_type == "n" and close(cell.value, expected(a, col)), (a["name"], col)
            n += 1
    assert n == len(by_name) * (len(head) - 1)
    assert len(ws._charts) == 1 and len(wb["Payback"]._charts) == 1
    periods = list(wb["Payback"].iter_rows(min_row=2, values_only=True))
    first = comparison["alternatives"][0]["payback_curve"]
    assert [r[2] for r in periods] == pytest.approx(first["savings_p50"], rel=1e-12)


def test_workbook_of_a_sensitivity_analysis_has_its_tornado(sensitivity_dir):
    s = json.loads((sensitivity_dir / "sensitivity.json").read_text())
    wb = openpyxl.load_workbook(sensitivity_dir / "report.xlsx")
    ws = wb["Sensitivity"]
    assert len(ws._charts) == 1
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] in s["metrics"]]
    assert len(rows) == sum(len(m["inputs"]) for m in s["metrics"].values())
    for r in rows:
        x = next(i for i in s["metrics"][r[0]]["inputs"] if i["path"] == r[1])
        assert close(r[8], x["tornado"]["swing"]) and (x["sobol_total"] is None or close(r[13], x["sobol_total"]))


def test_report_remade_from_the_folder_is_the_same(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    (copy / "report.xlsx").unlink()
    cxrisk("report", copy)
    assert (copy / "report.html").read_text() == (run_dir / "report.html").read_text()
    a = openpyxl.load_workbook(copy / "report.xlsx")
    b = openpyxl.load_workbook(run_dir / "report.xlsx")
    assert a.sheetnames == b.sheetnames
    for name in ("Summary", "Breakdown", "Percentiles"):
        assert list(a[name].values) == list(b[name].values)


def test_a_report_of_a_million_trials_is_small(tmp_path):
    out = tmp_path / "big"
    cxrisk("run", SCENARIOS / "tarp_major.yaml", "--trials", "1e6", "--out", out, "--report")
    assert (out / "report.html").stat().st_size < 2_000_000
    assert (out / "report.xlsx").stat().st_size < 2_000_000
    assert json.loads((out / "summary.json").read_text())["trials"] == 1_000_000


def test_report_errors(tmp_path):
    r = cxrisk("run", SCENARIOS / "tarp_major.yaml", "--report", check=False)
    assert r.returncode == 2 and "--report needs --out" in r.stderr
    r = cxrisk("report", tmp_path / "nowhere", check=False)
    assert r.returncode == 2 and "no such output folder" in r.stderr
    (tmp_path / "empty").mkdir()
    r = cxrisk("report", tmp_path / "empty", check=False)
    assert r.returncode == 2 and "no results to report" in r.stderr
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == []
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json")
    r = cxrisk("report", bad, check=False)
    assert r.returncode == 2 and "summary.json" in r.stderr
    assert sorted(p.name for p in bad.iterdir()) == ["summary.json"]


def test_a_run_without_report_removes_an_earlier_one(tmp_path):
    out = tmp_path / "o"
    cxrisk("run", SCENARIOS / "tarp_major.yaml", "--trials", 500, "--out", out, "--report")
    assert (out / "report.html").exists()
    cxrisk("run", SCENARIOS / "tarp_major.yaml", "--trials", 600, "--out", out)
    assert not (out / "report.html").exists() and not (out / "report.xlsx").exists()
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["command"].startswith("cxrisk run ") and "--trials 600" in provenance["command"]
    assert provenance["scenarios"][0]["file"].endswith("tarp_major.yaml") and len(provenance["scenarios"][0]["hash"]) == 32


def test_csv_files_for_excel_begin_with_a_byte_order_mark_when_asked(tmp_path):
    """--csv-bom: every CSV a command writes begins with UTF-8's byte order mark, so that Excel reads the
    Japanese names right; without it, none does (what programs that read CSV expect)."""
    bom = b"\xef\xbb\xbf"
    cxrisk("run", JA, "--trials", 300, "--out", tmp_path / "run", "--samples", "--csv-bom")
    cxrisk("compare", JA, JA_ALT, "--trials", 300, "--out", tmp_path / "compare", "--csv-bom")
    cxrisk("sweep", JA, "--vary", "word_of_mouth.positive_conversion=0.01,0.02", "--trials", 200,
           "--out", tmp_path / "sweep", "--csv-bom")
    cxrisk("batch", JA, "--trials", 200, "--out", tmp_path / "batch", "--csv-bom")
    written = sorted(tmp_path.glob("*/*.csv"))
    assert {p.name for p in written} == {"breakdown.csv", "trials.csv", "comparison.csv", "sweep.csv", "batch.csv"}
    for p in written:
        assert p.read_bytes().startswith(bom), p
    breakdown = (tmp_path / "run" / "breakdown.csv").read_text(encoding="utf-8-sig")
    assert "保険金請求の遅れ" in breakdown and breakdown.startswith("dimension,")
    cxrisk("run", JA, "--trials", 300, "--out", tmp_path / "plain")
    assert (tmp_path / "plain" / "breakdown.csv").read_bytes().startswith(b"dimension,")


def test_the_ranking_marks_an_alternative_of_another_structure(tmp_path):
    other = tmp_path / "other.yaml"
    text = (SCENARIOS / "tarp_major.yaml").read_text().replace("name: TARP major problem (loss over $100)",
                                                                "name: With a second problem")
    other.write_text(text + text[text.index("  - name: major_problem"):].replace("major_problem", "second_problem"))
    cxrisk("compare", SCENARIOS / "tarp_major.yaml", other, "--trials", 300, "--out", tmp_path / "out", "--report")
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<td>With a second problem *</td>" in page and "* Other segments, stages, problems or tiers" in page
