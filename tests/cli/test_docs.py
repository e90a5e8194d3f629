"""The documents say what the program does: every console example in the README and docs/ is run and its
output compared, and the scenario reference in docs/scenario.md is the registry's."""
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
