"""convcost explain SPEC LAYER: one layer's output size, multiplications and parameters as the
seed notes write them, with the layer's numbers substituted."""

from __future__ import annotations

from typing import List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SET_HELP,
    SPEC_HELP,
    examples,
    handled,
    parse_sets,
    report_warnings,
    write,
)


@app.command(epilog=examples(
    "convcost explain mobilenet conv1",
    "convcost explain mobilenet ds2/dw --set alpha=0.5",
    "convcost explain xception block2/sep1"))
def explain(
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    layer: str = typer.Argument(..., help="The layer's full name, as 'convcost report' lists it (e.g. ds2/dw).",
                                metavar="LAYER"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP, metavar="NAME=VALUE"),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP, metavar="SHAPE"),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """One layer's formulas (output size, multiplications, parameters) with its numbers substituted.

    Batch 1. The layer's full name is as 'convcost report' lists it.
    """
    with handled(debug):
        import convcost
        from convcost.explain import explain as run

        overrides = parse_sets(set_)
        result = convcost.analyze(convcost.load(spec, input_shapes=input_shape or (), overrides=overrides), overrides)
        report_warnings(result.warnings, no_warn)
        write("\n".join(run(result, layer)))
