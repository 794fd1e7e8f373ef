"""Pooling: max/average over windows (2-D and 3-D) and global max/average pooling.

Windowed pooling uses the convolution geometry with dilation 1; ``stride`` defaults to the
kernel size, as in Keras. Per output element with a window of ``k = prod(kernel)`` taps:

    max      k - 1 comparisons        (padding taps included, as for convolutions)
    average  k - 1 adds, 1 division

Global pooling reduces every spatial axis to one value per channel: ``S - 1`` comparisons or
``S - 1`` adds and 1 division per channel, ``S`` the number of spatial positions.
MobileNet: global average pooling of 7×7×1024 is 1024·48 adds and 1024 divisions.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Padding,
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
    """max/average pooling, 2-D and 3-D: sizes have one entry per spatial axis."""

    kernel: Shape
    stride: Shape | None  # None: the kernel size
    padding: Padding


class GlobalPoolAttrs(NamedTuple):
    """global max/average pooling."""

    keepdims: bool


def _fields(rank: int) -> dict[str, Field]:
    return {
        "kernel": Field("size", required=True, minimum=1, rank=rank, doc="window size"),
        "stride": Field("size", default=None, minimum=1, rank=rank, doc="step between windows (default: kernel)"),
        "padding": Field("padding", default="valid", rank=rank, doc="valid | same | int | per-axis ints or pairs"),
    }


def _stride(attrs: PoolAttrs) -> Shape:
    return attrs.stride if attrs.stride is not None else attrs.kernel


def check_padding(attrs: PoolAttrs) -> None:
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


def _pool_shape(kind: str) -> Callable[[PoolAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: PoolAttrs, inputs: tuple[Shape, ...]) -> Shape:
        rank = len(attrs.kernel)
        require_rank(inputs[0], rank + 1, kind, "[H, W, C]" if rank == 2 else "[D, H, W, C]")
        check_padding(attrs)
        _, spatial = window_geometry(inputs[0][:-1], attrs.kernel, _stride(attrs), attrs.padding, (1,) * rank)
        return spatial + (inputs[0][-1],)
    return output_shape


def _max_cost(attrs: PoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(comparisons=elements(out) * (math.prod(attrs.kernel) - 1))


def _average_cost(attrs: PoolAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(adds=elements(out) * (math.prod(attrs.kernel) - 1), divisions=elements(out))


def _describe(attrs: PoolAttrs) -> str:
    text = "×".join(map(str, attrs.kernel))
    stride = _stride(attrs)
    if any(s != 1 for s in stride):
        text += "/" + ("×".join(map(str, stride)) if len(set(stride)) > 1 else str(stride[0]))
    return text + (" valid" if attrs.padding == "valid" else describe_padding(attrs.padding))


def _global_shape(attrs: GlobalPoolAttrs, inputs: tuple[Shape, ...]) -> Shape:
    shape = inputs[0]
    if len(shape) < 2:
        raise ShapeError("E404", f"needs an input with spatial axes and channels ([H, W, C] or [D, H, W, C]), "
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
    LayerKind("average_pooling2d", "2-D average pooling", _fields(2), PoolAttrs, _pool_shape("average_pooling2d"),
              _average_cost, _describe),
    LayerKind("max_pooling3d", "3-D max pooling", _fields(3), PoolAttrs, _pool_shape("max_pooling3d"), _max_cost,
              _describe),
    LayerKind("average_pooling3d", "3-D average pooling", _fields(3), PoolAttrs, _pool_shape("average_pooling3d"),
              _average_cost, _describe),
    LayerKind("global_average_pooling", "average over all spatial positions, per channel (2-D or 3-D)",
              _GLOBAL_FIELDS, GlobalPoolAttrs, _global_shape, _global_average_cost),
    LayerKind("global_max_pooling", "maximum over all spatial positions, per channel (2-D or 3-D)",
              _GLOBAL_FIELDS, GlobalPoolAttrs, _global_shape, _global_max_cost),
]
