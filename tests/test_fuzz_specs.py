"""Fuzzing: mutated shipped specs give a report or located errors, never anything else.

Each example takes a shipped spec and damages it, either as data (delete, duplicate, rename or
retype keys; swap values for extreme or wrong-typed ones; then re-dump it with yaml.safe_dump)
or as text (truncate, delete, duplicate or swap lines, insert stray characters). The outcome must
be a valid analysis or a SpecError whose every problem is located in the file (problems of the
command-line overrides excepted) — never another exception, never more than a few seconds.

The default run (300 examples, a few seconds) runs in CI; ``pytest -m slow`` runs the
long campaign of 10,000 examples through the API.
"""

from __future__ import annotations

import copy
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import convcost
from convcost.cli import app
from convcost.errors import CODES, SpecError
from convcost.language.loader import SHIPPED

from cli_runner import runner

SPECS = {path.stem: path.read_text(encoding="utf-8") for path in sorted(SHIPPED.glob("*.yaml"))}
DATA = {name: yaml.safe_load(text) for name, text in SPECS.items()}
BAD = Path(__file__).parent / "data" / "bad_specs"
TEXTS = {**SPECS, **{f"bad/{p.stem}": p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted(BAD.glob("*.yaml"))}}  # text mutations start from bad specs too
PATH = "fuzz.yaml"
TIME_LIMIT = 5.0  # seconds for one example, however bad the spec (they take milliseconds)

EXTREME = [
    0, -1, 1, 2, 3, 7, 10**30, -(10**30), 10**18, 10**18 + 1, 2**63, 1e308, -1e308, 1e-308, 0.5, 1.5, -0.25,
    "", " ", [], {}, None, True, False, "same", "valid", "SAME", "x" * 1000, "alpha", "input", "1/0", "2 ** 99",
    "__import__('os').system('touch /tmp/convcost-fuzz-pwned')", "(1).__class__", "lambda: 1",
    "round(1.5, 999999999)", "9" * 200, "1e999999999", ".nan", "nan", "inf", [1, 2, 3], [[1, 2], [3, 4]],
    [0, 0], [-1, 5], {"kind": "relu"}, "relu", "conv2d", "separable", "entry", "middle", "add", "concat",
    [["a"]], "round(32 * alpha)", "resolution // 32", "make_divisible(0, 0)", "min(1)", "-5", "1:30",
    "2001-12-14", "\u00e9t\u00e9", "a" * 60 + "/b", 99999,
]
STRAY = ["{", "}", "[", "]", ":", "- ", "\t", "&a ", "*a", "!!python/name:os.system ", "'", '"', "#", "\n", ",",
         "\u00a0", "---\n", "? ", "<<: ", "!!binary ", "\x07"]
KEYS = ["kind", "name", "inputs", "repeat", "filters", "kernel", "stride", "padding", "dilation", "groups",
        "depth_multiplier", "bias", "units", "axis", "rate", "keepdims", "order", "activation", "layers",
        "parameters", "blocks", "input", "alpha", "kernal", "filter", "budget", "description", "<<", "~"]


def _paths(data, prefix=()):
    """Every (path, value) in a nested structure of dicts and lists."""
    yield prefix, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, prefix + (index,))


def _parent(data, path):
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def mutated_data(draw):
    """A shipped spec as data, damaged by one to four mutations, dumped back to YAML."""
    name = draw(st.sampled_from(sorted(DATA)))
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p, _ in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        key = path[-1]
        action = draw(st.sampled_from(["delete", "duplicate", "rename", "replace", "replace", "wrap", "tweak",
                                       "tweak"]))
        if action == "tweak":  # a plausible value: the spec often stays valid, shapes change
            parent[key] = draw(st.sampled_from([1, 2, 3, 4, 5, 7, 8, 16, 64, 224, "same", "valid", 0.5]))
        elif action == "delete":
            del parent[key]
        elif action == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
            else:
                parent[draw(st.sampled_from(KEYS))] = copy.deepcopy(parent[key])
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(key)
        elif action == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}, str(parent[key])[:200]]))
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(EXTREME)))
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    except yaml.YAMLError:  # pragma: no cover - safe_dump takes every value above
        return SPECS[name]


@st.composite
def mutated_text(draw):
    """A shipped (or corpus) spec as text: truncated, lines deleted, duplicated or swapped,
    characters inserted."""
    shipped, bad = sorted(SPECS), sorted(set(TEXTS) - set(SPECS))
    text = TEXTS[draw(st.sampled_from(shipped) | st.sampled_from(shipped) | st.sampled_from(bad))]
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        action = draw(st.sampled_from(["truncate", "delete", "duplicate", "swap", "insert", "indent"]))
        if action == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif action == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(STRAY)) + text[at:]
        elif lines:
            i = draw(st.integers(0, len(lines) - 1))
            if action == "delete":
                del lines[i]
            elif action == "duplicate":
                lines.insert(i, lines[i])
            elif action == "swap":
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = "  " + lines[i]
            text = "\n".join(lines)
    return text


spec_texts = st.one_of(mutated_data(), mutated_text())
SET_NAMES = ["alpha", "rho", "resolution", "classes", "size", "nope", "separable"]
SET_VALUES = ["0", "1", "0.5", "-1", "1/0", "x", "1e400", "2", "round(", "10**3"]
overrides = st.one_of(st.none(), st.none(), st.none(),  # mostly the spec's own defaults
                      st.dictionaries(st.sampled_from(SET_NAMES), st.sampled_from(SET_VALUES), max_size=2))


def check_outcome(text: str, sets: dict | None = None) -> str:
    """Load, build and analyse ``text``; return "ok" or "error" and assert the contract."""
    start = time.perf_counter()
    try:
        spec = convcost.loads(text, PATH)
        convcost.analyze(spec, sets)
        outcome = "ok"
    except SpecError as error:
        assert error.problems, "a SpecError without problems"
        event(f"error {error.problems[0].code}")
        for problem in error.problems:
            assert problem.code in CODES, problem
            if problem.code in ("E304", "E305"):  # --set problems have no place in the file
                assert problem.location is None, problem
                continue
            assert problem.location is not None, problem
            assert problem.location.path == PATH, problem
            assert problem.location.line >= 1 and problem.location.column >= 1, problem
            shown = str(problem)
            assert "Node(" not in shown and "<poisoned>" not in shown and "\x00" not in shown, shown
            assert len(shown) < 1500, shown
        outcome = "error"
    assert time.perf_counter() - start < TIME_LIMIT
    event(outcome)
    return outcome


FUZZ = settings(max_examples=250, deadline=timedelta(seconds=TIME_LIMIT),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(spec_texts, overrides)
def test_mutated_specs_give_a_report_or_located_errors(text, sets):
    check_outcome(text, sets)




@settings(max_examples=50, deadline=timedelta(seconds=TIME_LIMIT),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(text=spec_texts)
def test_mutated_specs_through_the_command_line(tmp_path, text):
    spec = tmp_path / "fuzz.yaml"
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["report", str(spec), "--format", "json"])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{spec}:"), first
        assert first[len(f"{spec}:"):].split(": ", 1)[1].split(" ", 1)[0] in CODES, first


@pytest.mark.slow
@settings(max_examples=10_000, deadline=timedelta(seconds=TIME_LIMIT),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec_texts, overrides)
def test_long_fuzz_campaign(text, sets):
    """10,000 mutated specs through the API: ``pytest -m slow tests/test_fuzz_specs.py``."""
    check_outcome(text, sets)


def test_nothing_was_executed():
    import os

    assert not os.path.exists("/tmp/convcost-fuzz-pwned")
