"""convcost kinds [KIND]: the layer kinds and their fields."""

from __future__ import annotations

from typing import Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import fail, write


@app.command()
def kinds(kind: Optional[str] = typer.Argument(None, help="Show the fields of this kind.")) -> None:
    """List the layer kinds a spec can use, or one kind's fields (docs/spec.md has examples)."""
    from convcost.errors import did_you_mean
    from convcost.layers import KINDS

    if kind is None:
        width = max(map(len, KINDS))
        write("\n".join(f"{name:<{width}}  {k.summary}" for name, k in KINDS.items()))
        return
    if kind not in KINDS:
        fail(f"unknown layer kind '{kind}'" + (f"; {did_you_mean(kind, KINDS)}" if did_you_mean(kind, KINDS) else ""))
    layer = KINDS[kind]
    lines = [f"{kind}: {layer.summary}"]
    if layer.min_inputs > 1 and layer.max_inputs == layer.min_inputs:
        lines.append(f"  inputs: exactly {layer.min_inputs} earlier layers (required)")
    elif layer.min_inputs > 1:
        lines.append("  inputs: two or more earlier layers (required)")
    for name, spec in layer.fields.items():
        choices = f" [{' | '.join(spec.choices)}]" if spec.choices else ""
        if spec.required:
            default = " (required)"
        elif "(default" in spec.doc:  # the text says it: "step between windows (default: kernel)"
            default = ""
        else:
            default = f" (default {yaml_value(spec.default)})"
        lines.append(f"  {name}: {spec.doc}{choices}{default}")
    if not layer.fields:
        lines.append("  (no fields)")
    write("\n".join(lines))


def yaml_value(value: object) -> str:
    """A default as a spec writes it: ``True -> 'true'``, ``None -> 'null'``, ``1 -> '1'``, ``'valid'``."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value)
