"""Activations: relu, relu6, sigmoid, tanh, softmax. No parameters; output shape = input shape.

Per element (E = elements of the tensor), as written in docs/conventions.md:

    relu     max(x, 0)                      1 comparison
    relu6    min(max(x, 0), 6)              2 comparisons
    sigmoid  1 / (1 + exp(-x))              1 exponential, 1 add, 1 division
    tanh     (e - 1) / (e + 1), e = exp(2x) 1 mult, 1 exponential, 2 adds, 1 division
    softmax  over the last axis of length n, per row: n-1 comparisons (the max), n subtractions,
             n exponentials, n-1 adds (the sum), n divisions
"""

from __future__ import annotations

from convcost.layers.base import Cost, Field, LayerKind, NoAttrs, Shape, elements


def _relu(shape: Shape) -> Cost:
    return Cost(comparisons=elements(shape))


def _relu6(shape: Shape) -> Cost:
    return Cost(comparisons=2 * elements(shape))


def _sigmoid(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(exponentials=n, adds=n, divisions=n)


def _tanh(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(mults=n, effective_mults=n, exponentials=n, adds=2 * n, divisions=n)


def _softmax(shape: Shape) -> Cost:
    n = shape[-1] if shape else 1
    rows = elements(shape) // n if n else 0
    return Cost(comparisons=rows * (n - 1), adds=rows * n + rows * (n - 1), exponentials=rows * n, divisions=rows * n)


ACTIVATION_COSTS = {"relu": _relu, "relu6": _relu6, "sigmoid": _sigmoid, "tanh": _tanh, "softmax": _softmax}

# Keras' fused ``activation=`` argument of Conv2D, Conv3D, DepthwiseConv2D and Dense: the spec
# language expands it into an activation layer of its own right after the layer.
FUSED_ACTIVATION = Field("activation", default=None, choices=tuple(ACTIVATION_COSTS) + ("linear",),
                         doc="Keras' fused activation: a layer of its own right after this one, "
                             "named <name>_<activation>; linear for none")


def _same_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    return inputs[0]


def _kind(name: str, summary: str) -> LayerKind[NoAttrs]:
    cost_of = ACTIVATION_COSTS[name]
    return LayerKind(name, summary, {}, NoAttrs, _same_shape, lambda attrs, inputs, out: cost_of(out))


KINDS: list[LayerKind] = [
    _kind("relu", "rectified linear unit, max(x, 0)"),
    _kind("relu6", "ReLU capped at 6, min(max(x, 0), 6)"),
    _kind("sigmoid", "logistic sigmoid, 1 / (1 + exp(-x))"),
    _kind("tanh", "hyperbolic tangent"),
    _kind("softmax", "softmax over the last axis"),
]
