"""Saved baselines: the totals of a ``convcost report --format json`` (one spec) or a
``convcost check --format json`` (``results``: several specs), and which of them belongs to a spec.

A baseline is input, read as strictly as a spec: a regular file of at most
:data:`~convcost.language.source.MAX_FILE_BYTES`, UTF-8 text, strict JSON read within bounds by
:mod:`convcost.budgets.located_json` (nesting, number length, no NaN, no duplicate keys), a
``schema_version`` this convcost writes, and ``totals`` whose keys are the report's metrics and
whose values are non-negative integers. Every problem is located at the line and column of the
offending value (docs/budgets.md, "What a baseline must be").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

from convcost.budgets.located_json import Document, Value, parse_json
from convcost.budgets.model import TOTAL_METRICS
from convcost.errors import Location, Problem, SpecError, clip, did_you_mean
from convcost.language.source import STDIN, read_text

# The schema versions of the report and check outputs this convcost can compare with
# (convcost.analysis and convcost.render.budget write 1; tests hold them together).
SCHEMA_VERSIONS = (1,)

_SAVE_HINT = "save one with: convcost report SPEC --format json > baseline.json"


@dataclass(frozen=True)
class BaselineEntry:
    """The saved totals of one spec: from ``convcost report --format json`` or ``convcost check --format json``."""

    spec: str
    name: str
    totals: Mapping[str, int]
    source: str  # the baseline file


def load_baseline(path: str) -> list[BaselineEntry]:
    """The entries of a saved report (one spec) or check result (``results``: several specs).

    Raises SpecError with every problem found, each at its line and column."""
    shown = STDIN if path == "-" else path
    text = read_text(path, "a JSON baseline file")
    if not text.strip():
        raise SpecError(Problem("E508", "the baseline is empty; expected a saved JSON report", Location(shown, 1, 1),
                                _SAVE_HINT))
    try:
        document = parse_json(text, shown)
    except SpecError as error:
        first = error.problems[0].location
        if first is not None and (first.line, first.column) == _start(text) and _looks_like_yaml(text):
            raise SpecError(Problem("E508", "the baseline is not JSON (it looks like YAML: a spec or a budget file?)",
                                    first, "give --baseline: convcost report SPEC --format json")) from None
        raise
    return _entries(document, shown)


def _start(text: str) -> tuple[int, int]:
    """Line and column of the first character that is not white space."""
    offset = len(text) - len(text.lstrip(" \t\r\n"))
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _looks_like_yaml(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    return first.startswith(("#", "---", "- ")) or (":" in first and not first.startswith(("{", "[", '"')))


# --- the structure of a saved report or check result ---------------------------------------------

def _entries(document: Document, path: str) -> list[BaselineEntry]:
    root = document.root
    assert root is not None  # parse_json raises for an empty text
    problems: list[Problem] = []
    where = document.where
    if not root.is_object:
        raise SpecError(Problem("E508", f"the baseline must be a JSON object (a saved report), got {_kind(root)}",
                                where(root.offset), _SAVE_HINT))
    fields = root.value
    _schema_version(root, document, problems)
    if "results" in fields:  # convcost check --format json
        results = fields["results"]
        if not results.is_array:
            raise SpecError(problems + [Problem("E508", f"baseline 'results' must be a list, got {_kind(results)}",
                                                where(results.offset))])
        records = [(r, True) for r in results.value]
    elif "totals" in fields:  # convcost report --format json
        records = [(root, False)]
    else:
        raise SpecError(problems + [Problem(
            "E508", "baseline is not a convcost report: it has no 'totals' (nor 'results')", where(root.offset),
            "save one with: convcost report SPEC --format json (or convcost check ... --format json)")])
    entries = []
    for record, in_results in records:
        entry = _entry(record, in_results, document, path, problems)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise SpecError(problems)
    return entries


def _schema_version(root: Value, document: Document, problems: list[Problem]) -> None:
    version = root.value.get("schema_version")
    known = " or ".join(map(str, SCHEMA_VERSIONS))
    if version is None:
        problems.append(Problem("E553", "the baseline has no 'schema_version'; convcost's JSON outputs all write one",
                                document.where(root.offset), f"save it again with this convcost (schema {known})"))
    elif not _is_count(version):
        problems.append(Problem("E553", f"baseline schema_version must be the number {known}, got {_kind(version)}",
                                document.where(version.offset), "save the baseline again with this convcost version"))
    elif version.value not in SCHEMA_VERSIONS:
        problems.append(Problem("E553", f"unknown baseline schema_version {version.value}; this convcost reads "
                                        f"schema_version {known}", document.where(version.offset),
                                "save the baseline again with this convcost version"))


def _entry(record: Value, in_results: bool, document: Document, path: str,
           problems: list[Problem]) -> BaselineEntry | None:
    where = document.where
    if not record.is_object:
        problems.append(Problem("E508", f"each of the baseline's 'results' must be an object, got {_kind(record)}",
                                where(record.offset)))
        return None
    fields = record.value
    totals = fields.get("totals")
    if totals is None:
        problems.append(Problem("E508", "baseline result has no 'totals'", where(record.offset), _SAVE_HINT))
        return None
    if totals.value is None and in_results:
        reported = fields.get("problems")
        if reported is not None and reported.is_array and reported.value:
            return None  # a spec that could not be analysed when the baseline was saved
        problems.append(Problem("E508", "baseline 'totals' is null but the result lists no problems",
                                where(totals.offset)))
        return None
    if not totals.is_object:
        problems.append(Problem("E508", f"baseline 'totals' must be an object of metrics, got {_kind(totals)}",
                                where(totals.offset), _SAVE_HINT))
        return None
    names = {}
    for key in ("spec", "name"):
        value = fields.get(key)
        if value is not None and not (isinstance(value.value, str) and value.quoted):
            problems.append(Problem("E508", f"baseline '{key}' must be a text, got {_kind(value)}",
                                    where(value.offset)))
        names[key] = value.value if value is not None and isinstance(value.value, str) else ""
    counts = _totals(totals, document, problems)
    return BaselineEntry(names["spec"], names["name"], counts, path)


def _totals(totals: Value, document: Document, problems: list[Problem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for metric, value in totals.value.items():
        if metric not in TOTAL_METRICS:
            hint = (f"did you mean '{metric.lower()}'? metric names are lower case" if metric.lower() in TOTAL_METRICS
                    else did_you_mean(metric, TOTAL_METRICS) or "metrics: the totals of convcost report --format json")
            problems.append(Problem("E555", f"unknown metric {clip(metric)} in the baseline's totals",
                                    document.where(totals.key_offsets[metric]), hint))
        elif not _is_count(value) or value.value < 0:
            problems.append(Problem("E554", f"baseline total '{metric}' must be a whole number of at least 0, "
                                            f"got {_shown(value)}", document.where(value.offset),
                                    "a saved report writes every total as an integer"))
        else:
            counts[metric] = value.value
    return counts


def _is_count(value: Value) -> bool:
    """A JSON integer: not a float (``1.0``), not a string (``"3"``), not ``true``."""
    return isinstance(value.value, int) and not isinstance(value.value, bool)


def _kind(value: Value) -> str:
    if value.is_object:
        return "an object"
    if value.is_array:
        return "a list"
    if value.value is None:
        return "null"
    if isinstance(value.value, bool):
        return "true" if value.value else "false"
    if isinstance(value.value, str):
        return f"the text {clip(value.value)}"
    return f"the number {value.value!r}"


def _shown(value: Value) -> str:
    if isinstance(value.value, (dict, list, str)) or value.value is None or isinstance(value.value, bool):
        return _kind(value)
    return repr(value.value)


def match_baseline(entries: Sequence[BaselineEntry], spec_path: str, name: str,
                   only_spec: bool = False) -> BaselineEntry | None:
    """The baseline of a spec: same file path (a shipped spec's name, as reports write it, stands for
    its file), else the only entry with the same name, else (when the run checks a single spec
    against a single saved report) that report."""
    from convcost.language import resolve_path

    target = os.path.abspath(spec_path)
    for entry in entries:
        if entry.spec and os.path.abspath(resolve_path(entry.spec)) == target:
            return entry
    named = [e for e in entries if e.name == name]
    if len(named) == 1:
        return named[0]
    if only_spec and len(entries) == 1:
        return entries[0]
    return None
