"""The report as terminal tables: layers, totals and the breakdown by layer type."""

from __future__ import annotations

import os
import sys

from convcost.analysis import Analysis
from convcost.render.numbers import percent, shape
from convcost.units import thousands
from convcost.render.report import BREAKDOWN_LABELS, totals_rows
from convcost.render.text import table


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def report_text(analysis: Analysis, color: bool = False) -> str:
    graph = analysis.graph
    params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in graph.parameters.items())
    title = f"{graph.name}  input {shape(graph.input_shape)}" + (f"  ({params})" if params else "")
    total = analysis.totals.macs
    rows = [[str(i), r.name, f"{r.kind} {r.description}".rstrip(), shape(r.output_shape),
             thousands(r.macs) if r.macs else "", thousands(r.params) if r.params else "",
             percent(r.macs / total) if r.macs else ""]
            for i, r in enumerate(analysis.layers, 1)]
    layers = table(["#", "layer", "kind", "output", "MACs", "params", "% MACs"], rows, title=title,
                   right={0, 3, 4, 5, 6}, color=color)
    totals = table(["count", "value"], [list(row) for row in totals_rows(analysis)],
                   title="Totals" + (f" (batch {analysis.batch})" if analysis.batch != 1 else ""),
                   right={1}, color=color, show_header=False)
    breakdown = table(["type", "MACs", "share", "weights", "share"],
                      [[BREAKDOWN_LABELS[b["category"]], thousands(b["macs"]), percent(b["macs_share"]),
                        thousands(b["weights"]), percent(b["weights_share"])] for b in analysis.breakdown()],
                      title="By layer type (as MobileNet Table 2)", right={1, 2, 3, 4}, color=color)
    return f"{layers}\n\n{totals}\n\n{breakdown}\n"


def print_report(analysis: Analysis) -> None:
    sys.stdout.write(report_text(analysis, color=use_color()))
