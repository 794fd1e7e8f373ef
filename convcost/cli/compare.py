"""convcost compare A [B]: two specs, or one spec with two sets of parameters, side by side."""

from __future__ import annotations

from typing import List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    BATCH,
    BATCH_HELP,
    DTYPE_HELP,
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SET_HELP,
    SPEC_HELP,
    WEIGHT_DTYPE_HELP,
    Dtype,
    TableFormat,
    WeightDtype,
    escaped_stdout,
    examples,
    fail,
    handled,
    parameter_names,
    parse_sets,
    report_warnings,
    use_color,
    write,
)


@app.command(epilog=examples(
    "convcost compare mobilenet_conv mobilenet              (the MobileNet paper's Table 4)",
    "convcost compare mobilenet --set-b alpha=0.75          (one spec, two parameter sets)",
    "convcost compare mobilenet mobilenet_shallow --format markdown"))
def compare(
    spec_a: str = typer.Argument(..., help="Spec A. " + SPEC_HELP, metavar="A"),
    spec_b: Optional[str] = typer.Argument(None, help="Spec B (default: A again, with --set-b).", metavar="[B]"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", help=SET_HELP + " Applies to both.",
                                             metavar="NAME=VALUE"),
    set_a: Optional[List[str]] = typer.Option(None, "--set-a", help="Override a parameter of A only.",
                                              metavar="NAME=VALUE"),
    set_b: Optional[List[str]] = typer.Option(None, "--set-b", help="Override a parameter of B only.",
                                              metavar="NAME=VALUE"),
    format: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Output format."),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", metavar="SHAPE",
                                                    help=INPUT_SHAPE_HELP + " Applies to both."),
    all_layers: bool = typer.Option(False, "--all", help="List unchanged layers too."),
    batch: int = typer.Option(1, "--batch", parser=BATCH, metavar="N", help=BATCH_HELP),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help=DTYPE_HELP),
    weight_dtype: WeightDtype = typer.Option(WeightDtype.float32, "--weight-dtype", help=WEIGHT_DTYPE_HELP),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Totals of A and B side by side (B − A and B / A) and the layers that differ, matched by name.

    A layer is removed (-) when only A has its name, added (+) when only B has it,
    changed (~) when its configuration, shapes or counts differ.
    """
    with handled(debug):
        import convcost
        from convcost.compare import compare as run

        both, only_a, only_b = parse_sets(set_), parse_sets(set_a), parse_sets(set_b)
        for name in set(both) & (set(only_a) | set(only_b)):
            fail(f"--set {name} and --set-a/--set-b {name} are both given")
        shapes = input_shape or ()
        spec_a_parsed = convcost.load(spec_a, input_shapes=shapes, overrides={**both, **only_a})
        if spec_b is None and not only_a and not only_b:
            known = spec_a_parsed.parameter_names
            fail("compare needs two sides: without B, --set-a or --set-b, A would be compared with itself",
                 hint=f"give a second spec B, or --set-b {known[0] if known else 'NAME'}=VALUE to compare A with "
                      f"other parameter values ({parameter_names(spec_a_parsed)})")
        spec_b_parsed = spec_a_parsed if spec_b is None or spec_b == spec_a else \
            convcost.load(spec_b, input_shapes=shapes, overrides={**both, **only_b})
        a = convcost.analyze(spec_a_parsed, {**both, **only_a}, batch=batch, dtype=dtype.value,
                             weight_dtype=weight_dtype.value)
        b = convcost.analyze(spec_b_parsed, {**both, **only_b}, batch=batch, dtype=dtype.value,
                             weight_dtype=weight_dtype.value)
        report_warnings(a.warnings + b.warnings, no_warn)
        label_a, label_b = _labels(spec_a_parsed.name, spec_b_parsed.name, only_a, only_b)
        result = run(a, b, label_a, label_b)
        from convcost.render import compare as render

        if format is TableFormat.table:
            write(render.to_table(result, all_layers, color=use_color()), styled=True)
            return
        if format.value == "json":
            render.write_json(result, escaped_stdout(json=True), all_layers)
            return
        renderers = {"csv": render.to_csv, "markdown": render.to_markdown}
        write(renderers[format.value](result, all_layers=all_layers))


def _labels(name_a: str, name_b: str, only_a: dict, only_b: dict) -> tuple[str, str]:
    def label(name: str, overrides: dict) -> str:
        return name + (" (" + ", ".join(f"{k}={v}" for k, v in overrides.items()) + ")" if overrides else "")

    a, b = label(name_a, only_a), label(name_b, only_b)
    if a == b:
        a, b = a + " [A]", b + " [B]"
    return a, b

