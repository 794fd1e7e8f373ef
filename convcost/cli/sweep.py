"""convcost sweep SPEC --set alpha=1,0.75,0.5,0.25 [--set rho=...]: totals for a grid of parameter
values, with ratios to a baseline row (the MobileNet paper's Tables 6 and 7)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    DTYPE_HELP,
    NO_WARN_HELP,
    SPEC_HELP,
    Dtype,
    TableFormat,
    examples,
    fail,
    handled,
    parameter_names,
    parse_sets,
    report_warnings,
    use_color,
    write,
)

SWEEP_SET_HELP = ("A parameter and its values: NAME=V1,V2,... Values are numbers, ranges START:STOP:STEP "
                  "(stop included, e.g. alpha=0.25:1.0:0.25) or expressions. Repeatable; several --set give the "
                  "cartesian product (the first varies slowest) unless --zip.")


@app.command(epilog=examples(
    "convcost sweep mobilenet --set alpha=1,0.75,0.5,0.25          (Table 6)",
    "convcost sweep mobilenet --set rho=1,0.857,0.714,0.571        (Table 7)",
    "convcost sweep mobilenet --set alpha=1,0.5 --set rho=1,0.714 --zip",
    "convcost sweep mobilenet --set alpha=0.25:1.0:0.25 --set rho=0.571:1:0.143 --plot pareto.svg"))
def sweep(
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SWEEP_SET_HELP, metavar="NAME=VALUES"),
    zip_: bool = typer.Option(False, "--zip", help="Pair the i-th values of every --set instead of the "
                                                    "cartesian product."),
    format: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Output format."),
    columns: str = typer.Option("macs,weights,params,peak_activation_bytes", "--columns", "-c",
                                help="Totals to show, comma-separated: macs, weights (the paper's parameters: "
                                     "conv/FC kernels), params (Keras total), trainable_params, flops, "
                                     "peak_activation_bytes, ... (any key of the report's totals)."),
    baseline: int = typer.Option(1, "--baseline", min=1, help="The row (1-based) that ratios are taken against."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw MACs against parameters, one labelled "
                                                            "point per configuration, to FILE (.png or .svg); "
                                                            "needs matplotlib: pip install 'convcost[plot]'.",
                                        metavar="FILE"),
    plot_x: str = typer.Option("weights", "--plot-x", help="The parameter count on the plot's x axis "
                                                           "(weights, params, trainable_params)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Processes to share the grid (POSIX). Default: 2 for sweeps of 200 or "
                                            "more configurations on a machine with 2 or more CPUs, else 1."),
    batch: int = typer.Option(1, "--batch", min=1, help="Batch size: scales operation counts and activations."),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help=DTYPE_HELP),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Totals for every configuration of a parameter grid, each as a ratio to the baseline row.

    The spec is parsed once; each configuration is built and analysed once.

    "weights" are the conv and dense kernels alone: the MobileNet paper's parameters (docs/sweep.md).
    """
    with handled(debug):
        import convcost
        from convcost import sweep as core

        if plot is not None:
            if plot.suffix.lower() not in (".png", ".svg"):
                fail(f"--plot: the file must end in .png or .svg, got '{plot.name}'")
            from convcost.files import check_output_path

            check_output_path(plot, "--plot")  # before the sweep runs: a directory, a missing one, no permission
            if plot_x not in core.COLUMN_LABELS:
                fail(f"--plot-x: '{plot_x}' is not a total; use weights, params or trainable_params")
            from convcost.plot import require_matplotlib

            require_matplotlib()
        axes = core.parse_axes(parse_sets(set_))
        wanted = tuple(c.strip() for c in columns.split(",") if c.strip())
        parsed = convcost.load(spec)
        if not axes:
            known = parsed.parameter_names
            fail("sweep needs at least one --set NAME=V1,V2,... (without one, the grid has no parameters)",
                 hint=f"e.g. --set {known[0] if known else 'NAME'}=V1,V2,... ({parameter_names(parsed)})")
        result = core.sweep(parsed, axes, mode="zip" if zip_ else "cartesian", batch=batch,
                            dtype=dtype.value, baseline=baseline - 1, columns=wanted, jobs=jobs)
        report_warnings(result.warnings, no_warn)
        if plot is not None:
            from convcost.plot import plot_sweep

            plot_sweep(result, plot, x=plot_x)
        from convcost.render import sweep as render

        if format is TableFormat.table:
            sys.stdout.write(render.to_table(result, color=use_color()))
        else:
            write({"json": render.to_json, "csv": render.to_csv, "markdown": render.to_markdown}[format.value](result))
        if plot is not None:
            typer.echo(f"wrote {plot} ({len(result.rows)} points)", err=True)

