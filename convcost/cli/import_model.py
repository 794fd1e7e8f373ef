"""convcost import MODEL: a Keras or ONNX model as a readable spec."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import (
    INPUT_SHAPE_HELP,
    NO_WARN_HELP,
    SET_HELP,
    examples,
    handled,
    parse_sets,
    report_warnings,
    say,
    write,
)

MODEL_HELP = ("A Keras model (.keras, .h5 with the extra convcost[h5], or a model.to_json() .json file) or an ONNX "
              "model (.onnx). Read as data: nothing in it is run, and weights are not read.")


@app.command("import", epilog=examples(
    "convcost import tests/data/models/small_cnn.keras -o small_cnn.yaml",
    "convcost import tests/data/models/small_cnn.keras --input-shape 160,160,3",
    "convcost report tests/data/models/small_cnn.keras",
    after="Every command that takes a spec takes a model file too (report, verify, check, compare, sweep, "
          "explain): it is imported as this command would write it. docs/import.md lists the Keras classes "
          "and ONNX ops convcost maps, and how."))
def import_model(
    model: str = typer.Argument(..., help=MODEL_HELP, metavar="MODEL"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write the spec to FILE (whole, or not at all) instead of standard "
                                               "output."),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help=INPUT_SHAPE_HELP, metavar="SHAPE"),
    set_: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="NAME=VALUE",
                                             help=SET_HELP + " An imported input size (height, width) set here "
                                                             "becomes the spec's default."),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Write a spec for a Keras or ONNX model: its layers under their own names, the input's size as
    parameters (height, width), checked by building it before it is written.

    A layer class or op convcost cannot map is an error naming it and where it sits, never a
    layer left out.
    """
    with handled(debug):
        from convcost.analysis import analyze
        from convcost.importers import imported_spec_text
        from convcost.language import loads
        from convcost.language.loader import imported_label

        if output is not None:
            from convcost.files import check_output_path

            check_output_path(output, "--output")
        overrides = parse_sets(set_)
        text = imported_spec_text(model, input_shape or (), overrides)
        spec = loads(text, imported_label(model))
        result = analyze(spec.build(overrides))  # a spec that does not build is not written
        report_warnings(result.warnings, no_warn)
        if output is None:
            write(text)
        else:
            from convcost.files import atomic_output

            with atomic_output(output, "--output") as handle:
                handle.write(text.encode("utf-8"))
        totals = result.totals
        say(f"{'wrote ' + str(output) if output else 'imported'}: {len(result.layers):,} layers, "
            f"{totals.params:,} parameters ({totals.trainable_params:,} trainable), {totals.macs:,} MACs")
