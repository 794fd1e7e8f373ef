"""The report as terminal tables (aligned plain text: layers, totals and the breakdown by layer type),
JSON, CSV or Markdown. Every renderer takes an :class:`~convcost.analysis.Analysis` and returns a string."""

from __future__ import annotations

import json
from typing import Iterator, TextIO

from convcost.analysis import Analysis
from convcost.graph import without_gc
from convcost.render.numbers import percent, shape
from convcost.render.text import table
from convcost.units import human, human_bytes, thousands

CSV_COLUMNS = ["name", "kind", "description", "inputs", "output_shape", "macs", "mults", "adds", "comparisons",
               "divisions", "exponentials", "special_functions", "flops", "effective_mults", "params",
               "trainable_params", "non_trainable_params", "weights", "biases", "bn_trainable", "bn_non_trainable",
               "affine",
               "activation_elements", "activation_bytes", "macs_share", "weight_bytes"]

BREAKDOWN_LABELS = {"conv 1x1": "Conv 1×1", "depthwise": "Conv DW", "full conv": "Conv (full)",
                    "grouped conv": "Conv (grouped)", "dense": "Fully connected"}


def to_table(analysis: Analysis, color: bool = False) -> str:
    """The layers, the totals and the breakdown by layer type as aligned plain-text tables
    (render/text.py: rich would take longer than the rest of the command); ``color``: bold titles
    and headers."""
    graph = analysis.graph
    params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in graph.parameters.items())
    title = f"{graph.name}  {_inputs_text(graph)}" + (f"  ({params})" if params else "")
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


def to_json(analysis: Analysis) -> str:
    """The JSON report as one string, without the final newline (:func:`write_json` writes the
    same text, and the newline, to a stream)."""
    import io

    out = io.StringIO()
    write_json(analysis, out)
    return out.getvalue()[:-1]


JSON_CHUNK = 1000  # layers encoded and written at once: what is held of a large network's report


@without_gc
def write_json(analysis: Analysis, out: TextIO) -> None:
    """The JSON report, a key per line and a layer per line, ending with a newline: readable, and
    written by json's C encoder (``indent`` would switch json to its pure-Python encoder, several
    times slower on a large network). The layers are encoded as they are made, a chunk at a time,
    so a 100,000-layer report never holds its whole text or all its layer dictionaries."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    header = analysis.header_dict()
    out.write("{\n" + "".join(f"  {json.dumps(key)}: {encode(value)},\n" for key, value in header.items()))
    if not analysis.layers:
        out.write('  "layers": []\n}\n')
        return
    out.write('  "layers": [\n    ')
    chunk: list[str] = []
    first = True
    for layer in _encoded_layers(analysis, encode):
        chunk.append(layer)
        if len(chunk) == JSON_CHUNK:
            out.write(("" if first else ",\n    ") + ",\n    ".join(chunk))
            chunk, first = [], False
    if chunk:
        out.write(("" if first else ",\n    ") + ",\n    ".join(chunk))
    out.write("\n  ]\n}\n")


def _encoded_layers(analysis: Analysis, encode) -> Iterator[str]:
    """Each layer's JSON object, as ``encode(layer)`` writes it. The repetitions of a block share
    their counts (:meth:`Analysis.layer_parts`): those are encoded once and reused."""
    tails: dict[int, str] = {}  # id(counts) -> its encoding, without the "{" (layer_parts keeps them alive)
    for head, counts in analysis.layer_parts():
        tail = tails.get(id(counts))
        if tail is None:
            tail = tails[id(counts)] = encode(counts)[1:]
        yield encode(head)[:-1] + ", " + tail


def to_csv(analysis: Analysis) -> str:
    """One row per layer; shapes as 112x112x32 and inputs joined with '+'."""
    import csv  # only for this format: the report path keeps its imports few
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in analysis.to_dict()["layers"]:
        row = dict(row)
        row["inputs"] = "+".join(row["inputs"])
        row["output_shape"] = "x".join(map(str, row["output_shape"]))
        writer.writerow({k: row[k] for k in CSV_COLUMNS})
    return out.getvalue()


def _inputs_text(graph) -> str:
    """``input 224×224×3``, or ``inputs image 224×224×3, mask 224×224×1`` for named inputs, and the
    outputs that 'outputs:' names."""
    if not graph.inputs:
        text = f"input {shape(graph.input_shape)}"
    else:
        text = "inputs " + ", ".join(f"{name} {shape(size)}" for name, size in graph.inputs)
    if graph.outputs:
        text += "  outputs " + ", ".join(graph.outputs)
    return text


def to_markdown(analysis: Analysis) -> str:
    data = analysis.to_dict()
    lines = [f"# {data['name']}", "",
             f"{_inputs_text(analysis.graph).capitalize()}, batch {data['batch']}, {data['dtype']}"
             + (", parameters: " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in data["parameters"].items()) if data["parameters"] else ""),
             "", "| # | layer | kind | output | MACs | params | % MACs |", "|---:|---|---|---|---:|---:|---:|"]
    for i, layer in enumerate(data["layers"], 1):
        kind = f"{layer['kind']} {layer['description']}".strip()
        lines.append(f"| {i} | {layer['name']} | {kind} | {shape(layer['output_shape'])} | "
                     f"{thousands(layer['macs'])} | {thousands(layer['params'])} | {percent(layer['macs_share'])} |")
    lines += ["", "## Totals", "", "| count | value |", "|---|---:|"]
    lines += [f"| {label} | {value} |" for label, value in totals_rows(analysis)]
    lines += ["", "## By layer type", "", "| type | MACs | share | weights | share |", "|---|---:|---:|---:|---:|"]
    for row in data["breakdown"]:
        lines.append(f"| {BREAKDOWN_LABELS[row['category']]} | {thousands(row['macs'])} | "
                     f"{percent(row['macs_share'])} | {thousands(row['weights'])} | {percent(row['weights_share'])} |")
    return "\n".join(lines) + "\n"


def totals_rows(analysis: Analysis) -> list[tuple[str, str]]:
    """(label, value) rows for the totals, shared by the Markdown and the terminal tables."""
    t = analysis.totals_dict()
    padding = t["padding_mults"]
    # special functions and affine parameters are shown where a network has them (none of the shipped ones)
    special = ([("  special functions (sqrt, log, erf, pow)", thousands(t["special_functions"]))]
               if t["special_functions"] else [])
    affine = f" / {thousands(t['affine'])}" if t["affine"] else ""
    return [
        ("MACs (mult-adds)", f"{thousands(t['macs'])} ({human(t['macs'])})"),
        ("FLOPs (all scalar ops)", f"{thousands(t['flops'])} ({human(t['flops'])})"),
        ("  mults / adds", f"{thousands(t['mults'])} / {thousands(t['adds'])}"),
        ("  comparisons / divisions / exp", f"{thousands(t['comparisons'])} / {thousands(t['divisions'])} / "
                                            f"{thousands(t['exponentials'])}"),
        *special,
        ("effective mults (no padding)", f"{thousands(t['effective_mults'])} "
                                         f"({percent(padding / t['mults']) if t['mults'] else '0.00%'} on padding)"),
        ("params (Keras total)", f"{thousands(t['params'])} ({human(t['params'])})"),
        ("  trainable / non-trainable", f"{thousands(t['trainable_params'])} / {thousands(t['non_trainable_params'])}"),
        ("  weights / biases / BN" + (" / affine" if affine else ""),
         f"{thousands(t['weights'])} / {thousands(t['biases'])} / "
         f"{thousands(t['bn_trainable'] + t['bn_non_trainable'])}{affine}"),
        ("peak activation memory", f"{human_bytes(t['peak_activation_bytes'])} "
                                   f"({thousands(t['peak_activation_elements'])} elements, {analysis.dtype})"),
        ("parameter memory", f"{human_bytes(t['weight_bytes'])} ({thousands(t['weight_bytes'])} bytes, "
                             f"{analysis.weight_dtype})"),
        ("layers", thousands(t["layers"])),
    ]
