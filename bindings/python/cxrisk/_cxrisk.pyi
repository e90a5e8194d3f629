"""Type stubs of the compiled core of cxrisk (use the functions of the cxrisk package)."""
from typing import Any, Iterable, Mapping, Optional

import numpy

__version__: str
MAX_THREADS: int
METRICS: list[str]

class ScenarioError(ValueError):
    """A scenario that does not follow the schema: the file, line and column (None when not from a file),
    the key path (e.g. ``problems[0].complaint_rate.sd``) and the message, as the command line prints them."""

    file: str
    line: Optional[int]
    column: Optional[int]
    path: str
    message: str

class Scenario:
    """A checked scenario (schema version 1)."""

    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def trials(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def sampling(self) -> str:
        """``simulation.sampling``: "random", "lhs" or "sobol"."""
    @property
    def warnings(self) -> list[str]:
        """What loading warned of (a correlation matrix repaired), as the command line prints it."""
    @property
    def segments(self) -> list[str]: ...
    @property
    def problems(self) -> list[str]: ...
    @property
    def stages(self) -> list[str]: ...
    def to_yaml(self) -> str:
        """The scenario as YAML that loads back to the same scenario (files it reads as absolute paths)."""
    def to_dict(self) -> dict[str, Any]:
        """The scenario as a dict with the schema of the scenario files (typed: loads back to an equal one)."""
    def _to_json(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def with_changes(self, changes: Iterable[Mapping[str, Any]], name: Optional[str] = None,
                     investment: Optional[Mapping[str, Any]] = None) -> "Scenario":
        """A copy with ``set``/``scale`` changes applied, as under ``changes:`` in an improvement scenario,
        optionally renamed and with an investment."""
    def _with_changes(self, changes: str) -> "Scenario": ...

class _RunResult:
    @property
    def trials(self) -> int: ...
    def summary_json(self) -> str: ...
    def samples(self, metric: str) -> numpy.ndarray: ...
    def write(self, dir: str, samples: bool) -> None: ...

class _Comparison:
    def json(self) -> str: ...
    def samples(self, alternative: int, what: str) -> numpy.ndarray: ...

def _load_file(path: str, confine: str) -> Scenario: ...
def _load_text(text: str, display_name: str, base_dir: str, confine: str) -> Scenario: ...
def _run(scenario: Scenario, trials: Optional[int], seed: Optional[int], threads: int, sampling: Optional[str],
         precision: Optional[list[str]], max_trials: Optional[int], variance_reduction: Optional[bool],
         mode: str) -> _RunResult: ...
def _expect(scenario: Scenario) -> str: ...
def _compare(base: Scenario, alternatives: list[Scenario], trials: Optional[int], seed: Optional[int],
             threads: int, sampling: Optional[str], precision: Optional[list[str]], max_trials: Optional[int],
             voi: bool) -> _Comparison: ...
def _sensitivity(scenario: Scenario, metrics: list[str], design: int, trials: Optional[int], seed: Optional[int],
                 threads: int, sampling: Optional[str]) -> str: ...
