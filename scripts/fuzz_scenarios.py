#!/usr/bin/python3
"""Mutation fuzzing of the scenario loader and engine through the `cxrisk` command.

Takes the shipped scenarios, damages one to three lines of one at a time (deleted, repeated or truncated
lines, numbers replaced by extreme or malformed values, values replaced, indentation changed, stray bytes,
distribution names swapped) and runs `batch`, `validate`, `expect --json` and `run --trials 16 --json` on it,
and `compare` with its base or one of its improvements. Every outcome must be a success (exit 0, and for `run`
and `expect` every statistic a number) or a clean input error (exit 2 with a message; for `batch`, exit 2 or 1 and
the error in its JSON); a crash, another exit status, a null statistic, a silent error, a sanitizer report or
a run longer than the time limit is kept in the output folder (the scenario and what was seen) and fails the
script.

Meant for the sanitizer build (scripts/sanitize.sh builds build-sanitize):
    scripts/fuzz_scenarios.py --exe build-sanitize/engine/cxrisk --seconds 600 --seed 1
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VALUES = ["-1", "0", "1e308", "-1e308", "nan", ".nan", ".inf", "-.inf", "1e-320", "1e-200", "1e300", "abc", "[]",
          "{}", "[1, 2]", "''", "~", "2147483648", "9999999999999999999999", "0.5", "1.5", "-0.0",
          "!!binary aGVsbG8=", "&a 1", "*a", "{a: 1}", "[0.1, 0.2, 0.3]", "{dist: beta, alpha: 1e-300, beta: 2}",
          "{dist: gamma, mean: 1e200, sd: 1e-200}", "{dist: normal, mean: 0, sd: -1}"]
# "\udcff" is written as the lone byte 0xff (surrogateescape): not UTF-8.
STRAY = ["\t", "\x00", "\udcff", "\xff", ":", "-", "{", "[", "'", '"', "#", "&", "*", "!", "%", "\u3000"]
DISTS = ["beta", "pert", "triangular", "normal", "dirichlet", "uniform", "gamma", "lognormal", "fixed"]
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def mutate(text, rng):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        kind = rng.randrange(8)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 2:
            lines[i] = NUMBER.sub(lambda m: rng.choice(VALUES), lines[i], count=1)
        elif kind == 3:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
        elif kind == 4 and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ": " + rng.choice(VALUES)
        elif kind == 5:
            lines = lines[:i]
        elif kind == 6:
            j = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:j] + rng.choice(STRAY) + lines[i][j:]
        elif kind == 7:
            lines[i] = lines[i].replace(rng.choice(DISTS), rng.choice(DISTS + ["zeta", ""]))
    return "\n".join(lines)


def _has_null(summary):
    """Whether a run's or expect's metrics or breakdown hold a null (a NaN or an infinity written out)."""
    def walk(x):
        if isinstance(x, dict):
            return any(walk(v) for v in x.values())
        if isinstance(x, list):
            return any(walk(v) for v in x)
        return x is None
    return walk(summary.get("metrics")) or walk(summary.get("breakdown"))


def _batch_problem(status, stdout):
    """What is wrong with `batch --json` over one file: it exits 0 with the file's results, or 2 (the file
    failed to load) or 1 (it failed while running) with the file's error in its JSON (which must parse,
    whatever bytes the error quotes)."""
    if status not in (0, 1, 2):
        return f"exit status {status}"
    try:
        entry = json.loads(stdout.decode("utf-8"))["scenarios"][0]
    except (ValueError, KeyError, IndexError):
        return "a batch whose JSON does not parse or lacks its scenario"
    if status in (1, 2) and (entry.get("status") != "error" or not entry.get("error")):
        return "a failed batch without the file's error"
    if status == 0 and entry.get("status") != "ok":
        return "a batch that exits 0 with a failed scenario"
    return None


def fuzz(exe, seed, seconds=None, cases=None, timeout=60.0, out=None, env=None):
    """Runs mutated scenarios until `seconds` have passed or `cases` were run; returns (cases run, findings),
    each finding a (what, command, source scenario, mutated text, stderr) tuple, also kept in `out` if given."""
    rng = random.Random(seed)
    sources = sorted((ROOT / "scenarios").glob("*.yaml"))
    exe = str(Path(exe).resolve())
    # compare runs a damaged improvement against its base, and a damaged base against one improvement of it.
    partner = {}
    for source in sources:
        m = re.search(r"^extends:\s*(\S+)", source.read_text(encoding="utf-8"), re.M)
        if m:
            partner[source.name] = ("base", m.group(1))
            partner.setdefault(m.group(1), ("alt", source.name))
    findings = []
    done = 0
    deadline = time.monotonic() + seconds if seconds is not None else None
    with tempfile.TemporaryDirectory() as work:
        # The scenarios sit together, as they extend each other and read data files by relative paths.
        shutil.copytree(ROOT / "scenarios", work, dirs_exist_ok=True)
        while (cases is None or done < cases) and (deadline is None or time.monotonic() < deadline):
            source = rng.choice(sources)
            path = Path(work) / source.name
            text = mutate(source.read_text(encoding="utf-8"), rng)
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            # batch first, as it must report a bad file in its JSON (exit 1) as well as run a good one.
            commands = [["batch", path, "--trials", "16", "--json"], ["validate", path], ["expect", path, "--json"],
                        ["run", path, "--trials", "16", "--json"]]
            if source.name in partner:
                role, other = partner[source.name]
                pair = [Path(work) / other, path] if role == "base" else [path, Path(work) / other]
                commands.append(["compare", *pair, "--trials", "16", "--json"])
            for command in commands:
                argv = [exe, *map(str, command)]
                try:
                    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, cwd=work)
                    status, err = p.returncode, p.stderr.decode(errors="replace")
                    problem = ("sanitizer report" if "Sanitizer" in err or "runtime error" in err else
                               _batch_problem(status, p.stdout)) if command[0] == "batch" else (
                               f"exit status {status}" if status not in (0, 2) else
                               "sanitizer report" if "Sanitizer" in err or "runtime error" in err else
                               "exit 2 without a message" if status == 2 and not err.strip() else
                               "a statistic that is not a number" if status == 0 and command[0] in ("run", "expect")
                               and _has_null(json.loads(p.stdout)) else None)
                except subprocess.TimeoutExpired:
                    status, err, problem = None, "", f"longer than {timeout} s"
                if problem:
                    findings.append((problem, command[0], source.name, text, err))
                    if out is not None:
                        Path(out).mkdir(parents=True, exist_ok=True)
                        stem = Path(out) / f"case_{seed}_{done}"
                        shutil.copy(path, stem.with_suffix(".yaml"))
                        stem.with_suffix(".txt").write_text(f"{source.name}: {' '.join(argv[1:])}\n{problem}\n{err}")
                        print(f"{problem}: {command[0]} on a mutation of {source.name} -> {stem}.yaml", flush=True)
                if problem or status != 0 and command[0] != "batch":
                    break
            shutil.copy(source, path)
            done += 1
    return done, findings


# The command-line fuzzer's pools: valid values, edge values and malformed ones for each option.
TRIALS = ["1", "2", "16", "0", "-1", "4294967296", "1.5", "1e3", "x", ""]
SEEDS = ["0", "1", "7", "18446744073709551615", "18446744073709551616", "-1", "0x10", "x", ""]
THREADS = ["0", "1", "2", "3", "1024", "1025", "-1", "x"]
VARY_VALUES = ["0", "1", "0.5", "0.01", "2", "-1", "1e15", "1e16", "1e308", "1e-320", "nan", "inf", "-inf",
               "0.1:0.9:0.2", "0:1:0.5", "0:1:1e-300", "1:0:0.1", "0:1:0", "-1e308:1e308:1e307", "0.1,0.2",
               "0.1,,0.2", ",", "a", "", "1:2", "1:2:3:4", "0x1p-3", " 0.3 ", "1e-5,1e5"]


def _names(text):
    """The segment, problem and tier names of a scenario's text (found by pattern, not parsed)."""
    head, _, tail = text.partition("\nproblems:")
    name = r"^\s*- name:\s*([\w.-]+)"
    return {"segment": re.findall(name, head, re.M) or ["x"], "problem": re.findall(name, tail, re.M) or ["x"],
            "tier": re.findall(r"tier:\s*([\w.-]+)", tail) or ["x"]}


def _vary_path(rng, names):
    """A --vary path: mostly one the scenario has, sometimes a wrong name, a wildcard or a malformed path (with
    the byte 0xff, which is not UTF-8, as the surrogate "\udcff" that subprocess passes as that byte)."""
    def name(kind):
        r = rng.random()
        odd = ["nope", "", "\u00e9", "\udcff", "a\tb"]
        return rng.choice(names[kind]) if r < 0.75 else "*" if r < 0.9 else rng.choice(odd)
    outcome = lambda: rng.choice(["silent", "quick", "resolved", "mollified", "unresolved", "*", "no_problem"])  # noqa: E731
    return rng.choice([
        "horizon.discount_rate", "horizon.periods", "valuation.margin", "word_of_mouth.negative_conversion",
        "word_of_mouth.positive_conversion", "investment.upfront", "investment.per_period",
        f"segments.{name('segment')}.customers", f"segments.{name('segment')}.baseline_churn",
        f"segments.{name('segment')}.value.mean", f"segments.{name('segment')}.value.cv",
        f"problems.{name('problem')}.incidence", f"problems.{name('problem')}.incidence",
        f"problems.{name('problem')}.complaint_rate", f"problems.{name('problem')}.complaint_rate",
        f"problems.{name('problem')}.loyalty.{outcome()}",
        f"problems.{name('problem')}.wom.{rng.choice(['negative', 'positive', '*'])}.{outcome()}",
        f"problems.{name('problem')}.handling.{name('tier')}.{rng.choice(['escalate', 'cost', 'resolution'])}",
        rng.choice([f"segments.{name('segment')}.value", f"problems.{name('problem')}", "problems", "", ".",
                    "problems..incidence"])])


def _command(rng, sources, work, texts):
    """A random command line (without the executable) over the shipped scenarios, and its --out folder;
    `texts` holds each scenario's `expand` output (whose names the --vary paths use)."""
    source = rng.choice(sources)
    path = Path(work) / source.name
    text = texts[source.name]
    verb = rng.choice(["run", "run", "expect", "compare", "batch", "sweep", "sweep", "expand", "validate"])
    if rng.random() < 0.04:
        # A special file as the scenario: a pipe no one writes to, a device that never ends, an empty one.
        fifo = Path(work) / "pipe.yaml"
        if not fifo.exists():
            os.mkfifo(fifo)
        path = rng.choice([fifo, Path("/dev/zero"), Path("/dev/null")])
    args = [verb, str(path)]
    if verb == "compare":
        # Mostly the scenario's own improvements (or its base), sometimes unrelated scenarios or none.
        related = [x.name for x in sources if x.name != source.name and
                   (x.stem.startswith(source.stem + "_") or source.stem.startswith(x.stem + "_"))]
        for _ in range(rng.randint(0, 2)):
            pick = rng.choice(related) if related and rng.random() < 0.8 else rng.choice(sources).name
            args.append(str(Path(work) / pick))
    if verb == "batch" and rng.random() < 0.3:
        args += [str(Path(work) / rng.choice(sources).name)]
    if verb == "sweep":
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
            value = rng.choice(VARY_VALUES) if rng.random() < 0.5 else rng.choice(["0.1,0.2", "0:0.4:0.2", "0.3"])
            args += ["--vary", f"{_vary_path(rng, _names(text))}={value}"]
    out = None
    if verb in ("run", "compare", "batch", "sweep"):
        # Few trials: the point is the options, not the simulation (an absent --trials runs the scenario's own
        # trials, so it is always given a small value unless the value is malformed).
        args += ["--trials", rng.choice(TRIALS[:3]) if rng.random() < 0.8 else rng.choice(TRIALS)]
        if rng.random() < 0.4:
            args += ["--seed", rng.choice(SEEDS[:4]) if rng.random() < 0.7 else rng.choice(SEEDS)]
        if rng.random() < 0.4:
            args += ["--threads", rng.choice(THREADS[:5]) if rng.random() < 0.7 else rng.choice(THREADS)]
        if rng.random() < 0.5 and verb != "batch" or verb == "batch" and rng.random() < 0.3:
            args += ["--json"]
        if rng.random() < 0.5:
            kind = rng.randrange(5)
            out = Path(work) / f"out{rng.randrange(1000)}"
            if kind == 1:
                out.write_text("a file, not a folder")
            elif kind == 2:
                blocker = Path(work) / "blocker"
                blocker.write_text("a file")
                out = blocker / "below"
            elif kind == 3:
                out = Path(work) / "deep" / "er" / "folder"
            args += ["--out", str(out) if kind != 4 else ""]
        if verb == "run":
            if rng.random() < 0.2:
                args += ["--samples"]
            if rng.random() < 0.2 and source.name.startswith("tarp"):
                args += ["--mode", "individual"]
            elif rng.random() < 0.05:
                args += ["--mode", rng.choice(["aggregate", "fast", ""])]
        if verb == "batch" and rng.random() < 0.3:
            args += ["--resume"]
    if verb in ("expect",) and rng.random() < 0.5:
        args += ["--json"]
    if rng.random() < 0.05:
        args.insert(rng.randrange(1, len(args) + 1), rng.choice(["--no-such-option", "-x", "--", "--trials"]))
    return args, out


def _problem_of_command(args, status, stdout, err, out, full=False, interrupted=False):
    """What is wrong with one command's outcome, or None. Exit 0 is a success; exit 2 an input or usage error
    with a message; exit 1 only an output folder that cannot be written, with nothing left in it, or a batch
    some of whose scenarios failed (each logged as an error). With `full`, standard output was a full disk: the
    command fails (exit 1) after writing its files whole. With `interrupted`, Ctrl-C came part way: exit 130
    (128 + SIGINT) with nothing written (a batch keeps the scenarios it finished), or the shell's death by
    SIGINT before the program could install its handler."""
    if interrupted and status == -signal.SIGINT:
        return None
    if "Sanitizer" in err or "runtime error" in err:
        return "sanitizer report"
    if interrupted and status == 128 + signal.SIGINT:
        if "stopped by Ctrl-C" not in err:
            return "exit 130 without saying Ctrl-C stopped it"
        if args[0] != "batch" and out is not None and out.is_dir() and any(out.iterdir()):
            return "an interrupted command left files in its --out folder"
        return None
    if status not in (0, 1, 2):
        return f"exit status {status}"
    if status != 0 and not err.strip():
        return f"exit {status} without a message"
    batch_failure = args[0] == "batch" and re.search(r"^\[\d+/\d+\] .*: error: ", err, re.M)
    expected_1 = ("cannot" in err and out is not None) or "standard output" in err or "stopped by" in err
    if status == 1 and not expected_1 and not batch_failure:
        return "exit 1 that is not an output folder's, standard output's or a signal's"
    kept = batch_failure or full or (interrupted and args[0] == "batch")
    if status != 0 and not kept and out is not None and out.is_dir() and any(out.iterdir()):
        return "a failed command left files in its --out folder"
    if status == 0 and "--json" in args:
        try:
            doc = json.loads(stdout)
        except ValueError:
            return "--json printed something that is not JSON"
        if args[0] in ("run", "expect") and _has_null(doc):
            return "a statistic that is not a number"
    return None


def _shown(text):
    """A command line as text that can be printed and written: the surrogates that stand for bytes that are not
    UTF-8 (passed to the command as those bytes) shown as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def fuzz_options(exe, seed, seconds=None, cases=None, timeout=60.0, out=None, env=None):
    """Runs random command lines (every command, option values valid, extreme and malformed, --vary paths and
    values, --out folders that cannot be written) on the shipped scenarios; returns (cases run, findings), each
    finding a (what, command line, stderr) tuple, also kept in `out` if given."""
    rng = random.Random(seed)
    sources = sorted((ROOT / "scenarios").glob("*.yaml"))
    exe = str(Path(exe).resolve())
    findings = []
    done = 0
    deadline = time.monotonic() + seconds if seconds is not None else None
    texts = {x.name: subprocess.run([exe, "expand", str(x)], capture_output=True, text=True).stdout
             for x in sources}
    with tempfile.TemporaryDirectory() as work:
        shutil.copytree(ROOT / "scenarios", work, dirs_exist_ok=True)
        while (cases is None or done < cases) and (deadline is None or time.monotonic() < deadline):
            args, out_dir = _command(rng, sources, work, texts)
            # Sometimes standard output is a full disk, or Ctrl-C arrives part way.
            full = rng.random() < 0.05
            interrupt = None if full or rng.random() > 0.05 else rng.uniform(0, 0.3)
            try:
                with open("/dev/full", "wb") if full else open(os.devnull, "rb") as sink:
                    proc = subprocess.Popen([exe, *args], stdout=sink if full else subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=env, cwd=work)
                    if interrupt is not None:
                        try:
                            proc.wait(timeout=interrupt)
                        except subprocess.TimeoutExpired:
                            proc.send_signal(signal.SIGINT)
                    stdout, stderr = proc.communicate(timeout=timeout)
                err = stderr.decode(errors="replace")
                problem = _problem_of_command(args, proc.returncode, (stdout or b"").decode(errors="replace"), err,
                                              out_dir, full=full, interrupted=interrupt is not None)
            except subprocess.TimeoutExpired:
                proc.kill()
                problem, err = f"longer than {timeout} s", ""
            if problem:
                line = _shown(" ".join(args))
                findings.append((problem, line, err))
                if out is not None:
                    Path(out).mkdir(parents=True, exist_ok=True)
                    (Path(out) / f"options_{seed}_{done}.txt").write_text(f"cxrisk {line}\n{problem}\n{err}")
                    print(f"{problem}: cxrisk {line}", flush=True)
            for leftover in Path(work).iterdir():
                if leftover.name.startswith(("out", "deep", "blocker", "pipe")):
                    shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            done += 1
    return done, findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exe", default=str(ROOT / "build-sanitize" / "engine" / "cxrisk"))
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60, help="seconds one command may take")
    parser.add_argument("--out", default="fuzz-findings", help="folder for the cases that failed")
    parser.add_argument("--options", action="store_true",
                        help="fuzz command lines (options, --vary, --out) on the shipped scenarios instead")
    args = parser.parse_args()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    if args.options:
        cases, findings = fuzz_options(args.exe, args.seed, seconds=args.seconds, timeout=args.timeout,
                                       out=args.out, env=env)
        print(f"{cases} command lines, {len(findings)} findings")
    else:
        cases, findings = fuzz(args.exe, args.seed, seconds=args.seconds, timeout=args.timeout, out=args.out,
                               env=env)
        print(f"{cases} mutated scenarios, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
