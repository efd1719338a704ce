"""Shared test settings: Hypothesis profiles and numpy print/error state.

Profiles (select with the environment variable MICROGRAD_HYPOTHESIS_PROFILE):
  ci        the default: few examples per property, no deadline; the whole suite
            runs in well under two minutes on two cores.
  thorough  500+ examples per property, for a local soak before a release:
            MICROGRAD_HYPOTHESIS_PROFILE=thorough python -m pytest tests/
  dev       a handful of examples, for quick edit-run loops.
  mutation  few examples, derandomized: tests/mutate.py runs the suite once per planted
            bug, so each run must be quick and a mutant's verdict must not be luck.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=30, deadline=None, derandomize=False,
                          suppress_health_check=_SUPPRESSED, print_blob=True)
settings.register_profile("thorough", max_examples=600, deadline=None,
                          suppress_health_check=_SUPPRESSED, print_blob=True)
settings.register_profile("dev", max_examples=8, deadline=None,
                          suppress_health_check=_SUPPRESSED)
settings.register_profile("mutation", max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=_SUPPRESSED, database=None)
settings.load_profile(os.environ.get("MICROGRAD_HYPOTHESIS_PROFILE", "ci"))


# Print settings fixed so that failure messages and repr tests do not depend on
# whatever a user's sitecustomize or an earlier test left behind.
_PRINT_OPTIONS = dict(precision=8, threshold=1000, linewidth=75, suppress=False,
                      floatmode="maxprec", sign="-", legacy=False)
# Floating-point errors warn (never raise: the engine's anomaly mode must see the
# nan/inf numpy produces) except underflow, which is expected and harmless.
_ERR = dict(divide="warn", over="warn", invalid="warn", under="ignore")


@pytest.fixture(autouse=True)
def _numpy_state():
    """Every test starts from the same numpy print and error settings, and cannot leak
    changes to them (or to the engine's observer list, or to the default float dtype a
    test set with set_default_dtype) into the next test."""
    from micrograd import engine

    old_print = np.get_printoptions()
    old_err = np.seterr(**_ERR)
    np.set_printoptions(**_PRINT_OPTIONS)
    observers = engine._state.observers
    default_float = engine.get_default_dtype()
    try:
        yield
    finally:
        np.set_printoptions(**old_print)
        np.seterr(**old_err)
        engine._state.observers = observers
        engine.set_default_dtype(default_float)


def pytest_sessionfinish(session, exitstatus):
    """Under MICROGRAD_NO_SKIPS (set by .ci/run) a skipped test fails the run: CI installs
    every optional dependency, so a skip there means something did not install."""
    if not os.environ.get("MICROGRAD_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"MICROGRAD_NO_SKIPS: {len(skipped)} test(s) skipped; CI must run "
                            "them all (see the SKIPPED lines above)", red=True)
        session.exitstatus = 1


_DURATIONS: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    """Under the mutation profile, run the fastest tests first: mutmut stops a mutant's run at
    its first failing test (-x), so a mutant that most tests catch dies in milliseconds
    instead of after whichever slow test came first. Durations are mutmut's own
    (mutants/mutmut-stats.json); read once, in the fork server, and inherited by each run."""
    if os.environ.get("MICROGRAD_HYPOTHESIS_PROFILE") != "mutation":
        return
    if not _DURATIONS and Path("mutmut-stats.json").exists():
        _DURATIONS.update(json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"])
    items.sort(key=lambda item: _DURATIONS.get(item.nodeid, 1.0))
