"""Mutation testing of one module (or package) at a time, with mutmut; not part of CI (slow).

    .venv/bin/python tests/mutate.py micrograd.optim            # run, then report
    .venv/bin/python tests/mutate.py micrograd.nn.serialization --jobs 1
    .venv/bin/python tests/mutate.py micrograd.engine --report  # report the last run only
    .venv/bin/python tests/mutate.py micrograd.optim --recheck tests/test_new.py  # quick
    .venv/bin/python tests/mutate.py micrograd.engine --sample 150  # an estimate, faster

mutmut (configured in pyproject.toml's [tool.mutmut]) copies the package into mutants/,
plants one small bug per mutant (a flipped operator, a changed constant, a dropped
argument) and runs the tests that reached the mutated function; a mutant the tests do not
notice "survives". Before each run the module's survivors are marked unchecked, so that
tests added since the last run get their chance to kill them.

The report counts, per file: killed (a test failed, or the mutant hung past mutmut's
timeout), survived, equivalent (survivors listed with a reason in
tests/mutation_equivalents.txt: a change no test can see, such as a different but equal
error-message wording path) and "no tests" (functions no test reaches); the score is
killed / (all - equivalent). `mutmut show NAME` prints a survivor's diff.
See docs/testing.md#mutation-testing.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
# Kills found by --recheck, kept apart from mutmut's own records so that a recheck can run
# while mutmut is running another module (both would rewrite the same .meta files).
RECHECKED = ROOT / "mutants" / "rechecked.json"
MUTMUT = Path(sys.executable).parent / "mutmut"
KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # test failure, pytest error, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalents() -> dict[str, str]:
    """Mutant name -> the reason it is equivalent, from tests/mutation_equivalents.txt."""
    out = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{EQUIVALENTS.name}: {name} has no reason; write one after the name")
        out[name] = reason.strip()
    return out


def results(prefix: str, only: set[str] | None = None) -> dict[str, dict[str, int | None]]:
    """{source file: {mutant name: exit code}} for the mutants of `prefix` (those in `only`,
    if given), from mutants/."""
    out = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        codes = _read_json(meta)["exit_code_by_key"]
        mine = {k: v for k, v in codes.items() if k.startswith(prefix + ".")
                and (only is None or k in only)}
        if mine:
            out[str(meta.relative_to(ROOT / "mutants"))[:-len(".meta")]] = mine
    return out


def _read_json(path: Path) -> dict:
    for _ in range(20):  # mutmut may be rewriting it this very moment
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            time.sleep(0.1)
    return json.loads(path.read_text(encoding="utf-8"))


def rechecked() -> dict[str, int]:
    return _read_json(RECHECKED) if RECHECKED.exists() else {}


def sample(prefix: str, n: int) -> set[str]:
    """n of the module's mutants drawn at random, the same n for the same module and n: the
    score on them estimates the module's score (a standard error of about 2.5 points at
    90% and n = 150), for a module whose full run takes hours."""
    names = sorted(name for codes in results(prefix).values() for name in codes)
    if not names:
        sys.exit(f"no mutants of {prefix} are known yet: run the module in full once")
    return set(random.Random(f"{prefix}:{n}").sample(names, min(n, len(names))))


def forget_survivors(prefix: str, only: set[str] | None = None) -> None:
    """Mark the module's survivors unchecked, so the next run tries them with today's tests
    (which also settles the kills --recheck recorded). Listed equivalents stay as they are:
    a survivor costs a run of every test that reaches it, and they would survive again."""
    equiv = equivalents()
    RECHECKED.write_text(json.dumps({k: v for k, v in rechecked().items()
                                     if not k.startswith(prefix + ".")}, indent=1))
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data["exit_code_by_key"]
        stale = [k for k, v in codes.items() if k.startswith(prefix + ".") and v in SURVIVED
                 and (only is None or k in only) and k not in equiv]
        if stale:
            for k in stale:
                codes[k] = None
            meta.write_text(json.dumps(data, indent=4), encoding="utf-8")


def report(prefix: str, only: set[str] | None = None) -> int:
    equiv = equivalents()
    by_file = results(prefix, only)
    for codes in by_file.values():
        codes.update({k: v for k, v in rechecked().items()
                      if k in codes and codes[k] in SURVIVED | NO_TESTS | {None}})
    if not by_file:
        print(f"no mutants of {prefix} yet; run without --report")
        return 1
    print(f"{'file':44} {'killed':>6} {'surv':>5} {'equiv':>5} {'none':>5} {'todo':>5}  score")
    left = []
    for path, codes in by_file.items():
        c: Counter[str] = Counter()
        for name, code in codes.items():
            if code in KILLED:
                c["killed"] += 1
            elif code in SURVIVED or code in NO_TESTS:
                if name in equiv:
                    c["equiv"] += 1
                else:
                    c["survived" if code in SURVIVED else "none"] += 1
                    left.append(name)
            else:
                c["todo"] += 1
        counted = c["killed"] + c["survived"] + c["none"]
        score = f"{100 * c['killed'] / counted:5.1f}%" if counted else "  -"
        print(f"{path:44} {c['killed']:6} {c['survived']:5} {c['equiv']:5} {c['none']:5} "
              f"{c['todo']:5}  {score}")
    if only is not None:
        print(f"(a random sample of {len(only)} of the module's mutants, not all of them)")
    stale = [n for n in equiv if n.startswith(prefix + ".") and only is None
             and not any(n in codes and codes[n] in SURVIVED | NO_TESTS | {None}
                         for codes in by_file.values())]
    for name in stale:
        print(f"note: {name} is listed as equivalent but no longer survives (or no longer "
              "exists); remove it from tests/mutation_equivalents.txt")
    if left:
        print(f"\n{len(left)} mutant(s) left; `.venv/bin/mutmut show NAME` prints one:")
        print("\n".join(left))
    return 0


def recheck(prefix: str, files: list[str], only: set[str] | None = None) -> None:
    """Run each survivor of `prefix` against `files` only (with mutmut's switch,
    MUTANT_UNDER_TEST), and record the ones they kill: a quick check of new tests, which
    skips mutmut's run of every test that reaches the function."""
    equiv, killed = equivalents(), rechecked()
    for f in files:  # mutants/tests holds the tests as they were at the last mutmut run
        shutil.copy2(ROOT / f, ROOT / "mutants" / f)
    # A test that fails on the package as it is would "kill" every mutant: check it first.
    clean = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                            *files], cwd=ROOT / "mutants", capture_output=True, text=True)
    if clean.returncode:
        sys.exit(f"{' '.join(files)} fail in mutants/ without any mutant: fix them, or, if the "
                 "package changed since the last mutmut run, run the module in full\n"
                 + clean.stdout[-2000:])
    for codes in results(prefix, only).values():
        todo = [k for k, v in codes.items()
                if v in SURVIVED | NO_TESTS and k not in equiv and k not in killed]
        for name in todo:
            env = dict(os.environ, MUTANT_UNDER_TEST=name)
            done = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q",
                                   "-p", "no:cacheprovider", *files], cwd=ROOT / "mutants",
                                  env=env, capture_output=True)
            print("killed  " if done.returncode not in (0, 5) else "survived", name, flush=True)
            if done.returncode not in (0, 5):
                killed[name] = done.returncode
                RECHECKED.write_text(json.dumps(killed, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("module", help="a dotted module or package, e.g. micrograd.optim")
    ap.add_argument("--jobs", type=int, default=2, help="test processes at once (default 2)")
    ap.add_argument("--report", action="store_true", help="only report the last run")
    ap.add_argument("--recheck", nargs="+", metavar="TEST_FILE",
                    help="run the survivors against these test files only, then report")
    ap.add_argument("--sample", type=int, metavar="N",
                    help="only N of the module's mutants, drawn at random (the same N each "
                         "time): an estimate of the score for a module whose full run is slow")
    args = ap.parse_args(argv)
    prefix = args.module.removesuffix(".py").replace("/", ".")
    os.chdir(ROOT)
    # One suite run per mutant: few, derandomized Hypothesis examples (tests/conftest.py).
    os.environ.setdefault("MICROGRAD_HYPOTHESIS_PROFILE", "mutation")
    only = sample(prefix, args.sample) if args.sample else None
    if args.recheck:
        recheck(prefix, args.recheck, only)
    elif not args.report:
        code = run(prefix, only, args.jobs)
        # mutmut renumbered the mutants of functions edited since the last run, so the
        # sample drawn before it ran is not the one its names now give: run that one too.
        redrawn = sample(prefix, args.sample) if args.sample else only
        if not code and redrawn != only:
            print("the module changed since the last run, so its sample was redrawn; "
                  "running the new one", flush=True)
            only = redrawn
            code = run(prefix, only, args.jobs)
        if code:
            return code
    return report(prefix, only)


def run(prefix: str, only: set[str] | None, jobs: int) -> int:
    """mutmut on the module's mutants (those in `only`, if given) that have no verdict."""
    if (ROOT / "mutants").is_dir():
        forget_survivors(prefix, only)
    targets = [f"{prefix}.*"] if only is None else sorted(
        name for codes in results(prefix, only).values()
        for name, code in codes.items() if code is None)
    cmd = ["nice", "-n", "10", str(MUTMUT), "run", "--max-children", str(jobs), *targets]
    print("+", " ".join(cmd[:8]), "..." if len(cmd) > 8 else "", flush=True)
    return subprocess.run(cmd).returncode if targets else 0


if __name__ == "__main__":
    sys.exit(main())
