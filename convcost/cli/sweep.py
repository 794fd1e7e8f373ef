"""convcost sweep SPEC --set alpha=1,0.75,0.5,0.25 [--set rho=...]: totals for a grid of parameter
values, with ratios to a baseline row (the MobileNet paper's Tables 6 and 7)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    BATCH,
    BATCH_HELP,
    DTYPE_HELP,
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SPEC_HELP,
    WEIGHT_DTYPE_HELP,
    Dtype,
    TableFormat,
    WeightDtype,
    escaped_stdout,
    examples,
    fail,
    handled,
    parameter_names,
    parse_sets,
    report_warnings,
    say,
    use_color,
    whole_number,
    write,
)
from convcost.errors import clip

if TYPE_CHECKING:
    from convcost.sweep import SweepRow, SweepStream

HELD_ROWS = 1_000_000  # rows the table, Markdown and --plot hold (a few hundred bytes each) until the last
FLUSH_EVERY = 0.25  # seconds: streamed rows reach a pipe at least this often
SLOW_ROW = 0.01  # seconds: a row that took longer is flushed at once (a flush costs a few microseconds)

MAX_JOBS = 64  # processes: more would only fork-bomb the machine (each is a full copy of convcost)
JOBS = whole_number(1, MAX_JOBS)
BASELINE = whole_number(1)  # a row of the grid; the sweep says when there is no such row

SWEEP_SET_HELP = ("A parameter and its values: NAME=V1,V2,... Values are numbers, ranges START:STOP:STEP "
                  "(stop included, e.g. alpha=0.25:1.0:0.25) or expressions. Numbers use the digits 0-9, at most 100 "
                  "characters, exponent within ±400, value within ±10^18. Repeatable; several --set give the "
                  "cartesian product (the first varies slowest) unless --zip.")


@app.command(epilog=examples(
    "convcost sweep mobilenet --set alpha=1,0.75,0.5,0.25          (Table 6)",
    "convcost sweep mobilenet --set rho=1,0.857,0.714,0.571        (Table 7)",
    "convcost sweep mobilenet --set alpha=1,0.5 --set rho=1,0.714 --zip",
    "convcost sweep mobilenet --set alpha=0.25:1.0:0.25 --set rho=0.571:1:0.143 --plot pareto.svg"))
def sweep(
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SWEEP_SET_HELP, metavar="NAME=VALUES"),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP, metavar="SHAPE"),
    zip_: bool = typer.Option(False, "--zip", help="Pair the i-th values of every --set instead of the "
                                                    "cartesian product."),
    format: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Output format."),
    columns: str = typer.Option("macs,weights,params,peak_activation_bytes", "--columns", "-c",
                                help="Totals to show, comma-separated: macs, weights (the paper's parameters: "
                                     "conv/FC kernels), params (Keras total), trainable_params, flops, "
                                     "peak_activation_bytes, ... (any key of the report's totals)."),
    baseline: int = typer.Option(1, "--baseline", parser=BASELINE, metavar="ROW",
                                 help="The row (1-based) that ratios are taken against."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw MACs against parameters, one labelled "
                                                            "point per configuration, to FILE (.png or .svg); "
                                                            "needs matplotlib: pip install 'convcost[plot]'.",
                                        metavar="FILE"),
    plot_x: str = typer.Option("weights", "--plot-x", help="The parameter count on the plot's x axis "
                                                           "(weights, params, trainable_params)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", parser=JOBS, metavar="N",
                                       help=f"Processes to share the grid (POSIX), 1 to {MAX_JOBS}. Default: 2 for "
                                            "sweeps of 200 or more configurations on a machine with 2 or more CPUs, "
                                            "else 1."),
    max_configurations: Optional[int] = typer.Option(
        None, "--max-configurations", metavar="N",
        help="Refuse a grid of more than N configurations before building any (default 100,000; at most "
             "1,000,000,000). csv and json write each row as it is computed, so a large grid needs no more memory."),
    batch: int = typer.Option(1, "--batch", parser=BATCH, metavar="N", help=BATCH_HELP),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help=DTYPE_HELP),
    weight_dtype: WeightDtype = typer.Option(WeightDtype.float32, "--weight-dtype", help=WEIGHT_DTYPE_HELP),
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
        from convcost.errors import Problem, SpecError

        if plot is not None:
            if plot.suffix.lower() not in (".png", ".svg"):
                fail(f"--plot: the file must end in .png or .svg, got '{plot.name}'")
            from convcost.files import check_output_path

            check_output_path(plot, "--plot")  # before the sweep runs: a directory, a missing one, no permission
            if plot_x not in core.COLUMN_LABELS:
                fail(f"--plot-x: '{plot_x}' is not a total; use weights, params or trainable_params")
            from convcost.plot import require_matplotlib

            require_matplotlib()
        limit = core.MAX_CONFIGURATIONS if max_configurations is None else core.check_limit(max_configurations)
        axes = core.parse_axes(parse_sets(set_))
        wanted = tuple(c.strip() for c in columns.split(",") if c.strip())
        parsed = convcost.load(spec, input_shapes=input_shape or ())
        if not axes:
            known = parsed.parameter_names
            fail("sweep needs at least one --set NAME=V1,V2,... (without one, the grid has no parameters)",
                 hint=f"e.g. --set {known[0] if known else 'NAME'}=V1,V2,... ({parameter_names(parsed)})")
        running = core.stream(parsed, axes, mode="zip" if zip_ else "cartesian", batch=batch,
                              dtype=dtype.value, weight_dtype=weight_dtype.value, baseline=baseline - 1,
                              columns=wanted, jobs=jobs, limit=limit)
        streamed = format in (TableFormat.json, TableFormat.csv)
        held_keys = () if streamed and plot is None else tuple(dict.fromkeys(
            wanted + ((plot_x, "macs") if plot is not None else ())))
        if held_keys and running.count > HELD_ROWS:
            raise SpecError(Problem(
                "E532", f"--format {format.value}{' with --plot' if plot is not None else ''} holds every row until "
                        f"the last (for the column units, widths and bars), at most {HELD_ROWS:,}; this grid has "
                        f"{running.count:,}", None, "--format csv or json writes each row as it is computed"))
        held: list[SweepRow] = []
        rows = _rows(running, held, held_keys, no_warn)
        from convcost.render import sweep as render

        if format is TableFormat.json:
            render.write_json(running, rows, escaped_stdout(json=True))
            sys.stdout.write("\n")
        elif format is TableFormat.csv:
            render.write_csv(running, rows, escaped_stdout())
        else:
            for _ in rows:
                pass
        result = core.SweepResult(running.name, running.path, running.axes, running.mode, tuple(held), running.batch,
                                  running.dtype, running.baseline_index, running.columns, running.weight_dtype)
        del held
        if format is TableFormat.table:
            write(render.to_table(result, color=use_color()), styled=True)
        elif format is TableFormat.markdown:
            write(render.to_markdown(result))
        if plot is not None:
            from convcost.plot import plot_sweep

            try:
                plot_sweep(result, plot, x=plot_x)
            except OSError as exc:
                fail(f"--plot: cannot write {clip(str(plot))}: {exc.strerror or exc}")
            say(f"wrote {plot} ({len(result.rows)} points)")


def _rows(running: SweepStream, held: list[SweepRow], keys: tuple[str, ...], no_warn: bool) -> Iterator[SweepRow]:
    """The sweep's rows as they are computed, with on the way: each new warning reported at once,
    the totals ``keys`` of each row kept in ``held`` (when a table or plot needs every row), and
    standard output flushed every FLUSH_EVERY seconds and after each slow row (rows reach a pipe
    soon: ``convcost sweep … | head`` shows the first at once)."""
    from convcost.errors import once

    warned: list = []
    last = asked = time.monotonic()
    for row in running.rows:
        took = time.monotonic() - asked
        if row.warnings and not no_warn:
            fresh = once([*warned, *row.warnings])[len(warned):]
            if fresh:
                warned += fresh
                report_warnings(fresh)
        if keys:
            held.append(row.keeping(keys))
        yield row
        now = asked = time.monotonic()
        if now - last > FLUSH_EVERY or took > SLOW_ROW or row.index == 0:
            sys.stdout.flush()
            last = now
