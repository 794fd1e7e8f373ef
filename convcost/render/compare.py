"""A comparison as terminal tables (aligned plain text), JSON, CSV (long form: one row per section,
layer and metric) or Markdown."""

from __future__ import annotations

import csv
import io
import json

from convcost.analysis import LayerRecord
from convcost.compare import Comparison, LayerDiff
from convcost.render.numbers import shape
from convcost.render.text import table
from convcost.units import thousands

STATUS_MARKS = {"same": "=", "changed": "~", "removed": "-", "added": "+"}


def ratio_text(ratio) -> str:
    return "—" if ratio is None else f"{float(ratio):.4g}×"


def signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def totals_table(c: Comparison) -> tuple[list[str], list[list[str]]]:
    header = ["", c.label_a, c.label_b, "B − A", "B / A"]
    rows = [[t.label, thousands(t.a), thousands(t.b), signed(t.difference), ratio_text(t.ratio)] for t in c.totals]
    return header, rows


def _side(record: LayerRecord | None) -> str:
    if record is None:
        return ""
    return f"{record.kind} {record.description}".strip() + f" → {shape(record.output_shape)}"


def layer_rows(c: Comparison, all_layers: bool = False) -> tuple[list[str], list[list[str]]]:
    """status, layer, A, B, MACs A, MACs B, params A, params B: the layers that differ (every layer
    with ``all_layers``)."""
    header = ["", "layer", c.label_a, c.label_b, "MACs A", "MACs B", "params A", "params B"]
    rows = []
    for d in c.layers:
        if d.status == "same" and not all_layers:
            continue
        rows.append([STATUS_MARKS[d.status], d.name, _side(d.a), _side(d.b),
                     _count(d, "a", "macs"), _count(d, "b", "macs"), _count(d, "a", "params"),
                     _count(d, "b", "params")])
    return header, rows


def _count(d: LayerDiff, side: str, key: str) -> str:
    record = d.a if side == "a" else d.b
    if record is None:
        return ""
    return thousands(getattr(record.cost, key))


def summary_line(c: Comparison) -> str:
    n = c.counts()
    return (f"{len(c.a.layers)} layers in {c.label_a}, {len(c.b.layers)} in {c.label_b} (matched by name): "
            f"{n['same']} same, {n['changed']} changed, {n['removed']} removed, {n['added']} added")


def to_table(c: Comparison, all_layers: bool = False, color: bool = False) -> str:
    """Totals and layer differences as aligned plain-text tables (render/text.py); ``color``: bold
    titles and headers."""
    header, rows = totals_table(c)
    totals = table(header, rows, title=f"A = {c.label_a},  B = {c.label_b}", right={1, 2, 3, 4}, color=color)
    header, rows = layer_rows(c, all_layers)
    title = "Layers: " + summary_line(c)
    if rows:
        layers = table(header[:2] + ["A", "B"] + header[4:], rows, title=title, right={4, 5, 6, 7}, color=color)
    else:
        layers = f"{title}. Every layer is the same."
    return f"{totals}\n\n{layers}\n"


def to_json(c: Comparison, all_layers: bool = False) -> str:
    return json.dumps(c.to_dict(all_layers=all_layers), indent=2, ensure_ascii=False)


def to_csv(c: Comparison, all_layers: bool = False) -> str:
    """Long form: ``section,name,status,metric,a,b,difference,ratio``; section is ``total`` or
    ``layer``; per layer the metrics kind, output_shape, macs, weights and params."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "name", "status", "metric", "a", "b", "difference", "ratio"])
    for t in c.totals:
        ratio = "" if t.ratio is None else repr(float(t.ratio))
        writer.writerow(["total", "", "", t.key, t.a, t.b, t.difference, ratio])
    for d in c.layers:
        if d.status == "same" and not all_layers:
            continue
        writer.writerow(["layer", d.name, d.status, "kind", d.a.kind if d.a else "", d.b.kind if d.b else "", "", ""])
        writer.writerow(["layer", d.name, d.status, "output_shape", "x".join(map(str, d.a.output_shape)) if d.a else "",
                         "x".join(map(str, d.b.output_shape)) if d.b else "", "", ""])
        for key in ("macs", "weights", "params"):
            a = getattr(d.a.cost, key) if d.a else None
            b = getattr(d.b.cost, key) if d.b else None
            difference = (b or 0) - (a or 0)
            ratio = repr(b / a) if a and b is not None else ""
            writer.writerow(["layer", d.name, d.status, key, "" if a is None else a, "" if b is None else b,
                             difference, ratio])
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(c: Comparison, all_layers: bool = False) -> str:
    header, rows = totals_table(c)
    lines = [f"## {c.label_a} vs {c.label_b}", "",
             "| " + " | ".join(_cell(h) for h in header) + " |", "|---|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows]
    lines += ["", f"### Layers ({summary_line(c)})", ""]
    header, rows = layer_rows(c, all_layers)
    if rows:
        lines += ["| " + " | ".join(_cell(h) for h in header) + " |", "|:---:|---|---|---|---:|---:|---:|---:|"]
        lines += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows]
        changed = [d for d in c.layers if d.status == "changed"]
        if changed:
            lines += ["", "Changes:", ""]
            lines += [f"- `{d.name}`: " + "; ".join(d.changes) for d in changed]
    else:
        lines.append("Every layer is the same.")
    return "\n".join(lines) + "\n"
