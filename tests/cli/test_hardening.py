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
    assert sorted(f.name for f in out.iterdir()) == ["breakdown.csv", "provenance.json", "summary.json"]


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


def test_confine_refuses_files_outside_the_folder(tmp_path):
    from conftest import SCENARIOS
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "v.csv").symlink_to("/etc/passwd")
    text = AT_THE_BOUND.replace("TOLD", "1").replace("value: {mean: 1}", "value: {empirical: v.csv}")
    path = write(inside, text)
    p = subprocess.run([EXE, "validate", str(path), "--confine", str(inside)], capture_output=True, text=True)
    assert p.returncode == 2 and "outside the folder the scenarios are confined to" in p.stderr
    assert ":0:0:" not in p.stderr
    alt = write(inside, f"cxrisk: 1\nname: alt\nextends: {SCENARIOS / 'tarp_major.yaml'}\n", "alt.yaml")
    p = subprocess.run([EXE, "validate", str(alt), "--confine", str(inside)], capture_output=True, text=True)
    assert p.returncode == 2 and "base scenario" in p.stderr and "outside the folder" in p.stderr
    p = subprocess.run([EXE, "validate", str(SCENARIOS / "tarp_major.yaml"), "--confine", str(SCENARIOS)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_batch_folders_are_unique_case_insensitively_and_keep_other_scripts(tmp_path):
    from conftest import SCENARIOS
    base = (SCENARIOS / "tarp_major.yaml").read_text()
    names = ["x", "X", "x 2", "保険会社 2027 ベースライン", "保険会社"]
    for i, name in enumerate(names):
        write(tmp_path, base.replace("name: TARP major problem (loss over $100)", f"name: {name}"), f"{i}.yaml")
    out = tmp_path / "out"
    def folders():
        p = subprocess.run([EXE, "batch", str(tmp_path), "--trials", "100", "--out", str(out), "--json"],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        return [s["directory"] for s in json.loads(p.stdout)["scenarios"]]
    first = folders()
    assert len({f.lower() for f in first}) == 5
    assert first[0] == "x" and first[2] == "x_2" and first[1].startswith("x_")
    assert first[3] == "保険会社_2027_ベースライン" and first[4] == "保険会社"
    assert folders() == first  # stable from run to run
    assert all((out / f / "summary.json").exists() for f in first)


def test_a_thread_the_system_cannot_start_leaves_its_share_to_the_others(tmp_path):
    from conftest import SCENARIOS
    import shutil
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv, to run as a user limited to 8 processes")
    os.chmod(tmp_path, 0o755)
    args = ["run", str(SCENARIOS / "tarp_major.yaml"), "--trials", "70000", "--json"]
    one = subprocess.run([EXE, *args, "--threads", "1"], capture_output=True, text=True, timeout=300)
    # As a user allowed 8 processes (threads count), 1,024 threads cannot all be started.
    limited = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "prlimit",
                              "--nproc=8", EXE, *args, "--threads", "1024"], capture_output=True, text=True,
                             timeout=300, cwd=tmp_path)
    assert limited.returncode == 0, limited.stderr
    assert limited.stdout == one.stdout


@pytest.mark.parametrize("command", [["run", "tarp_major.yaml", "--trials", "50", "--json"],
                                     ["expect", "tarp_major.yaml", "--json"], ["expand", "tarp_major.yaml"],
                                     ["validate", "tarp_major.yaml"],
                                     ["sweep", "telecom.yaml", "--vary", "problems.billing_error.incidence=0.01,0.02",
                                      "--trials", "20", "--json"]])
def test_a_failed_write_to_standard_output_fails_the_command(command):
    from conftest import SCENARIOS
    args = [str(SCENARIOS / a) if a.endswith(".yaml") else a for a in command]
    with open("/dev/full", "w") as full:
        p = subprocess.run([EXE, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 1 and "standard output" in p.stderr


def test_comparison_figures_beyond_a_double_are_refused(tmp_path):
    from conftest import SCENARIOS
    for upfront, message in (("1e-320", "roi"), ("1e300", "must stay at most 1e+15")):
        alt = write(tmp_path, f"cxrisk: 1\nname: Alt\nextends: {SCENARIOS / 'tarp_major.yaml'}\n"
                              "changes: [{scale: problems.major_problem.incidence, by: 0.5}]\n"
                              f"investment: {{upfront: {upfront}}}\n", "alt.yaml")
        p = subprocess.run([EXE, "compare", str(SCENARIOS / "tarp_major.yaml"), str(alt), "--trials", "100", "--json"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and message in p.stderr, p.stderr
        assert "null" not in p.stdout


def test_sweep_ranges_keep_fifteen_digits():
    from conftest import SCENARIOS
    p = subprocess.run([EXE, "sweep", str(SCENARIOS / "tarp_major.yaml"), "--vary",
                        "segments.customers.customers=1000000000001:1000000000005:2", "--trials", "20", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert [q["values"][0] for q in json.loads(p.stdout)["points"]] == [1000000000001, 1000000000003, 1000000000005]


def test_a_long_individual_trial_stops_at_sigint(tmp_path):
    import signal
    import time
    text = AT_THE_BOUND.replace("TOLD", "1").replace("customers: 1e15", "customers: 100000000")
    process = subprocess.Popen([EXE, "run", str(write(tmp_path, text)), "--mode", "individual", "--trials", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Ctrl-C" in err
    assert time.monotonic() - start < 10


def test_a_run_too_large_for_its_cgroup_is_refused_before_it_starts():
    from conftest import SCENARIOS
    group = None
    for root, limit_file, marker in (("/sys/fs/cgroup", "memory.max", "cgroup.controllers"),
                                     ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.limit_in_bytes")):
        if not os.path.exists(os.path.join(root, marker)):  # not a memory control group hierarchy
            continue
        candidate = os.path.join(root, f"cxrisk-test-{os.getpid()}")
        try:
            os.mkdir(candidate)
            with open(os.path.join(candidate, limit_file), "w") as f:
                f.write("2000000000")
            group = candidate
            break
        except OSError:
            if os.path.isdir(candidate):
                os.rmdir(candidate)
    if group is None:
        pytest.skip("cannot make a memory control group here")
    try:
        p = subprocess.run(["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$0" "$@"', EXE, "run",
                            str(SCENARIOS / "tarp_major.yaml"), "--trials", "30000000"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 1 and "not enough memory for 30000000 trials" in p.stderr
        assert "this process may use 2.0 GB" in p.stderr
    finally:
        os.rmdir(group)


def test_lists_longer_than_the_limits_are_refused_while_loading(tmp_path):
    problems = "".join(f"  - {{name: p{i}, incidence: 0.01, complaint_rate: 0, loyalty: {{no_problem: 1, silent: 1, "
                       f"quick: 1, resolved: 1, mollified: 1, unresolved: 1}}}}\n" for i in range(10001))
    text = ("cxrisk: 1\nname: many\nhorizon: {periods: 1}\nsegments:\n  - {name: s, customers: 10, value: {mean: 1}}\n"
            "problems:\n" + problems)
    p = subprocess.run([EXE, "validate", str(write(tmp_path, text))], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "at most 10000 problems" in p.stderr
