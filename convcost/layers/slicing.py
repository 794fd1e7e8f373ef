"""slice: a range of one axis, ``x[..., start:stop:step, ...]`` (ONNX Slice on one axis; ONNX
Split into unequal parts, one slice per part). Python's semantics: negative ``start`` and
``stop`` count from the end, values beyond the axis are clamped (as NumPy and ONNX clamp), ``stop``
null is the end, ``step`` >= 1. Nothing is computed and nothing is learned; the output is a tensor
of its own for peak memory. An empty result is E261.

``slice_length(64, 0, 16, 1) == 16`` (the first part of ONNX ``Split(split=[16, 48])`` on 64
channels); ``slice_length(64, 16, None, 1) == 48``; ``slice_length(10, -3, None, 1) == 3``;
``slice_length(10, 1, 100, 3) == 3`` (indices 1, 4, 7).
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, Shape, ShapeError, resolve_axis


class SliceAttrs(NamedTuple):
    axis: int  # may be negative: -1 is the channel axis
    start: int
    stop: int | None  # None: to the end
    step: int  # >= 1


def slice_length(n: int, start: int, stop: int | None, step: int) -> int:
    """Elements of ``range(n)[start:stop:step]``, for axes of any size (no list is made)."""
    return len(range(*slice(start, stop, step).indices(n)))


def _shape(attrs: SliceAttrs, inputs: tuple[Shape, ...]) -> Shape:
    shape = inputs[0]
    axis = resolve_axis(attrs.axis, len(shape))
    length = slice_length(shape[axis], attrs.start, attrs.stop, attrs.step)
    if length == 0:
        stop = "" if attrs.stop is None else str(attrs.stop)
        raise ShapeError("E261", f"[{attrs.start}:{stop}:{attrs.step}] of axis {attrs.axis} (size {shape[axis]}) "
                                 "selects nothing: the output would be empty", field="start",
                         hint=f"start and stop count from 0 to {shape[axis]}, or from the end when negative")
    return shape[:axis] + (length,) + shape[axis + 1:]


def _cost(attrs: SliceAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


def _describe(attrs: SliceAttrs) -> str:
    stop = "" if attrs.stop is None else str(attrs.stop)
    step = "" if attrs.step == 1 else f":{attrs.step}"
    return f"[{attrs.start}:{stop}{step}]" + (f" axis {attrs.axis}" if attrs.axis != -1 else "")


KINDS: list[LayerKind] = [
    LayerKind("slice", "a range start:stop:step of one axis (default the channels), as Python slices; no arithmetic",
              {"axis": Field("int", default=-1, doc="the axis sliced; -1 is the channel axis"),
               "start": Field("int", default=0, doc="the first index; negative counts from the end"),
               "stop": Field("int", doc="the index after the last (not included); negative counts from the end; "
                                        "null: the end"),
               "step": Field("int", default=1, minimum=1, doc="the stride between the indices kept")},
              SliceAttrs, _shape, _cost, _describe),
]
