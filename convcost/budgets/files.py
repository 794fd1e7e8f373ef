"""Where budgets are declared: budget files (``budgets:`` entries matched to specs by ``path``), a
spec's own ``budget:`` section, and the command line (``--max-macs 600M``). Every budget keeps the
place it was written, and a SpecError lists every problem of a file, each at its line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

from convcost.budgets.model import LAYER_METRICS, LEVELS, TOTAL_METRICS, Budget, is_bytes, parse_increase, parse_limit
from convcost.budgets.paths import matches
from convcost.errors import Location, Problem, SpecError, clip, did_you_mean, names, shorten
from convcost.language.source import Node, Yaml11Text, parse_yaml, read_text
from convcost.units import plain

# keys of a budget entry / a spec's budget section / a layer budget / a metric's mapping form
ENTRY_KEYS = ("path", "level", "per_layer")  # "layers" is a metric: the number of layers
LAYER_KEYS = ("select", "kind", "level")
LIMIT_KEYS = ("max", "max_increase", "level")
FILE_KEYS = ("budgets",)


@dataclass(frozen=True)
class BudgetEntry:
    patterns: tuple[str, ...]  # globs, relative to the budget file's directory (see matches())
    budgets: tuple[Budget, ...]
    location: Location
    pattern_locations: tuple[Location, ...] = ()  # where each of ``patterns`` is written


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

    def unmatched(self, spec_paths: Sequence[str], strict: bool = False) -> list[Problem]:
        """A problem for each ``path`` pattern that matches none of ``spec_paths`` nor any file beside
        them: its entry checks nothing, which a typo makes silently. A pattern naming another spec in
        the same directories is a spec this run does not check (pre-commit passes the changed files
        only), not a mistake. A warning (W550), or with ``strict`` an error (E556): a budget that
        checks nothing is a mistake, not a pass (as E507 for layers)."""
        problems = []
        neighbours: list[str] | None = None  # the files beside the specs, listed once if needed
        for entry in self.entries:
            for pattern, where in zip(entry.patterns, entry.pattern_locations):
                if any(matches(pattern, spec, self.directory) for spec in spec_paths):
                    continue
                if neighbours is None:
                    neighbours = _files_beside(spec_paths)
                if any(matches(pattern, path, self.directory) for path in neighbours):
                    continue
                shown = [self._as_written(pattern, spec) for spec in spec_paths]
                near = did_you_mean(pattern, shown + [self._as_written(pattern, p) for p in neighbours])
                hint = " ".join(filter(None, [near, "The specs of this run: " + names(shown)]))
                problems.append(Problem("E556" if strict else "W550",
                                        f"budget entry path {clip(pattern)} matches no spec of this run nor a file "
                                        "beside them: its budgets check nothing", where, hint))
        return problems

    def _as_written(self, pattern: str, spec_path: str) -> str:
        """``spec_path`` as a pattern like ``pattern`` would name it: its file name, or its path
        from the budget file's directory."""
        target = os.path.abspath(spec_path)
        if "/" not in pattern.replace("\\", "/"):
            return os.path.basename(target)
        return os.path.relpath(target, self.directory).replace(os.sep, "/")


_MAX_NEIGHBOURS = 10_000  # files listed beside the specs of a run, in all


def _files_beside(spec_paths: Sequence[str]) -> list[str]:
    """The YAML files in the directories of ``spec_paths`` (one level, at most _MAX_NEIGHBOURS)."""
    found: list[str] = []
    for directory in dict.fromkeys(os.path.dirname(os.path.abspath(p)) for p in spec_paths if p != "-"):
        try:
            with os.scandir(directory) as listing:
                for item in listing:
                    if len(found) >= _MAX_NEIGHBOURS:
                        return found
                    if item.name.endswith((".yaml", ".yml")):
                        found.append(item.path)
        except OSError:
            continue
    return found


def load_budget_file(path: str) -> BudgetFile:
    """Read and validate a budget file; a SpecError lists every problem, each at its line and column."""
    return parse_budget_file(read_text(path, "a YAML budget file"), path)


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
    _read_as_yaml_1_2(root, problems)
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


_YAML_1_1_WORDS = {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"}


def _read_as_yaml_1_2(root: Node, problems: list[Problem]) -> None:
    """Undo what YAML 1.1 (PyYAML's resolver) makes of plain scalars that YAML 1.2 reads otherwise,
    so that a typo cannot pass as a limit: ``1:30`` is 90 in YAML 1.1 (base 60) and ``010`` is 8
    (octal) — both are errors (E503) at their place, as a limit must say what it means; ``yes``,
    ``no``, ``on``, ``off`` are booleans in YAML 1.1 and text in YAML 1.2 — they become their text,
    so ``level: off`` is the level off and ``level: no`` a bad level, not a disabled budget."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_mapping:
            stack.extend(node.value.values())
        elif node.is_sequence:
            stack.extend(node.value)
        elif isinstance(node.value, Yaml11Text):  # the spec reader's YAML 1.2 reading of such a scalar
            if str(node.value) in _YAML_1_1_WORDS:
                node.value = str(node.value)
            else:
                problems.append(Problem("E503", f"'{node.value}' is {node.value.reading}; a limit must say what it "
                                                "means", node.location, node.value.fix))


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
    pattern_locations: tuple[Location, ...] = ()
    if in_file:
        if "path" not in items:
            problems.append(Problem("E500", "budget entry has no 'path' (the spec files it applies to)",
                                    node.location, "add 'path: specs/mobilenet.yaml' or a glob like 'specs/*.yaml'"))
        else:
            patterns = _strings(items["path"], "path", problems)
            path_node = items["path"]
            pattern_locations = tuple(i.location for i in (path_node.value if path_node.is_sequence else [path_node]))
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
    return BudgetEntry(patterns, tuple(budgets), node.location, pattern_locations if patterns else ())


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
    if not hint and key.lower() in metrics:
        hint = f"did you mean '{key.lower()}'? metric names are lower case, as in the report"
    hint = hint or did_you_mean(key, list(metrics) + list(keys)) or (
        f"{what}s: " + ", ".join(metrics) + " (the report's names: convcost report SPEC --format json)")
    return Problem("E501", f"unknown {what} '{key}'", where, hint)


# --- budgets given on the command line ----------------------------------------------------------

def cli_budget(option: str, metric: str, text: str, *, increase: bool = False) -> Budget:
    """A budget from ``--max-macs 600M`` (``option``) or ``--max macs=600M``; located at its spec later.

    Raises SpecError (no location: the message names the option) for an unknown metric or bad value.
    """
    if metric not in TOTAL_METRICS:
        raise SpecError(Problem("E501", f"{option}: unknown metric {clip(metric)}", None,
                                did_you_mean(metric, TOTAL_METRICS) or "metrics: " + ", ".join(TOTAL_METRICS)))
    what = f"{option} {shorten(text, 60)}"  # a 5,000-digit value is not echoed back whole
    if increase:
        amount, relative = parse_increase(metric, text, None, what)
        return Budget(metric, amount, check="max_increase", relative=relative, text=text.strip(), origin=option)
    return Budget(metric, parse_limit(metric, text, None, what), text=text.strip(), origin=option)


def _error(code: str, message: str, where: Location | None, hint: str | None = None) -> SpecError:
    return SpecError(Problem(code, message, where, hint))
