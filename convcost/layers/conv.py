"""Convolutions: conv2d, conv3d, depthwise_conv2d and separable_conv2d.

All of them are one computation (GUIDE.md section 3): for each output position and output channel,
a dot product of ``K_h·K_w(·K_d)·C_in/groups`` weights with an input window. So

    macs    = output positions · C_out · prod(kernel) · C_in / groups
    weights = prod(kernel) · C_in / groups · C_out,   biases = C_out (when bias)

Seed example (7×7×3 input, 128 filters 3×3, valid): 5·5 · 128 · 3·3·3 = 86,400 MACs, 3,456 weights;
its depthwise separable form: 5·5·3·3·3 = 675 + 5·5·3·128 = 9,600, total 10,275.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

from convcost.layers.activation import ACTIVATION_COSTS, FUSED_ACTIVATION
from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Padding,
    Pads,
    Part,
    Shape,
    ShapeError,
    check_dimensions,
    describe_padding,
    real_taps,
    require_rank,
    window_geometry,
)

# --- the attribute records (fields in the order of the kinds' spec fields) ---------------------

class ConvAttrs(NamedTuple):
    """conv1d, conv2d and conv3d: sizes have one entry per spatial axis (1, 2 or 3)."""

    filters: int
    kernel: Shape
    stride: Shape
    padding: Padding
    dilation: Shape
    groups: int
    bias: bool


class DepthwiseConvAttrs(NamedTuple):
    """depthwise_conv2d."""

    kernel: Shape
    stride: Shape
    padding: Padding
    dilation: Shape
    depth_multiplier: int
    bias: bool


class SeparableConvAttrs(NamedTuple):
    """separable_conv2d; ``activation`` is the one between the two steps ('none' for none)."""

    filters: int
    kernel: Shape
    stride: Shape
    padding: Padding
    dilation: Shape
    depth_multiplier: int
    bias: bool
    order: str  # depthwise_first | pointwise_first
    activation: str


WindowAttrs = ConvAttrs | DepthwiseConvAttrs | SeparableConvAttrs
# one step of a convolution: (input, output, kernel, stride, pads, dilation, groups, bias)
Step = tuple[Shape, Shape, Shape, Shape, Pads, Shape, int, bool]


def _conv_fields(rank: int, *, filters: bool, groups: bool, depth_multiplier: bool,
                 fused_activation: bool = True) -> dict[str, Field]:
    spec: dict[str, Field] = {}
    if filters:
        spec["filters"] = Field("int", required=True, minimum=1, doc="number of output channels")
    spec["kernel"] = Field("size", required=True, minimum=1, rank=rank,
                           doc="kernel size: an int, or a list of one size per spatial axis")
    spec["stride"] = Field("size", default=1, minimum=1, rank=rank, doc="step between windows")
    spec["padding"] = Field("padding", default="valid", rank=rank,
                            doc="valid | same | int | per-axis ints | per-axis [begin, end] pairs")
    spec["dilation"] = Field("size", default=1, minimum=1, rank=rank, doc="spacing between kernel taps")
    if groups:
        spec["groups"] = Field("int", default=1, minimum=1, doc="channel groups; must divide input and output channels")
    if depth_multiplier:
        spec["depth_multiplier"] = Field("int", default=1, minimum=1, doc="output channels per input channel")
    spec["bias"] = Field("bool", default=True, doc="add a learned bias per output channel")
    if fused_activation:
        spec["activation"] = FUSED_ACTIVATION
    return spec


def _category(kernel: Shape, c_in: int, groups: int) -> str:
    if groups == 1:
        return "conv 1x1" if max(kernel) == 1 else "full conv"
    return "depthwise" if groups == c_in else "grouped conv"


def conv_cost(in_shape: Shape, out_shape: Shape, kernel: Shape, stride: Shape, pads: Pads, dilation: Shape,
              groups: int, bias: bool) -> Cost:
    """The cost of one grouped convolution from ``in_shape`` to ``out_shape`` (channels last).

    ``conv_cost((7, 7, 3), (5, 5, 128), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1, False).macs == 86_400``
    """
    c_in, c_out = in_shape[-1], out_shape[-1]
    outputs = math.prod(out_shape)
    reduction = math.prod(kernel) * (c_in // groups)  # weights in one dot product
    inside = real_taps(in_shape[:-1], out_shape[:-1], kernel, stride, dilation, pads)
    weights = reduction * c_out
    return Cost(
        macs=outputs * reduction,
        mults=outputs * reduction,
        adds=outputs * (reduction - 1) + (outputs if bias else 0),
        effective_mults=inside * c_out * (c_in // groups),
        weights=weights,
        biases=c_out if bias else 0,
        parts=(Part(_category(kernel, c_in, groups), outputs * reduction, weights),),
    )


LAYOUTS = {1: "[L, C]", 2: "[H, W, C]", 3: "[D, H, W, C]"}  # a windowed layer's input, by spatial rank


def _geometry(attrs: WindowAttrs, in_shape: Shape, kind: str) -> tuple[Pads, Shape]:
    """(padding pairs, output spatial sizes) of a windowed layer on ``in_shape``."""
    rank = len(attrs.kernel)
    require_rank(in_shape, rank + 1, kind, LAYOUTS[rank])
    return window_geometry(in_shape[:-1], attrs.kernel, attrs.stride, attrs.padding, attrs.dilation)


def _check_groups(c_in: int, filters: int, groups: int, kind: str) -> None:
    if c_in % groups or filters % groups:
        common = math.gcd(c_in, filters)
        hint = None
        if common <= 10**8:
            small = [g for g in range(1, math.isqrt(common) + 1) if common % g == 0]
            divisors = sorted(set(small + [common // g for g in small]))
            hint = ("groups that divide both: " + ", ".join(map(str, divisors[:12]))
                    + (", …" if len(divisors) > 12 else ""))
        raise ShapeError("E405", f"groups={groups} must divide both the input channels ({c_in}) and the filters "
                                 f"({filters})", field="groups", hint=hint)


# --- conv2d / conv3d ----------------------------------------------------------------------------

def _conv_shape(kind: str) -> Callable[[ConvAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: ConvAttrs, inputs: tuple[Shape, ...]) -> Shape:
        require_rank(inputs[0], len(attrs.kernel) + 1, kind, LAYOUTS[len(attrs.kernel)])
        _check_groups(inputs[0][-1], attrs.filters, attrs.groups, kind)
        _, spatial = _geometry(attrs, inputs[0], kind)
        return spatial + (attrs.filters,)
    return output_shape


def _conv_cost(attrs: ConvAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    pads, _ = window_geometry(inputs[0][:-1], attrs.kernel, attrs.stride, attrs.padding, attrs.dilation)
    return conv_cost(inputs[0], out, attrs.kernel, attrs.stride, pads, attrs.dilation, attrs.groups, attrs.bias)


def _window_text(attrs: WindowAttrs) -> str:
    text = "×".join(map(str, attrs.kernel))
    if any(s != 1 for s in attrs.stride):
        text += "/" + ("×".join(map(str, attrs.stride)) if len(set(attrs.stride)) > 1 else str(attrs.stride[0]))
    if any(d != 1 for d in attrs.dilation):
        text += " d" + ",".join(map(str, attrs.dilation))
    return text + describe_padding(attrs.padding)


def _describe_conv(attrs: ConvAttrs) -> str:
    text = f"{attrs.filters} {_window_text(attrs)}"
    return text + (f" g{attrs.groups}" if attrs.groups != 1 else "")


CONV2D = LayerKind(
    "conv2d", "2-D convolution (standard, pointwise, grouped, dilated, spatially separable k×1 / 1×k)",
    _conv_fields(2, filters=True, groups=True, depth_multiplier=False), ConvAttrs,
    _conv_shape("conv2d"), _conv_cost, _describe_conv)

CONV3D = LayerKind(
    "conv3d", "3-D convolution over [D, H, W, C] inputs",
    _conv_fields(3, filters=True, groups=True, depth_multiplier=False), ConvAttrs,
    _conv_shape("conv3d"), _conv_cost, _describe_conv)


# --- depthwise_conv2d ---------------------------------------------------------------------------

def _depthwise_shape(attrs: DepthwiseConvAttrs, inputs: tuple[Shape, ...]) -> Shape:
    _, spatial = _geometry(attrs, inputs[0], "depthwise_conv2d")
    return check_dimensions(spatial + (inputs[0][-1] * attrs.depth_multiplier,))


def _depthwise_cost(attrs: DepthwiseConvAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """A convolution with groups = C_in: ``M·D_K²·D_G²`` for depth multiplier 1 (MobileNet eq. 3)."""
    pads, _ = window_geometry(inputs[0][:-1], attrs.kernel, attrs.stride, attrs.padding, attrs.dilation)
    return conv_cost(inputs[0], out, attrs.kernel, attrs.stride, pads, attrs.dilation, inputs[0][-1], attrs.bias)


def _describe_depthwise(attrs: DepthwiseConvAttrs) -> str:
    return "dw " + _window_text(attrs) + (f" ×{attrs.depth_multiplier}" if attrs.depth_multiplier != 1 else "")


DEPTHWISE_CONV2D = LayerKind(
    "depthwise_conv2d", "depthwise 2-D convolution: one kernel per input channel (× depth_multiplier)",
    _conv_fields(2, filters=False, groups=False, depth_multiplier=True), DepthwiseConvAttrs,
    _depthwise_shape, _depthwise_cost, _describe_depthwise)


# --- separable_conv2d ---------------------------------------------------------------------------

def separable_steps(attrs: SeparableConvAttrs, in_shape: Shape) -> list[Step]:
    """The two convolutions as (input, output, kernel, stride, pads, dilation, groups, bias) tuples.

    depthwise_first (Keras SeparableConv2D, MobileNet): depthwise k×k with stride and padding on
    C_in channels, then pointwise 1×1 to ``filters``; bias on the pointwise step.
    pointwise_first (the seeds' "modified" / Inception-style order): pointwise 1×1 to ``filters``,
    then depthwise k×k with stride and padding; output ``filters · depth_multiplier`` channels,
    bias on the depthwise step.
    """
    kind = "separable_conv2d"
    require_rank(in_shape, 3, kind, "[H, W, C]")
    ones = (1, 1)
    no_pad = ((0, 0), (0, 0))
    dm = attrs.depth_multiplier
    if attrs.order == "depthwise_first":
        pads, spatial = _geometry(attrs, in_shape, kind)
        mid = spatial + (in_shape[-1] * dm,)
        out = spatial + (attrs.filters,)
        return [(in_shape, mid, attrs.kernel, attrs.stride, pads, attrs.dilation, in_shape[-1], False),
                (mid, out, ones, ones, no_pad, ones, 1, attrs.bias)]
    mid = in_shape[:-1] + (attrs.filters,)
    pads, spatial = _geometry(attrs, mid, kind)
    out = spatial + (attrs.filters * dm,)
    return [(in_shape, mid, ones, ones, no_pad, ones, 1, False),
            (mid, out, attrs.kernel, attrs.stride, pads, attrs.dilation, attrs.filters, attrs.bias)]


def _separable_shape(attrs: SeparableConvAttrs, inputs: tuple[Shape, ...]) -> Shape:
    steps = separable_steps(attrs, inputs[0])
    check_dimensions(steps[0][1])
    return check_dimensions(steps[-1][1])


def _separable_cost(attrs: SeparableConvAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """Depthwise cost + pointwise cost (+ the in-between activation on the intermediate tensor):
    ``M·D_K²·D_G² + M·N·D_G²`` (MobileNet eq. 5)."""
    steps = separable_steps(attrs, inputs[0])
    first, second = (conv_cost(*step) for step in steps)
    between = ACTIVATION_COSTS[attrs.activation](steps[0][1]) if attrs.activation != "none" else Cost()
    return first + between + second


def _describe_separable(attrs: SeparableConvAttrs) -> str:
    text = f"{attrs.filters} {_window_text(attrs)}"
    if attrs.order == "pointwise_first":
        text += " pw-first"
    if attrs.activation != "none":
        text += f" +{attrs.activation}"
    return text


SEPARABLE_CONV2D = LayerKind(
    "separable_conv2d", "depthwise separable 2-D convolution (depthwise then pointwise, or pointwise first)",
    # 'activation' here is the one between the two steps (Inception-style), not Keras' fused one
    {**_conv_fields(2, filters=True, groups=False, depth_multiplier=True, fused_activation=False),
     "order": Field("choice", default="depthwise_first", choices=("depthwise_first", "pointwise_first"),
                    doc="which step runs first"),
     "activation": Field("choice", default="none", choices=("none", "relu", "relu6", "sigmoid", "tanh"),
                         doc="activation applied between the two steps (one after the layer is a layer "
                             "of its own)")},
    SeparableConvAttrs, _separable_shape, _separable_cost, _describe_separable)

# --- conv1d (issue 12) ---------------------------------------------------------------------------
# The same rule as conv2d over [L, C] inputs (Keras Conv1D, PyTorch Conv1d channels-last): a 1-D
# kernel of k taps, so macs = L_out · C_out · k · C_in / groups. Worked example (hand-derived):
# [100, 16] input, 32 filters, kernel 5, valid: L_out = 96, macs = 96·32·5·16 = 245,760,
# weights = 5·16·32 = 2,560, adds = 96·32·(80 − 1) + 96·32 (bias) = 245,760.

CONV1D = LayerKind(
    "conv1d", "1-D convolution over [L, C] inputs (sequences, audio, signals)",
    _conv_fields(1, filters=True, groups=True, depth_multiplier=False), ConvAttrs,
    _conv_shape("conv1d"), _conv_cost, _describe_conv)

KINDS: list[LayerKind] = [CONV2D, CONV3D, DEPTHWISE_CONV2D, SEPARABLE_CONV2D, CONV1D]
