"""Pooling: max/average over windows (1-D, 2-D and 3-D) and global max/average pooling.

Windowed pooling uses the convolution geometry with dilation 1; ``stride`` defaults to the
kernel size, as in Keras. Per output element with a window of ``k = prod(kernel)`` taps:

    max      k - 1 comparisons        (padding taps included, as for convolutions)
    average  k - 1 adds, 1 division

Global pooling reduces every spatial axis to one value per channel: ``S - 1`` comparisons or
``S - 1`` adds and 1 division per channel, ``S`` the number of spatial positions.
MobileNet: global average pooling of 7×7×1024 is 1024·48 adds and 1024 divisions.

Options (issue 12), both off by default so that every existing spec counts as before:

``ceil_mode: true`` rounds the output size up, as Caffe and PyTorch do:
``out = ceil((n + p_begin + p_end − k) / s) + 1``, less one if the last window would start at or
past ``n + p_begin`` (PyTorch's rule: the last window starts inside the input or the left padding).
The last window may then run past the padded input; it has only the taps inside the padded input
(``t`` of them, explicit padding included), and costs ``t − 1`` comparisons, or ``t − 1`` adds and
one division. Along one axis the windows hold ``out·k − max(0, (out − 1)·s + k − (n + p_begin +
p_end))`` taps in all; the product over axes is exact. Worked example (hand-derived): max pooling
k = 3, s = 2 on 6×6×1: floor mode gives 2×2 outputs, 4·8 = 32 comparisons; ceil mode gives 3×3
outputs, the last window on each axis has 2 taps, taps per axis 3 + 3 + 2 = 8, comparisons
8·8 − 9 = 55.

``count_include_pad`` (average pooling): the divisor of a window. false (the default, Keras/TF
``same``, and what convcost always did): the real input positions in the window. true (PyTorch's
default for explicit padding): the window's taps inside the padded input, explicit padding
included, the part past it in ceil mode excluded (as PyTorch's AvgPool). Counts do not change:
still one division per output.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Padding,
    Pads,
    Shape,
    ShapeError,
    axis_name,
    describe_padding,
    elements,
    format_shape,
    require_rank,
    window_geometry,
)


class PoolAttrs(NamedTuple):
    """max pooling, 1-D, 2-D and 3-D: sizes have one entry per spatial axis."""

    kernel: Shape
    stride: Shape | None  # None: the kernel size
    padding: Padding
    ceil_mode: bool = False


class AveragePoolAttrs(NamedTuple):
    """average pooling, 1-D, 2-D and 3-D: as PoolAttrs, and the divisor of a window."""

    kernel: Shape
    stride: Shape | None  # None: the kernel size
    padding: Padding
    ceil_mode: bool = False
    count_include_pad: bool = False


class GlobalPoolAttrs(NamedTuple):
    """global max/average pooling."""

    keepdims: bool


def _fields(rank: int, average: bool = False) -> dict[str, Field]:
    fields = {
        "kernel": Field("size", required=True, minimum=1, rank=rank, doc="window size"),
        "stride": Field("size", default=None, minimum=1, rank=rank, doc="step between windows (default: kernel)"),
        "padding": Field("padding", default="valid", rank=rank, doc="valid | same | int | per-axis ints or pairs"),
        "ceil_mode": Field("bool", default=False, doc="round the output size up (Caffe, PyTorch ceil_mode); the "
                                                      "last window may run past the input"),
    }
    if average:
        fields["count_include_pad"] = Field("bool", default=False,
                                            doc="divide by the window's taps inside the padded input, padding "
                                                "included (PyTorch's default); false: by its real positions "
                                                "(Keras/TF)")
    return fields


AnyPoolAttrs = PoolAttrs | AveragePoolAttrs


def _stride(attrs: AnyPoolAttrs) -> Shape:
    return attrs.stride if attrs.stride is not None else attrs.kernel


def pool_output_size(n: int, kernel: int, stride: int, pads: tuple[int, int], ceil_mode: bool) -> int:
    """Output length of a pooling window along one axis (dilation 1), Caffe/PyTorch rounding:
    ``floor`` or ``ceil((n + p_begin + p_end − k) / s) + 1``, and in ceil mode one less if the last
    window would start at or past ``n + p_begin``.

    ``pool_output_size(6, 3, 2, (0, 0), False) == 2``; ``pool_output_size(6, 3, 2, (0, 0), True) == 3``;
    ``pool_output_size(5, 2, 2, (1, 1), True) == 3`` (a 4th window would start in the right padding).
    """
    span = n + pads[0] + pads[1] - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and out > 1 and (out - 1) * stride >= n + pads[0]:
        out -= 1
    return out


def window_taps(n: int, n_out: int, kernel: int, stride: int, pads: tuple[int, int]) -> int:
    """Taps inside the padded input, summed over the ``n_out`` windows along one axis: every window
    has ``kernel`` of them except, in ceil mode, a last one that runs past the padded input.

    ``window_taps(6, 3, 3, 2, (0, 0)) == 8`` (3 + 3 + 2); ``window_taps(6, 2, 3, 2, (0, 0)) == 6``.
    """
    return n_out * kernel - max(0, (n_out - 1) * stride + kernel - (n + pads[0] + pads[1]))


def pool_geometry(attrs: AnyPoolAttrs, sizes: Shape) -> tuple[Pads, Shape]:
    """(padding pairs, output sizes) of a pooling window on ``sizes``; E403 where it does not fit."""
    rank = len(attrs.kernel)
    pads, out = window_geometry(sizes, attrs.kernel, _stride(attrs), attrs.padding, (1,) * rank)
    if attrs.ceil_mode:
        out = tuple(pool_output_size(n, k, s, p, True) for n, k, s, p in zip(sizes, attrs.kernel, _stride(attrs), pads))
    return pads, out


def _taps_total(attrs: AnyPoolAttrs, in_shape: Shape, out: Shape) -> int:
    """Window taps inside the padded input summed over every output position (one channel)."""
    pads, _ = pool_geometry(attrs, in_shape[:-1])
    if not attrs.ceil_mode:
        return math.prod(out[:-1]) * math.prod(attrs.kernel)
    return math.prod(window_taps(n, o, k, s, p)
                     for n, o, k, s, p in zip(in_shape[:-1], out[:-1], attrs.kernel, _stride(attrs), pads))


def check_padding(attrs: AnyPoolAttrs) -> None:
    """Explicit padding of at most ``kernel // 2`` on each side of each axis, as PyTorch requires:
    wider padding makes windows that lie mostly or wholly in padding, where a maximum or an
    average has no meaning. ``same`` never pads more than that."""
    if isinstance(attrs.padding, str):
        return
    rank = len(attrs.kernel)
    for axis, ((begin, end), k) in enumerate(zip(attrs.padding, attrs.kernel)):
        if max(begin, end) > k // 2:
            raise ShapeError("E205", f"padding must be at most {k // 2} on each side along the "
                                     f"{axis_name(axis, rank)}, half the window of {k} (kernel // 2); got {begin} "
                                     f"and {end}", field="padding",
                             hint="a window lying in padding has no meaning (PyTorch refuses it too); use less "
                                  "padding, padding: same, or a larger kernel")


_LAYOUTS = {1: "[L, C]", 2: "[H, W, C]", 3: "[D, H, W, C]"}


def _pool_shape(kind: str) -> Callable[[AnyPoolAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: AnyPoolAttrs, inputs: tuple[Shape, ...]) -> Shape:
        rank = len(attrs.kernel)
        require_rank(inputs[0], rank + 1, kind, _LAYOUTS[rank])
        check_padding(attrs)
        _, spatial = pool_geometry(attrs, inputs[0][:-1])
        return spatial + (inputs[0][-1],)
    return output_shape


def _max_cost(attrs: PoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """``Σ over windows (taps − 1)`` comparisons per channel: ``k − 1`` per output without ceil mode."""
    if not attrs.ceil_mode:
        return Cost(comparisons=elements(out) * (math.prod(attrs.kernel) - 1))
    return Cost(comparisons=out[-1] * _taps_total(attrs, inputs[0], out) - elements(out))


def _average_cost(attrs: AveragePoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """``Σ over windows (taps − 1)`` adds per channel and 1 division per output, whatever the divisor."""
    if not attrs.ceil_mode:
        return Cost(adds=elements(out) * (math.prod(attrs.kernel) - 1), divisions=elements(out))
    return Cost(adds=out[-1] * _taps_total(attrs, inputs[0], out) - elements(out), divisions=elements(out))


def _describe(attrs: AnyPoolAttrs) -> str:
    text = "×".join(map(str, attrs.kernel))
    stride = _stride(attrs)
    if any(s != 1 for s in stride):
        text += "/" + ("×".join(map(str, stride)) if len(set(stride)) > 1 else str(stride[0]))
    text += " valid" if attrs.padding == "valid" else describe_padding(attrs.padding)
    if attrs.ceil_mode:
        text += " ceil"
    if isinstance(attrs, AveragePoolAttrs) and attrs.count_include_pad:
        text += " incl-pad"
    return text


def _global_shape(attrs: GlobalPoolAttrs, inputs: tuple[Shape, ...]) -> Shape:
    shape = inputs[0]
    if len(shape) < 2:
        raise ShapeError("E404", f"needs an input with spatial axes and channels ([L, C], [H, W, C] or [D, H, W, C]), "
                                 f"got {format_shape(shape)} (rank {len(shape)})",
                         hint="its input has no spatial axes (after flatten, dense or global pooling)")
    return (1,) * (len(shape) - 1) + (shape[-1],) if attrs.keepdims else (shape[-1],)


def _global_max_cost(attrs: GlobalPoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    positions = elements(inputs[0][:-1])
    return Cost(comparisons=inputs[0][-1] * (positions - 1))


def _global_average_cost(attrs: GlobalPoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    positions = elements(inputs[0][:-1])
    return Cost(adds=inputs[0][-1] * (positions - 1), divisions=inputs[0][-1])


_GLOBAL_FIELDS = {"keepdims": Field("bool", default=False, doc="keep the spatial axes as size 1")}

KINDS: list[LayerKind] = [
    LayerKind("max_pooling2d", "2-D max pooling", _fields(2), PoolAttrs, _pool_shape("max_pooling2d"), _max_cost,
              _describe),
    LayerKind("average_pooling2d", "2-D average pooling", _fields(2, average=True), AveragePoolAttrs,
              _pool_shape("average_pooling2d"), _average_cost, _describe),
    LayerKind("max_pooling3d", "3-D max pooling", _fields(3), PoolAttrs, _pool_shape("max_pooling3d"), _max_cost,
              _describe),
    LayerKind("average_pooling3d", "3-D average pooling", _fields(3, average=True), AveragePoolAttrs,
              _pool_shape("average_pooling3d"), _average_cost, _describe),
    LayerKind("global_average_pooling", "average over all spatial positions, per channel (1-D, 2-D or 3-D)",
              _GLOBAL_FIELDS, GlobalPoolAttrs, _global_shape, _global_average_cost),
    LayerKind("global_max_pooling", "maximum over all spatial positions, per channel (1-D, 2-D or 3-D)",
              _GLOBAL_FIELDS, GlobalPoolAttrs, _global_shape, _global_max_cost),
    # issue 12: 1-D pooling over [L, C] inputs (Keras MaxPooling1D / AveragePooling1D)
    LayerKind("max_pooling1d", "1-D max pooling over [L, C] inputs", _fields(1), PoolAttrs,
              _pool_shape("max_pooling1d"), _max_cost, _describe),
    LayerKind("average_pooling1d", "1-D average pooling over [L, C] inputs", _fields(1, average=True),
              AveragePoolAttrs, _pool_shape("average_pooling1d"), _average_cost, _describe),
]


# --- adaptive pooling (issue 12) -----------------------------------------------------------------
# PyTorch's AdaptiveAvgPool / AdaptiveMaxPool: output bin i along an axis of length n covers
# [floor(i·n/o), ceil((i + 1)·n/o)); bins may differ in size and overlap. Per axis the bins hold
# Σ_i (ceil((i + 1)·n/o) − floor(i·n/o)) = n + o − gcd(n, o) taps in all (ceil(j·n/o) exceeds
# floor(j·n/o) by one unless o divides j·n, which happens gcd(n, o) times for j = 1..o), and the
# product over axes is exact. A bin of b taps costs b − 1 comparisons, or b − 1 adds and 1 division.
# Worked example (hand-derived): torchvision's VGG16 at 256×256 ends its features at 8×8×512 and
# pools them to 7×7: every bin 2 wide (8 + 7 − 1 = 14 taps per axis), adds 512·(14·14 − 49) =
# 75,264, divisions 25,088; at 224×224 the features are 7×7 already: bins of one, 0 adds.
# AlexNet at 256×256: 7×7×256 to 6×6: 12 taps per axis, adds 256·(144 − 36) = 27,648.


class AdaptivePoolAttrs(NamedTuple):
    """adaptive max/average pooling: the output size per spatial axis."""

    output_size: Shape


def adaptive_bins_taps(n: int, o: int) -> int:
    """Taps of all ``o`` bins along an axis of length ``n``: ``n + o − gcd(n, o)``.

    ``adaptive_bins_taps(8, 7) == 14``; ``adaptive_bins_taps(5, 3) == 7`` (bins 2, 3, 2);
    ``adaptive_bins_taps(7, 7) == 7``; ``adaptive_bins_taps(3, 6) == 6`` (each position twice).
    """
    return n + o - math.gcd(n, o)


def _adaptive_shape(kind: str) -> Callable[[AdaptivePoolAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: AdaptivePoolAttrs, inputs: tuple[Shape, ...]) -> Shape:
        require_rank(inputs[0], len(attrs.output_size) + 1, kind, _LAYOUTS[len(attrs.output_size)])
        return tuple(attrs.output_size) + (inputs[0][-1],)
    return output_shape


def _adaptive_taps(attrs: AdaptivePoolAttrs, inputs: tuple[Shape, ...]) -> int:
    return math.prod(adaptive_bins_taps(n, o) for n, o in zip(inputs[0][:-1], attrs.output_size))


def _adaptive_max_cost(attrs: AdaptivePoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(comparisons=out[-1] * _adaptive_taps(attrs, inputs) - elements(out))


def _adaptive_average_cost(attrs: AdaptivePoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(adds=out[-1] * _adaptive_taps(attrs, inputs) - elements(out), divisions=elements(out))


def _describe_adaptive(attrs: AdaptivePoolAttrs) -> str:
    return "to " + "×".join(map(str, attrs.output_size))


def _adaptive_fields(rank: int) -> dict[str, Field]:
    return {"output_size": Field("size", required=True, minimum=1, rank=rank,
                                 doc="output size per spatial axis (an int or a list); bins "
                                     "[floor(i·n/o), ceil((i + 1)·n/o)) as PyTorch's adaptive pooling")}


KINDS += [
    LayerKind("adaptive_average_pooling2d", "2-D adaptive average pooling to a fixed output size (PyTorch "
              "AdaptiveAvgPool2d)", _adaptive_fields(2), AdaptivePoolAttrs,
              _adaptive_shape("adaptive_average_pooling2d"), _adaptive_average_cost, _describe_adaptive),
    LayerKind("adaptive_max_pooling2d", "2-D adaptive max pooling to a fixed output size (PyTorch AdaptiveMaxPool2d)",
              _adaptive_fields(2), AdaptivePoolAttrs, _adaptive_shape("adaptive_max_pooling2d"), _adaptive_max_cost,
              _describe_adaptive),
    LayerKind("adaptive_average_pooling1d", "1-D adaptive average pooling over [L, C] to a fixed length (PyTorch "
              "AdaptiveAvgPool1d)", _adaptive_fields(1), AdaptivePoolAttrs,
              _adaptive_shape("adaptive_average_pooling1d"), _adaptive_average_cost, _describe_adaptive),
    LayerKind("adaptive_max_pooling1d", "1-D adaptive max pooling over [L, C] to a fixed length (PyTorch "
              "AdaptiveMaxPool1d)", _adaptive_fields(1), AdaptivePoolAttrs, _adaptive_shape("adaptive_max_pooling1d"),
              _adaptive_max_cost, _describe_adaptive),
]
