"""Layers that rearrange a tensor without arithmetic: reshape (a new shape, the same elements in
row-major order), channel_shuffle (ShuffleNet's reshape to [.., g, C/g], transpose, flatten) and
split (one of ``parts`` equal pieces along an axis, ShuffleNetV2's ``x.chunk(2)``: two split layers
reading the same input). None of them computes anything; their outputs are tensors of their own
for peak memory (docs/conventions.md, "Activations and memory").
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Shape,
    ShapeError,
    check_dimensions,
    elements,
    format_shape,
    resolve_axis,
)


class ReshapeAttrs(NamedTuple):
    shape: tuple[int, ...]  # the output shape without the batch axis; at most one entry is -1


class ChannelShuffleAttrs(NamedTuple):
    groups: int


class SplitAttrs(NamedTuple):
    parts: int  # equal pieces along axis
    part: int  # which one, 0-based
    axis: int  # may be negative: -1 is the channel axis


def reshape_output(shape: tuple[int, ...], given: Shape) -> Shape:
    """The output of reshaping ``given`` to ``shape`` (one entry may be -1: inferred), or
    ShapeError E422 when the element counts differ.

    ``reshape_output((-1, 16), (7, 7, 16)) == (49, 16)``; ``reshape_output((8, 8), (4, 4, 4)) == (8, 8)``.
    """
    total = elements(given)
    known = elements(tuple(n for n in shape if n != -1))
    if -1 in shape:
        if total % known:
            raise ShapeError("E422", f"cannot reshape {format_shape(given)} ({total:,} elements) to "
                                     f"[{', '.join(map(str, shape))}]: {total:,} is not a multiple of the other "
                                     f"entries' product {known:,}", field="shape")
        return check_dimensions(tuple(total // known if n == -1 else n for n in shape))
    if known != total:
        raise ShapeError("E422", f"cannot reshape {format_shape(given)} ({total:,} elements) to "
                                 f"{format_shape(shape)} ({known:,} elements): the element counts must match",
                         field="shape", hint="write -1 for the one axis to infer")
    return shape


def _reshape_shape(attrs: ReshapeAttrs, inputs: tuple[Shape, ...]) -> Shape:
    return reshape_output(attrs.shape, inputs[0])


def _describe_reshape(attrs: ReshapeAttrs) -> str:
    return "[" + ", ".join(map(str, attrs.shape)) + "]"


def _channel_shuffle_shape(attrs: ChannelShuffleAttrs, inputs: tuple[Shape, ...]) -> Shape:
    """The input's shape; E405 unless ``groups`` divides the channels (the last axis)."""
    channels = inputs[0][-1]
    if channels % attrs.groups:
        fits = [g for g in range(2, min(channels, 64) + 1) if channels % g == 0][:8]
        raise ShapeError("E405", f"groups={attrs.groups} must divide the channels ({channels})", field="groups",
                         hint=f"groups that divide {channels}: {', '.join(map(str, fits))}" if fits else None)
    return inputs[0]


def _describe_groups(attrs: ChannelShuffleAttrs) -> str:
    return f"groups {attrs.groups}"


def _split_shape(attrs: SplitAttrs, inputs: tuple[Shape, ...]) -> Shape:
    """The input with ``axis`` divided by ``parts``: ``(28, 28, 116)``, parts 2 -> ``(28, 28, 58)``;
    E205 if ``part`` is not below ``parts``, E420 unless ``parts`` divides the axis."""
    if attrs.part >= attrs.parts:
        raise ShapeError("E205", f"part must be < parts ({attrs.parts}): parts are numbered from 0, got "
                                 f"{attrs.part}", field="part")
    shape = inputs[0]
    axis = resolve_axis(attrs.axis, len(shape))
    if shape[axis] % attrs.parts:
        raise ShapeError("E420", f"parts={attrs.parts} must divide the axis being split: axis {attrs.axis} of "
                                 f"{format_shape(shape)} is {shape[axis]}", field="parts")
    return shape[:axis] + (shape[axis] // attrs.parts,) + shape[axis + 1:]


def _describe_split(attrs: SplitAttrs) -> str:
    return f"{attrs.part + 1} of {attrs.parts}" + (f" axis {attrs.axis}" if attrs.axis != -1 else "")


def _no_cost(attrs: object, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


KINDS: list[LayerKind] = [
    LayerKind("reshape", "the same elements in a new shape (row-major order)",
              {"shape": Field("shape", required=True, rank=4,
                              doc="the output shape without the batch axis, 1 to 4 entries; one may be -1")},
              ReshapeAttrs, _reshape_shape, _no_cost, _describe_reshape),
    LayerKind("channel_shuffle", "ShuffleNet's channel shuffle: [.., g, C/g] -> transpose -> flatten",
              {"groups": Field("int", required=True, minimum=1, doc="g, which must divide the channels")},
              ChannelShuffleAttrs, _channel_shuffle_shape, _no_cost, _describe_groups),
    LayerKind("split", "one of several equal parts along an axis (ShuffleNetV2's channel split)",
              {"parts": Field("int", required=True, minimum=1, doc="how many equal parts, dividing the axis"),
               "part": Field("int", required=True, minimum=0, doc="which part, from 0"),
               "axis": Field("int", default=-1, doc="axis to split; -1 is the channel axis")},
              SplitAttrs, _split_shape, _no_cost, _describe_split),
]
