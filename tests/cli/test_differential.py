"""A short run of the differential fuzzer (scripts/differential_fuzz.py; long runs by hand): random valid
scenarios over the whole range of every parameter, run against expect, on every kernel set."""
import sys
from pathlib import Path

from conftest import EXE, SCENARIOS

sys.path.insert(0, str(SCENARIOS.resolve().parent / "scripts"))
import differential_fuzz  # noqa: E402


def test_random_valid_scenarios_agree_with_expect_on_every_kernel_set(tmp_path):
    findings, refused = differential_fuzz.fuzz(str(EXE), cases=40, seed=20261207, trials=1000, out=tmp_path)
    assert not findings, "\n".join(f"{path}: {problem}\n{path.read_text()}" for path, problem in findings)
    assert refused < 10  # the generator makes valid scenarios
