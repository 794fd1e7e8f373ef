"""convcost verify SPEC: run the NumPy reference executor and hold every layer's shape, operation
counts and parameters against the analytic engine. Exit 0 when everything agrees, 1 on any
disagreement, 2 on a bad spec or a run over --max-memory."""

from __future__ import annotations

import contextlib
import os
import sys
from enum import Enum
from typing import Iterator, List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    BATCH,
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SET_HELP,
    SPEC_HELP,
    escaped_stdout,
    examples,
    fail,
    handled,
    parse_sets,
    report_warnings,
    whole_number,
)
from convcost.errors import EXIT_CHECK_FAILED

MAX_SEED = 2**32 - 1  # NumPy's classic seed range (np.random.seed); default_rng takes it too, and -1 is refused
SEED = whole_number(0, MAX_SEED)


class VerifyFormat(str, Enum):
    table = "table"
    json = "json"


class ExecDtype(str, Enum):
    float32 = "float32"
    float64 = "float64"


class Runtime(str, Enum):
    onnxruntime = "onnxruntime"


@app.command(epilog=examples(
    "convcost verify mobilenet",
    "convcost verify specs/xception.yaml --format json",
    "convcost verify mobilenet --set alpha=0.5 --set rho=0.714 --batch 2 --dtype float64",
    "convcost verify xception --set size=71      (a quick check at reduced resolution)"))
def verify(
    ctx: typer.Context,
    spec: str = typer.Argument(..., help=SPEC_HELP, metavar="SPEC"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP, metavar="NAME=VALUE"),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP, metavar="SHAPE"),
    format: VerifyFormat = typer.Option(VerifyFormat.table, "--format", "-f", help="Output format."),
    dtype: ExecDtype = typer.Option(ExecDtype.float32, "--dtype", help="Element type the executor computes in."),
    batch: int = typer.Option(1, "--batch", parser=BATCH, metavar="N",
                              help="Batch size of the reference run (and of the analysis), 1 to 10^18."),
    seed: int = typer.Option(0, "--seed", parser=SEED, metavar="N",
                             help=f"Seed of the random input and weights, 0 to {MAX_SEED:,}."),
    max_memory: str = typer.Option("4GiB", "--max-memory", metavar="SIZE",
                                   help="Refuse a run whose estimated peak memory exceeds SIZE "
                                        "(4GiB, 512MiB, 2GB ..., at most 10^18 bytes; 'none' for no limit)."),
    runtime: Optional[Runtime] = typer.Option(
        None, "--runtime", help="For an .onnx model: also run it with this runtime on the executor's weights and "
                                "input and compare every output (float64 executor unless --dtype is given; "
                                "needs convcost[runtime]).", show_default=False),
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
        if runtime is not None:
            from convcost.runtime import check_runtime_target

            check_runtime_target(spec, runtime.value)
            source = ctx.get_parameter_source("dtype")
            if source is None or source.name == "DEFAULT":
                dtype = ExecDtype.float64  # the executor as exact as it goes: the differences are the runtime's
        graph = convcost.load(spec, input_shapes=input_shape or (), overrides=overrides).build(overrides)
        report_warnings(graph.warnings, no_warn)
        analysis = analyze(graph, batch=batch, dtype=dtype.value)
        with _progress(len(graph.nodes), quiet) as on_layer:
            net = ReferenceNetwork(graph, batch=batch, dtype=dtype.value, seed=seed, max_memory=limit)
            run = net.forward(on_layer=on_layer)
        against = None
        if runtime is not None:
            from convcost.runtime import run_onnxruntime

            against = run_onnxruntime(spec, net, run, input_shape or (), overrides)
        del net  # its weights are not needed to compare and render: on a large network they are most of the memory
        result = compare(analysis, run)
        from convcost.render import verify as render

        if format is VerifyFormat.json:
            render.write_json(graph, run, result, escaped_stdout(json=True), against)
        else:
            render.write_table(graph, run, result, sys.stdout, against)
        if not result.agree or (against is not None and not against.agree):
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
    except ValueError as error:  # NumberError: malformed, or beyond 10^18 bytes
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
