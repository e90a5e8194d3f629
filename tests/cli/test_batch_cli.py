"""cxrisk batch and cxrisk sweep end to end, and every distributed command under mpirun."""
import csv
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import EXE, SCENARIOS, TEST_DATA


def _folder(tmp_path):
    src = tmp_path / "in"
    (src / "nested").mkdir(parents=True)
    shutil.copy(SCENARIOS / "tarp_major.yaml", src / "a.yaml")
    shutil.copy(SCENARIOS / "ecommerce.yaml", src / "nested" / "b.yaml")
    shutil.copy(TEST_DATA / "bad" / "fractional_customers.yaml", src / "c.yaml")
    return src


def test_batch_over_a_folder_with_a_bad_file(cli, tmp_path):
    src = _folder(tmp_path)
    out = tmp_path / "out"
    status, stdout, stderr = cli("batch", src, "--trials", "400", "--out", out)
    assert status == 2  # one file is bad input; the others ran
    rows = {os.path.basename(r["file"]): r for r in csv.DictReader((out / "batch.csv").open())}
    assert set(rows) == {"a.yaml", "b.yaml", "c.yaml"}
    # Each row names its folder, as batch.json does.
    for row in rows.values():
        if row["status"] == "ok":
            assert (out / row["directory"] / "summary.json").exists()
    assert rows["c.yaml"]["status"] == "error" and rows["c.yaml"]["error_line"] == "7"
    assert "c.yaml:7:16: segments[0].customers: must be a whole number" in rows["c.yaml"]["error"]
    assert "c.yaml:7:16" in stderr  # reported on stderr too, with a progress line per scenario
    assert stderr.count("[") >= 3
    batch = json.loads((out / "batch.json").read_text())
    assert batch["failed"] == 1
    for name, path in (("a.yaml", src / "a.yaml"), ("b.yaml", src / "nested" / "b.yaml")):
        alone = cli.json("run", path, "--trials", "400")
        row = rows[name]
        assert row["status"] == "ok" and int(row["trials"]) == 400 and len(row["hash"]) == 32
        for metric in ("total_cost", "revenue_lost", "customers_lost"):
            for stat in ("mean", "se", "p5", "p50", "p95", "cvar95"):
                assert float(row[f"{metric}_{stat}"]) == alone["metrics"][metric][stat]
        entry = next(e for e in batch["scenarios"] if e["file"].endswith(name))
        assert json.loads((out / entry["directory"] / "summary.json").read_text()) == alone


def test_batch_resume(cli, tmp_path):
    src = _folder(tmp_path)
    (src / "c.yaml").unlink()
    out = tmp_path / "out"
    cli("batch", src, "--trials", "300", "--out", out, check=0)
    summaries = sorted(out.glob("*/summary.json"))
    stamps = [p.stat().st_mtime_ns for p in summaries]
    _, _, stderr = cli("batch", src, "--trials", "300", "--out", out, "--resume", check=0)
    assert stderr.count("unchanged, results kept") == 2
    assert [p.stat().st_mtime_ns for p in summaries] == stamps  # nothing rewritten
    # The table says which results were kept.
    assert [r["status"] for r in csv.DictReader((out / "batch.csv").open())] == ["kept", "kept"]
    assert [e["status"] for e in json.loads((out / "batch.json").read_text())["scenarios"]] == ["kept", "kept"]
    text = (src / "a.yaml").read_text().replace("customers: 1000", "customers: 1100")
    (src / "a.yaml").write_text(text)
    _, _, stderr = cli("batch", src, "--trials", "300", "--out", out, "--resume", check=0)
    assert stderr.count("unchanged, results kept") == 1
    assert "a.yaml: ok" in stderr
    assert cli("batch", src, "--resume")[0] == 2  # --resume needs --out
    # A damaged or partial summary (an interrupted copy, a hand edit) is run again, not kept or fatal.
    for damage in ["garbage{", '{"metrics": {}}']:
        summaries[0].write_text(damage)
        _, _, stderr = cli("batch", src, "--trials", "300", "--out", out, "--resume", check=0)
        assert stderr.count("unchanged, results kept") == 1 and stderr.count(": ok,") == 1
        assert json.loads(summaries[0].read_text())["trials"] == 300


def test_sweep_writes_a_row_per_grid_point(cli, tmp_path):
    status, stdout, _ = cli("sweep", TEST_DATA / "compare" / "base.yaml", "--vary",
                            "problems.late_parcel.complaint_rate=0.2:0.6:0.2", "--vary", "segments.trade.value.mean=500,900",
                            "--trials", "300", "--out", tmp_path, check=0)
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert [(r["problems.late_parcel.complaint_rate"], r["segments.trade.value.mean"]) for r in rows] == \
        [("0.2", "500"), ("0.2", "900"), ("0.4", "500"), ("0.4", "900"), ("0.6", "500"), ("0.6", "900")]
    means = [float(r["total_cost_mean"]) for r in rows[::2]]
    assert means == sorted(means, reverse=True)  # more complaints, less cost: a smooth curve on shared draws
    assert cli("sweep", SCENARIOS / "telecom.yaml", "--vary", "problems.billing_error.complaint_rate=0.5,1.5")[0] == 2
    assert cli("sweep", SCENARIOS / "telecom.yaml", "--vary", "nonsense")[0] == 2
    rate = "problems.billing_error.complaint_rate"
    for vary, message in ([[f"{rate}=0:1:1e-300"], "more than 100000 values"],
                          [[f"{rate}=-1e308:1e308:1"], "more than 100000 values"],
                          [[f"{rate}=0.1,0.2", f"{rate}=0.3"], "varied twice"]):
        args = [a for v in vary for a in ("--vary", v)]
        status, _, err = cli("sweep", SCENARIOS / "telecom.yaml", *args, "--trials", "5")
        assert status == 2 and message in err, vary


def test_bytes_that_are_not_utf8_in_a_batch_and_a_sweep(tmp_path):
    """A file whose error quotes bytes that are not UTF-8 keeps its row in batch.json (the bytes replaced by
    U+FFFD) and the other files their results; a --vary path that is not UTF-8 is a usage error."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SCENARIOS / "tarp_minor.yaml", src / "a.yaml")
    (src / "b.yaml").write_bytes(b"cxrisk: 1\nname: b\nextends: a.yaml\nfoo\xff: 1\n")
    out = tmp_path / "out"
    p = subprocess.run([EXE, "batch", src, "--trials", "50", "--out", out], capture_output=True, timeout=600)
    assert p.returncode == 2, p.stderr  # one file failed to load, the batch did not
    batch = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    entries = {os.path.basename(e["file"]): e for e in batch["scenarios"]}
    assert entries["a.yaml"]["status"] == "ok"
    assert entries["b.yaml"]["status"] == "error" and entries["b.yaml"]["error_line"] == 4
    assert "unknown key 'foo\ufffd'" in entries["b.yaml"]["error"]
    p = subprocess.run([EXE, "sweep", SCENARIOS / "telecom.yaml", "--vary", b"problems.billing\xff.incidence=0.1",
                        "--trials", "5"], capture_output=True, timeout=600)
    assert p.returncode == 2 and b"--vary: a path must be UTF-8 text without control characters" in p.stderr


def test_batch_finds_a_file_in_the_way_of_a_result_folder_before_it_runs(cli, tmp_path):
    src = _folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "tarp_major_problem_loss_over_100").write_text("in the way")
    status, _, err = cli("batch", src, "--trials", "100", "--out", out)
    assert status == 1
    assert "tarp_major_problem_loss_over_100' is not a folder" in err
    assert "[1/3]" not in err  # nothing ran
    assert sorted(p.name for p in out.iterdir()) == ["tarp_major_problem_loss_over_100"]


def test_batch_reports_a_broken_link_and_a_folder_it_cannot_read(cli, tmp_path):
    src = _folder(tmp_path)
    (src / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    status, out, _ = cli("batch", src, "--trials", "50", "--json")
    assert status == 2  # a file that cannot be read is bad input
    entries = {os.path.basename(e["file"]): e for e in json.loads(out)["scenarios"]}
    assert entries["gone.yaml"]["status"] == "error"
    assert "gone.yaml: cannot open the scenario file" in entries["gone.yaml"]["error"]
    # A folder the user cannot read (root reads every folder, so this runs as nobody where it can).
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root, to run as nobody")
    top = tempfile.mkdtemp(prefix="cxrisk-locked-")
    try:
        os.makedirs(os.path.join(top, "in", "locked"))
        shutil.copy(SCENARIOS / "tarp_minor.yaml", os.path.join(top, "in"))
        shutil.copy(SCENARIOS / "tarp_major.yaml", os.path.join(top, "in", "locked"))
        for d in (top, os.path.join(top, "in")):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(top, "in", "tarp_minor.yaml"), 0o644)
        os.chmod(os.path.join(top, "in", "locked"), 0)
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EXE, "batch",
                            os.path.join(top, "in"), "--trials", "50"], capture_output=True, text=True,
                           timeout=120)
        if p.returncode == 127 and p.stderr.startswith("setpriv: failed to execute"):
            pytest.skip("nobody cannot run the program here (a build in a private folder)")
        assert p.returncode == 2, p.stderr
        assert p.stderr.strip() == "error: cannot read the folder '%s': Permission denied" % os.path.join(
            top, "in", "locked")
    finally:
        os.chmod(os.path.join(top, "in", "locked"), 0o755)
        shutil.rmtree(top)


def _mpi_available():
    if shutil.which("mpirun") is None:
        return False
    p = subprocess.run([EXE, "--version"], capture_output=True, text=True)
    return "with MPI" in p.stdout


mpi = pytest.mark.skipif(not _mpi_available(), reason="cxrisk built without MPI, or no mpirun")


def _mpirun(n, *args):
    p = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(n), EXE, *map(str, args)],
                       capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


@mpi
@pytest.mark.parametrize("n", [2, 3])
def test_mpi_run_compare_and_batch_equal_serial(cli, n, tmp_path):
    run = ["run", SCENARIOS / "telecom.yaml", "--trials", "1500", "--json"]
    serial = cli(*run, "--threads", "1", check=0)[1]
    status, out, err = _mpirun(n, *run)
    assert status == 0, err
    assert out == serial

    compare = ["compare", SCENARIOS / "ecommerce.yaml", SCENARIOS / "ecommerce_easy_complaining.yaml",
               SCENARIOS / "ecommerce_first_contact_resolution.yaml", "--trials", "1000", "--json"]
    status, out, err = _mpirun(n, *compare)
    assert status == 0, err
    assert out == cli(*compare, "--threads", "1", check=0)[1]

    src = _folder(tmp_path)
    batch = ["batch", src, "--trials", "300", "--json"]
    serial_status, serial_out, _ = cli(*batch, "--threads", "1")
    status, out, err = _mpirun(n, *batch, "--out", tmp_path / "mpi_out")
    assert status == serial_status == 2
    assert out == serial_out
    assert json.loads((tmp_path / "mpi_out" / "batch.json").read_text()) == json.loads(serial_out)


@mpi
@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_mpi_designed_correlated_run_equals_serial(cli, sampling, tmp_path):
    scenario = tmp_path / "correlated.yaml"
    scenario.write_text(f"""cxrisk: 1
name: Telecom, correlated
extends: {(SCENARIOS / "telecom.yaml").resolve()}
correlations:
  - {{between: ["problems.*.incidence", "segments.consumer.value.mean"], rank: 0.5}}
""")
    run = ["run", scenario, "--trials", "1500", "--sampling", sampling, "--json"]
    serial = cli(*run, "--threads", "1", check=0)[1]
    assert json.loads(serial)["sampling"]["design"] == sampling
    for threads in ("2",):
        assert cli(*run, "--threads", threads, check=0)[1] == serial
    status, out, err = _mpirun(3, *run)
    assert status == 0, err
    assert out == serial


@mpi
def test_mpi_sweep_equals_serial_and_bad_input_exits_2(cli):
    sweep = ["sweep", SCENARIOS / "tarp_minor.yaml", "--vary", "problems.minor_problem.incidence=0.5,0.75,1",
             "--trials", "300", "--json"]
    status, out, err = _mpirun(2, *sweep)
    assert status == 0, err
    assert out == cli(*sweep, "--threads", "1", check=0)[1]
    status, out, err = _mpirun(2, "run", TEST_DATA / "bad" / "unknown_stage.yaml")
    assert status == 2
    assert err.count("unknown stage") == 1  # reported once, by process 0


def _mpirun_apart(args, wdirs, timeout=120):
    """One process per folder of `wdirs` (mpirun's MPMD form), each started in its own folder: processes that
    see different files, as on machines without a shared folder."""
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
    for i, wdir in enumerate(wdirs):
        cmd += ([":"] if i else []) + ["-np", "1", "--wdir", str(wdir), EXE, *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)  # a hang fails the test
    return p.returncode, p.stdout, p.stderr


@mpi
def test_mpi_processes_that_read_different_files_stop_together(tmp_path):
    """A file missing or different on one machine stops every process at once with one clear error (it used
    to leave the others waiting forever), and an output folder process 0 cannot write ends the job cleanly."""
    same, other, missing = tmp_path / "same", tmp_path / "other", tmp_path / "missing"
    for d in (same, other, missing):
        (d / "in" / "data").mkdir(parents=True)
    for d in (same, other):
        shutil.copy(SCENARIOS / "tarp_minor.yaml", d / "x.yaml")
        shutil.copy(SCENARIOS / "tarp_minor.yaml", d / "in" / "a.yaml")
        shutil.copy(SCENARIOS / "saas_b2b.yaml", d / "in" / "s.yaml")
    shutil.copy(SCENARIOS / "data" / "enterprise_quarterly_revenue.csv", same / "in" / "data")
    (other / "x.yaml").write_text((same / "x.yaml").read_text().replace("incidence: 1.0", "incidence: 0.9"))
    (other / "in" / "b.yaml").write_text((same / "x.yaml").read_text())  # a file only process 1 finds
    shutil.copy(SCENARIOS / "tarp_minor.yaml", missing / "in" / "a.yaml")
    shutil.copy(SCENARIOS / "saas_b2b.yaml", missing / "in" / "s.yaml")  # its values file is not there

    def errors(err):
        return [line for line in err.splitlines() if line.startswith("error:")]

    # The control: the same files in two folders run as one process does.
    status, out, err = _mpirun_apart(["run", "x.yaml", "--trials", "300", "--json"], [same, same])
    assert status == 0, err
    expected = subprocess.run([EXE, "run", same / "x.yaml", "--trials", "300", "--json"], capture_output=True,
                              text=True, cwd=same).stdout
    assert json.loads(out)["metrics"] == json.loads(expected)["metrics"]

    sweep = ["--vary", "problems.minor_problem.incidence=0.5,1"]
    for command in (["run", "x.yaml"], ["compare", "x.yaml", "x.yaml"], ["sweep", "x.yaml", *sweep]):
        status, out, err = _mpirun_apart([*command, "--trials", "300"], [same, missing])
        assert status == 2 and out == "", err
        assert errors(err) == ["error: process 1 (%s): x.yaml: cannot open the scenario file (No such file or directory)" % os.uname()[1]]
        status, out, err = _mpirun_apart([*command, "--trials", "300"], [same, other])
        assert status == 2 and out == "", err
        assert len(errors(err)) == 1
        assert "error: the processes read different inputs: x.yaml differs between process 0" in err
    # Different options, and an axis of a sweep that differs.
    status, out, err = _mpirun_apart(["run", "x.yaml", "--trials", "300"], [same, same])
    assert status == 0, err
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "1", "--wdir", str(same), EXE, "run",
           "x.yaml", "--trials", "300", ":", "-np", "1", "--wdir", str(same), EXE, "run", "x.yaml", "--trials",
           "301"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "the command line differs between" in p.stderr
    # A command line that one process cannot parse, and commands that do not exchange results: they meet too.
    p = subprocess.run(cmd[:-2] + ["--trialz", "300"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "read 'x.yaml' where process 1" in p.stderr and "read 'the command line'" in p.stderr
    for command in (["validate", "x.yaml"], ["expect", "x.yaml"], ["expand", "x.yaml"]):
        status, out, err = _mpirun_apart(command, [same, same])
        assert status == 0 and out, err
        status, out, err = _mpirun_apart(command, [same, other])
        assert status == 2 and out == "" and "x.yaml differs between process 0" in err, err

    # batch: folders whose lists differ, and a values file missing on one machine.
    status, out, err = _mpirun_apart(["batch", "in", "--trials", "200"], [same, other])
    assert status == 2 and out == "", err
    assert "process 0 (%s) read 'in/s.yaml' where process 1 (%s) read 'in/b.yaml'" % ((os.uname()[1],) * 2) in err, err
    status, out, err = _mpirun_apart(["batch", "in", "--trials", "200"], [same, missing])
    assert status == 2 and out == "", err
    assert "in/s.yaml differs between" in err and len(errors(err)) == 1

    # An output folder that process 0 cannot make: every process ends with its error, not MPI_Abort.
    (same / "taken").write_text("a file, not a folder")
    status, out, err = _mpirun_apart(["run", "x.yaml", "--trials", "300", "--out", "taken"], [same, same])
    assert status == 1 and out == ""
    assert len(errors(err)) == 1
    assert errors(err)[0].startswith("error: cannot create the output folder 'taken': ")
    assert errors(err)[0].endswith("taken' is not a folder")
    assert "MPI_ABORT" not in err
    # The same for a file in the way of one scenario's folder of a batch (checked at batch()'s meeting).
    (same / "out").mkdir()
    (same / "out" / "tarp_minor_problem_loss_under_5").write_text("in the way")
    status, out, err = _mpirun_apart(["batch", "in", "--trials", "100", "--out", "out"], [same, same])
    assert status == 1 and out == "" and "MPI_ABORT" not in err and "[1/" not in err
    assert len(errors(err)) == 1 and errors(err)[0].endswith("tarp_minor_problem_loss_under_5' is not a folder")


def test_batch_exclude(cli, tmp_path):
    src = _folder(tmp_path)
    shutil.copy(SCENARIOS / "tarp_minor.yaml", src / "a_draft.yml")
    (src / "old").mkdir()
    shutil.copy(SCENARIOS / "tarp_minor.yaml", src / "old" / "d.yaml")
    status, out, _ = cli("batch", src, "--trials", "100", "--json", "--exclude", "*_draft.yml",
                         "--exclude", "*/old/*", "--exclude", "c.yaml")
    assert status == 0
    assert sorted(os.path.basename(e["file"]) for e in json.loads(out)["scenarios"]) == ["a.yaml", "b.yaml"]
    # Both extensions are searched, as --help says.
    status, out, _ = cli("batch", src, "--trials", "100", "--json", "--exclude", "c.yaml")
    assert "a_draft.yml" in {os.path.basename(e["file"]) for e in json.loads(out)["scenarios"]}
    _, _, err = cli("batch", "--help", check=0)
    status, _, err = cli("batch", src, "--exclude", "*", check=2)
    assert "no scenario files (*.yaml, *.yml) found that --exclude leaves" in err


def test_sweep_over_an_improvement_reports_net_benefit(cli, tmp_path):
    """`sweep BASE --compare ALT --vary PATH=...`: net benefit against effect size in one command; each point
    equals `compare` of the alternative at that point."""
    base, alt = SCENARIOS / "telecom.yaml", SCENARIOS / "telecom_easy_complaining.yaml"
    path = "investment.upfront"
    s = cli.json("sweep", base, "--compare", alt, "--vary", f"{path}=2e8,6e8", "--trials", 600)
    assert s["alternative"] == "Make complaining easy" and s["vary"] == [path]
    nb = [p["comparison"]["net_benefit"]["mean"] for p in s["points"]]
    assert nb[0] > nb[1]  # the same savings, a larger investment
    at = tmp_path / "alt.yaml"
    at.write_text(f"cxrisk: 1\nname: Make complaining easy\nextends: {alt}\nchanges:\n  - {{set: {path}, to: 2e8}}\n")
    c = cli.json("compare", base, at, "--trials", 600)
    assert c["alternatives"][0]["net_benefit"] == s["points"][0]["comparison"]["net_benefit"]
    status, out, _ = cli("sweep", base, "--compare", alt, "--vary", f"{path}=2e8,6e8", "--trials", 600)
    assert status == 0 and "net benefit mean" in out


def test_sweep_resume_keeps_the_points_it_finished(cli, tmp_path):
    out = tmp_path / "sweep"
    path = "problems.major_problem.complaint_rate"
    args = ("sweep", SCENARIOS / "tarp_major.yaml", "--vary", f"{path}=0.3,0.5", "--trials", 500, "--out", out)
    cli(*args, check=0)
    first = json.loads((out / "sweep.json").read_text())
    assert sorted(p.name for p in (out / "points").iterdir()) == ["000000.json", "000001.json"]
    # Widen the grid: the two points already run are kept, the new one runs.
    wider = ("sweep", SCENARIOS / "tarp_major.yaml", "--vary", f"{path}=0.3,0.5,0.7", "--trials", 500, "--out", out)
    _, _, err = cli(*wider, "--resume", check=0)
    again = json.loads((out / "sweep.json").read_text())
    assert [p["status"] for p in again["points"]] == ["kept", "kept", "ok"]
    assert err.count("unchanged, results kept") == 2
    assert again["points"][:2] == [dict(p, status="kept") for p in first["points"]]
    # Other trials: nothing kept.
    cli("sweep", SCENARIOS / "tarp_major.yaml", "--vary", f"{path}=0.3,0.5,0.7", "--trials", 400, "--out", out,
        "--resume", check=0)
    assert [p["status"] for p in json.loads((out / "sweep.json").read_text())["points"]] == ["ok"] * 3
    status, _, err = cli("sweep", SCENARIOS / "tarp_major.yaml", "--vary", f"{path}=0.3", "--resume")
    assert status == 2 and "--resume needs --out" in err
