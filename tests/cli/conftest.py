import json
import os
import subprocess
from pathlib import Path

import pytest

EXE = os.environ.get("CXRISK_EXE", "build/engine/cxrisk")
SCENARIOS = Path(os.environ.get("CXRISK_SCENARIOS", "scenarios"))
TEST_DATA = Path(os.environ.get("CXRISK_TEST_DATA", "tests/data"))


class Cli:
    """Runs the cxrisk executable and returns (status, stdout, stderr)."""

    exe = EXE
    scenarios = SCENARIOS
    data = TEST_DATA

    def __call__(self, *args, check=None):
        p = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=600)
        if check is not None:
            assert p.returncode == check, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        return p.returncode, p.stdout, p.stderr

    def json(self, *args):
        _, out, _ = self(*args, "--json", check=0)
        return json.loads(out)


@pytest.fixture
def cli():
    return Cli()
