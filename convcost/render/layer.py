"""The one-layer calculator's answer as text or JSON (``convcost layer``)."""

from __future__ import annotations

import json
from fractions import Fraction

from convcost.analysis import Analysis
from convcost.render.numbers import shape
from convcost.single_layer import Alternative
from convcost.units import thousands


def fraction_text(value: Fraction | None) -> str:
    """``137/1152 = 0.118924``"""
    if value is None:
        return "—"
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value} = {float(value):.6g}"


def _layer_dict(analysis: Analysis) -> dict:
    record = analysis.layers[0]
    c = record.cost
    return {"kind": record.kind, "description": record.description, "input_shape": list(analysis.graph.input_shape),
            "output_shape": list(record.output_shape), "macs": c.macs, "mults": c.mults, "adds": c.adds,
            "comparisons": c.comparisons, "divisions": c.divisions, "exponentials": c.exponentials,
            "special_functions": c.special_functions,
            "flops": c.flops, "effective_mults": c.effective_mults, "params": c.params, "weights": c.weights,
            "biases": c.biases, "bn_trainable": c.bn_trainable, "bn_non_trainable": c.bn_non_trainable,
            "affine": c.affine}


def _fraction_dict(value: Fraction | None) -> dict | None:
    if value is None:
        return None
    return {"numerator": value.numerator, "denominator": value.denominator, "value": float(value)}


def to_dict(analysis: Analysis, alternative: Alternative | None = None) -> dict:
    from convcost.version import __version__

    data = {"convcost_version": __version__, "schema_version": 1, "layer": _layer_dict(analysis)}
    if alternative is not None:
        alt = alternative.analysis
        closed = alternative.closed_form
        data["vs"] = {
            "name": alternative.name,
            "description": alternative.description,
            "steps": [{"label": label, "kind": r.kind, "output_shape": list(r.output_shape), "mults": r.mults,
                       "adds": r.adds, "weights": r.weights, "biases": r.biases}
                      for label, r in zip(alternative.step_names, alt.layers)],
            "totals": {"mults": alt.totals.mults, "adds": alt.totals.adds, "weights": alt.totals.weights,
                       "biases": alt.totals.biases, "params": alt.totals.params},
            "mults_ratio": _fraction_dict(alternative.mults_ratio),
            "weights_ratio": _fraction_dict(alternative.weights_ratio),
            "closed_form": None if closed is None else {
                "formula": closed.formula, "substituted": closed.substituted, **(_fraction_dict(closed.value) or {}),
                "equals_mults_ratio": closed.value == alternative.mults_ratio},
            "closed_form_not_applicable": alternative.closed_form_reason or None,
            "per_channel_and_filter": None if alternative.per_pair is None else {
                k: v for k, v in alternative.per_pair.items() if not k.endswith("_text")},
        }
    return data


def to_json(analysis: Analysis, alternative: Alternative | None = None) -> str:
    return json.dumps(to_dict(analysis, alternative), indent=2, ensure_ascii=False)


def to_text(analysis: Analysis, alternative: Alternative | None = None) -> str:
    record = analysis.layers[0]
    c = record.cost
    lines = [f"{record.kind} {record.description}".rstrip() + f" on {shape(analysis.graph.input_shape)}",
             f"  output shape     {shape(record.output_shape)}",
             f"  mults            {thousands(c.mults)}" + (f"  (MACs {thousands(c.macs)})" if c.macs else ""),
             f"  adds             {thousands(c.adds)}"]
    if c.comparisons or c.divisions or c.exponentials:
        lines.append(f"  comparisons / divisions / exp  {thousands(c.comparisons)} / {thousands(c.divisions)} / "
                     f"{thousands(c.exponentials)}")
    if c.special_functions:
        lines.append(f"  special functions  {thousands(c.special_functions)}  (sqrt, log, erf, pow)")
    if c.mults != c.effective_mults:
        lines.append(f"  effective mults  {thousands(c.effective_mults)}  "
                     f"({thousands(c.mults - c.effective_mults)} multiply padding)")
    parts = [f"weights {thousands(c.weights)}", f"biases {thousands(c.biases)}"]
    if c.bn_trainable or c.bn_non_trainable:
        parts.append(f"batch norm {thousands(c.bn_trainable + c.bn_non_trainable)}")
    if c.affine:
        parts.append(f"affine {thousands(c.affine)}")
    lines.append(f"  params           {thousands(c.params)}  ({' + '.join(parts)})")
    if alternative is None:
        return "\n".join(lines) + "\n"

    alt = alternative.analysis
    lines += ["", f"vs {alternative.name.replace('-', ' ')}: {alternative.description}"]
    rows = [(label, shape(r.output_shape), thousands(r.mults), thousands(r.weights), thousands(r.biases))
            for label, r in zip(alternative.step_names, alt.layers)]
    rows.append(("total", "", thousands(alt.totals.mults), thousands(alt.totals.weights), thousands(alt.totals.biases)))
    rows.append((record.kind, shape(record.output_shape), thousands(c.mults), thousands(c.weights),
                 thousands(c.biases)))
    header = ("step", "output", "mults", "weights", "biases")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells) -> str:
        return "  " + "   ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                                 for i, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    lines.append(line(header))
    lines += [line(r) for r in rows]
    lines += ["",
              f"  mults ratio    {thousands(alt.totals.mults)} / {thousands(c.mults)} = "
              f"{fraction_text(alternative.mults_ratio)}",
              f"  weights ratio  {thousands(alt.totals.weights)} / {thousands(c.weights)} = "
              f"{fraction_text(alternative.weights_ratio)}"]
    pair = alternative.per_pair
    if pair is not None:
        lines += ["", f"  per input channel and filter (the seeds' count, n = {pair['n']}, f = {pair['f']}):",
                  f"    separable  {pair['separable_text']} = {thousands(pair['separable'])}",
                  f"    regular    {pair['regular_text']} = {thousands(pair['regular'])}",
                  f"    × {thousands(pair['pairs'])} channel-filter pairs: "
                  f"{thousands(pair['separable'] * pair['pairs'])} and {thousands(pair['regular'] * pair['pairs'])}"]
    closed = alternative.closed_form
    if closed is not None:
        verdict = ("equal to the exact mults ratio" if closed.value == alternative.mults_ratio
                   else "differs from the exact mults ratio")
        lines += ["", f"  seeds' closed form  {closed.formula} = {closed.substituted} = {fraction_text(closed.value)}"
                      f"  ({verdict})"]
    elif alternative.closed_form_reason:
        lines += ["", f"  seeds' closed form not shown: {alternative.closed_form_reason}"]
    return "\n".join(lines) + "\n"
