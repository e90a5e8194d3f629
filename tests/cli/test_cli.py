"""The cxrisk command line end to end: every command, exit codes, outputs and golden numbers."""
import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import EXE, SCENARIOS, TEST_DATA

STATS = ["mean", "sd", "se", "min", "max", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "cvar95", "ci95"]
METRICS = ["customers_with_problems", "complaints", "contacts", "escalations", "customers_lost", "revenue_lost",
           "wom_prospects_lost", "wom_prospects_won", "wom_revenue_lost", "handling_cost", "total_cost"]
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
GOLDEN = TEST_DATA / "golden"


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_runs(cli, scenario):
    summary = cli.json("run", scenario, "--trials", "400")
    assert summary["cxrisk"] == 1
    assert summary["trials"] == 400
    assert summary["mode"] == "aggregate"
    assert list(summary["metrics"]) == METRICS
    for stats in summary["metrics"].values():
        assert list(stats) == STATS
    assert set(summary["breakdown"]) == {"problem", "stage", "segment", "cause", "outcome"}
    assert summary["metrics"]["total_cost"]["mean"] > 0
    # The readable table runs too, and validate accepts the file.
    status, out, _ = cli("run", scenario, "--trials", "50", check=0)
    assert "total_cost" in out
    cli("validate", scenario, check=0)
    cli("expect", scenario, check=0)


def test_golden_summary(cli):
    """A fixed seed gives the committed numbers, bit for bit. The golden file is written only by
    scripts/regenerate_golden.sh, when a deliberate change to the streams changes the numbers (say so in the
    commit and in CHANGELOG.md)."""
    args = ["run", SCENARIOS / "telecom.yaml", "--trials", "3000", "--seed", "20261123"]
    summary = cli.json(*args)
    assert summary == json.loads((GOLDEN / "telecom_3000_20261123.json").read_text())


def test_threads_give_identical_json(cli):
    base = ["run", SCENARIOS / "ecommerce.yaml", "--trials", "1000", "--json"]
    _, one, _ = cli(*base, "--threads", "1", check=0)
    _, two, _ = cli(*base, "--threads", "2", check=0)
    _, five, _ = cli(*base, "--threads", "5", check=0)
    assert one == two == five


def cpu_flags():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


KERNEL_SETS = {"baseline": set(), "x86-64-v3": {"avx2", "fma", "bmi1", "bmi2"},
               "x86-64-v4": {"avx2", "fma", "bmi1", "bmi2", "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}}


@pytest.mark.parametrize("kernels", list(KERNEL_SETS))
def test_every_kernel_set_gives_identical_json(kernels):
    # CXRISK_LANE_KERNELS names the SIMD kernels (AVX-512, AVX2, baseline); the numbers may not depend on it.
    # A set this processor cannot run is skipped, visibly (the program would fall back to another set).
    if not KERNEL_SETS[kernels] <= cpu_flags():
        pytest.skip(f"this processor cannot run the {kernels} kernels")
    base = [EXE, "run", SCENARIOS / "telecom.yaml", "--trials", "600", "--json"]

    def output(name):
        env = dict(os.environ, CXRISK_LANE_KERNELS=name)
        p = subprocess.run([str(a) for a in base], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        return p.stdout
    assert output(kernels) == output("baseline")


def test_the_draw_census_counts_draws_without_changing_them():
    # CXRISK_DRAW_CENSUS (for benchmarks/run.sh): the draws of each batch sampler by mean, on standard error
    # at exit. The same for any thread count (every trial makes its own draws), and the output unchanged.
    base = [EXE, "run", SCENARIOS / "telecom.yaml", "--trials", "200", "--json"]

    def run(census, *args):
        env = {k: v for k, v in os.environ.items() if k != "CXRISK_DRAW_CENSUS"}
        if census:
            env["CXRISK_DRAW_CENSUS"] = "1"
        p = subprocess.run([str(a) for a in [*base, *args]], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        return p

    plain = run(False)
    assert "draw census" not in plain.stderr
    counted = [run(True, "--threads", threads) for threads in ("1", "2")]
    for p in counted:
        assert p.stdout == plain.stdout
    lines = [line for line in counted[0].stderr.splitlines() if line.startswith("cxrisk draw census: ")]
    assert [line.split()[3] for line in lines] == ["binomial", "poisson", "value_sum"]
    for line in lines:
        counts = [int(v) for v in line.split()[4:]]
        assert len(counts) == 8 and sum(counts) > 0
    assert counted[0].stderr == counted[1].stderr


def test_expect_reproduces_the_tarp_worked_example(cli):
    e = cli.json("expect", SCENARIOS / "tarp_major.yaml")
    assert e["metrics"]["customers_lost"] == {"mean": 744.5}
    assert e["mode"] == "expect"
    assert "trials" not in e


def test_out_writes_summary_breakdown_and_samples(cli, tmp_path):
    out = tmp_path / "result"
    _, stdout, _ = cli("run", SCENARIOS / "tarp_minor.yaml", "--trials", "250", "--out", out, "--samples", "--json",
                       check=0)
    assert sorted(p.name for p in out.iterdir()) == ["breakdown.csv", "provenance.json", "summary.json", "trials.csv"]
    assert json.loads((out / "summary.json").read_text()) == json.loads(stdout)
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == 250
    # The totals, then each uncertain input's draw (tarp_minor's are its complaint rates).
    assert list(rows[0])[:12] == ["trial"] + METRICS and len(rows[0]) > 12
    assert all(c.startswith("problems.") for c in list(rows[0])[12:])
    mean = sum(float(r["total_cost"]) for r in rows) / len(rows)
    assert mean == pytest.approx(json.loads(stdout)["metrics"]["total_cost"]["mean"], rel=1e-12)
    breakdown = list(csv.DictReader((out / "breakdown.csv").open()))
    assert {r["dimension"] for r in breakdown} == {"total", "problem", "stage", "segment", "cause", "outcome"}
    assert len(breakdown) % len(METRICS) == 0


def test_without_samples_no_trials_csv(cli, tmp_path):
    cli("run", SCENARIOS / "tarp_minor.yaml", "--trials", "100", "--out", tmp_path / "o", check=0)
    assert not (tmp_path / "o" / "trials.csv").exists()


def test_options_override_the_scenario(cli):
    s = cli.json("run", SCENARIOS / "tarp_major.yaml", "--trials", "123", "--seed", "99")
    assert s["trials"] == 123
    assert s["seed"] == 99
    d = cli.json("run", SCENARIOS / "tarp_major.yaml", "--trials", "123")
    assert d["seed"] == 1986  # the scenario's own seed


def test_individual_mode(cli):
    s = cli.json("run", SCENARIOS / "tarp_major.yaml", "--trials", "300", "--mode", "individual")
    assert s["mode"] == "individual"
    assert abs(s["metrics"]["customers_lost"]["mean"] - 744.5) < 4.5 * s["metrics"]["customers_lost"]["se"]


@pytest.mark.parametrize("bad", sorted((TEST_DATA / "bad").glob("*.yaml"))[:8], ids=lambda p: p.name)
def test_bad_input_exits_2_names_the_place_and_writes_nothing(cli, tmp_path, bad):
    expected = bad.read_text().splitlines()[0].removeprefix("# error: ")
    expected = expected.replace("{file}", str(bad)).replace("{dir}", str(bad.parent))
    status, out, err = cli("run", bad, "--out", tmp_path / "never")
    assert status == 2
    assert err.strip() == "error: " + expected
    assert not (tmp_path / "never").exists()
    status, _, err = cli("validate", bad)
    assert status == 2
    assert expected in err


def test_validate_many_files(cli):
    good = SCENARIOS / "telecom.yaml"
    bad = TEST_DATA / "bad" / "unknown_stage.yaml"
    status, out, err = cli("validate", good, bad)
    assert status == 2
    assert f"{good}: ok" in out
    assert "unknown stage 'delivry'" in err
    cli("validate", good, SCENARIOS / "ecommerce.yaml", check=0)


def test_usage_errors_exit_2(cli):
    assert cli("run")[0] == 2
    assert cli("run", SCENARIOS / "telecom.yaml", "--trials", "0")[0] == 2
    assert cli("run", SCENARIOS / "telecom.yaml", "--mode", "fast")[0] == 2
    assert cli("run", SCENARIOS / "telecom.yaml", "--no-such-option")[0] == 2
    assert cli("frobnicate")[0] == 2
    assert cli("run", "/no/such/file.yaml")[0] == 2
    status, _, err = cli("run", SCENARIOS)
    assert status == 2 and "is a folder, not a scenario file" in err
    # A seed is a whole number in [0, 2^64): -1 is not read as 2^64 - 1, nor 2^64 as 0.
    for seed in ["-1", "18446744073709551616", "1.5"]:
        status, _, err = cli("run", SCENARIOS / "telecom.yaml", "--trials", "5", "--seed", seed)
        assert status == 2 and f"--seed: must be a whole number from 0 to 18446744073709551615, got {seed}" in err
    cli("run", SCENARIOS / "telecom.yaml", "--trials", "5", "--seed", "18446744073709551615", check=0)
    # Threads are bounded (each holds scratch space); an empty --out is not taken for "no output".
    status, _, err = cli("run", SCENARIOS / "telecom.yaml", "--trials", "5", "--threads", "100000")
    assert status == 2 and "--threads: Value 100000 not in range 0 to 1024" in err
    for command in (["run", SCENARIOS / "telecom.yaml"], ["batch", SCENARIOS / "telecom.yaml"],
                    ["compare", SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_easy_complaining.yaml"],
                    ["sweep", SCENARIOS / "telecom.yaml", "--vary", "problems.billing_error.complaint_rate=0.5"]):
        status, _, err = cli(*command, "--trials", "5", "--out", "")
        assert status == 2 and "--out: must name a folder" in err, command


def test_unwritable_output_exits_1_and_leaves_nothing(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status, _, err = cli("run", SCENARIOS / "tarp_major.yaml", "--trials", "50", "--out", blocker / "sub")
    assert status == 1
    assert "cannot create the output folder" in err
    assert blocker.read_text() == "not a folder"
    # Found before any work: these would take hours (run, compare) or log their runs (batch, sweep) otherwise.
    many = ["--trials", "4294967295"]
    for command in (["run", SCENARIOS / "tarp_major.yaml", *many],
                    ["compare", SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_easy_complaining.yaml", *many],
                    ["batch", SCENARIOS / "tarp_major.yaml"],
                    ["sweep", SCENARIOS / "tarp_major.yaml", "--vary", "problems.major_problem.complaint_rate=0.5"]):
        status, _, err = cli(*command, "--out", blocker / "sub")
        assert status == 1 and f"'{blocker}' is not a folder" in err and "[1/1]" not in err, command


def test_an_output_set_is_written_whole_or_not_at_all(cli, tmp_path):
    """A folder named like one of the outputs: the command fails naming it, and the files it could have
    written (summary.json before breakdown.csv) keep their earlier content."""
    out = tmp_path / "out"
    (out / "breakdown.csv").mkdir(parents=True)
    (out / "summary.json").write_text("earlier")
    status, _, err = cli("run", SCENARIOS / "tarp_minor.yaml", "--trials", "50", "--out", out)
    assert status == 1
    assert f"cannot write '{out / 'breakdown.csv'}': a folder has that name" in err
    assert (out / "summary.json").read_text() == "earlier"
    assert sorted(p.name for p in out.iterdir()) == ["breakdown.csv", "summary.json"]  # no temporary left


def test_a_full_disk_is_named_and_leaves_nothing(cli, tmp_path):
    """On a file system too small for the outputs (a 64 KiB tmpfs; needs root, skipped where mounting is not
    allowed): exit 1, the reason in the message, and no file, temporary file or folder left."""
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        status, _, err = cli("run", SCENARIOS / "tarp_minor.yaml", "--trials", "20000", "--samples",
                             "--out", small / "out")
        assert status == 1
        assert "No space left on device" in err
        assert not (small / "out").exists()
    finally:
        subprocess.run(["umount", str(small)], check=True)


def _stop_when_running(args, sig, ready=lambda: True):
    """Starts cxrisk with `args`, sends `sig` once it has spent 0.3 s of processor time (well into its trials,
    its handlers long installed) and `ready()` holds, and returns (status, stderr)."""
    process = subprocess.Popen([str(EXE), *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            stat = Path(f"/proc/{process.pid}/stat").read_text()
            utime = int(stat.rsplit(")", 1)[1].split()[11])  # field 14 of proc(5)
            if utime >= 0.3 * ticks and ready():
                break
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be stopped"
        process.send_signal(sig)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, err


@pytest.mark.parametrize("sig, name", [(signal.SIGINT, "Ctrl-C (SIGINT)"), (signal.SIGTERM, "SIGTERM")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_run_cleanly(tmp_path, sig, name):
    """Ctrl-C, or SIGTERM from `kill` or a cluster's scheduler at its time limit, stops a run between chunks
    of trials: exit 128 + the signal (130, 143: the shell's convention, which a scheduler tells from a
    failure), the signal named, and nothing written (before, SIGTERM killed the process outright)."""
    status, err = _stop_when_running(["run", SCENARIOS / "telecom.yaml", "--trials", "2000000", "--out",
                                      tmp_path / "out"], sig)
    assert status == 128 + sig, err
    assert f"stopped by {name} before the run finished" in err
    assert list(tmp_path.iterdir()) == []


def test_a_signal_stops_a_batch_and_keeps_the_scenarios_it_finished(cli, tmp_path):
    """A batch stopped by SIGTERM keeps the result folders of the scenarios it finished, and --resume goes on
    from there; its table (batch.csv, batch.json) marks what it did not run. (Before, every folder was written
    at the end, so a batch stopped at a cluster's time limit lost all it had run.)"""
    folder = tmp_path / "in"
    folder.mkdir()
    telecom = (SCENARIOS / "telecom.yaml").read_text()
    (folder / "a.yaml").write_text(telecom.replace("trials: 20000", "trials: 200").replace(
        "name: Telecom, 2026 baseline", "name: quick"))
    (folder / "b.yaml").write_text(telecom.replace("trials: 20000", "trials: 2000000").replace(
        "name: Telecom, 2026 baseline", "name: long"))
    status, err = _stop_when_running(["batch", folder, "--out", tmp_path / "out", "--threads", "1"],
                                     signal.SIGTERM, lambda: (tmp_path / "out" / "quick" / "entry.json").exists())
    assert status == 143, err
    assert "stopped by SIGTERM before the run finished" in err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["batch.csv", "batch.json", "quick"]
    rows = list(csv.DictReader((out / "batch.csv").open()))
    assert [(r["name"], r["status"]) for r in rows] == [("quick", "ok"), ("long", "not run")]
    assert [e["status"] for e in json.loads((out / "batch.json").read_text())["scenarios"]] == ["ok", "not run"]
    assert sorted(p.name for p in (out / "quick").iterdir()) == ["entry.json", "summary.json"]
    # --resume keeps the finished scenario and runs the rest (made shorter here).
    (folder / "b.yaml").write_text((folder / "b.yaml").read_text().replace("trials: 2000000", "trials: 300"))
    status, _, err = cli("batch", folder, "--out", out, "--resume")
    assert status == 0, err
    assert "a.yaml: unchanged, results kept" in err
    assert "b.yaml: ok, 300 trials" in err
    assert (out / "long" / "summary.json").exists()
    assert [r["status"] for r in csv.DictReader((out / "batch.csv").open())] == ["kept", "ok"]


def test_help_and_version(cli):
    for command in ([], ["run"], ["expect"], ["validate"]):
        status, out, _ = cli(*command, "--help")
        assert status == 0
        assert "Usage" in out or "usage" in out
    status, out, _ = cli("--version")
    assert status == 0
    assert out.startswith("cxrisk ")


def test_command_lines_as_people_write_them(cli, tmp_path):
    """--trials takes 2e3 as well as 2000; a thousands separator or a fraction says how to write it; a
    misspelled option or command suggests the right one."""
    tarp = SCENARIOS / "tarp_minor.yaml"
    assert cli.json("run", tarp, "--trials", "2e3")["trials"] == 2000
    assert cli.json("run", tarp, "--trials", "2.5e3")["trials"] == 2500
    status, _, err = cli("run", tarp, "--trials", "100,000")
    assert status == 2 and "write 100,000 without separators: 100000" in err
    status, _, err = cli("run", tarp, "--trials", "1.5")
    assert status == 2 and "must be a whole number, got 1.5" in err
    status, _, err = cli("run", tarp, "--trails", "100")
    assert status == 2 and "did you mean '--trials' for '--trails'?" in err
    status, _, err = cli("runn", tarp)
    assert status == 2 and "did you mean 'cxrisk run'?" in err


def test_compare_refuses_scenarios_in_other_currencies(cli, tmp_path):
    other = tmp_path / "dollars.yaml"
    other.write_text((SCENARIOS / "telecom.yaml").read_text().replace("currency: JPY", "currency: USD"))
    status, _, err = cli("compare", SCENARIOS / "telecom.yaml", other, "--trials", "100")
    assert status == 2 and "counts in USD and the base 'Telecom, 2026 baseline' in JPY" in err
