"""Fuzzing baselines: a mutated `convcost report --format json` (or `check --format json`) given to
`check --baseline` is compared, or refused with located errors — never a traceback, an internal
error (exit 3), or more than TIME_LIMIT seconds.

Each example damages a real saved report either as data (delete, duplicate, rename or retype keys;
extreme numbers; deep nesting; then re-dumped with json.dumps, which may write NaN) or as text
(truncate, insert stray characters, duplicate a key, repeat brackets). The default run is 300
examples; ``pytest -m slow`` runs 10,000.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcost.budgets import TOTAL_METRICS, load_baseline
from convcost.cli import app
from convcost.errors import CODES, SpecError

from cli_runner import runner

TIME_LIMIT = 2.0
PATH = "fuzz.json"


def _saved(*args: str) -> str:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


REPORT = _saved("report", "seed_separable")
CHECK = _saved("check", "seed_standard", "seed_separable", "--max-macs", "1G")
SOURCES = [REPORT, CHECK]
EXTREME = [0, -1, 1, 1.0, 1.5, -0.0, 10**30, 10**99, 10**200, "3", "", None, True, False, [], {}, [1, 2],
           {"analytic": 1}, float("nan"), float("inf"), -float("inf"), "x" * 500, 2, "1", 1e308]
KEYS = ["totals", "results", "schema_version", "spec", "name", "macs", "MACs", "params", "mac", "problems", ""]
STRAY = ["{", "}", "[", "]", ",", ":", '"', "\\", "\x00", "\ufeff", "NaN", "-Infinity", "01", "1e999999",
         "9" * 5001, "[" * 5000, "{\"a\":" * 3000, "\n", "true", "/*", "\xe9"]


def _paths(data, prefix=()):
    yield prefix, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, prefix + (index,))


@st.composite
def mutated_data(draw):
    data = json.loads(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p, _ in _paths(data) if p]
        # mostly where it matters: the totals and the header
        focus = [p for p in paths if "totals" in p or len(p) == 1] or paths
        path = draw(st.sampled_from(focus if draw(st.booleans()) else paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "replace", "rename", "wrap", "nest"]))
        if action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(key)
        elif action == "wrap":
            parent[key] = [parent[key]]
        elif action == "nest":
            value = parent[key]
            for _ in range(draw(st.sampled_from([2, 50, 99, 101, 500]))):
                value = [value]
            parent[key] = value
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(EXTREME)))
    try:
        return json.dumps(data)  # NaN and Infinity are written as such: not JSON
    except (ValueError, RecursionError):
        return REPORT


@st.composite
def mutated_text(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["truncate", "insert", "insert", "duplicate_key"]))
        if action == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif action == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(STRAY)) + text[at:]
        else:
            at = text.find('"macs"')
            text = text[:at] + '"macs": 1, ' + text[at:] if at >= 0 else text
    return text


baselines = st.one_of(mutated_data(), mutated_text())


def check_outcome(text: str, record=event) -> str:
    """Load ``text`` as a baseline; a valid one has integer totals of known metrics."""
    start = time.perf_counter()
    try:
        entries = load_baseline_text(text)
        for entry in entries:
            assert set(entry.totals) <= set(TOTAL_METRICS)
            assert all(type(v) is int and v >= 0 for v in entry.totals.values())
        outcome = "ok"
    except SpecError as error:
        assert error.problems
        record(f"error {error.problems[0].code}")
        for problem in error.problems:
            assert problem.code in CODES, problem
            assert problem.location is not None and problem.location.path == PATH, problem
            assert problem.location.line >= 1 and problem.location.column >= 1, problem
            assert len(str(problem)) < 1500, problem
        outcome = "error"
    assert time.perf_counter() - start < TIME_LIMIT
    record(outcome)
    return outcome


_DIRECTORY: list = []


def load_baseline_text(text: str):
    directory = _DIRECTORY[0]
    path = directory / PATH
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    import os

    here = os.getcwd()
    os.chdir(directory)
    try:
        return load_baseline(PATH)
    finally:
        os.chdir(here)


@pytest.fixture(autouse=True, scope="module")
def _workdir(tmp_path_factory):
    _DIRECTORY[:] = [tmp_path_factory.mktemp("fuzz")]
    yield


FUZZ = dict(deadline=timedelta(seconds=TIME_LIMIT), suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


@settings(max_examples=300, **FUZZ)
@given(baselines)
def test_mutated_baselines_are_read_or_refused_with_located_errors(text):
    check_outcome(text)


@settings(max_examples=30, **FUZZ)
@given(baselines)
def test_mutated_baselines_through_the_command_line(text):
    path = _DIRECTORY[0] / "cli.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    start = time.perf_counter()
    result = runner.invoke(app, ["check", "seed_separable", "--max-increase", "macs=0%", "--baseline", str(path)])
    assert time.perf_counter() - start < TIME_LIMIT
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code in (0, 1, 2), output
    if result.exit_code == 2:
        assert result.stderr.startswith(f"{path}:"), result.stderr


def test_the_unmutated_outputs_are_valid_baselines():
    def ignore(_):
        return None

    assert check_outcome(REPORT, ignore) == "ok" and check_outcome(CHECK, ignore) == "ok"


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(baselines)
def test_long_fuzz_campaign(text):
    """10,000 mutated baselines: ``pytest -m slow tests/test_fuzz_baselines.py``."""
    check_outcome(text)
