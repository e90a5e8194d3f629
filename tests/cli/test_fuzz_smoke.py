"""Short, fixed-seed runs of scripts/fuzz_scenarios.py against the build under test: damaged scenarios and
random command lines give a success or a clean error (exit 2 with a message; exit 1 only for an output
folder that cannot be created, or a batch with failed scenarios), never a crash, another exit status or a
hang. The long runs belong to the sanitizer build (see the README)."""
import sys
from pathlib import Path

from conftest import EXE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from fuzz_scenarios import fuzz, fuzz_options  # noqa: E402


def test_damaged_scenarios_give_clean_errors():
    cases, findings = fuzz(EXE, seed=2026, cases=300, timeout=60)
    assert cases == 300
    assert not findings, "\n\n".join(f"{what} ({command} on {source}):\n{err}\n--- scenario:\n{text}"
                                     for what, command, source, text, err in findings[:3])


def test_random_command_lines_give_clean_errors():
    cases, findings = fuzz_options(EXE, seed=2026, cases=300, timeout=60)
    assert cases == 300
    assert not findings, "\n\n".join(f"{what}: cxrisk {command}\n{err}" for what, command, err in findings[:3])
