"""convcost report SPEC: every layer's output shape, MACs and parameters, the totals and the
breakdown by layer type."""

from __future__ import annotations

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
    SPEC_HELP,
    WEIGHT_DTYPE_HELP,
    Dtype,
    TableFormat,
    WeightDtype,
    examples,
    handled,
    json_stdout,
    parse_sets,
    report_warnings,
    use_color,
    write,
)


@app.command(epilog=examples(
    "convcost report mobilenet",
    "convcost report mobilenet --set alpha=0.5 --set rho=0.714 --format json",
    "convcost report specs/xception.yaml --format markdown > xception.md"))
def report(
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP, metavar="NAME=VALUE"),
    format: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Output format."),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP, metavar="SHAPE"),
    batch: int = typer.Option(1, "--batch", parser=BATCH, metavar="N", help=BATCH_HELP),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help=DTYPE_HELP),
    weight_dtype: WeightDtype = typer.Option(WeightDtype.float32, "--weight-dtype", help=WEIGHT_DTYPE_HELP),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Per-layer output shape, MACs and parameters, totals and the breakdown by layer type.

    Counts are exact integers; docs/conventions.md defines each one.
    """
    with handled(debug):
        import convcost

        overrides = parse_sets(set_)
        loaded = convcost.load(spec, input_shapes=input_shape or (), overrides=overrides)
        result = convcost.analyze(loaded, overrides, batch=batch, dtype=dtype.value,
                                  weight_dtype=weight_dtype.value)
        report_warnings(result.warnings, no_warn)
        from convcost.render import report as render

        if format is TableFormat.table:
            write(render.to_table(result, color=use_color()), styled=True)
            return
        if format is TableFormat.json:  # streamed: a large network's report is never held whole
            render.write_json(result, json_stdout())
            return
        write({"csv": render.to_csv, "markdown": render.to_markdown}[format.value](result))
