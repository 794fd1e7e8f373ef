"""Dense (fully connected): ``units`` outputs, each a dot product with the last input axis.

On an input of shape ``(..., n)`` it acts on the last axis, as in Keras:
``macs = prod(leading axes) · n · units``, ``weights = n · units``, ``biases = units``.
MobileNet's classifier: 1024 · 1000 = 1,024,000 MACs and weights, 1,000 biases.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from convcost.layers.activation import FUSED_ACTIVATION
from convcost.layers.base import Cost, Field, LayerKind, Part, Shape, ShapeError


class DenseAttrs(NamedTuple):
    units: int
    bias: bool


def _shape(attrs: DenseAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with at least one axis")
    return inputs[0][:-1] + (attrs.units,)


def _cost(attrs: DenseAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = inputs[0][-1]
    outputs = math.prod(out)
    weights = n * attrs.units
    return Cost(
        macs=outputs * n,
        mults=outputs * n,
        adds=outputs * (n - 1) + (outputs if attrs.bias else 0),
        effective_mults=outputs * n,
        weights=weights,
        biases=attrs.units if attrs.bias else 0,
        parts=(Part("dense", outputs * n, weights),),
    )


def _describe(attrs: DenseAttrs) -> str:
    return str(attrs.units)


KINDS: list[LayerKind] = [
    LayerKind("dense", "fully connected layer on the last axis",
              {"units": Field("int", required=True, minimum=1, doc="number of outputs"),
               "bias": Field("bool", default=True, doc="add a learned bias per output"),
               "activation": FUSED_ACTIVATION},
              DenseAttrs, _shape, _cost, _describe),
]
