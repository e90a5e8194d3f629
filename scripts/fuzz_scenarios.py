#!/usr/bin/python3
"""Mutation fuzzing of the scenario loader and engine through the `cxrisk` command.

Takes the shipped scenarios, damages one to three lines of one at a time (deleted, repeated or truncated
lines, numbers replaced by extreme or malformed values, values replaced, indentation changed, stray bytes,
distribution names swapped) and runs `validate`, `expect --json` and `run --trials 16 --json` on it, and
`compare` with its base or one of its improvements. Every outcome must be a success (exit 0, and for `run`
and `expect` every statistic a number) or a clean input error (exit 2 with a message); a crash, another exit
status, a null statistic, a silent error, a sanitizer report or a run longer than the time limit is kept in
the output folder (the scenario and what was seen) and fails the script.

Meant for the sanitizer build (scripts/sanitize.sh builds build-sanitize):
    scripts/fuzz_scenarios.py --exe build-sanitize/engine/cxrisk --seconds 600 --seed 1
"""
import argparse
import json
import os
import random
import re
import shutil
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
            commands = [["validate", path], ["expect", path, "--json"], ["run", path, "--trials", "16", "--json"]]
            if source.name in partner:
                role, other = partner[source.name]
                pair = [Path(work) / other, path] if role == "base" else [path, Path(work) / other]
                commands.append(["compare", *pair, "--trials", "16", "--json"])
            for command in commands:
                argv = [exe, *map(str, command)]
                try:
                    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, cwd=work)
                    status, err = p.returncode, p.stderr.decode(errors="replace")
                    problem = (f"exit status {status}" if status not in (0, 2) else
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
                if problem or status != 0:
                    break
            shutil.copy(source, path)
            done += 1
    return done, findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exe", default=str(ROOT / "build-sanitize" / "engine" / "cxrisk"))
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60, help="seconds one command may take")
    parser.add_argument("--out", default="fuzz-findings", help="folder for the cases that failed")
    args = parser.parse_args()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    cases, findings = fuzz(args.exe, args.seed, seconds=args.seconds, timeout=args.timeout, out=args.out, env=env)
    print(f"{cases} mutated scenarios, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
