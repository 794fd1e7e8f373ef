"""convcost layer KIND --input 7x7x3 ...: one layer's output shape, mults, adds and params, without a
spec file; --vs adds a separable alternative, the exact ratio and the seeds' closed form."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from convcost.cli.base import app
from convcost.cli.common import NO_WARN_HELP, examples, handled, report_warnings, write


class LayerFormat(str, Enum):
    text = "text"
    json = "json"


class Versus(str, Enum):
    depthwise_separable = "depthwise-separable"
    spatially_separable = "spatially-separable"


SIZE = "an int, or one per spatial axis: 3x1 or 3,1"


@app.command(epilog=examples(
    "convcost layer conv2d --input 7x7x3 --filters 128 --kernel 3 --vs depthwise-separable",
    "convcost layer conv2d --input 7x7x1 --filters 1 --kernel 3 --vs spatially-separable",
    "convcost layer conv2d --input 299x299x3 --filters 32 --kernel 3 --stride 2 --padding 1",
    "convcost layer max_pooling2d --input 150x150x128 --kernel 3 --stride 2 --padding same",
    "convcost layer upsampling2d --input 28x28x512 --field size=2 --field interpolation=bilinear"))
def layer(
    kind: str = typer.Argument(..., help="The layer kind (see 'convcost kinds')."),
    input: str = typer.Option(..., "--input", "-i", help="Input shape without batch: 7x7x3 (H×W×C), "
                                                          "8x32x32x3 (D×H×W×C) or 1024; sizes 1 to 10^18, "
                                                          "digits 0-9.", metavar="SHAPE"),
    filters: Optional[str] = typer.Option(None, "--filters", help="Output channels (conv2d, conv3d, "
                                                                  "separable_conv2d)."),
    kernel: Optional[str] = typer.Option(None, "--kernel", "-k", help=f"Kernel or window size: {SIZE}."),
    stride: Optional[str] = typer.Option(None, "--stride", help=f"Stride: {SIZE}."),
    padding: Optional[str] = typer.Option(None, "--padding", help="valid | same | an int | per axis 1,0 | "
                                                                  "per axis begin:end pairs 0:1,0:1."),
    dilation: Optional[str] = typer.Option(None, "--dilation", help=f"Dilation: {SIZE}."),
    groups: Optional[str] = typer.Option(None, "--groups", help="Channel groups (conv2d, conv3d, group_norm)."),
    depth_multiplier: Optional[str] = typer.Option(None, "--depth-multiplier", help="Depthwise outputs per "
                                                                                    "input channel."),
    bias: Optional[bool] = typer.Option(None, "--bias/--no-bias", help="A learned bias per output "
                                                                       "(default: the kind's, true)."),
    units: Optional[str] = typer.Option(None, "--units", help="Outputs of a dense layer."),
    order: Optional[str] = typer.Option(None, "--order", help="separable_conv2d: depthwise_first | "
                                                              "pointwise_first."),
    activation: Optional[str] = typer.Option(None, "--activation", help="separable_conv2d: activation "
                                                                        "between the steps."),
    keepdims: Optional[bool] = typer.Option(None, "--keepdims/--no-keepdims", help="Global pooling: keep the "
                                                                                  "spatial axes (default: false)."),
    alpha: Optional[str] = typer.Option(None, "--alpha", help="leaky_relu, elu: the negative slope or scale; "
                                                             "local_response_norm: the window sum's scale."),
    approximate: Optional[str] = typer.Option(None, "--approximate", help="gelu: none | tanh."),
    axis: Optional[str] = typer.Option(None, "--axis", help="layer_norm: the axis normalized (default -1)."),
    size: Optional[str] = typer.Option(None, "--size", help="local_response_norm: channels in a window."),
    beta: Optional[str] = typer.Option(None, "--beta", help="local_response_norm: the exponent."),
    k: Optional[str] = typer.Option(None, "--k", help="local_response_norm: the additive constant."),
    output_padding: Optional[str] = typer.Option(None, "--output-padding", help="Transposed convolutions: added "
                                                 f"at the end of each axis, below the stride or the dilation: {SIZE}."),
    ceil_mode: Optional[bool] = typer.Option(None, "--ceil-mode/--no-ceil-mode", help="Windowed pooling: round "
                                             "the output size up (PyTorch, Caffe; default: false)."),
    count_include_pad: Optional[bool] = typer.Option(None, "--count-include-pad/--no-count-include-pad",
                                                     help="Average pooling: divide by the taps inside the padded "
                                                          "input (PyTorch) rather than the real positions "
                                                          "(default: false)."),
    output_size: Optional[str] = typer.Option(None, "--output-size", help=f"Adaptive pooling: the output size, "
                                                                          f"{SIZE}."),
    field: list[str] = typer.Option([], "--field", "-F", metavar="NAME=VALUE",
                                    help="Any field of the kind, as a spec writes it: --field "
                                         "interpolation=bilinear --field size=2x2 (repeatable; "
                                         "'convcost kinds KIND' lists the fields)."),
    vs: Optional[Versus] = typer.Option(None, "--vs", help="conv2d only: add a separable alternative's counts, "
                                                           "the exact ratio and the seeds' closed form."),
    format: LayerFormat = typer.Option(LayerFormat.text, "--format", "-f", help="Output format."),
    no_warn: bool = typer.Option(False, "--no-warn", help=NO_WARN_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """One layer's output shape, mults, adds and parameters (batch 1), with no spec file.

    Options take what a spec's fields take, within the spec's bounds (numbers of at most 100
    characters, exponents within ±400, sizes up to 10^18), and default to the same values.

    'convcost kinds KIND' lists a kind's fields.
    """
    with handled(debug):
        from convcost.analysis import analyze
        from convcost.render import layer as render
        from convcost.single_layer import alternative, build_layer, with_fields

        options = {"filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
                   "dilation": dilation, "groups": groups, "depth_multiplier": depth_multiplier, "bias": bias,
                   "units": units, "order": order, "activation": activation, "keepdims": keepdims,
                   "alpha": alpha, "approximate": approximate, "axis": axis, "size": size, "beta": beta, "k": k,
                   "output_padding": output_padding, "ceil_mode": ceil_mode, "count_include_pad": count_include_pad,
                   "output_size": output_size}
        result = analyze(build_layer(kind, input, with_fields(options, field)))
        report_warnings(result.warnings, no_warn)
        alt = alternative(vs.value, result) if vs is not None else None
        json = format is LayerFormat.json
        write(render.to_json(result, alt) if json else render.to_text(result, alt), json=json)
