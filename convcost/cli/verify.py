"""convcost verify SPEC: run the NumPy reference executor and hold every layer's shape, operation
counts and parameters against the analytic engine. Exit 0 when everything agrees, 1 on any
disagreement, 2 on a bad spec or a run over --max-memory."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from enum import Enum
from typing import Iterator, List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (NO_WARN_HELP, SET_HELP, SPEC_HELP, examples, fail, handled, parse_sets,
                                report_warnings, write)
from convcost.errors import EXIT_CHECK_FAILED


class VerifyFormat(str, Enum):
    table = "table"
    json = "json"


class ExecDtype(str, Enum):
    float32 = "float32"
    float64 = "float64"


# table columns: (header, the fields a cell covers)
_COLUMNS = (("MACs", ("macs",)), ("mults", ("mults",)), ("adds", ("adds",)), ("cmp", ("comparisons",)),
            ("div", ("divisions",)), ("exp", ("exponentials",)), ("eff", ("effective_mults",)),
            ("params", ("weights", "biases", "bn_trainable", "bn_non_trainable")))
_WIDE = 120  # terminal columns from which the table also shows each layer's kind
_PARAM_LABELS = {"weights": "weights", "biases": "biases", "bn_trainable": "BN trainable",
                 "bn_non_trainable": "BN non-trainable"}
_TOTAL_LABELS = {"macs": "MACs", "mults": "mults", "adds": "adds", "comparisons": "comparisons",
                 "divisions": "divisions", "exponentials": "exponentials", "effective_mults": "effective mults",
                 **{k: f"params: {v}" for k, v in _PARAM_LABELS.items()}}


@app.command(epilog=examples(
    "convcost verify mobilenet",
    "convcost verify specs/xception.yaml --format json",
    "convcost verify mobilenet --set alpha=0.5 --set rho=0.714 --batch 2 --dtype float64",
    "convcost verify xception --set size=71      (a quick check at reduced resolution)"))
def verify(
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP, metavar="NAME=VALUE"),
    format: VerifyFormat = typer.Option(VerifyFormat.table, "--format", "-f", help="Output format."),
    dtype: ExecDtype = typer.Option(ExecDtype.float32, "--dtype", help="Element type the executor computes in."),
    batch: int = typer.Option(1, "--batch", min=1, help="Batch size of the reference run (and of the analysis)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random input and weights."),
    max_memory: str = typer.Option("4GiB", "--max-memory", metavar="SIZE",
                                   help="Refuse a run whose estimated peak memory exceeds SIZE "
                                        "(4GiB, 512MiB, 2GB ...; 'none' for no limit)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Run the network with NumPy and check every layer's counts against the analytic engine.

    The reference executor computes each layer on seeded random data and counts the scalar
    operations it performs and the weights it allocates; every layer's output shape, MACs,
    mults, adds, comparisons, divisions, exponentials, effective mults and parameter groups must
    equal the analytic values. Exit 0 when all agree, 1 on any disagreement, 2 on a spec error or
    a run over --max-memory. docs/verify.md explains how the executor counts.
    """
    with handled(debug):
        _prefer_one_blas_thread()
        import convcost
        from convcost.analysis import analyze
        from convcost.reference import ReferenceNetwork
        from convcost.verify import compare

        overrides = parse_sets(set_)
        limit = _memory_limit(max_memory)
        graph = convcost.load(spec).build(overrides)
        report_warnings(graph.warnings, no_warn)
        analysis = analyze(graph, batch=batch, dtype=dtype.value)
        with _progress(len(graph.nodes), quiet) as on_layer:
            net = ReferenceNetwork(graph, batch=batch, dtype=dtype.value, seed=seed, max_memory=limit)
            run = net.forward(on_layer=on_layer)
        result = compare(analysis, run)
        if format is VerifyFormat.json:
            write(json.dumps(_to_dict(graph, run, result), indent=2))
        else:
            _print_table(graph, run, result)
        if not result.agree:
            raise typer.Exit(EXIT_CHECK_FAILED)


def _prefer_one_blas_thread() -> None:
    """Run BLAS on one thread unless the user chose (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS,
    MKL_NUM_THREADS). On an idle 2-core machine two threads are a little faster (Xception-299
    0.23 s against 0.30 s), but when anything else is running they wait on each other and the
    pass takes 3-5 times longer (benchmarks/executor_speed.py). Effective only before NumPy is
    first imported, which on the command line happens here, for verify alone."""
    if "numpy" not in sys.modules and not any(
            name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")):
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"


def _memory_limit(text: str) -> int | None:
    from convcost.units import parse_memory_size

    if text.strip().lower() in ("none", "off"):
        return None
    try:
        return parse_memory_size(text)
    except ValueError as error:
        fail(f"--max-memory: {error}")


@contextlib.contextmanager
def _progress(total: int, quiet: bool) -> Iterator:
    """A rich progress bar on standard error, advanced after each layer; none when quiet or when
    standard error is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if quiet or not console.is_terminal:  # no Progress at all: rich 13.0's disabled one still prints a newline
        yield lambda done, total_layers, name: None
        return
    progress = Progress(TextColumn("executing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                        TimeElapsedColumn(), console=console, transient=True)
    with progress:
        task = progress.add_task("allocating weights", total=total)

        def on_layer(done: int, total_layers: int, name: str) -> None:
            progress.update(task, completed=done, total=total_layers, description=name)

        yield on_layer


# --- rendering ----------------------------------------------------------------------------------

def _shape(dims) -> str:
    return "×".join(str(d) for d in dims) if dims else "scalar"


def _value(field: str, value) -> str:
    return _shape(value) if field == "output_shape" else f"{value:,}" if isinstance(value, int) else str(value)


def _cell(verdict, fields: tuple[str, ...]) -> str:
    """✓ when every field agrees, else the differing values: 'analytic ≠ measured'."""
    bad = [c for c in (verdict.check(f) for f in fields) if c is not None and not c.agree]
    if not bad:
        return "[green]✓[/]"
    if len(fields) == 1:
        return f"[red]{_value(bad[0].field, bad[0].analytic)} ≠ {_value(bad[0].field, bad[0].measured)}[/]"
    return "[red]" + "; ".join(f"{_TOTAL_LABELS[c.field].removeprefix('params: ')} {_value(c.field, c.analytic)} ≠ "
                               f"{_value(c.field, c.measured)}" for c in bad) + "[/]"


def _print_table(graph, run, result) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from convcost.units import format_bytes

    out = Console(highlight=False)
    title = (f"[bold]{graph.name}[/]  input {_shape(graph.input_shape)}  reference run: batch {run.batch}, "
             f"{run.dtype}, seed {run.seed}")
    # wide terminals: one column per count; narrow ones: the seven counts share one column
    columns = _COLUMNS if out.width >= _WIDE else (
        ("counts", tuple(f for _, fields in _COLUMNS[:-1] for f in fields)), _COLUMNS[-1])
    counts = ("eff: effective mults (padding excluded)" if out.width >= _WIDE
              else "counts: MACs, mults, adds, comparisons, divisions, exponentials, effective mults")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption=f"✓: analytic = executed.  {counts}.  params: weights, biases, batch-norm arrays.\n",
                  caption_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer", overflow="fold", min_width=8)
    if out.width >= _WIDE:
        table.add_column("kind", style="dim")
    table.add_column("output", justify="right", overflow="fold")
    for header, _ in columns:  # cells are ✓ or 'analytic ≠ executed'
        table.add_column(header, justify="center", overflow="fold")
    for index, verdict in enumerate(result.layers, 1):
        lead = [str(index), verdict.name] + ([verdict.kind] if out.width >= _WIDE else [])
        whole = verdict.check("layer")
        if whole is not None:  # only one side has this layer
            table.add_row(*lead, f"[red]analytic: {whole.analytic}, executed: {whole.measured}[/]",
                          *[""] * len(columns))
            continue
        shape = verdict.check("output_shape")
        shape_text = (_shape(shape.analytic) if shape.agree
                      else f"[red]{_shape(shape.analytic)} ≠ {_shape(shape.measured)}[/]")
        table.add_row(*lead, shape_text, *[_cell(verdict, fields) for _, fields in columns])
    out.print(table)
    if not result.agree:
        _print_disagreements(out, result)

    totals = Table(title="Totals", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("count", "left"), ("analytic", "right"), ("executed", "right"), ("", "center")):
        totals.add_column(column, justify=justify)
    for check in result.totals:
        totals.add_row(_TOTAL_LABELS[check.field], f"{check.analytic:,}", f"{check.measured:,}",
                       "[green]✓[/]" if check.agree else "[red]✗[/]")
    out.print(totals)

    timing = (f"forward pass {run.seconds:.3f} s, estimated peak memory {format_bytes(run.memory.total)}")
    if result.agree:
        out.print(f"[green]✓[/] all {len(result.layers)} layers agree: output shapes, 7 operation counts and "
                  f"4 parameter groups ({timing})")
    else:
        bad_layers = sorted({name for name, _ in result.mismatches}, key=[v.name for v in result.layers].index)
        shown = ", ".join(bad_layers[:8]) + (f" and {len(bad_layers) - 8} more" if len(bad_layers) > 8 else "")
        out.print(f"[red]✗[/] {len(result.mismatches)} disagreement(s) in {len(bad_layers)} layer(s): {shown} "
                  f"({timing})")


def _print_disagreements(out, result) -> None:
    """Every disagreement on one line, with both values in full, whatever the terminal width."""
    from rich import box
    from rich.table import Table

    table = Table(title="Disagreements", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("layer", "left"), ("quantity", "left"), ("analytic", "right"), ("executed", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for name, check in result.mismatches:
        label = "output shape" if check.field == "output_shape" else _TOTAL_LABELS.get(check.field, check.field)
        table.add_row(name, label, _value(check.field, check.analytic), _value(check.field, check.measured))
    out.print(table)


def _to_dict(graph, run, result) -> dict:
    """The JSON output: per layer the analytic values and, for each disagreement, both values."""
    from convcost.version import __version__
    from convcost.language import display_name

    def plain(value):
        return list(value) if isinstance(value, tuple) else value

    layers = []
    for verdict in result.layers:
        layers.append({
            "name": verdict.name,
            "kind": verdict.kind,
            "agree": verdict.agree,
            "values": {c.field: plain(c.analytic) for c in verdict.checks if c.field != "layer"},
            "mismatches": {c.field: {"analytic": plain(c.analytic), "measured": plain(c.measured)}
                           for c in verdict.mismatches},
        })
    return {
        "convcost_version": __version__,
        "schema_version": 1,
        "name": graph.name,
        "spec": display_name(graph.path),
        "input_shape": list(graph.input_shape),
        "parameters": dict(graph.parameters),
        "batch": run.batch,
        "dtype": run.dtype,
        "seed": run.seed,
        "agree": result.agree,
        "disagreements": len(result.mismatches),
        "forward_seconds": run.seconds,
        "memory_estimate_bytes": run.memory.total,
        "totals": {c.field: {"analytic": c.analytic, "measured": c.measured, "agree": c.agree}
                   for c in result.totals},
        "layers": layers,
    }
