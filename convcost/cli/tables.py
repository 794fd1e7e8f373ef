"""Rich tables for the terminal (imported only when a table is printed)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from convcost.analysis import Analysis
from convcost.render.numbers import percent, shape, thousands
from convcost.render.report import BREAKDOWN_LABELS, totals_rows


def console() -> Console:
    return Console(highlight=False)


def print_report(analysis: Analysis) -> None:
    out = console()
    graph = analysis.graph
    params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in graph.parameters.items())
    title = f"[bold]{graph.name}[/]  input {shape(graph.input_shape)}" + (f"  ({params})" if params else "")
    layers = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    layers.add_column("#", justify="right", style="dim")
    layers.add_column("layer", no_wrap=True, overflow="fold")
    layers.add_column("kind", ratio=1)
    layers.add_column("output", justify="right", no_wrap=True)
    layers.add_column("MACs", justify="right", no_wrap=True)
    layers.add_column("params", justify="right", no_wrap=True)
    layers.add_column("% MACs", justify="right", no_wrap=True)
    total = analysis.totals.macs
    for i, record in enumerate(analysis.layers, 1):
        share = record.macs / total if total else 0
        layers.add_row(str(i), record.name, f"{record.kind} {record.description}".rstrip(), shape(record.output_shape),
                       thousands(record.macs) if record.macs else "", thousands(record.params) if record.params else "",
                       percent(share) if record.macs else "")
    out.print(layers)

    totals = Table(title="Totals" + (f" (batch {analysis.batch})" if analysis.batch != 1 else ""),
                   box=box.SIMPLE_HEAD, title_justify="left", show_header=False, pad_edge=False)
    totals.add_column("count")
    totals.add_column("value", justify="right")
    for label, value in totals_rows(analysis):
        totals.add_row(label, value)
    out.print(totals)

    breakdown = Table(title="By layer type (as MobileNet Table 2)", box=box.SIMPLE_HEAD, title_justify="left",
                      pad_edge=False)
    for column, justify in (("type", "left"), ("MACs", "right"), ("share", "right"), ("weights", "right"),
                            ("share", "right")):
        breakdown.add_column(column, justify=justify)
    for row in analysis.breakdown():
        breakdown.add_row(BREAKDOWN_LABELS[row["category"]], thousands(row["macs"]), percent(row["macs_share"]),
                          thousands(row["weights"]), percent(row["weights_share"]))
    out.print(breakdown)
