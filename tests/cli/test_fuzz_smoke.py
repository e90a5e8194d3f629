"""A short, fixed-seed run of scripts/fuzz_scenarios.py against the build under test: damaged scenarios give
a success or a clean input error (exit 2 with a message), never a crash, another exit status or a hang. The
long runs belong to the sanitizer build (see the README)."""
import sys
from pathlib import Path

from conftest import EXE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from fuzz_scenarios import fuzz  # noqa: E402


def test_damaged_scenarios_give_clean_errors():
    cases, findings = fuzz(EXE, seed=2026, cases=300, timeout=60)
    assert cases == 300
    assert not findings, "\n\n".join(f"{what} ({command} on {source}):\n{err}\n--- scenario:\n{text}"
                                     for what, command, source, text, err in findings[:3])
