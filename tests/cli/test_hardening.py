"""Inputs at and beyond the limits (docs/scenario.md, "Limits"): a clear error, or the right answer."""
import json
import os
import subprocess

import pytest

from conftest import EXE

AT_THE_BOUND = """
cxrisk: 1
name: At the bound
horizon: {periods: 1, period: year}
word_of_mouth: {negative_conversion: 0.5}
segments:
  - {name: everyone, customers: 1e15, value: {mean: 1}}
problems:
  - name: p
    incidence: 1
    complaint_rate: 0
    loyalty: {no_problem: 1, silent: 1, quick: 1, resolved: 1, mollified: 1, unresolved: 1}
    wom: {negative: {silent: TOLD}}
"""


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run_json(path, *args, env=None):
    p = subprocess.run([EXE, "run", str(path), "--json", *args], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, **(env or {})))
    return p


def test_word_of_mouth_at_the_largest_count_agrees_with_expect_on_every_kernel_set(tmp_path):
    # 1e15 customers each telling 2 people, half of whom are lost: 1e15 prospects, the most cxrisk counts.
    path = write(tmp_path, AT_THE_BOUND.replace("TOLD", "2"))
    expect = json.loads(subprocess.run([EXE, "expect", str(path), "--json"], capture_output=True, text=True,
                                       check=True).stdout)["metrics"]["wom_prospects_lost"]["mean"]
    assert expect == 1e15
    outputs = []
    for kernels in ["baseline", "x86-64-v3", "x86-64-v4", ""]:
        p = run_json(path, "--trials", "300", env={"CXRISK_LANE_KERNELS": kernels})
        assert p.returncode == 0, p.stderr
        outputs.append(p.stdout)
    assert all(o == outputs[0] for o in outputs)
    lost = json.loads(outputs[0])["metrics"]["wom_prospects_lost"]
    assert abs(lost["mean"] - expect) <= 4.5 * lost["se"]
    assert 0.999999 * expect < lost["min"] <= lost["max"] < 1.000001 * expect


def test_word_of_mouth_beyond_the_largest_count_is_refused(tmp_path):
    path = write(tmp_path, AT_THE_BOUND.replace("TOLD", "3"))
    p = run_json(path)
    assert p.returncode == 2
    assert "problems[0].wom.negative.silent" in p.stderr and "more than the 1e+15 cxrisk counts exactly" in p.stderr
    p = run_json(write(tmp_path, AT_THE_BOUND.replace("TOLD", "1e18"), "huge.yaml"))
    assert p.returncode == 2 and "must stay at most 1e+06" in p.stderr


def test_lifetime_value_that_would_diverge_is_refused(tmp_path):
    text = AT_THE_BOUND.replace("TOLD", "1").replace("{periods: 1, period: year}",
                                                     "{periods: 12, period: month, discount_rate: -0.5}")
    text = text.replace("customers: 1e15", "customers: 1000, baseline_churn: 0.01") + "valuation: {method: lifetime}\n"
    p = run_json(write(tmp_path, text))
    assert p.returncode == 2 and "(1 - baseline_churn) x d < 1" in p.stderr


@pytest.mark.parametrize("values, message", [("100\n1e308\n1e308\n", "must be at most 1e+15"),
                                             ("root:*:19000:0:99999:7:::\n", "got 'root:*:19000...'")])
def test_a_bad_values_file_is_an_input_error_quoting_little(tmp_path, values, message):
    (tmp_path / "v.csv").write_text("12\n" + values)
    text = AT_THE_BOUND.replace("TOLD", "1").replace("value: {mean: 1}", "value: {empirical: v.csv}")
    p = subprocess.run([EXE, "validate", str(write(tmp_path, text))], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert "99999" not in p.stderr


def test_special_files_and_second_documents_are_refused(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    p = subprocess.run([EXE, "validate", str(fifo)], capture_output=True, text=True, timeout=20)
    assert p.returncode == 2 and "not a regular file" in p.stderr
    p = subprocess.run([EXE, "validate", "/dev/zero"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 2 and "not a regular file" in p.stderr
    text = AT_THE_BOUND.replace("TOLD", "1") + "---\nname: another\n"
    p = subprocess.run([EXE, "validate", str(write(tmp_path, text))], capture_output=True, text=True, timeout=20)
    assert p.returncode == 2 and "one YAML document" in p.stderr


def test_outputs_replace_links_without_following_them_and_leave_no_leftovers(tmp_path):
    from conftest import SCENARIOS
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (out / "summary.json").symlink_to(victim)               # a link at a final name
    for pid in (1, 99999):                                   # temporaries of the old naming, and a killed run's
        (out / f".summary.json.tmp-{pid}").symlink_to(victim)
    (out / ".breakdown.csv.tmp-abc123").write_text("left by a killed run\n")
    (out / "trials.csv").write_text("trial,stale\n")         # an earlier --samples run's
    p = subprocess.run([EXE, "run", str(SCENARIOS / "tarp_major.yaml"), "--trials", "200", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "keep me\n"
    assert not (out / "summary.json").is_symlink() and json.loads((out / "summary.json").read_text())["trials"] == 200
    assert sorted(f.name for f in out.iterdir()) == ["breakdown.csv", "summary.json"]


def test_two_runs_into_one_folder_never_mix_their_files(tmp_path):
    from conftest import SCENARIOS
    out = tmp_path / "out"
    for round in range(6):
        runs = [subprocess.Popen([EXE, "run", str(SCENARIOS / "tarp_minor.yaml"), "--trials", str(trials), "--out",
                                  str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for trials in (1000, 1500)]
        assert all(r.wait(timeout=120) == 0 for r in runs)
        summary = json.loads((out / "summary.json").read_text())
        total = next(line for line in (out / "breakdown.csv").read_text().splitlines()
                     if line.startswith("total,total,total_cost,"))
        assert float(total.split(",")[3]) == summary["metrics"]["total_cost"]["mean"], round
