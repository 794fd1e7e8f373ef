"""Elementwise layers with broadcasting: multiply (squeeze-and-excitation gates), subtract, and scale
(a learned per-channel multiply: ConvNeXt's layer scale).

Broadcasting follows NumPy's rules on the channels-last shapes without the batch axis: shapes are
aligned at their last axis, a missing leading axis counts as 1, and two sizes agree when they are
equal or one of them is 1. So a squeeze-and-excitation gate of ``[1, 1, C]`` (after a reshape) and
the 1-D ``[C]`` gate straight after global pooling both broadcast against ``[H, W, C]``; ``[7, C]``
against ``[7, 6, C]`` does not (it is aligned with ``[W, C]``, not ``[H, C]``).

Counts, with E the elements of the output (docs/conventions.md):

    multiply   y = x_1 · x_2 · … · x_k     (k − 1)·E mults (each extra input multiplies the whole output)
    subtract   y = x_1 − x_2               E adds (a subtraction is an add)
    scale      y = x · γ_c                 E mults, C affine parameters (γ, one per channel)

A squeeze-and-excitation gate on 7×7×512: ``multiply`` of [7, 7, 512] and [512] is 25,088 mults.
``add`` keeps its own rule (every input of one shape): broadcasting it would turn today's E402
errors into networks.
"""

from __future__ import annotations

from typing import Callable

from convcost.layers.base import Cost, LayerKind, NoAttrs, Shape, ShapeError, check_dimensions, elements, format_shape


def broadcast_shape(inputs: tuple[Shape, ...]) -> Shape | None:
    """NumPy's broadcast of channels-last shapes, or None when they do not broadcast.

    ``broadcast_shape(((7, 7, 512), (512,))) == (7, 7, 512)``;
    ``broadcast_shape(((7, 7, 512), (1, 1, 512))) == (7, 7, 512)``;
    ``broadcast_shape(((7, 6, 512), (7, 512))) is None``.
    """
    rank = max(len(s) for s in inputs)
    out = []
    for axis in range(rank):
        sizes = {s[len(s) - rank + axis] for s in inputs if len(s) - rank + axis >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _broadcast(kind: str) -> Callable[[NoAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
        out = broadcast_shape(inputs)
        if out is None:
            shown = ", ".join(format_shape(s) for s in inputs[:6]) + (", …" if len(inputs) > 6 else "")
            raise ShapeError("E402", f"the inputs of {kind} do not broadcast: got {shown}", field="inputs",
                             hint="NumPy's rule over [H, W, C] without the batch: sizes aligned at the channel "
                                  "axis must be equal or 1 ([H, W, C] with [1, 1, C] or [C])")
        return check_dimensions(out)
    return output_shape


def _multiply_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = (len(inputs) - 1) * elements(out)
    return Cost(mults=n, effective_mults=n)


def _subtract_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(adds=elements(out))


def _scale_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with a channel axis")
    return inputs[0]


def _scale_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    return Cost(mults=n, effective_mults=n, affine=out[-1])


KINDS: list[LayerKind] = [
    LayerKind("multiply", "elementwise product of two or more inputs, NumPy broadcasting (squeeze-and-excitation)",
              {}, NoAttrs, _broadcast("multiply"), _multiply_cost, min_inputs=2, max_inputs=None),
    LayerKind("subtract", "elementwise difference of exactly two inputs, first minus second, NumPy broadcasting",
              {}, NoAttrs, _broadcast("subtract"), _subtract_cost, min_inputs=2, max_inputs=2),
    LayerKind("scale", "learned per-channel factor, x · gamma_c (ConvNeXt layer scale)", {}, NoAttrs, _scale_shape,
              _scale_cost),
]
