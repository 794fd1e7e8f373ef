"""Activations: relu, relu6, sigmoid, tanh, softmax. No parameters; output shape = input shape.

Per element (E = elements of the tensor), as written in docs/conventions.md:

    relu     max(x, 0)                      1 comparison
    relu6    min(max(x, 0), 6)              2 comparisons
    sigmoid  1 / (1 + exp(-x))              1 exponential, 1 add, 1 division
    tanh     (e - 1) / (e + 1), e = exp(2x) 1 mult, 1 exponential, 2 adds, 1 division
    softmax  over the last axis of length n, per row: n-1 comparisons (the max), n subtractions,
             n exponentials, n-1 adds (the sum), n divisions

The activations of issue 12, each counted in exactly the form the executor computes; a branch
(leaky_relu, elu, prelu) counts what is computed for every element, whatever its sign:

    swish, silu   x / (1 + exp(-x))                     1 exponential, 1 add, 1 division
    hard_sigmoid  min(max(x + 3, 0), 6) / 6             1 add, 2 comparisons, 1 division
    hard_swish    x · (min(max(x + 3, 0), 6) / 6)       1 add, 2 comparisons, 1 division, 1 mult
    mish          x · tanh(log(1 + exp(x))), tanh as above
                                                        2 exponentials, 3 adds, 1 log, 2 mults, 1 division
    softplus      log(1 + exp(x))                       1 exponential, 1 add, 1 log
    linear        x                                     nothing
    leaky_relu    x if x > 0 else alpha · x             1 comparison, 1 mult
    elu           x if x > 0 else alpha · (exp(x) - 1)  1 comparison, 1 exponential, 1 add, 1 mult
    prelu         x if x > 0 else a_c · x               1 comparison, 1 mult; C affine parameters (a_c)
    gelu none     0.5 · x · (1 + erf(x / √2))           1 division, 1 erf, 1 add, 2 mults
    gelu tanh     0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), tanh as above
                                                        7 mults, 4 adds, 1 exponential, 1 division

(log and erf are ``special_functions``.) Example, hand-derived: gelu (tanh) on 7×7×512 = 25,088
elements is 175,616 mults, 100,352 adds, 25,088 exponentials and 25,088 divisions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, NoAttrs, Shape, ShapeError, elements


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


def _swish(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(exponentials=n, adds=n, divisions=n)


def _hard_sigmoid(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(adds=n, comparisons=2 * n, divisions=n)


def _hard_swish(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(adds=n, comparisons=2 * n, divisions=n, mults=n, effective_mults=n)


def _softplus(shape: Shape) -> Cost:
    n = elements(shape)
    return Cost(exponentials=n, adds=n, special_functions=n)


def _mish(shape: Shape) -> Cost:
    """softplus, then tanh, then the product with x."""
    n = elements(shape)
    return _softplus(shape) + _tanh(shape) + Cost(mults=n, effective_mults=n)


ACTIVATION_COSTS = {"relu": _relu, "relu6": _relu6, "sigmoid": _sigmoid, "tanh": _tanh, "softmax": _softmax,
                    "swish": _swish, "silu": _swish, "hard_sigmoid": _hard_sigmoid, "hard_swish": _hard_swish,
                    "mish": _mish, "softplus": _softplus}

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
    _kind("swish", "swish, x / (1 + exp(-x)) (= x · sigmoid(x); the same as silu)"),
    _kind("silu", "sigmoid linear unit, x / (1 + exp(-x)) (the same as swish)"),
    _kind("hard_sigmoid", "hard sigmoid, relu6(x + 3) / 6 (PyTorch, Keras 3)"),
    _kind("hard_swish", "hard swish, x · relu6(x + 3) / 6 (MobileNetV3)"),
    _kind("mish", "mish, x · tanh(softplus(x))"),
    _kind("softplus", "softplus, log(1 + exp(x))"),
]


# --- activations with fields or parameters (not fused: 'activation:' takes a name only) -------------

class LeakyReluAttrs(NamedTuple):
    alpha: int | Fraction  # the slope below 0: required, Keras (0.3, or 0.2 in keras.ops) and PyTorch (0.01) differ


class EluAttrs(NamedTuple):
    alpha: int | Fraction  # the limit below 0 is -alpha


class GeluAttrs(NamedTuple):
    approximate: str  # none (erf) or tanh


def _same(attrs: object, inputs: tuple[Shape, ...]) -> Shape:
    return inputs[0]


def _linear_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


def _leaky_cost(attrs: LeakyReluAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    return Cost(comparisons=n, mults=n, effective_mults=n)


def _elu_cost(attrs: EluAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    return Cost(comparisons=n, exponentials=n, adds=n, mults=n, effective_mults=n)


def _prelu_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with a channel axis")
    return inputs[0]


def _prelu_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    return Cost(comparisons=n, mults=n, effective_mults=n, affine=out[-1])


def _gelu_cost(attrs: GeluAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    if attrs.approximate == "tanh":
        # x·x·x (2), 0.044715·x³ (1), + x (1 add), √(2/π)·(…) (1), tanh, 1 + tanh (1 add), 0.5·x (1), · (1)
        return _tanh(out) + Cost(mults=6 * n, effective_mults=6 * n, adds=2 * n)
    return Cost(divisions=n, special_functions=n, adds=n, mults=2 * n, effective_mults=2 * n)


def _describe_alpha(attrs: LeakyReluAttrs | EluAttrs) -> str:
    return f"alpha {float(attrs.alpha):g}"


def _describe_gelu(attrs: GeluAttrs) -> str:
    return "tanh" if attrs.approximate == "tanh" else ""


KINDS += [
    LayerKind("linear", "the identity, no operations", {}, NoAttrs, _same, _linear_cost),
    LayerKind("leaky_relu", "leaky ReLU, x if x > 0 else alpha · x",
              {"alpha": Field("number", required=True, minimum=0,
                              doc="slope below 0, >= 0; required: Keras uses 0.3 (0.2 in keras.ops), PyTorch 0.01")},
              LeakyReluAttrs, _same, _leaky_cost, _describe_alpha),
    LayerKind("elu", "exponential linear unit, x if x > 0 else alpha · (exp(x) - 1)",
              {"alpha": Field("number", default=1, minimum=0,
                              doc="scale of the negative part, >= 0 (Keras, PyTorch: 1)")},
              EluAttrs, _same, _elu_cost, _describe_alpha),
    LayerKind("prelu", "parametric ReLU, x if x > 0 else a_c · x, one learned slope per channel", {}, NoAttrs,
              _prelu_shape, _prelu_cost),
    LayerKind("gelu", "Gaussian error linear unit, 0.5 · x · (1 + erf(x / √2)), or its tanh approximation",
              {"approximate": Field("choice", default="none", choices=("none", "tanh"),
                                    doc="none: the exact erf form; tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))")},
              GeluAttrs, _same, _gelu_cost, _describe_gelu),
]
