"""Findings: an :class:`~convcost.analysis.Analysis` (and optionally a saved baseline) held against
budgets, one :class:`~convcost.budgets.model.Finding` per budget, with status ``ok``, ``warn``,
``error`` or ``skipped``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Iterable, Mapping

from convcost.budgets.model import Budget, Finding
from convcost.errors import Problem, SpecError


def layer_value(analysis, record, metric: str) -> int:
    """A per-layer metric of one LayerRecord, as in the JSON report's layer records."""
    if metric == "activation_elements":
        return record.activation_elements
    if metric == "activation_bytes":
        return record.activation_elements * analysis.dtype_bytes
    if metric == "weight_bytes":
        return record.weight_bytes(analysis.weight_dtype)
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
