"""The documents say what the program does: every console example in the README and docs/ is run and its
output compared, and the scenario reference in docs/scenario.md is the registry's."""
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import EXE, SCENARIOS

ROOT = SCENARIOS.resolve().parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples():
    for page in PAGES:
        for block in BLOCK.findall(page.read_text()):
            lines = block.rstrip("\n").split("\n")
            if lines and lines[0].startswith("$ build/engine/cxrisk "):
                yield pytest.param(lines[0][2:], lines[1:], id=f"{page.name}: {lines[0][2:60]}")


def matches(expected, got):
    """Every expected line, in order, at the next line of the output; `...` skips any number of lines."""
    at = 0
    skipping = False
    for line in expected:
        if line.strip() == "...":
            skipping = True
            continue
        while skipping and at < len(got) and got[at].rstrip() != line.rstrip():
            at += 1
        if at >= len(got) or got[at].rstrip() != line.rstrip():
            return f"expected {line!r} at output line {at + 1}"
        at += 1
        skipping = False
    return ""


@pytest.mark.parametrize("command, expected", list(examples()))
def test_console_examples_print_what_they_show(command, expected):
    args = shlex.split(command)
    p = subprocess.run([EXE, *args[1:]], capture_output=True, text=True, cwd=ROOT, timeout=600)
    got = (p.stdout + p.stderr).split("\n")
    problem = matches(expected, got)
    assert not problem, f"{problem}\n--- output of {command}:\n{p.stdout}{p.stderr}"


def test_the_scenario_reference_is_the_registrys():
    page = (ROOT / "docs" / "scenario.md").read_text()
    begin = page.index("\n", page.index("<!-- BEGIN REFERENCE")) + 1
    end = page.index("<!-- END REFERENCE -->")
    generated = subprocess.run([EXE, "reference"], capture_output=True, text=True, check=True).stdout
    assert page[begin:end].strip() == generated.strip(), "docs/scenario.md is stale: run scripts/update_reference.sh"


def test_every_json_field_is_documented(cli):
    """Every key of the JSON that run, compare --voi, sensitivity, batch, sweep and sweep --compare print is
    named in docs/outputs.md (names from the scenario, such as problems and segments, aside)."""
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text()
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", docs))
    S = cli.scenarios
    outputs = {
        "run": cli("run", S / "telecom_correlated.yaml", "--trials", 2048, "--precision", "total_cost:mean:5%", "--json"),
        "compare": cli("compare", S / "telecom.yaml", S / "telecom_prevention.yaml", "--trials", 1000, "--voi",
                       "--json"),
        "sensitivity": cli("sensitivity", S / "saas_b2b.yaml", "--trials", 500, "--design", 256, "--json"),
        "batch": cli("batch", S / "tarp_major.yaml", cli.data / "bad" / "unknown_stage.yaml", "--trials", 100,
                     "--json"),
        "sweep": cli("sweep", S / "tarp_major.yaml", "--vary", "problems.major_problem.complaint_rate=0.4,0.5",
                     "--trials", 100, "--json"),
        "sweep --compare": cli("sweep", S / "telecom.yaml", "--compare", S / "telecom_prevention.yaml", "--vary",
                               "investment.upfront=1e8", "--trials", 100, "--json"),
    }
    named = {"breakdown", "groups", "problem", "stage", "segment", "cause", "outcome", "kind"}
    missing = set()

    def walk(x, where, names):
        if isinstance(x, dict):
            for k, v in x.items():
                if not names and k not in words:
                    missing.add(f"{where}: {k}")
                walk(v, f"{where}.{k}", k in named)
        elif isinstance(x, list):
            for v in x:
                walk(v, where, False)

    for command, (_, out, _) in outputs.items():
        walk(json.loads(out), command, False)
    assert not missing, sorted(missing)
