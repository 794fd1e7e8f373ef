"""Budgets: limits on a network's totals and layers, and the findings of checking them.

A :class:`Budget` is one limit on one metric, with the place it was declared. Budgets come from a
budget file (``budgets:`` entries matched to specs by path or glob), from a spec's own ``budget:``
section, or from the command line; all of them apply. :func:`evaluate` holds an
:class:`~convcost.analysis.Analysis` (and optionally a saved baseline) against them and returns one
:class:`Finding` per budget, with status ``ok``, ``warn``, ``error`` or ``skipped``.
:func:`check` does the whole run for several specs: each spec is loaded and analysed once.

One module per job:

- ``model``: the metrics, :class:`Budget`, :class:`Finding`, :class:`SpecCheck`, :class:`CheckRun`,
  and a metric's limit in its unit (:func:`parse_limit`, :func:`parse_increase`);
- ``files``: budget files, a spec's ``budget:`` section and command-line budgets, with locations;
- ``paths``: budget entries' globs matched to spec files, spec arguments expanded;
- ``baselines``: saved JSON reports and which entry belongs to a spec;
- ``evaluate``: budgets held against an analysis -> findings;
- ``run``: :func:`check`, the whole run over several specs.

Metric names are the report's own: the keys of ``Analysis.totals_dict()`` (the ``totals`` of
``convcost report --format json``) and, for layer budgets, the integer keys of its layer records.
Limits are exact integers written with human units (convcost.units: ``parse_count``,
``parse_bytes``); there is no floating point anywhere on the way. Pure: no printing, no NumPy.
"""

from __future__ import annotations

from convcost.budgets.baselines import BaselineEntry, load_baseline, match_baseline
from convcost.budgets.evaluate import evaluate, layer_value
from convcost.budgets.files import (
                                    BudgetEntry,
                                    BudgetFile,
                                    cli_budget,
                                    load_budget_file,
                                    parse_budget_file,
                                    parse_section,
)
from convcost.budgets.model import (
                                    BYTE_METRICS,
                                    LAYER_METRICS,
                                    LEVELS,
                                    STATUSES,
                                    TOTAL_METRICS,
                                    Budget,
                                    CheckRun,
                                    Finding,
                                    SpecCheck,
                                    is_bytes,
                                    parse_increase,
                                    parse_limit,
)
from convcost.budgets.paths import display_path, expand_specs, matches
from convcost.budgets.run import check

__all__ = ["BYTE_METRICS", "LAYER_METRICS", "LEVELS", "STATUSES", "TOTAL_METRICS", "Budget", "BudgetEntry",
           "BudgetFile", "BaselineEntry", "CheckRun", "Finding", "SpecCheck", "check", "cli_budget",
           "display_path", "evaluate", "expand_specs", "is_bytes", "layer_value", "load_baseline",
           "load_budget_file", "match_baseline", "matches", "parse_budget_file", "parse_increase", "parse_limit",
           "parse_section"]
