"""A whole ``convcost check`` run: each spec loaded and analysed once, and held against every
budget that applies to it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Mapping, Sequence

from convcost.budgets.baselines import BaselineEntry, match_baseline
from convcost.budgets.evaluate import evaluate
from convcost.budgets.files import BudgetFile, parse_section
from convcost.budgets.model import Budget, CheckRun, SpecCheck
from convcost.budgets.paths import display_path, expand_specs
from convcost.errors import Location, Problem, SpecError


def check(specs: Sequence[str], *, budget_files: Sequence[BudgetFile] = (), cli: Sequence[Budget] = (),
          baselines: Sequence[BaselineEntry] = (), overrides: Mapping[str, object] | None = None,
          strict: bool = False, batch: int = 1, dtype: str = "float32",
          weight_dtype: str = "float32", input_shapes: Sequence[str] = ()) -> CheckRun:
    """Load and analyse each spec once and check every budget that applies to it.

    Budgets of a spec: the entries of ``budget_files`` whose path matches it, its own ``budget:``
    section, and the command-line budgets ``cli`` (located at the spec). ``input_shapes``
    (``--input-shape``) apply to the model files among the specs (convcost.importers). A spec that cannot be read,
    built or analysed gets its problems recorded and the run goes on with the next one. A budget
    file entry whose ``path`` matches no spec of the run is a warning (W550) in ``run.warnings``,
    with ``strict`` an error (E556) in ``run.problems``: the specs are checked all the same.
    """
    from convcost.analysis import analyze
    from convcost.importers import model_format
    from convcost.language import display_name, load

    paths, problems = expand_specs(specs)
    budget_paths = {os.path.abspath(f.path) for f in budget_files}
    paths = [p for p in paths if os.path.abspath(p) not in budget_paths]  # pre-commit passes the budget file too
    run = CheckRun([], strict, problems)
    if paths:
        unmatched = [p for f in budget_files for p in f.unmatched(paths, strict)]
        (run.problems if strict else run.warnings).extend(unmatched)
    for path in paths:
        result = SpecCheck(display_path(path), spec=display_name(path))
        run.results.append(result)
        try:
            spec = load(path, input_shapes=input_shapes if model_format(path) else (), overrides=overrides)
            result.name = spec.name
            budgets = [b for f in budget_files for b in f.budgets_for(path)]
            budgets += parse_section(spec.budget, origin=f"{result.path} budget section")
            where = Location(result.path, 1, 1)
            budgets += [replace(b, location=where) for b in cli]
            analysis = analyze(spec.build(overrides), batch=batch, dtype=dtype, weight_dtype=weight_dtype)
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
