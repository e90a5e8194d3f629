import os
import subprocess
from pathlib import Path

import pytest

EXE = os.environ.get("CXRISK_EXE", "build/engine/cxrisk")
SCENARIOS = Path(os.environ.get("CXRISK_SCENARIOS", "scenarios"))
TEST_DATA = Path(os.environ.get("CXRISK_TEST_DATA", "tests/data"))
EXAMPLES = Path(os.environ.get("CXRISK_EXAMPLES", "bindings/python/examples"))


@pytest.fixture
def cli_json():
    """The parsed JSON of a cxrisk command line."""
    import json

    def run(*args):
        p = subprocess.run([EXE, *map(str, args), "--json"], capture_output=True, text=True, check=True)
        return json.loads(p.stdout)

    return run
