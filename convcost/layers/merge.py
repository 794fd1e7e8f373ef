"""Merge layers with two or more inputs: add (elementwise sum, e.g. a residual connection) and
concat (join along an axis, e.g. Inception branches).

add: all input shapes equal; ``(inputs - 1) · elements`` adds. concat: shapes equal except along
``axis``; no arithmetic.
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    NoAttrs,
    Shape,
    ShapeError,
    check_dimensions,
    elements,
    format_shape,
    resolve_axis,
)


class ConcatAttrs(NamedTuple):
    axis: int  # may be negative: -1 is the channel axis


def _shapes(inputs: tuple[Shape, ...]) -> str:
    shown = ", ".join(format_shape(s) for s in inputs[:6])
    return shown + (f", … ({len(inputs)} inputs)" if len(inputs) > 6 else "")


def _add_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    first = inputs[0]
    for other in inputs[1:]:
        if other != first:
            raise ShapeError("E402", f"the inputs of add must all have one shape, got {_shapes(inputs)}",
                             field="inputs",
                             hint="every input of add must have the same height, width and channels")
    return first


def _add_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(adds=(len(inputs) - 1) * elements(out))


def _concat_shape(attrs: ConcatAttrs, inputs: tuple[Shape, ...]) -> Shape:
    rank = len(inputs[0])
    axis = resolve_axis(attrs.axis, rank, "inputs")
    for other in inputs[1:]:
        if len(other) != rank or any(a != b for i, (a, b) in enumerate(zip(other, inputs[0])) if i != axis):
            raise ShapeError("E402", f"concat along axis {attrs.axis} needs inputs that agree on every other axis, "
                                     f"got {_shapes(inputs)}", field="inputs",
                             hint="inputs of concat must have the same rank and the same sizes except along 'axis'")
    return check_dimensions(inputs[0][:axis] + (sum(s[axis] for s in inputs),) + inputs[0][axis + 1:])


def _concat_cost(attrs: ConcatAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


def _describe_concat(attrs: ConcatAttrs) -> str:
    return f"axis {attrs.axis}" if attrs.axis != -1 else ""


KINDS: list[LayerKind] = [
    LayerKind("add", "elementwise sum of two or more inputs (residual connection)", {}, NoAttrs, _add_shape,
              _add_cost, min_inputs=2, max_inputs=None),
    LayerKind("concat", "join two or more inputs along an axis (default: channels)",
              {"axis": Field("int", default=-1, doc="axis to join along; -1 is the channel axis")},
              ConcatAttrs, _concat_shape, _concat_cost, _describe_concat, min_inputs=2, max_inputs=None),
]
