"""cxrisk: Monte Carlo revenue at risk from poor customer experience, from Python.

The same engine as the ``cxrisk`` command line, with results as dicts, numpy arrays and pandas data frames::

    import cxrisk
    base = cxrisk.load("scenarios/telecom.yaml")
    result = cxrisk.run(base, trials=20000)
    result.summary["metrics"]["total_cost"]["p95"]    # the numbers of `cxrisk run --json`
    result.samples("revenue_lost")                    # one value per trial, a numpy array
    easier = base.with_changes([{"set": "problems.billing_error.complaint_rate", "to": 0.7}])
    cxrisk.compare(base, easier, trials=5000)         # the numbers of `cxrisk compare --json`
    cxrisk.sensitivity(base).to_pandas()              # which inputs drive the risk

Errors in a scenario raise :class:`ScenarioError` (a ``ValueError``) naming the file, line, column and key.
"""
from __future__ import annotations

import json
import warnings
import operator
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from . import _cxrisk
from ._cxrisk import METRICS, Scenario, ScenarioError

__version__: str = _cxrisk.__version__
__all__ = ["load", "run", "expect", "compare", "sensitivity", "batch", "sweep", "Scenario", "Result", "Comparison",
           "Sensitivity", "Batch", "Sweep", "ScenarioError", "METRICS"]

ScenarioLike = Union[Scenario, str, os.PathLike, Mapping[str, Any]]

_MODES = ("aggregate", "individual")
_DIMENSIONS = ("problem", "stage", "segment", "cause", "outcome")


def load(source: ScenarioLike, confine: Optional[Union[str, os.PathLike]] = None) -> Scenario:
    """A :class:`Scenario` from a file path, a YAML string, or a dict with the schema of the scenario files.

    Warnings of the loading (a correlation matrix that had to be repaired) are issued as ``UserWarning``.

    A string is a path when it names an existing file, ends in .yaml or .yml, or is one line without a colon;
    YAML otherwise. Relative paths inside a YAML string or a dict (``extends``, empirical value files) are
    resolved against the current directory. With ``confine``, every file the scenario reads (itself, what it
    extends, its values files) must lie inside that folder once links are followed: for scenarios one did not
    write.
    """
    if isinstance(source, Scenario):
        return source
    scenario = _load(source, confine)
    for text in scenario.warnings:  # a correlation matrix repaired
        warnings.warn(text, UserWarning, stacklevel=3)
    return scenario


def _load(source: ScenarioLike, confine: Optional[Union[str, os.PathLike]]) -> Scenario:
    fence = os.fsencode(confine) if confine is not None else b""
    if isinstance(source, os.PathLike):
        return _cxrisk._load_file(os.fsencode(source), fence)
    if isinstance(source, str):
        if "\n" not in source and Path(source).is_file():
            return _cxrisk._load_file(os.fsencode(source), fence)
        if "\n" not in source and (source.endswith((".yaml", ".yml")) or ":" not in source):
            # A path that does not exist or is no file (a one-line scenario needs a colon): say so.
            return _cxrisk._load_file(os.fsencode(source), fence)
        return _cxrisk._load_text(source.encode("utf-8", "surrogateescape"), "<string>", os.getcwdb(), fence)
    if isinstance(source, Mapping):
        # JSON is YAML: the dict goes through the same loader, so it is checked the same way. Line and column
        # of an error then refer to no file, and are left out.
        try:
            return _cxrisk._load_text(json.dumps(source), "<dict>", os.getcwdb(), fence)
        except ScenarioError as e:
            raise _without_position(e, "<dict>") from None
    raise TypeError(f"cannot load a scenario from {type(source).__name__}")


def _without_position(e: ScenarioError, where: str) -> ScenarioError:
    text = f"{where}: {e.path}: {e.message}" if e.path else f"{where}: {e.message}"
    error = ScenarioError(text)
    error.file, error.line, error.column, error.path, error.message = where, None, None, e.path, e.message
    return error


def _to_dict(self: Scenario) -> dict:
    """The scenario as a dict with the schema of the scenario files (every default written out): numbers as
    numbers, names as text, so that ``load(s.to_dict())`` gives back the same scenario."""
    return json.loads(self._to_json())


def _with_changes(self: Scenario, changes: Iterable[Mapping[str, Any]], name: Optional[str] = None,
                  investment: Optional[Mapping[str, Any]] = None) -> Scenario:
    """A copy with ``set``/``scale`` changes applied, as under ``changes:`` in an improvement scenario, and
    optionally a new name and an investment (``{"upfront": Q, "per_period": Q}``)::

        s.with_changes([{"set": "problems.billing_error.complaint_rate", "to": {"dist": "pert", "min": 0.6,
                         "mode": 0.7, "max": 0.8}},
                        {"scale": "problems.*.incidence", "by": 0.8}],
                       name="Make complaining easy", investment={"upfront": 3.0e7, "per_period": 1.5e6})
    """
    document: dict = {"changes": list(changes)}
    if name is not None:
        document["name"] = name
    if investment is not None:
        document["investment"] = dict(investment)
    try:
        return self._with_changes(json.dumps(document))
    except ScenarioError as e:
        raise _without_position(e, "<changes>") from None


Scenario.to_dict = _to_dict
Scenario.with_changes = _with_changes
Scenario.__repr__ = lambda self: f"<cxrisk.Scenario {self.name!r}: {len(self.segments)} segments, " \
                                 f"{len(self.problems)} problems>"


def _command() -> str:
    """What made an output folder, for its provenance.json: the Python program and its arguments."""
    return " ".join(["python"] + sys.argv) if sys.argv and sys.argv[0] else "python (interactive)"


class Result:
    """The outcome of :func:`run`: the summary of ``cxrisk run --json`` and the per-trial values."""

    def __init__(self, core: Any, scenario: Optional[Scenario] = None, mode: str = "aggregate") -> None:
        self._core = core
        self._scenario = scenario
        self._mode = mode
        self.summary: dict = json.loads(core.summary_json())
        """The same dict as ``cxrisk run --json``, number for number."""

    @property
    def trials(self) -> int:
        return self._core.trials

    def samples(self, metric: str) -> "numpy.ndarray":  # noqa: F821
        """The per-trial values of a total metric (``"revenue_lost"``, ...): a read-only 1-D numpy array that
        views the engine's memory (no copy). An unknown metric raises ``KeyError`` naming the metrics."""
        if metric in METRICS:
            return self._core.samples(metric)
        columns, values = self._details(breakdown="." in metric and metric.split(".")[0] in _DIMENSIONS)
        if metric in columns:
            return values[:, columns.index(metric)]
        raise KeyError(f"no metric {metric!r}; the metrics are {', '.join(METRICS)}, and the uncertain inputs "
                       f"by path ({', '.join(c for c in columns if c.split('.')[0] not in _DIMENSIONS)}) and "
                       "breakdowns as 'problem.NAME.METRIC'")

    def _details(self, breakdown: bool) -> tuple:
        if self._scenario is None:
            return [], None
        return self._core.details(self._scenario, self._mode, breakdown)

    def write(self, folder: Union[str, os.PathLike], samples: Union[bool, str] = False, report: bool = False) -> None:
        """Write the files of ``cxrisk run --out FOLDER`` (summary.json, breakdown.csv, provenance.json, with
        ``samples`` also trials.csv: True as ``--samples``, ``"breakdown"`` as ``--samples breakdown``; and with
        ``report`` report.html and report.xlsx), atomically."""
        if samples not in (False, True, "inputs", "breakdown"):
            raise ValueError(f"samples is True, False or 'breakdown', got {samples!r}")
        self._core.write(os.fsdecode(folder), bool(samples), report, _command(), self._scenario, self._mode,
                         samples == "breakdown")

    def report(self, folder: Union[str, os.PathLike], samples: Union[bool, str] = False) -> None:
        """Write the run's folder with its report, as ``cxrisk run --out FOLDER --report``: report.html (one
        page that works offline) and report.xlsx (Excel, with charts) beside the results."""
        self.write(folder, samples=samples, report=True)

    def to_pandas(self, breakdown: bool = False) -> "pandas.DataFrame":  # noqa: F821
        """One row a trial (index ``trial``), the columns of ``trials.csv`` (``run --samples``): each metric's
        total, then each uncertain input's sampled value by its path, and with ``breakdown`` every metric of
        every breakdown entry (``problem.billing_error.total_cost``, as ``--samples breakdown``)."""
        import pandas as pd

        frame = pd.DataFrame({m: self.samples(m) for m in METRICS})
        columns, values = self._details(breakdown)
        if columns:
            frame = pd.concat([frame, pd.DataFrame(values, columns=columns)], axis=1)
        frame.index.name = "trial"
        return frame

    def breakdown_frame(self) -> "pandas.DataFrame":  # noqa: F821
        """The breakdowns, tidy: columns ``dimension``, ``name``, ``metric``, ``statistic``, ``value``; the
        totals come first with dimension ``"total"``."""
        import pandas as pd

        rows = []
        for metric, stats in self.summary["metrics"].items():
            rows += [("total", "total", metric, k, v) for k, v in stats.items()]
        for dimension, entries in self.summary["breakdown"].items():
            for name, metrics in entries.items():
                for metric, stats in metrics.items():
                    rows += [(dimension, name, metric, k, v) for k, v in stats.items()]
        return pd.DataFrame(rows, columns=["dimension", "name", "metric", "statistic", "value"])

    def __repr__(self) -> str:
        m = self.summary["metrics"]["total_cost"]
        return f"<cxrisk.Result {self.summary['scenario']!r}: {self.trials} trials, total_cost mean {m['mean']:.6g}>"


class Comparison(dict):
    """The outcome of :func:`compare`: a dict with the content of ``cxrisk compare --json``, plus the per-trial
    savings and net benefit of each alternative."""

    def __init__(self, core: Any) -> None:
        super().__init__(json.loads(core.json()))
        self._core = core

    def write(self, folder: Union[str, os.PathLike], report: bool = False) -> None:
        """Write the files of ``cxrisk compare --out FOLDER`` (comparison.json, comparison.csv, voi.csv with the
        value of information, provenance.json, and with ``report`` report.html and report.xlsx), atomically."""
        self._core.write(os.fsdecode(folder), report, _command())

    def report(self, folder: Union[str, os.PathLike]) -> None:
        """Write the comparison's folder with its report, as ``cxrisk compare --out FOLDER --report``."""
        self.write(folder, report=True)

    def samples(self, alternative: Union[int, str], what: str = "savings") -> "numpy.ndarray":  # noqa: F821
        """Per-trial ``"savings"`` (in total_cost) or ``"net_benefit"`` of an alternative (index or name)."""
        if isinstance(alternative, str):
            names = [a["name"] for a in self["alternatives"]]
            alternative = names.index(alternative)
        return self._core.samples(alternative, what)

    def to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per alternative (index ``alternative``), with the columns of ``comparison.csv``: savings
        (``savings_mean``, ``savings_se``, ``savings_p5`` ...), ``investment_pv_mean``, net benefit, ROI, payback,
        the probabilities and the break-even investments."""
        return _frame(self._core.csv()).set_index("alternative")

    def voi_to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """With ``voi=True``: one row for everything (EVPI), then one per input and per group, with the value
        of perfect information about it and its 95% interval."""
        import pandas as pd

        if "voi" not in self:
            raise ValueError("no value of information: compare(..., voi=True) computes it")
        v = self["voi"]
        rows = [{"of": "everything", "dimension": None, "name": None, "value": v["evpi"],
                 "ci_low": v["evpi_ci"][0], "ci_high": v["evpi_ci"][1]}]
        for p in v["evppi"]:
            rows.append({"of": "input", "dimension": None, "name": p["path"], "value": p["value"],
                         "ci_low": p["ci"][0], "ci_high": p["ci"][1]})
        for dimension, groups in v["groups"].items():
            for name, g in groups.items():
                rows.append({"of": "group", "dimension": dimension, "name": name, "value": g["value"],
                             "ci_low": g["ci"][0], "ci_high": g["ci"][1]})
        return pd.DataFrame(rows)


def _frame(csv_text: str) -> "pandas.DataFrame":  # noqa: F821
    """A CSV that cxrisk wrote, as a data frame with the same columns."""
    import io

    import pandas as pd

    # Every number as written (pandas' default parser can be off in the last digits).
    return pd.read_csv(io.StringIO(csv_text), keep_default_na=False, na_values=[""], float_precision="round_trip")


class Batch(dict):
    """The outcome of :func:`batch`: a dict with the content of ``batch.json`` (``cxrisk batch --json``)."""

    def __init__(self, json_text: str, csv_text: str) -> None:
        super().__init__(json.loads(json_text))
        self._csv = csv_text

    def to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per scenario file, with the columns of ``batch.csv`` (``file``, ``name``, ``directory``,
        ``status``, ..., ``total_cost_mean``, ``total_cost_p95`` ...)."""
        return _frame(self._csv)


class Sweep(dict):
    """The outcome of :func:`sweep`: a dict with the content of ``sweep.json`` (``cxrisk sweep --json``)."""

    def __init__(self, json_text: str, csv_text: str) -> None:
        super().__init__(json.loads(json_text))
        self._csv = csv_text

    def to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per grid point, with the columns of ``sweep.csv``: each varied path, ``trials``, ``seed``,
        every metric's mean (``total_cost_mean`` ...) and the main metrics' statistics."""
        return _frame(self._csv)


class Sensitivity(dict):
    """The outcome of :func:`sensitivity`: a dict with the content of ``cxrisk sensitivity --json``."""

    def report(self, folder: Union[str, os.PathLike]) -> None:
        """Write sensitivity.json, provenance.json, report.html and report.xlsx into ``folder``, atomically, as
        ``cxrisk sensitivity --out FOLDER --report`` does (but for sensitivity.csv)."""
        _cxrisk._write_with_report(os.fsdecode(folder), {"sensitivity.json": json.dumps(self, indent=2) + "\n"},
                                   _command())

    def to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per metric and input (indexed by both), in the order of the JSON (largest total index first):
        distribution, P10, P90, tornado, rank correlation, and the Sobol indices with their intervals."""
        import pandas as pd

        rows = []
        for metric, m in self["metrics"].items():
            for i in m["inputs"]:
                rows.append({"metric": metric, "input": i["path"], "kind": i["kind"],
                             "distribution": i["distribution"], "p10": i["p10"], "p90": i["p90"],
                             "at_p10": i["tornado"]["at_p10"], "at_p90": i["tornado"]["at_p90"],
                             "swing": i["tornado"]["swing"], "spearman": i["spearman"],
                             "correlated_group": i.get("correlated_group"), **_indices(i)})
        return pd.DataFrame(rows).set_index(["metric", "input"])

    def groups_to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per metric and group of inputs (by problem, segment and kind) with its Sobol indices."""
        import pandas as pd

        rows = []
        for metric, m in self["metrics"].items():
            for dimension, groups in m["groups"].items():
                for name, g in groups.items():
                    rows.append({"metric": metric, "dimension": dimension, "group": name, **_indices(g)})
        return pd.DataFrame(rows).set_index(["metric", "dimension", "group"])


def _indices(x: Mapping[str, Any]) -> dict:
    """The Sobol indices of an input or a group as columns; None (NaN in a frame) for a correlated input."""
    first, total = x["sobol_first_ci"] or (None, None), x["sobol_total_ci"] or (None, None)
    return {"sobol_first": x["sobol_first"], "sobol_first_low": first[0], "sobol_first_high": first[1],
            "sobol_total": x["sobol_total"], "sobol_total_low": total[0], "sobol_total_high": total[1]}


def _whole(name: str, value: Any, low: int, high: int) -> Optional[int]:
    """``value`` as an int in [low, high] (None stays None): a TypeError for what is not a whole number (a
    float, a string, a bool), a ValueError for a number out of range."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    try:
        number = operator.index(value)  # int, numpy integers; not float or str
    except TypeError:
        raise TypeError(f"{name} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {number}")
    return number


_SAMPLINGS = ("random", "lhs", "sobol")


def _options(trials: Any, seed: Any, threads: Any, sampling: Any = None) -> tuple:
    """The checked trials, seed, threads and sampling of run, compare and sensitivity (threads 0: every
    core)."""
    if sampling is not None and sampling not in _SAMPLINGS:
        raise ValueError(f"sampling must be one of {', '.join(_SAMPLINGS)}, got {sampling!r}")
    return (_whole("trials", trials, 1, 2**32 - 1), _whole("seed", seed, 0, 2**64 - 1),
            _whole("threads", threads, 1, _cxrisk.MAX_THREADS) or 0, sampling)


def _precision(precision: Any, max_trials: Any) -> tuple:
    """The targets (a list of "METRIC:STAT:TOL" strings, or one) and the maximum of trials."""
    if isinstance(precision, str):
        precision = [precision]
    if precision is not None:
        precision = list(precision)
        for target in precision:
            if not isinstance(target, str):
                raise TypeError(f"a precision target is a string like 'total_cost:p95:1%', got {target!r}")
    return precision, _whole("max_trials", max_trials, 2048, 2**32 - 1)


def run(scenario_or_path: ScenarioLike, trials: Optional[int] = None, seed: Optional[int] = None,
        threads: Optional[int] = None, mode: str = "aggregate", sampling: Optional[str] = None,
        precision: Union[None, str, Sequence[str]] = None, max_trials: Optional[int] = None,
        variance_reduction: Optional[bool] = None) -> Result:
    """Simulate a scenario, as ``cxrisk run``. ``trials``, ``seed`` and ``sampling`` (``"random"``, ``"lhs"``
    or ``"sobol"``) default to the scenario's ``simulation`` settings, ``threads`` to every core; ``mode`` is
    ``"aggregate"`` or ``"individual"``. ``precision`` (``"total_cost:p95:1%"``, or a list) runs until each
    target's 95% interval is that narrow, up to ``max_trials``, as ``--precision``. ``variance_reduction``
    (True or False; default: on for a run to a precision) chooses the two-level estimators of
    docs/precision.md, as ``--variance-reduction``. The GIL is released while
    the engine runs, and Ctrl-C interrupts it with ``KeyboardInterrupt``."""
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if variance_reduction is not None and not isinstance(variance_reduction, bool):
        raise TypeError(f"variance_reduction must be True, False or None, got {variance_reduction!r}")
    scenario = load(scenario_or_path)
    result = Result(_cxrisk._run(scenario, *_options(trials, seed, threads, sampling),
                                 *_precision(precision, max_trials), variance_reduction, mode), scenario, mode)
    _warn_unmet(result.summary.get("precision"))
    return result


def _warn_unmet(precision: Optional[dict]) -> None:
    if precision is not None and not precision["met"]:
        missing = [t["target"] for t in precision["targets"] if not t["met"]]
        warnings.warn(f"precision not met by the maximum of {precision['max_trials']} trials: {', '.join(missing)}",
                      UserWarning, stacklevel=3)


def expect(scenario_or_path: ScenarioLike) -> dict:
    """The closed-form answer with every quantity at its mean: the dict of ``cxrisk expect --json``."""
    return json.loads(_cxrisk._expect(load(scenario_or_path)))


def compare(base: ScenarioLike, *alternatives: ScenarioLike, trials: Optional[int] = None,
            seed: Optional[int] = None, threads: Optional[int] = None, voi: bool = False,
            sampling: Optional[str] = None, precision: Union[None, str, Sequence[str]] = None,
            max_trials: Optional[int] = None) -> Comparison:
    """Run improvement scenarios against a base on common random numbers, as ``cxrisk compare``; returns the
    content of ``cxrisk compare --json`` (a dict) with per-trial samples on the side. With ``voi=True`` it adds
    the value of information (``"voi"``, as ``cxrisk compare --voi``)."""
    if not alternatives:
        raise ValueError("compare needs at least one alternative")
    if not isinstance(voi, bool):
        raise TypeError(f"voi must be True or False, got {voi!r}")
    comparison = Comparison(_cxrisk._compare(load(base), [load(a) for a in alternatives],
                                             *_options(trials, seed, threads, sampling),
                                             *_precision(precision, max_trials), voi))
    _warn_unmet(comparison.get("precision"))
    return comparison


def sensitivity(scenario_or_path: ScenarioLike, metrics: Sequence[str] = (), design: Optional[int] = None,
                trials: Optional[int] = None, seed: Optional[int] = None,
                threads: Optional[int] = None, sampling: Optional[str] = None) -> Sensitivity:
    """Which uncertain inputs drive the risk, as ``cxrisk sensitivity``: for each metric (default total_cost,
    revenue_lost, customers_lost) and input, the tornado, the rank correlation and the Sobol indices, and the
    indices of groups of inputs. ``design`` fixes the rows of the Saltelli design (default: grown until the ten
    largest total indices are known to 0.05)."""
    if isinstance(metrics, str):
        metrics = [metrics]
    for m in metrics:
        if m not in METRICS:
            raise ValueError(f"unknown metric {m!r} (use one of {', '.join(METRICS)})")
    rows = _whole("design", design, 1, 2**24) or 0
    return Sensitivity(json.loads(_cxrisk._sensitivity(load(scenario_or_path), list(metrics), rows,
                                                       *_options(trials, seed, threads, sampling))))


def batch(*paths: Union[str, os.PathLike], out: Optional[Union[str, os.PathLike]] = None, resume: bool = False,
          trials: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None,
          sampling: Optional[str] = None, precision: Union[None, str, Sequence[str]] = None,
          max_trials: Optional[int] = None, confine: Optional[Union[str, os.PathLike]] = None,
          exclude: Union[str, Sequence[str]] = ()) -> Batch:
    """Run every scenario of files and folders (``*.yaml`` and ``*.yml``) as :func:`run` would, as
    ``cxrisk batch``: the content of ``batch.json``, with ``to_pandas()`` giving ``batch.csv``. With ``out``,
    each scenario's ``summary.json`` and the batch's tables are written there; with ``resume``, scenarios whose
    results there have the same content hash, trials and seed are kept (status ``"kept"``); ``exclude`` (a glob,
    or a list) leaves out files whose name or path matches, as ``--exclude``. A scenario that fails to load is
    a row with its error, not an exception."""
    if not paths:
        raise ValueError("batch needs at least one scenario file or folder")
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be True or False, got {resume!r}")
    json_text, csv_text = _cxrisk._batch([os.fsdecode(p) for p in paths], os.fsdecode(out) if out else "", resume,
                                         *_options(trials, seed, threads, sampling), *_precision(precision, max_trials),
                                         os.fsdecode(confine) if confine else "",
                                         [exclude] if isinstance(exclude, str) else list(exclude))
    return Batch(json_text, csv_text)


def sweep(scenario_or_path: ScenarioLike, vary: Union[Mapping[str, Iterable[float]], Sequence[str]],
          out: Optional[Union[str, os.PathLike]] = None, trials: Optional[int] = None, seed: Optional[int] = None,
          threads: Optional[int] = None, sampling: Optional[str] = None,
          compare: Optional[ScenarioLike] = None) -> Sweep:
    """Run a scenario over a grid of values on common random numbers, as ``cxrisk sweep``. ``vary`` maps each
    path to its values (``{"problems.billing_error.complaint_rate": [0.5, 0.6, 0.7]}``), or is a list of
    ``--vary`` texts (``"PATH=FROM:TO:STEP"``, ``"PATH=V1,V2"``); the last axis varies fastest. Returns the
    content of ``sweep.json``, with ``to_pandas()`` giving ``sweep.csv``; with ``out``, both are written there.
    With ``compare`` (an improvement scenario), the paths are the improvement's and each point reports its
    net benefit against ``scenario_or_path``, the base, as ``cxrisk sweep BASE --compare ALT``."""
    if isinstance(vary, Mapping):
        specs = [f"{path}=" + ",".join(repr(float(v)) for v in values) for path, values in vary.items()]
    elif isinstance(vary, str):
        specs = [vary]
    else:
        specs = list(vary)
    if not specs:
        raise ValueError("sweep needs at least one path to vary")
    json_text, csv_text = _cxrisk._sweep(load(scenario_or_path), specs, os.fsdecode(out) if out else "",
                                         *_options(trials, seed, threads, sampling),
                                         load(compare) if compare is not None else None)
    return Sweep(json_text, csv_text)

