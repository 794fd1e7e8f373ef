"""The result of ``convcost verify`` (a :class:`~convcost.verify.Verification` of a reference run):
the rich table of every layer's agreement, and the JSON output.

Takes the graph, the executor's run (:class:`~convcost.reference.executor.Execution`) and the
verification; imports neither NumPy nor, until a table is drawn, rich.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterator, TextIO

if TYPE_CHECKING:  # rich is imported only when a table is drawn
    from rich.table import JustifyMethod

from convcost.errors import visible
from convcost.graph import without_gc
from convcost.render.json_text import indented, write_indented
from convcost.units import format_bytes
from convcost.verify import COUNT_FIELDS, FIELDS, PARAM_FIELDS

# table columns: (header, the fields a cell covers)
_COLUMNS = (("MACs", ("macs",)), ("mults", ("mults",)), ("adds", ("adds",)), ("cmp", ("comparisons",)),
            ("div", ("divisions",)), ("exp", ("exponentials", "special_functions")), ("eff", ("effective_mults",)),
            ("params", ("weights", "biases", "bn_trainable", "bn_non_trainable", "affine")))
_WIDE = 120  # terminal columns from which the table also shows each layer's kind
_PARAM_LABELS = {"weights": "weights", "biases": "biases", "bn_trainable": "BN trainable",
                 "bn_non_trainable": "BN non-trainable", "affine": "affine"}
_TOTAL_LABELS = {"macs": "MACs", "mults": "mults", "adds": "adds", "comparisons": "comparisons",
                 "divisions": "divisions", "exponentials": "exponentials", "special_functions": "special functions",
                 "effective_mults": "effective mults",
                 **{k: f"params: {v}" for k, v in _PARAM_LABELS.items()}}


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


def write_table(graph, run, result, file: TextIO | None = None, runtime=None) -> None:
    """The verify table to ``file`` (default: standard output) with rich: a row per layer, ✓ or
    'analytic ≠ executed' per count, every disagreement in full, the totals, and the verdict. Wide
    terminals (120 columns or more) get a column per count and each layer's kind. With ``runtime``
    (a :class:`~convcost.verify.RuntimeComparison`), a table of the graph outputs against it follows."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    out = Console(file=file, highlight=False)
    from rich.markup import escape

    title = (f"[bold]{escape(visible(graph.name))}[/]  input {_shape(graph.input_shape)}  "
             f"reference run: batch {run.batch}, {run.dtype}, seed {run.seed}")
    # wide terminals: one column per count; narrow ones: the operation counts share one column
    columns = _COLUMNS if out.width >= _WIDE else (
        ("counts", tuple(f for _, fields in _COLUMNS[:-1] for f in fields)), _COLUMNS[-1])
    counts = ("exp: exponentials and special functions.  eff: effective mults (padding excluded)"
              if out.width >= _WIDE else
              "counts: MACs, mults, adds, comparisons, divisions, exponentials, special functions, effective mults")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption=f"✓: analytic = executed.  {counts}.  params: weights, biases, batch-norm arrays, affine.\n",
                  caption_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer", overflow="fold", min_width=8)
    if out.width >= _WIDE:
        table.add_column("kind", style="dim")
    table.add_column("output", justify="right", overflow="fold")
    for header, _ in columns:  # cells are ✓ or 'analytic ≠ executed'
        table.add_column(header, justify="center", overflow="fold")
    for index, verdict in enumerate(result.layers, 1):
        lead = [str(index), escape(verdict.name)] + ([verdict.kind] if out.width >= _WIDE else [])
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
        _write_disagreements(out, result)

    totals = Table(title="Totals", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    justified: tuple[tuple[str, JustifyMethod], ...] = (
        ("count", "left"), ("analytic", "right"), ("executed", "right"), ("", "center"))
    for column, justify in justified:
        totals.add_column(column, justify=justify)
    for check in result.totals:
        totals.add_row(_TOTAL_LABELS[check.field], f"{check.analytic:,}", f"{check.measured:,}",
                       "[green]✓[/]" if check.agree else "[red]✗[/]")
    out.print(totals)

    timing = (f"forward pass {run.seconds:.3f} s, estimated peak memory {format_bytes(run.memory.total)}")
    if result.agree:
        out.print(f"[green]✓[/] all {len(result.layers)} layers agree: output shapes, {len(COUNT_FIELDS)} operation "
                  f"counts and {len(PARAM_FIELDS)} parameter groups ({timing})")
    else:
        bad_layers = sorted({name for name, _ in result.mismatches}, key=[v.name for v in result.layers].index)
        shown = ", ".join(bad_layers[:8]) + (f" and {len(bad_layers) - 8} more" if len(bad_layers) > 8 else "")
        out.print(f"[red]✗[/] {len(result.mismatches)} disagreement(s) in {len(bad_layers)} layer(s): {shown} "
                  f"({timing})")
    if runtime is not None:
        _write_runtime(out, runtime)


def _number(value: float) -> str:
    return "—" if value != value or value in (float("inf"), float("-inf")) else f"{value:.3g}"


def _write_runtime(out, runtime) -> None:
    """Every graph output, the executor's against the runtime's: max |a - b| within 1e-4 · max |b|."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Against {runtime.runtime} {runtime.version}", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, caption=f"✓: max |executed − {runtime.runtime}| ≤ {runtime.relative_tolerance:g} · "
                                          f"max |{runtime.runtime}| (the tolerance), same weights and input.\n",
                  caption_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("output", "left"), ("layer", "left"), ("shape", "right"), ("max |diff|", "right"),
        (f"max |{runtime.runtime}|", "right"), ("tolerance", "right"), ("", "center"))
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold")
    for item in runtime.outputs:
        mark = "[green]✓[/]" if item.agree else "[red]✗[/]"
        table.add_row(escape(visible(item.name)), escape(item.layer), _shape(item.shape[1:]),
                      _number(item.max_abs_diff), _number(item.max_abs_runtime), _number(item.tolerance), mark)
    out.print(table)
    bad = [item.name for item in runtime.outputs if not item.agree]
    if bad:
        out.print(f"[red]✗[/] {len(bad)} of {len(runtime.outputs)} output(s) differ from {runtime.runtime}: "
                  f"{escape(', '.join(visible(name) for name in bad))}")
    else:
        out.print(f"[green]✓[/] all {len(runtime.outputs)} output(s) equal {runtime.runtime}'s within "
                  f"{runtime.relative_tolerance:g} relative ({runtime.runtime} {runtime.seconds:.3f} s)")


def _write_disagreements(out, result) -> None:
    """Every disagreement on one line, with both values in full, whatever the terminal width."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Disagreements", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("layer", "left"), ("quantity", "left"), ("analytic", "right"), ("executed", "right"))
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold")
    for name, check in result.mismatches:
        label = "output shape" if check.field == "output_shape" else _TOTAL_LABELS.get(check.field, check.field)
        table.add_row(escape(name), label, _value(check.field, check.analytic), _value(check.field, check.measured))
    out.print(table)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def header_dict(graph, run, result, runtime=None) -> dict:
    """The JSON output without its ``layers``, in its key order; ``runtime`` adds the ``runtime``
    object (and ``agree`` then covers it too)."""
    from convcost.language import display_name
    from convcost.version import __version__

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
        "agree": result.agree and (runtime is None or runtime.agree),
        "disagreements": len(result.mismatches),
        "forward_seconds": run.seconds,
        "memory_estimate_bytes": run.memory.total,
        "totals": {c.field: {"analytic": c.analytic, "measured": c.measured, "agree": c.agree}
                   for c in result.totals},
        **({"runtime": runtime_dict(runtime)} if runtime is not None else {}),
    }


def _finite(value: float) -> float | None:
    return None if value != value or value in (float("inf"), float("-inf")) else value


def runtime_dict(runtime) -> dict:
    """The ``runtime`` object of the JSON output (docs/json.md)."""
    return {
        "runtime": runtime.runtime,
        "version": runtime.version,
        "relative_tolerance": runtime.relative_tolerance,
        "agree": runtime.agree,
        "seconds": runtime.seconds,
        "outputs": [{"name": item.name, "layer": item.layer, "shape": list(item.shape),
                     "max_abs_diff": _finite(item.max_abs_diff), "max_abs_runtime": _finite(item.max_abs_runtime),
                     "tolerance": _finite(item.tolerance), "agree": item.agree} for item in runtime.outputs],
    }


def _layer_dict(verdict) -> dict:
    return {
        "name": verdict.name,
        "kind": verdict.kind,
        "agree": verdict.agree,
        "values": {c.field: _plain(c.analytic) for c in verdict.checks if c.field != "layer"},
        "mismatches": {c.field: {"analytic": _plain(c.analytic), "measured": _plain(c.measured)}
                       for c in verdict.mismatches},
    }


def to_dict(graph, run, result, runtime=None) -> dict:
    """The JSON output: per layer the analytic values and, for each disagreement, both values."""
    return {**header_dict(graph, run, result, runtime), "layers": [_layer_dict(verdict) for verdict in result.layers]}


def to_json(graph, run, result, runtime=None) -> str:
    """:func:`to_dict` as ``json.dumps(..., indent=2)`` writes it, without the final newline
    (:func:`write_json` writes the same text, and the newline)."""
    import io

    out = io.StringIO()
    write_json(graph, run, result, out, runtime)
    return out.getvalue()[:-1]


@without_gc
def write_json(graph, run, result, out: TextIO, runtime=None) -> None:
    """The JSON output, byte for byte as ``json.dumps(to_dict(...), indent=2)``, streamed a chunk
    of layers at a time (render/json_text.py). The values of an agreeing layer are encoded once
    per distinct set of values (the repetitions of a block share them)."""
    encode = json.JSONEncoder().encode  # ensure_ascii, as json.dumps writes it
    write_indented(out, header_dict(graph, run, result, runtime), "layers", _encoded_layers(result, encode), encode)


def _encoded_layers(result, encode) -> Iterator[str]:
    values_text: dict[tuple, str] = {}
    for verdict in result.layers:
        if not verdict.agree or verdict.fields != FIELDS:
            yield indented(_layer_dict(verdict), 2, encode)
            continue
        values = values_text.get(verdict.analytic)
        if values is None:
            values = values_text[verdict.analytic] = indented(dict(zip(FIELDS, map(_plain, verdict.analytic))), 3,
                                                              encode)
        yield (f'{{\n      "name": {encode(verdict.name)},\n      "kind": {encode(verdict.kind)},\n'
               f'      "agree": true,\n      "values": {values},\n      "mismatches": {{}}\n    }}')
