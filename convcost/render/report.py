"""The report as JSON, CSV or Markdown (the rich table lives in convcost.cli.report)."""

from __future__ import annotations

import json

from convcost.analysis import Analysis
from convcost.render.numbers import percent, shape
from convcost.units import human, human_bytes, thousands

CSV_COLUMNS = ["name", "kind", "description", "inputs", "output_shape", "macs", "mults", "adds", "comparisons",
               "divisions", "exponentials", "flops", "effective_mults", "params", "trainable_params",
               "non_trainable_params", "weights", "biases", "bn_trainable", "bn_non_trainable",
               "activation_elements", "activation_bytes", "macs_share"]

BREAKDOWN_LABELS = {"conv 1x1": "Conv 1×1", "depthwise": "Conv DW", "full conv": "Conv (full)",
                    "grouped conv": "Conv (grouped)", "dense": "Fully connected"}


def to_json(analysis: Analysis) -> str:
    """The JSON report, a key per line and a layer per line: readable, and written by json's C encoder
    (``indent`` would switch json to its pure-Python encoder, several times slower on a large network)."""
    data = analysis.to_dict()
    layers = data.pop("layers")
    lines = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}," for key, value in data.items()]
    body = ",\n    ".join(json.dumps(layer, ensure_ascii=False) for layer in layers)
    lines.append(f'  "layers": [\n    {body}\n  ]' if layers else '  "layers": []')
    return "{\n" + "\n".join(lines) + "\n}"


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


def to_markdown(analysis: Analysis) -> str:
    data = analysis.to_dict()
    t = data["totals"]
    lines = [f"# {data['name']}", "",
             f"Input {shape(data['input_shape'])}, batch {data['batch']}, {data['dtype']}"
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
        lines.append(f"| {BREAKDOWN_LABELS[row['category']]} | {thousands(row['macs'])} | {percent(row['macs_share'])} | "
                     f"{thousands(row['weights'])} | {percent(row['weights_share'])} |")
    return "\n".join(lines) + "\n"


def totals_rows(analysis: Analysis) -> list[tuple[str, str]]:
    """(label, value) rows for the totals, shared by the Markdown and table renderers."""
    t = analysis.totals_dict()
    padding = t["padding_mults"]
    return [
        ("MACs (mult-adds)", f"{thousands(t['macs'])} ({human(t['macs'])})"),
        ("FLOPs (all scalar ops)", f"{thousands(t['flops'])} ({human(t['flops'])})"),
        ("  mults / adds", f"{thousands(t['mults'])} / {thousands(t['adds'])}"),
        ("  comparisons / divisions / exp", f"{thousands(t['comparisons'])} / {thousands(t['divisions'])} / "
                                            f"{thousands(t['exponentials'])}"),
        ("effective mults (no padding)", f"{thousands(t['effective_mults'])} "
                                         f"({percent(padding / t['mults']) if t['mults'] else '0.00%'} on padding)"),
        ("params (Keras total)", f"{thousands(t['params'])} ({human(t['params'])})"),
        ("  trainable / non-trainable", f"{thousands(t['trainable_params'])} / {thousands(t['non_trainable_params'])}"),
        ("  weights / biases / BN", f"{thousands(t['weights'])} / {thousands(t['biases'])} / "
                                    f"{thousands(t['bn_trainable'] + t['bn_non_trainable'])}"),
        ("peak activation memory", f"{human_bytes(t['peak_activation_bytes'])} "
                                   f"({thousands(t['peak_activation_elements'])} elements, {analysis.dtype})"),
        ("layers", thousands(t["layers"])),
    ]
