"""convcost check SPEC...: hold specs to their budgets (MACs, parameters, memory, ...) in CI.

Exit 0 when every budget is met (warnings included, unless --strict), 1 when one is exceeded,
2 when a spec, budget file or baseline cannot be used. docs/budgets.md is the reference.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    BATCH,
    BATCH_HELP,
    DTYPE_HELP,
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SET_HELP,
    WEIGHT_DTYPE_HELP,
    Dtype,
    WeightDtype,
    examples,
    fail,
    handled,
    parse_sets,
    report_problems,
    report_warnings,
    write,
)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    markdown = "markdown"


# --max-... shortcuts for the totals a device budget usually names (flag, metric); --max METRIC=LIMIT for
# any other. --max-activation-bytes is the activation memory a device must hold at once: the peak.
SHORTCUTS = (("--max-macs", "macs"), ("--max-flops", "flops"), ("--max-params", "params"),
             ("--max-trainable-params", "trainable_params"), ("--max-weights", "weights"),
             ("--max-activation-bytes", "peak_activation_bytes"))


@app.command(epilog=examples(
    "convcost check specs/mobilenet.yaml --max-macs 600M --max-params 4.5M",
    "convcost check specs/*.yaml --budget docs/examples/budgets.yaml --format github",
    "convcost report specs/mobilenet.yaml --format json > main.json      (a baseline, saved on main)",
    "convcost check specs/mobilenet.yaml --budget docs/examples/budgets.yaml --baseline main.json --strict",
    after="Reference: docs/budgets.md"))
def check(
    specs: Optional[List[str]] = typer.Argument(
        None, metavar="SPEC...", help="Spec files (globs are expanded), or names of shipped specs."),
    budget: Optional[List[str]] = typer.Option(
        None, "--budget", "-b", metavar="FILE",
        help="A budget file: entries matched to specs by 'path' (a glob relative to the file). Repeatable."),
    max_macs: Optional[str] = typer.Option(None, "--max-macs", metavar="N", help="Limit on total MACs, e.g. 600M."),
    max_flops: Optional[str] = typer.Option(None, "--max-flops", metavar="N", help="Limit on total FLOPs."),
    max_params: Optional[str] = typer.Option(None, "--max-params", metavar="N",
                                             help="Limit on all parameters (Keras total), e.g. 4.5M."),
    max_trainable_params: Optional[str] = typer.Option(None, "--max-trainable-params", metavar="N",
                                                       help="Limit on trainable parameters."),
    max_weights: Optional[str] = typer.Option(None, "--max-weights", metavar="N",
                                              help="Limit on conv/dense weights (no biases, no batch norm)."),
    max_activation_bytes: Optional[str] = typer.Option(
        None, "--max-activation-bytes", metavar="SIZE",
        help="Limit on peak_activation_bytes, the activation memory alive at once, e.g. 12MB "
             "(every layer's output summed is --max activation_bytes=...)."),
    max_: Optional[List[str]] = typer.Option(
        None, "--max", metavar="METRIC=LIMIT",
        help="Limit on any total of the report, e.g. --max padding_mults=1M. Repeatable."),
    max_increase: Optional[List[str]] = typer.Option(
        None, "--max-increase", metavar="METRIC=AMOUNT",
        help="Allowed growth against --baseline: a percentage or an amount, e.g. macs=5%. Repeatable."),
    baseline: Optional[List[str]] = typer.Option(
        None, "--baseline", metavar="FILE",
        help="A saved 'convcost report --format json' (or 'check --format json') to compare with. Repeatable."),
    strict: bool = typer.Option(False, "--strict", help="Treat budget warnings (level warn, growth within "
                                                         "max_increase) as errors (exit 1)."),
    format: CheckFormat = typer.Option(CheckFormat.text, "--format", "-f", help="Output format."),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP, metavar="NAME=VALUE"),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP + " Applies to "
                                                    "every model file checked.", metavar="SHAPE"),
    batch: int = typer.Option(1, "--batch", parser=BATCH, metavar="N", help=BATCH_HELP),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help=DTYPE_HELP),
    weight_dtype: WeightDtype = typer.Option(WeightDtype.float32, "--weight-dtype", help=WEIGHT_DTYPE_HELP),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Check specs against their budgets: exit 0 if all are met, 1 if one is exceeded, 2 on bad input.

    Budgets come from --budget files, a spec's own 'budget:' section and the --max options; all of
    them apply. Each is 'error' (the default) or 'warn' (reported, exit 0). Limits take human units:
    K, M, G, T for counts; KB, MB, GB (1000s) and KiB, MiB, GiB (1024s) for bytes. A limit is a
    whole number up to 10^18, written with the digits 0-9 (1.5e9 and 568,740,352 are fine).
    """
    with handled(debug):
        from convcost import budgets as core
        from convcost.errors import SpecError

        overrides = parse_sets(set_)
        if not specs:
            fail("give one or more spec files, e.g. convcost check specs/mobilenet.yaml --max-macs 600M")
        problems = []

        def attempt(make, *args, **kwargs):  # collect every problem of every input before giving up
            try:
                return make(*args, **kwargs)
            except SpecError as error:
                problems.extend(error.problems)
                return None

        files = {os.path.abspath(path): path for path in budget or []}.values()  # each file once
        budget_files = [f for path in files if (f := attempt(core.load_budget_file, path))]
        given = (max_macs, max_flops, max_params, max_trainable_params, max_weights, max_activation_bytes)
        limits = [(flag, metric, text) for (flag, metric), text in zip(SHORTCUTS, given) if text is not None]
        limits += [("--max", *_pair("--max", item)) for item in max_ or []]
        increases = [("--max-increase", *_pair("--max-increase", item)) for item in max_increase or []]
        cli_budgets = [b for limit in limits if (b := attempt(core.cli_budget, *limit))]
        cli_budgets += [b for limit in increases if (b := attempt(core.cli_budget, *limit, increase=True))]
        baselines = [entry for path in baseline or [] for entry in attempt(core.load_baseline, path) or []]
        if problems:  # nothing can be checked with a broken budget file, limit or baseline: report, exit 2
            run = core.CheckRun([], strict, problems)
        else:
            run = core.check(specs, budget_files=budget_files, cli=cli_budgets, baselines=baselines,
                             overrides=overrides, strict=strict, batch=batch, dtype=dtype.value,
                             input_shapes=input_shape or (),
                             weight_dtype=weight_dtype.value)
        _errors_to_stderr(run)
        report_warnings(run.warnings + [w for r in run.results for w in r.warnings], no_warn)
        from convcost.render import budget as render

        if format is CheckFormat.text:
            render.write_text(run, sys.stdout)
        else:
            write({"json": render.to_json, "junit": render.to_junit, "github": render.to_github,
                   "markdown": render.to_markdown}[format.value](run), json=format is CheckFormat.json)
        raise typer.Exit(run.exit_code)


def _pair(option: str, item: str) -> tuple[str, str]:
    """``"macs=600M"`` -> ``("macs", "600M")``; anything else is bad usage (exit 2)."""
    metric, sep, text = item.partition("=")
    if not sep or not metric.strip() or not text.strip():
        fail(f"{option} expects METRIC=LIMIT, got '{item}'")
    return metric.strip(), text.strip()


def _errors_to_stderr(run) -> None:
    from convcost.errors import SpecError

    problems = list(run.problems) + [p for r in run.results for p in r.problems]
    if problems:
        report_problems(SpecError(problems))
