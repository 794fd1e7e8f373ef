"""Saved baselines: the totals of a ``convcost report --format json`` (one spec) or a
``convcost check --format json`` (``results``: several specs), and which of them belongs to a spec.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

from convcost.errors import Location, Problem, SpecError
from convcost.language.source import read_text


@dataclass(frozen=True)
class BaselineEntry:
    """The saved totals of one spec: from ``convcost report --format json`` or ``convcost check --format json``."""

    spec: str
    name: str
    totals: Mapping[str, int]
    source: str  # the baseline file


def load_baseline(path: str) -> list[BaselineEntry]:
    """The entries of a saved report (one spec) or check result (``results``: several specs)."""
    text = read_text(path, "a JSON baseline file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error("E508", f"baseline is not valid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno),
                     "save one with: convcost report SPEC --format json > baseline.json") from None
    where = Location(path, 1, 1)
    records = data.get("results") if isinstance(data, dict) and "results" in data else [data]
    if not isinstance(records, list):
        raise _error("E508", "baseline 'results' must be a list", where)
    entries = []
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("totals"), dict):
            if isinstance(record, dict) and record.get("totals") is None and "problems" in record:
                continue  # a spec that could not be analysed when the baseline was saved
            raise _error("E508", "baseline is not a convcost report: it has no 'totals'", where,
                         "save one with: convcost report SPEC --format json > baseline.json")
        totals = {k: v for k, v in record["totals"].items() if isinstance(v, int) and not isinstance(v, bool)}
        entries.append(BaselineEntry(str(record.get("spec", "")), str(record.get("name", "")), totals, path))
    return entries


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


def _error(code: str, message: str, where: Location | None, hint: str | None = None) -> SpecError:
    return SpecError(Problem(code, message, where, hint))
