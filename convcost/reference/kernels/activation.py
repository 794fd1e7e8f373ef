"""Reference activations, each written in the form whose operations the convention counts.

    relu     max(x, 0)
    relu6    min(max(x, 0), 6)
    sigmoid  1 / (1 + exp(-x))
    tanh     1 - 2 / (exp(2x) + 1)   (= (e - 1)/(e + 1), e = exp(2x): 1 mult, 1 exp, 2 adds, 1 division,
                                      and it stays finite where exp(2x) overflows)
    softmax  e = exp(x - max(x)); e / sum(e), over the last axis

and those of issue 12 (docs/conventions.md counts each in this form; a branch computes both sides
for every element and selects, uncounted, with np.where):

    swish, silu   x / (1 + exp(-x))
    hard_sigmoid  min(max(x + 3, 0), 6) / 6
    hard_swish    x · (min(max(x + 3, 0), 6) / 6)
    softplus      log(1 + exp(x))
    mish          x · tanh(softplus(x))
    linear        x
    leaky_relu    where(x > 0, x, alpha · x)
    elu           where(x > 0, x, alpha · (exp(x) - 1))
    prelu         where(x > 0, x, a_c · x), a (C,) in the ``affine`` group
    gelu          0.5·x · (1 + erf(x / √2)); tanh: 0.5·x · (1 + tanh(√(2/π)·(x + 0.044715·x·x·x)))

Every function returns a new array and never writes to its input (another layer may read it).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter, select
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec, elements


def relu(ops: Counter, x: np.ndarray) -> np.ndarray:
    return ops.maximum(x, 0)


def relu6(ops: Counter, x: np.ndarray) -> np.ndarray:
    y = ops.maximum(x, 0)
    return ops.minimum(y, 6, out=y)


def sigmoid(ops: Counter, x: np.ndarray) -> np.ndarray:
    e = ops.exp(x, negate=True, out=np.empty_like(x))  # exp(-x); inf for very negative x gives 1/inf = 0
    d = ops.add(e, 1, out=e)
    return ops.divide(1, d, out=d)


def tanh(ops: Counter, x: np.ndarray) -> np.ndarray:
    t = ops.multiply(x, 2)
    e = ops.exp(t, out=t)
    d = ops.add(e, 1, out=e)
    r = ops.divide(2, d, out=d)
    return ops.subtract(1, r, out=r)


def softmax(ops: Counter, x: np.ndarray) -> np.ndarray:
    """Over the last axis: per row of n, n - 1 comparisons, n subtractions, n exps, n - 1 adds,
    n divisions."""
    top = ops.max(x, axis=-1, keepdims=True)
    e = ops.subtract(x, top)
    e = ops.exp(e, out=e)
    total = ops.sum(e, axis=-1, keepdims=True)
    return ops.divide(e, total, out=e)


def swish(ops: Counter, x: np.ndarray) -> np.ndarray:
    e = ops.exp(x, negate=True, out=np.empty_like(x))
    d = ops.add(e, 1, out=e)
    return ops.divide(x, d, out=d)


def hard_sigmoid(ops: Counter, x: np.ndarray) -> np.ndarray:
    t = ops.add(x, 3)
    t = ops.maximum(t, 0, out=t)
    t = ops.minimum(t, 6, out=t)
    return ops.divide(t, 6, out=t)


def hard_swish(ops: Counter, x: np.ndarray) -> np.ndarray:
    t = hard_sigmoid(ops, x)
    return ops.multiply(x, t, out=t)


def softplus(ops: Counter, x: np.ndarray) -> np.ndarray:
    e = ops.exp(x, out=np.empty_like(x))  # inf where x is large: log(inf) = inf, the limit of the form
    d = ops.add(e, 1, out=e)
    return ops.log(d, out=d)


def mish(ops: Counter, x: np.ndarray) -> np.ndarray:
    t = tanh(ops, softplus(ops, x))
    return ops.multiply(x, t, out=t)


def gelu(ops: Counter, x: np.ndarray) -> np.ndarray:
    """0.5·x · (1 + erf(x / √2)): 1 division, 1 erf, 1 add, 2 mults per element."""
    u = ops.erf(ops.divide(x, math.sqrt(2)))
    u = ops.add(u, 1, out=u)
    h = ops.multiply(x, 0.5)
    return ops.multiply(h, u, out=h)


def gelu_tanh(ops: Counter, x: np.ndarray) -> np.ndarray:
    """0.5·x · (1 + tanh(√(2/π)·(x + 0.044715·x·x·x))): 7 mults, 4 adds, 1 exp, 1 division."""
    inner = ops.multiply(x, x)
    inner = ops.multiply(inner, x, out=inner)
    inner = ops.multiply(inner, 0.044715, out=inner)
    inner = ops.add(inner, x, out=inner)
    inner = ops.multiply(inner, math.sqrt(2 / math.pi), out=inner)
    t = tanh(ops, inner)
    t = ops.add(t, 1, out=t)
    h = ops.multiply(x, 0.5)
    return ops.multiply(h, t, out=h)


ACTIVATIONS = {"relu": relu, "relu6": relu6, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
               "swish": swish, "silu": swish, "hard_sigmoid": hard_sigmoid, "hard_swish": hard_swish,
               "mish": mish, "softplus": softplus}


def activate(ops: Counter, name: str, x: np.ndarray) -> np.ndarray:
    """``x`` through the activation ``name`` ('none' returns ``x`` itself)."""
    return x if name == "none" else ACTIVATIONS[name](ops, x)


# temporaries besides the output, in tensors of the input's size (mish keeps softplus beside tanh's)
_SCRATCH = {"mish": 1}


def _plan(name: str, shape: tuple[int, ...]) -> Plan:
    """Softmax keeps each row's maximum and sum (one element per row each) beside its output."""
    rows = math.prod(shape[:-1]) if shape else 1
    return Plan(shape, scratch=2 * rows if name == "softmax" else _SCRATCH.get(name, 0) * elements(shape))


def _kernel(name: str) -> Kernel:
    function = ACTIVATIONS[name]
    return Kernel(lambda attrs, inputs: _plan(name, inputs[0]),
                  lambda ops, attrs, inputs, weights: function(ops, inputs[0]))


KERNELS = {name: _kernel(name) for name in ACTIVATIONS}


# --- activations with fields or parameters ----------------------------------------------------

class Alpha(Protocol):
    @property
    def alpha(self) -> int | Fraction: ...


class Gelu(Protocol):
    @property
    def approximate(self) -> str: ...


def _same_plan(scratch: int):
    """A plan of the input's shape with ``scratch`` temporaries of its size (the mask of x > 0
    counted as one, though it holds a byte per element)."""
    def plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
        return Plan(inputs[0], scratch=scratch * elements(inputs[0]))
    return plan


def _linear_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]):
    return inputs[0]


def _leaky_run(ops: Counter, attrs: Alpha, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]):
    x = inputs[0]
    return select(ops.greater(x, 0), x, ops.multiply(x, float(attrs.alpha)))


def _elu_run(ops: Counter, attrs: Alpha, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]):
    x = inputs[0]
    e = ops.exp(x, out=np.empty_like(x))  # inf where x is large: not selected there
    e = ops.subtract(e, 1, out=e)
    e = ops.multiply(e, float(attrs.alpha), out=e)
    return select(ops.greater(x, 0), x, e)


def _prelu_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "prelu needs an input with a channel axis")
    return Plan(shape, {"alpha": WeightSpec("affine", (shape[-1],), "small")}, scratch=2 * elements(shape))


def _prelu_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]):
    x = inputs[0]
    return select(ops.greater(x, 0), x, ops.multiply(x, weights["alpha"]))  # (N, ..., C) · (C,)


def _gelu_run(ops: Counter, attrs: Gelu, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]):
    return (gelu_tanh if attrs.approximate == "tanh" else gelu)(ops, inputs[0])


KERNELS.update({
    "linear": Kernel(_same_plan(0), _linear_run),
    "leaky_relu": Kernel(_same_plan(2), _leaky_run),
    "elu": Kernel(_same_plan(2), _elu_run),
    "prelu": Kernel(_prelu_plan, _prelu_run),
    "gelu": Kernel(_same_plan(2), _gelu_run),
})
