"""A comparison as terminal tables (aligned plain text), JSON, CSV (long form: one row per section,
layer and metric) or Markdown."""

from __future__ import annotations

import csv
import io
import json
from typing import Callable, Iterator, TextIO

from convcost.analysis import LayerRecord
from convcost.compare import Comparison, LayerDiff, layer_dict
from convcost.graph import without_gc
from convcost.render.json_text import indented, write_indented
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
    """:meth:`Comparison.to_dict` as ``json.dumps(..., indent=2, ensure_ascii=False)`` writes it,
    without the final newline (:func:`write_json` writes the same text, and the newline)."""
    out = io.StringIO()
    write_json(c, out, all_layers)
    return out.getvalue()[:-1]


@without_gc
def write_json(c: Comparison, out: TextIO, all_layers: bool = False) -> None:
    """The JSON comparison, byte for byte as ``json.dumps(c.to_dict(), indent=2)``, streamed
    (render/json_text.py); the A and B sides and change lists that the repetitions of a block
    share are encoded once."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    write_indented(out, c.header_dict(), "layers", _encoded_layers(c, all_layers, encode), encode)


def _encoded_layers(c: Comparison, all_layers: bool, encode: Callable[[object], str]) -> Iterator[str]:
    """Each listed layer's object at nesting level 2. A side (what describes a layer of A or B,
    without its name) and a list of changes are encoded once per distinct value."""
    sides: dict[object, str] = {}
    changes: dict[tuple[str, ...], str] = {}
    for d in c.layers:
        if d.status == "same" and not all_layers:
            continue
        listed = changes.get(d.changes)
        if listed is None:
            listed = changes[d.changes] = indented(list(d.changes), 3, encode)
        yield (f'{{\n      "name": {encode(d.name)},\n      "status": {encode(d.status)},\n      "changes": {listed},'
               f'\n      "a": {_side_text(d.a, sides, encode)},\n      "b": {_side_text(d.b, sides, encode)}\n    }}')


def _side_text(record: LayerRecord | None, cache: dict[object, str], encode: Callable[[object], str]) -> str:
    if record is None:
        return "null"
    key = (record.kind, id(record.attrs), id(record.cost), record.input_shapes, record.output_shape)
    text = cache.get(key)  # the records (held by the comparison) keep attrs and cost alive: ids stay theirs
    if text is None:
        text = cache[key] = indented(layer_dict(record), 3, encode)
    return text


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
