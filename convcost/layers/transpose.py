"""Transposed convolutions: conv2d_transpose and conv3d_transpose (issue 12).

A transposed convolution scatters: each input value is multiplied with every tap of its group's
filters, and the product of input position ``i`` with tap ``t`` lands on position ``i·s + t·d`` of
the full (uncropped) output, of length ``F = (n − 1)·s + d·(k − 1) + 1`` per axis. The output is
that full result cropped by the padding and extended at the end by ``output_padding``
(PyTorch's ConvTranspose):

    out = (n − 1)·s − p_begin − p_end + d·(k − 1) + output_padding + 1

``padding`` is PyTorch's: ``valid`` crops nothing (PyTorch padding=0), an int or [begin, end]
pairs crop that much from each end. ``same`` is Keras/TensorFlow's: ``out = n·s``, cropping
``(d·(k − 1) + 1 − s) // 2`` at the begin (the extra one at the end; when the kernel spans less
than the stride the output extends past ``F`` with positions that receive nothing). Keras' own
``valid`` with ``k < s`` and no output_padding gives ``n·s``: write ``output_padding: s − k``.
``output_padding`` must be below the stride or the dilation along each axis (PyTorch's rule,
else E410) and is refused with ``same`` (E411).

Counts (docs/conventions.md):

    macs = input positions · C_in · prod(kernel) · C_out / groups

every product is computed, including those that land on cropped positions. ``adds``: the products
of one input position with one tap of one filter are summed over the group's C_in / groups
channels, then the partial sums landing on one position of the full output are added: per full
output element, its contributions − 1 where it has any (a contribution is one input value × one
weight); + 1 per (kept) output element with a bias; an output position that nothing lands on
(stride larger than the dilated kernel, output_padding, ``same`` past ``F``) costs only its bias.
Per axis, the full positions with a contribution number ``Z = (k − c)·min(d', n) + c·n`` with
``g = gcd(s, d)``, ``s' = s/g``, ``d' = d/g``, ``c = min(k, s')`` (the taps fall into ``c`` residue
classes modulo ``s``; those of one class cover a run of input-length intervals ``d'`` apart), so

    adds = C_out · (C_in/groups · prod(n·k) − prod(Z)) (+ output elements with bias)

effective_mults = macs: every data operand is a real input value (nothing is padded on the input).

Worked example, ptflops issue #149 (which reports 208 MACs, counting output positions × taps as a
convolution would): PyTorch ``ConvTranspose2d(3, 1, 2, stride=2)`` on a 2×2×3 input. Output
(2 − 1)·2 + 2 = 4 per axis, 4×4×1. MACs = 4 input positions × 3 channels × 4 taps × 1 filter = 48.
Each of the 16 outputs receives exactly one tap of one input position (k = s: no overlap, no gap),
3 contributions: adds = 16·(3 − 1) + 16 (bias) = 48 (Z = 4 per axis: 1·(3·16 − 16) + 16).
Weights 2·2·3·1 = 12, biases 1.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from convcost.layers.activation import FUSED_ACTIVATION
from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Padding,
    Pads,
    Part,
    Shape,
    ShapeError,
    axis_name,
    check_dimensions,
    describe_padding,
    require_rank,
)

LAYOUTS = {1: "[L, C]", 2: "[H, W, C]", 3: "[D, H, W, C]"}


class ConvTransposeAttrs(NamedTuple):
    """conv2d_transpose and conv3d_transpose: sizes have one entry per spatial axis."""

    filters: int
    kernel: Shape
    stride: Shape
    padding: Padding
    output_padding: Shape
    dilation: Shape
    groups: int
    bias: bool


def _fields(rank: int) -> dict[str, Field]:
    return {
        "filters": Field("int", required=True, minimum=1, doc="number of output channels"),
        "kernel": Field("size", required=True, minimum=1, rank=rank,
                        doc="kernel size: an int, or a list of one size per spatial axis"),
        "stride": Field("size", default=1, minimum=1, rank=rank, doc="step between the input positions' "
                                                                     "places in the output (the upsampling factor)"),
        "padding": Field("padding", default="valid", rank=rank,
                         doc="valid (crop nothing) | same (out = n·stride, Keras) | int | per-axis ints | "
                             "per-axis [begin, end] pairs: cropped from the full output (PyTorch padding)"),
        "output_padding": Field("size", default=0, minimum=0, rank=rank,
                                doc="added at the end of each axis; below the stride or the dilation (PyTorch)"),
        "dilation": Field("size", default=1, minimum=1, rank=rank, doc="spacing between kernel taps"),
        "groups": Field("int", default=1, minimum=1, doc="channel groups; must divide input and output channels"),
        "bias": Field("bool", default=True, doc="add a learned bias per output channel"),
        "activation": FUSED_ACTIVATION,
    }


def transpose_output_size(n: int, kernel: int, stride: int, crop: tuple[int, int], output_padding: int,
                          dilation: int) -> int:
    """PyTorch's output length: ``(n − 1)·s − p_begin − p_end + d·(k − 1) + output_padding + 1``.

    ptflops #149: ``transpose_output_size(2, 2, 2, (0, 0), 0, 1) == 4``;
    ``transpose_output_size(7, 3, 2, (1, 1), 1, 1) == 14`` (a decoder doubling 7 to 14).
    """
    return (n - 1) * stride - crop[0] - crop[1] + dilation * (kernel - 1) + output_padding + 1


def transpose_crops(attrs: ConvTransposeAttrs, sizes: Shape) -> Pads:
    """(begin, end) cropped from the full output per axis; with ``same`` the end may be negative
    (the output extends past the full result): ``same`` makes ``out = n·s``."""
    if attrs.padding == "valid":
        return tuple((0, 0) for _ in sizes)
    if attrs.padding == "same":
        crops = []
        for n, k, s, d in zip(sizes, attrs.kernel, attrs.stride, attrs.dilation):
            full = (n - 1) * s + d * (k - 1) + 1
            begin = max(d * (k - 1) + 1 - s, 0) // 2
            crops.append((begin, full - begin - n * s))
        return tuple(crops)
    return attrs.padding


def covered_positions(n: int, kernel: int, stride: int, dilation: int) -> int:
    """Positions of the full output along one axis that receive at least one product:
    ``|{i·s + t·d : 0 <= i < n, 0 <= t < k}| = (k − c)·min(d', n) + c·n``, ``c = min(k, s')``.

    ``covered_positions(2, 2, 2, 1) == 4`` (every position once); ``covered_positions(2, 2, 3, 1) == 4``
    (of 5: position 2 gets nothing); ``covered_positions(4, 3, 1, 1) == 6`` (all of them).
    """
    g = math.gcd(stride, dilation)
    s, d = stride // g, dilation // g
    classes = min(kernel, s)
    return (kernel - classes) * min(d, n) + classes * n


def _geometry(attrs: ConvTransposeAttrs, in_shape: Shape, kind: str) -> tuple[Pads, Shape]:
    rank = len(attrs.kernel)
    require_rank(in_shape, rank + 1, kind, LAYOUTS[rank])
    sizes = in_shape[:-1]
    if attrs.padding == "same" and any(attrs.output_padding):
        raise ShapeError("E411", "output_padding applies with valid or explicit padding; padding: same already "
                                 "gives out = n·stride", field="output_padding",
                         hint="drop output_padding, or give the padding explicitly (PyTorch's padding)")
    for axis, (op, s, d) in enumerate(zip(attrs.output_padding, attrs.stride, attrs.dilation)):
        if op >= s and op >= d:
            raise ShapeError("E410", f"output_padding {op} along the {axis_name(axis, rank)} must be smaller than "
                                     f"the stride ({s}) or the dilation ({d})", field="output_padding",
                             hint=f"use an output_padding below {max(s, d)}, as PyTorch requires")
    crops = transpose_crops(attrs, sizes)
    out = []
    for axis, (n, k, s, c, op, d) in enumerate(zip(sizes, attrs.kernel, attrs.stride, crops, attrs.output_padding,
                                                   attrs.dilation)):
        size = n * s if attrs.padding == "same" else transpose_output_size(n, k, s, c, op, d)
        if size < 1:
            full = (n - 1) * s + d * (k - 1) + 1
            raise ShapeError("E403", f"the padding crops more than the output along the {axis_name(axis, rank)}: "
                                     f"the full output is {full} ((n − 1)·s + d·(k − 1) + 1) and padding {c[0]}+{c[1]} "
                                     f"leaves {size}, below 1", field="padding", hint="use less padding")
        out.append(size)
    return crops, tuple(out)


def _check_groups(c_in: int, filters: int, groups: int) -> None:
    if c_in % groups or filters % groups:
        raise ShapeError("E405", f"groups={groups} must divide both the input channels ({c_in}) and the filters "
                                 f"({filters})", field="groups")


def _shape(kind: str):
    def output_shape(attrs: ConvTransposeAttrs, inputs: tuple[Shape, ...]) -> Shape:
        _, spatial = _geometry(attrs, inputs[0], kind)
        _check_groups(inputs[0][-1], attrs.filters, attrs.groups)
        return check_dimensions(spatial + (attrs.filters,))
    return output_shape


def _cost(attrs: ConvTransposeAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """``macs = input positions · C_in · prod(kernel) · C_out / groups``; adds per full output
    element: contributions − 1 where it has any, + 1 per output with bias (module docstring)."""
    in_shape = inputs[0]
    c_in, c_out, groups = in_shape[-1], attrs.filters, attrs.groups
    positions, taps = math.prod(in_shape[:-1]), math.prod(attrs.kernel)
    macs = positions * c_in * taps * (c_out // groups)
    covered = math.prod(covered_positions(n, k, s, d)
                        for n, k, s, d in zip(in_shape[:-1], attrs.kernel, attrs.stride, attrs.dilation))
    weights = taps * (c_in // groups) * c_out
    outputs = math.prod(out)
    if groups == 1:  # the categories of conv.py
        category = "conv 1x1" if max(attrs.kernel) == 1 else "full conv"
    else:
        category = "depthwise" if groups == c_in else "grouped conv"
    return Cost(
        macs=macs, mults=macs, effective_mults=macs,
        adds=c_out * ((c_in // groups) * positions * taps - covered) + (outputs if attrs.bias else 0),
        weights=weights, biases=c_out if attrs.bias else 0,
        parts=(Part(category, macs, weights),),
    )


def _describe(attrs: ConvTransposeAttrs) -> str:
    text = f"{attrs.filters} " + "×".join(map(str, attrs.kernel))
    if any(s != 1 for s in attrs.stride):
        text += "/" + ("×".join(map(str, attrs.stride)) if len(set(attrs.stride)) > 1 else str(attrs.stride[0]))
    if any(d != 1 for d in attrs.dilation):
        text += " d" + ",".join(map(str, attrs.dilation))
    text += describe_padding(attrs.padding)
    if any(attrs.output_padding):
        text += " op" + ",".join(map(str, attrs.output_padding))
    return text + (f" g{attrs.groups}" if attrs.groups != 1 else "")


CONV2D_TRANSPOSE = LayerKind(
    "conv2d_transpose", "transposed 2-D convolution (deconvolution, learned upsampling; PyTorch ConvTranspose2d)",
    _fields(2), ConvTransposeAttrs, _shape("conv2d_transpose"), _cost, _describe)

CONV3D_TRANSPOSE = LayerKind(
    "conv3d_transpose", "transposed 3-D convolution over [D, H, W, C] inputs (PyTorch ConvTranspose3d)",
    _fields(3), ConvTransposeAttrs, _shape("conv3d_transpose"), _cost, _describe)

KINDS: list[LayerKind] = [CONV2D_TRANSPOSE, CONV3D_TRANSPOSE]
