"""Budgets: limits on a network's totals and layers, and the findings of checking them.

A :class:`Budget` is one limit on one metric, with the place it was declared. Budgets come from a
budget file (``budgets:`` entries matched to specs by path or glob), from a spec's own ``budget:``
section, or from the command line; all of them apply. :func:`evaluate` holds an
:class:`~convcost.analysis.Analysis` (and optionally a saved baseline) against them and returns one
:class:`Finding` per budget, with status ``ok``, ``warn``, ``error`` or ``skipped``.
:func:`check` does the whole run for several specs: each spec is loaded and analysed once.

Metric names are the report's own: the keys of ``Analysis.totals_dict()`` (the ``totals`` of
``convcost report --format json``) and, for layer budgets, the integer keys of its layer records.
Limits are exact integers written with human units (convcost.units: ``parse_count``, ``parse_bytes``);
there is no floating point anywhere on the way. Pure: no printing, no NumPy.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

from convcost.errors import Location, Problem, SpecError, did_you_mean
from convcost.language.source import Node, parse_yaml, read_text
from convcost.units import is_percent, parse_bytes, parse_count, parse_percent, parse_quantity, plain

# --- metrics ------------------------------------------------------------------------------------

# The keys of Analysis.totals_dict(), in the report's order (tests hold the two together).
TOTAL_METRICS = (
    "macs", "mults", "adds", "comparisons", "divisions", "exponentials", "flops", "effective_mults",
    "padding_mults", "params", "trainable_params", "non_trainable_params", "weights", "biases",
    "bn_trainable", "bn_non_trainable", "activation_elements", "activation_bytes",
    "peak_activation_elements", "peak_activation_bytes", "layers",
)
# The integer keys of a layer record of the JSON report (everything but names, shapes and shares).
LAYER_METRICS = (
    "macs", "mults", "adds", "comparisons", "divisions", "exponentials", "flops", "effective_mults",
    "params", "trainable_params", "non_trainable_params", "weights", "biases", "bn_trainable",
    "bn_non_trainable", "activation_elements", "activation_bytes",
)
BYTE_METRICS = frozenset(m for m in TOTAL_METRICS if m.endswith("_bytes"))
LEVELS = ("warn", "error", "off")
STATUSES = ("ok", "warn", "error", "skipped")

# keys of a budget entry / a spec's budget section / a layer budget / a metric's mapping form
ENTRY_KEYS = ("path", "level", "per_layer")  # "layers" is a metric: the number of layers
LAYER_KEYS = ("select", "kind", "level")
LIMIT_KEYS = ("max", "max_increase", "level")
FILE_KEYS = ("budgets",)


def is_bytes(metric: str) -> bool:
    """``peak_activation_bytes`` is measured in bytes (KB, MiB, ...); every other metric is a count."""
    return metric in BYTE_METRICS


# --- limits in the metric's unit -----------------------------------------------------------------

def parse_limit(metric: str, value: object, where: Location | None = None, what: str | None = None) -> int:
    """The limit of ``metric`` in its own unit: bytes for ``*_bytes`` metrics, else a count."""
    return parse_quantity(value, is_bytes(metric), where, what or metric)


def parse_increase(metric: str, value: object, where: Location | None = None,
                   what: str | None = None) -> tuple[int | Fraction, bool]:
    """A ``max_increase``: ``"5%"`` -> ``(Fraction(1, 20), True)`` (relative to the baseline), or an
    amount in the metric's unit: ``"10M"`` -> ``(10_000_000, False)``."""
    what = what or f"{metric} max_increase"
    if is_percent(value):
        return parse_percent(value, where, what), True
    return parse_limit(metric, value, where, what), False


def _error(code: str, message: str, where: Location | None, hint: str | None = None) -> SpecError:
    return SpecError(Problem(code, message, where, hint))


# --- budgets ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    """One limit on one metric.

    ``check`` is ``"max"`` (the value may not exceed ``limit``) or ``"max_increase"`` (the value may not
    grow past the baseline by more than ``limit``: a ratio when ``relative``, else an amount).
    Layer budgets (``scope == "layer"``) apply to every layer chosen by ``select`` (name globs) and
    ``kinds``, so their value is the largest among those layers.
    """

    metric: str
    limit: int | Fraction
    check: str = "max"
    relative: bool = False
    level: str = "error"
    scope: str = "total"
    select: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = ""  # the limit as written: "600M", "5%"
    location: Location | None = None  # where it was declared (a CLI budget: its spec)
    origin: str = ""  # the budget file, "budget section" of the spec, or the command-line option

    @property
    def selection(self) -> str:
        """``"layers */pw (conv2d)"``, ``"every layer"`` or ``""`` for a total."""
        if self.scope != "layer":
            return ""
        names = ", ".join(self.select) if self.select else ""
        kinds = ", ".join(self.kinds)
        if names and kinds:
            return f"layers {names} ({kinds})"
        if names:
            return f"layers {names}"
        return f"{kinds} layers" if kinds else "every layer"

    @property
    def label(self) -> str:
        """``"macs <= 600M"``, ``"params increase <= 5%"``, ``"macs of layers */pw <= 60M"``."""
        subject = self.metric if self.scope == "total" else f"{self.metric} of {self.selection}"
        if self.check == "max_increase":
            return f"{subject} increase <= {self.text}"
        return f"{subject} <= {self.text}"


@dataclass(frozen=True)
class Finding:
    """The verdict of one budget on one spec.

    ``value`` is the current value (for a layer budget, the largest among the selected layers, held
    by ``layer``); ``limit`` the largest value allowed (for an increase budget, the baseline plus the
    allowed growth, rounded down); ``baseline`` the saved value when a baseline was given.
    """

    budget: Budget
    status: str  # ok | warn | error | skipped
    value: int | None = None
    limit: int | None = None
    baseline: int | None = None
    layer: str | None = None
    over: tuple[str, ...] = ()  # layers above the limit (layer budgets)
    note: str = ""  # why it was skipped, or why a value within its limit is a warning
    strict: bool = False  # a warning made an error by --strict

    @property
    def exceeded(self) -> bool:
        return self.value is not None and self.limit is not None and self.value > self.limit

    @property
    def headroom(self) -> int | None:
        """``limit - value``: what is left (negative: the excess)."""
        return None if self.value is None or self.limit is None else self.limit - self.value

    @property
    def headroom_share(self) -> Fraction | None:
        """The headroom as a fraction of the limit (negative when exceeded), None for a zero limit."""
        if self.headroom is None or not self.limit:
            return None
        return Fraction(self.headroom, self.limit)

    @property
    def change(self) -> int | None:
        """Growth since the baseline (negative: it shrank)."""
        return None if self.value is None or self.baseline is None else self.value - self.baseline

    @property
    def change_share(self) -> Fraction | None:
        if self.change is None or not self.baseline:
            return None
        return Fraction(self.change, self.baseline)


# --- parsing budget files and sections ----------------------------------------------------------

@dataclass(frozen=True)
class BudgetEntry:
    patterns: tuple[str, ...]  # globs, relative to the budget file's directory (see matches())
    budgets: tuple[Budget, ...]
    location: Location


@dataclass(frozen=True)
class BudgetFile:
    path: str
    entries: tuple[BudgetEntry, ...]

    @property
    def directory(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    def budgets_for(self, spec_path: str) -> list[Budget]:
        """Every budget of every entry whose ``path`` matches ``spec_path``, in file order."""
        return [b for entry in self.entries if any(matches(p, spec_path, self.directory) for p in entry.patterns)
                for b in entry.budgets]


def load_budget_file(path: str) -> BudgetFile:
    """Read and validate a budget file; a SpecError lists every problem, each at its line and column."""
    return parse_budget_file(read_text(path), path)


def parse_budget_file(text: str, path: str = "<budgets>") -> BudgetFile:
    try:
        root = parse_yaml(text, path)
    except SpecError as error:
        if any(p.code == "E104" for p in error.problems):
            raise _error("E500", "the budget file is empty; expected a mapping with a 'budgets' list",
                         Location(path, 1, 1), _FILE_HINT) from None
        raise
    problems: list[Problem] = []
    if not root.is_mapping:
        raise _error("E500", "a budget file must be a mapping with a 'budgets' list", root.location, _FILE_HINT)
    for key in root.value:
        if key not in FILE_KEYS:
            problems.append(Problem("E502", f"unknown key '{key}' in a budget file", root.key_locations[key],
                                    did_you_mean(key, FILE_KEYS) or _FILE_HINT))
    entries: list[BudgetEntry] = []
    node = root.value.get("budgets")
    if node is None:
        problems.append(Problem("E500", "the budget file has no 'budgets' list", root.location, _FILE_HINT))
    elif not node.is_sequence:
        problems.append(Problem("E500", "'budgets' must be a list of entries, each with a 'path'", node.location,
                                _FILE_HINT))
    else:
        for item in node.value:
            entry = _entry(item, path, problems, in_file=True)
            if entry is not None:
                entries.append(entry)
    if problems:
        raise SpecError(sorted(problems, key=_position))
    return BudgetFile(path, tuple(entries))


def _position(problem: Problem) -> tuple[int, int]:
    where = problem.location
    return (where.line, where.column) if where else (0, 0)


_FILE_HINT = "budgets:\n      - path: specs/mobilenet.yaml\n        macs: 600M"


def parse_section(node: Node | None, origin: str = "budget section") -> list[Budget]:
    """The budgets of a spec's own ``budget:`` section (the entry format without ``path``)."""
    if node is None or node.value is None:
        return []
    problems: list[Problem] = []
    entry = _entry(node, origin, problems, in_file=False)
    if problems:
        raise SpecError(sorted(problems, key=_position))
    return list(entry.budgets) if entry else []


def _entry(node: Node, origin: str, problems: list[Problem], in_file: bool) -> BudgetEntry | None:
    what = "a budget entry" if in_file else "the budget section"
    if not node.is_mapping:
        problems.append(Problem("E500", f"{what} must be a mapping of metrics to limits", node.location,
                                "for example 'macs: 600M'"))
        return None
    items = node.value
    patterns: tuple[str, ...] = ()
    if in_file:
        if "path" not in items:
            problems.append(Problem("E500", "budget entry has no 'path' (the spec files it applies to)",
                                    node.location, "add 'path: specs/mobilenet.yaml' or a glob like 'specs/*.yaml'"))
        else:
            patterns = _strings(items["path"], "path", problems)
    elif "path" in items:
        problems.append(Problem("E502", "'path' belongs in a budget file; a spec's budget section applies to "
                                        "the spec itself", node.key_locations["path"], "remove 'path'"))
    level = _level(items.get("level"), "error", problems)
    budgets: list[Budget] = []
    for key, value in items.items():
        where = node.key_locations[key]
        if key in ENTRY_KEYS:
            if key == "per_layer":
                budgets += _layer_budgets(value, level, origin, problems)
            continue
        if key not in TOTAL_METRICS:
            keys = ENTRY_KEYS if in_file else ("level", "per_layer")
            problems.append(_unknown_metric(key, where, TOTAL_METRICS, keys))
            continue
        budgets += _metric(key, value, where, level, origin, problems, scope="total")
    if not any(key not in ("path", "level") for key in items):
        problems.append(Problem("E506", f"{what} limits no metric", node.location,
                                "add a metric and its limit, e.g. 'macs: 600M'"))
    return BudgetEntry(patterns, tuple(budgets), node.location)


def _layer_budgets(node: Node, level: str, origin: str, problems: list[Problem]) -> list[Budget]:
    from convcost.layers import KINDS

    if not node.is_sequence:
        problems.append(Problem("E500", "'per_layer' must be a list of layer budgets", node.location,
                                "for example 'per_layer: [{select: \"*/pw\", macs: 60M}]'"))
        return []
    budgets: list[Budget] = []
    for item in node.value:
        if not item.is_mapping:
            problems.append(Problem("E500", "a layer budget must be a mapping like {select: '*/pw', macs: 60M}",
                                    item.location))
            continue
        fields = item.value
        select = _strings(fields["select"], "select", problems) if "select" in fields else ()
        kinds = _strings(fields["kind"], "kind", problems) if "kind" in fields else ()
        for kind in kinds:
            if kind not in KINDS:
                problems.append(Problem("E505", f"unknown layer kind '{kind}' in a layer budget",
                                        fields["kind"].location,
                                        did_you_mean(kind, KINDS) or "see 'convcost kinds' for the layer kinds"))
        item_level = _level(fields.get("level"), level, problems)
        found = False
        for key, value in fields.items():
            where = item.key_locations[key]
            if key in LAYER_KEYS:
                continue
            if key not in LAYER_METRICS:
                hint = (f"'{key}' is a total, not a per-layer value; limit it outside 'per_layer'"
                        if key in TOTAL_METRICS else None)
                problems.append(_unknown_metric(key, where, LAYER_METRICS, LAYER_KEYS, hint, per_layer=True))
                continue
            found = True
            budgets += _metric(key, value, where, item_level, origin, problems, scope="layer",
                               select=select, kinds=kinds)
        if not found and not any(_unknown(k) for k in fields):
            problems.append(Problem("E506", "layer budget limits no metric", item.location,
                                    "add a metric and its limit, e.g. 'macs: 60M'"))
    return budgets


def _unknown(key: str) -> bool:
    return key not in LAYER_KEYS and key not in LAYER_METRICS


def _metric(metric: str, node: Node, where: Location, level: str, origin: str, problems: list[Problem], *,
            scope: str, select: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> list[Budget]:
    """``macs: 600M`` or ``macs: {max: 600M, max_increase: 5%, level: warn}`` -> its budgets."""
    base = Budget(metric, 0, level=level, scope=scope, select=select, kinds=kinds, origin=origin)
    if not node.is_mapping:
        if node.value is None:
            problems.append(Problem("E506", f"{metric}: no limit given", where,
                                    f"write '{metric}: {'12MiB' if is_bytes(metric) else '600M'}'"))
            return []
        try:
            limit = parse_limit(metric, node.value, node.location)
        except SpecError as error:
            problems.extend(error.problems)
            return []
        return [] if level == "off" else [replace(base, limit=limit, text=_text(node.value), location=where)]
    fields = node.value
    for key in fields:
        if key not in LIMIT_KEYS:
            problems.append(Problem("E502", f"{metric}: unknown key '{key}'", node.key_locations[key],
                                    did_you_mean(key, LIMIT_KEYS) or "a limit has max, max_increase and level"))
    level = _level(fields.get("level"), level, problems)
    budgets: list[Budget] = []
    if "max" in fields:
        try:
            limit = parse_limit(metric, fields["max"].value, fields["max"].location)
            budgets.append(replace(base, limit=limit, level=level, text=_text(fields["max"].value),
                                   location=node.key_locations["max"]))
        except SpecError as error:
            problems.extend(error.problems)
    if "max_increase" in fields:
        increase_where = node.key_locations["max_increase"]
        if scope == "layer":
            problems.append(Problem("E502", f"{metric}: max_increase applies to totals only", increase_where,
                                    "compare the network's totals with a baseline, or limit the layer with 'max'"))
        else:
            value = fields["max_increase"]
            try:
                amount, relative = parse_increase(metric, value.value, value.location)
                budgets.append(replace(base, limit=amount, check="max_increase", relative=relative, level=level,
                                       text=_text(value.value), location=increase_where))
            except SpecError as error:
                problems.extend(error.problems)
    if not ("max" in fields or "max_increase" in fields):
        problems.append(Problem("E506", f"{metric}: no limit given", node.location,
                                "give 'max' and/or 'max_increase'"))
    return [] if level == "off" else budgets


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return plain(value) if isinstance(value, (int, Fraction)) else str(value)


def _level(node: Node | None, default: str, problems: list[Problem]) -> str:
    if node is None:
        return default
    if node.value is False:  # YAML 1.1 reads an unquoted `off` (and `no`, `false`) as false
        return "off"
    if node.value not in LEVELS or isinstance(node.value, bool):
        problems.append(Problem("E505", f"level must be warn, error or off, got {node.value!r}", node.location,
                                did_you_mean(str(node.value), LEVELS)))
        return default
    return node.value


def _strings(node: Node, what: str, problems: list[Problem]) -> tuple[str, ...]:
    items = node.value if node.is_sequence else [node]
    if not items or not all(isinstance(i.value, str) and i.value.strip() for i in items):
        problems.append(Problem("E500", f"'{what}' must be a text or a list of texts", node.location))
        return ()
    return tuple(i.value.strip() for i in items)


def _unknown_metric(key: str, where: Location, metrics: Sequence[str], keys: Sequence[str],
                    hint: str | None = None, per_layer: bool = False) -> Problem:
    what = "per-layer metric" if per_layer else "metric"
    if key in ("max", "max_increase") and not hint:
        hint = (f"'{key}' goes inside a metric's limit, e.g. 'macs: {{max: 600M, max_increase: 5%}}'"
                + ("; per-layer budgets take no max_increase" if per_layer else ""))
    hint = hint or did_you_mean(key, list(metrics) + list(keys)) or (
        f"{what}s: " + ", ".join(metrics) + " (the report's names: convcost report SPEC --format json)")
    return Problem("E501", f"unknown {what} '{key}'", where, hint)


# --- budgets given on the command line ----------------------------------------------------------

def cli_budget(option: str, metric: str, text: str, *, increase: bool = False) -> Budget:
    """A budget from ``--max-macs 600M`` (``option``) or ``--max macs=600M``; located at its spec later.

    Raises SpecError (no location: the message names the option) for an unknown metric or bad value.
    """
    if metric not in TOTAL_METRICS:
        raise SpecError(Problem("E501", f"{option}: unknown metric '{metric}'", None,
                                did_you_mean(metric, TOTAL_METRICS) or "metrics: " + ", ".join(TOTAL_METRICS)))
    if increase:
        amount, relative = parse_increase(metric, text, None, f"{option} {text}")
        return Budget(metric, amount, check="max_increase", relative=relative, text=text.strip(), origin=option)
    return Budget(metric, parse_limit(metric, text, None, f"{option} {text}"), text=text.strip(), origin=option)


# --- matching budget file entries to specs ------------------------------------------------------

def matches(pattern: str, spec_path: str, directory: str) -> bool:
    """Does a budget entry's ``path`` pattern match ``spec_path``?

    Like .gitignore: a pattern without ``/`` matches the file name in any directory
    (``mobilenet*.yaml``); a pattern with ``/`` is relative to ``directory`` (the budget file's)
    unless absolute. ``*`` and ``?`` stay within one path segment, ``**`` spans directories.
    """
    pattern = pattern.replace("\\", "/")
    target = os.path.abspath(spec_path)
    if "/" not in pattern:
        return _glob_regex(pattern).fullmatch(os.path.basename(target)) is not None
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if os.path.isabs(pattern):
        candidate = target.replace(os.sep, "/")
        pattern = os.path.normpath(pattern).replace(os.sep, "/") if "**" not in pattern else pattern
    else:
        candidate = os.path.relpath(target, directory).replace(os.sep, "/")
    return _glob_regex(pattern).fullmatch(candidate) is not None


_GLOB_CACHE: dict[str, re.Pattern] = {}


def _glob_regex(pattern: str) -> re.Pattern:
    if pattern not in _GLOB_CACHE:
        out, i, n = [], 0, len(pattern)
        while i < n:
            c = pattern[i]
            if pattern.startswith("**/", i):
                out.append("(?:[^/]*/)*")
                i += 3
            elif pattern.startswith("**", i):
                out.append(".*")
                i += 2
            elif c == "*":
                out.append("[^/]*")
                i += 1
            elif c == "?":
                out.append("[^/]")
                i += 1
            elif c == "[" and "]" in pattern[i + 2:]:
                end = pattern.index("]", i + 2)
                body = pattern[i + 1:end]
                body = "^" + body[1:] if body.startswith("!") else body
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
            else:
                out.append(re.escape(c))
                i += 1
        _GLOB_CACHE[pattern] = re.compile("".join(out))
    return _GLOB_CACHE[pattern]


# --- baselines ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BaselineEntry:
    """The saved totals of one spec: from ``convcost report --format json`` or ``convcost check --format json``."""

    spec: str
    name: str
    totals: Mapping[str, int]
    source: str  # the baseline file


def load_baseline(path: str) -> list[BaselineEntry]:
    """The entries of a saved report (one spec) or check result (``results``: several specs)."""
    text = read_text(path)
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


# --- evaluation ---------------------------------------------------------------------------------

def layer_value(analysis, record, metric: str) -> int:
    """A per-layer metric of one LayerRecord, as in the JSON report's layer records."""
    if metric == "activation_elements":
        return record.activation_elements
    if metric == "activation_bytes":
        return record.activation_elements * analysis.dtype_bytes
    return getattr(record.cost, metric)


def evaluate(analysis, budgets: Iterable[Budget], baseline: Mapping[str, int] | None = None, *,
             strict: bool = False, no_baseline: str = "no baseline given") -> list[Finding]:
    """One Finding per budget. ``baseline`` is the saved ``totals`` of this spec (or None, and then
    ``max_increase`` budgets are skipped with the note ``no_baseline``).

    A layer budget whose selection matches no layer is a SpecError (E507) at its declaration: a
    budget that checks nothing is a mistake, not a pass.
    """
    totals = analysis.totals_dict()
    findings: list[Finding] = []
    problems: list[Problem] = []
    for budget in budgets:
        if budget.level == "off":
            continue
        if budget.scope == "layer":
            finding = _layer_finding(analysis, budget, problems)
        elif budget.check == "max_increase":
            finding = _increase_finding(budget, totals[budget.metric], baseline, no_baseline)
        else:
            value = totals[budget.metric]
            over = value > budget.limit
            note = _ACTIVATION_NOTE if over and budget.metric == "activation_bytes" else ""
            finding = Finding(budget, budget.level if over else "ok", value, int(budget.limit),
                              _baseline(baseline, budget.metric), note=note)
        if finding is None:
            continue
        if strict and finding.status == "warn":
            finding = replace(finding, status="error", strict=True)
        findings.append(finding)
    if problems:
        raise SpecError(problems)
    return findings


_ACTIVATION_NOTE = ("activation_bytes is every layer's output summed; the memory alive at once is "
                    "peak_activation_bytes")


def _baseline(baseline: Mapping[str, int] | None, metric: str) -> int | None:
    return None if baseline is None else baseline.get(metric)


def _increase_finding(budget: Budget, value: int, baseline: Mapping[str, int] | None, no_baseline: str) -> Finding:
    if baseline is None:
        return Finding(budget, "skipped", value, note=no_baseline)
    base = baseline.get(budget.metric)
    if base is None:
        return Finding(budget, "skipped", value, note=f"the baseline has no '{budget.metric}'")
    allowed = base + budget.limit * base if budget.relative else base + budget.limit
    limit = int(allowed)  # rounded down: 5% of 10 allows 10, not 10.5
    if value > limit:
        status, note = budget.level, ""
    elif value > base:
        status, note = "warn", "grew since the baseline (within max_increase)"
    else:
        status, note = "ok", ""
    return Finding(budget, status, value, limit, base, note=note)


def _layer_finding(analysis, budget: Budget, problems: list[Problem]) -> Finding | None:
    chosen = [r for r in analysis.layers
              if (not budget.select or any(fnmatch.fnmatchcase(r.name, g) for g in budget.select))
              and (not budget.kinds or r.kind in budget.kinds)]
    if not chosen:
        problems.append(Problem("E507", f"layer budget on {budget.metric}: {budget.selection} matches no layer "
                                        f"of '{analysis.graph.name}'", budget.location,
                                "check the names with: convcost report SPEC (names look like ds8_1/pw)"))
        return None
    values = [(layer_value(analysis, r, budget.metric), r.name) for r in chosen]
    value, layer = max(values, key=lambda pair: pair[0])
    over = tuple(name for v, name in values if v > budget.limit)
    return Finding(budget, budget.level if over else "ok", value, int(budget.limit), layer=layer, over=over)


# --- a whole run --------------------------------------------------------------------------------

@dataclass
class SpecCheck:
    """The verdict on one spec: its findings, or the problems that kept it from being checked."""

    path: str  # as shown: relative to the working directory when inside it
    name: str = ""
    spec: str = ""  # as JSON outputs name it: a shipped spec's name, else the path as given (display_name)
    findings: list[Finding] = field(default_factory=list)
    totals: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    baseline: str | None = None  # the baseline file compared with
    warnings: list[Problem] = field(default_factory=list)  # the spec's (W codes), whatever its status

    @property
    def status(self) -> str:
        """``invalid`` (not checked), ``error``, ``warn``, ``ok`` or ``unbudgeted``."""
        if self.problems:
            return "invalid"
        statuses = {f.status for f in self.findings}
        for status in ("error", "warn"):
            if status in statuses:
                return status
        return "ok" if self.findings else "unbudgeted"


@dataclass
class CheckRun:
    results: list[SpecCheck]
    strict: bool = False
    problems: list[Problem] = field(default_factory=list)  # not tied to one spec

    @property
    def exit_code(self) -> int:
        """0 every budget met, 1 a budget exceeded, 2 a spec, budget or baseline could not be used."""
        if self.problems or any(r.problems for r in self.results):
            return 2
        return 1 if any(f.status == "error" for r in self.results for f in r.findings) else 0

    @property
    def status(self) -> str:
        code = self.exit_code
        if code == 2:
            return "invalid"
        if code == 1:
            return "error"
        return "warn" if any(r.status == "warn" for r in self.results) else "ok"

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            for finding in result.findings:
                counts[finding.status] += 1
        return counts


def expand_specs(arguments: Sequence[str]) -> tuple[list[str], list[Problem]]:
    """Spec arguments as files: a glob that names no existing file is expanded (for shells that do
    not, and for pre-commit), shipped names resolved; duplicates dropped."""
    from convcost.language import resolve_path

    paths, problems, seen = [], [], set()
    for argument in arguments:
        if not os.path.exists(argument) and any(c in argument for c in "*?["):
            found = sorted(glob.glob(argument, recursive=True))
            if not found:
                problems.append(Problem("E100", f"no file matches '{argument}'", Location(argument, 1, 1)))
        else:
            found = [resolve_path(argument)]
        for path in found:
            key = os.path.abspath(path) if path != "-" else path
            if key not in seen:
                seen.add(key)
                paths.append(path)
    return paths, problems


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it (GitHub annotations need that)."""
    if path in ("-", "<text>") or not os.path.isabs(path):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def check(specs: Sequence[str], *, budget_files: Sequence[BudgetFile] = (), cli: Sequence[Budget] = (),
          baselines: Sequence[BaselineEntry] = (), overrides: Mapping[str, object] | None = None,
          strict: bool = False, batch: int = 1, dtype: str = "float32") -> CheckRun:
    """Load and analyse each spec once and check every budget that applies to it.

    Budgets of a spec: the entries of ``budget_files`` whose path matches it, its own ``budget:``
    section, and the command-line budgets ``cli`` (located at the spec). A spec that cannot be read,
    built or analysed gets its problems recorded and the run goes on with the next one.
    """
    from convcost.analysis import analyze
    from convcost.language import display_name, load

    paths, problems = expand_specs(specs)
    budget_paths = {os.path.abspath(f.path) for f in budget_files}
    paths = [p for p in paths if os.path.abspath(p) not in budget_paths]  # pre-commit passes the budget file too
    run = CheckRun([], strict, problems)
    for path in paths:
        result = SpecCheck(display_path(path), spec=display_name(path))
        run.results.append(result)
        try:
            spec = load(path)
            result.name = spec.name
            budgets = [b for f in budget_files for b in f.budgets_for(path)]
            budgets += parse_section(spec.budget, origin=f"{result.path} budget section")
            where = Location(result.path, 1, 1)
            budgets += [replace(b, location=where) for b in cli]
            analysis = analyze(spec.build(overrides), batch=batch, dtype=dtype)
            result.warnings = list(analysis.warnings)
            result.totals = analysis.totals_dict()
            saved = match_baseline(baselines, path, spec.name, only_spec=len(paths) == 1) if baselines else None
            result.baseline = saved.source if saved else None
            result.findings = evaluate(analysis, budgets, saved.totals if saved else None, strict=strict,
                                       no_baseline="no baseline for this spec" if baselines else "no --baseline given")
        except SpecError as error:
            result.problems = list(error.problems)
    if paths and not run.problems and all(r.status == "unbudgeted" for r in run.results):
        run.problems.append(Problem("E509", "no budget applies to " + (
            f"'{run.results[0].path}'" if len(run.results) == 1 else "any of the specs"), None,
            "give --budget FILE (whose entries' 'path' match the specs), a 'budget:' section in the spec, "
            "or limits like --max-macs 600M"))
    return run


__all__ = ["BYTE_METRICS", "LAYER_METRICS", "TOTAL_METRICS", "Budget", "BudgetEntry", "BudgetFile",
           "BaselineEntry", "CheckRun", "Finding", "SpecCheck", "check", "cli_budget", "evaluate",
           "load_baseline", "load_budget_file", "match_baseline", "matches", "parse_budget_file", "parse_bytes",
           "parse_count", "parse_increase", "parse_limit", "parse_section"]
