"""Reference activations, each written in the form whose operations the convention counts.

    relu     max(x, 0)
    relu6    min(max(x, 0), 6)
    sigmoid  1 / (1 + exp(-x))
    tanh     1 - 2 / (exp(2x) + 1)   (= (e - 1)/(e + 1), e = exp(2x): 1 mult, 1 exp, 2 adds, 1 division,
                                      and it stays finite where exp(2x) overflows)
    softmax  e = exp(x - max(x)); e / sum(e), over the last axis

Every function returns a new array and never writes to its input (another layer may read it).
"""

from __future__ import annotations

import math

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan


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


ACTIVATIONS = {"relu": relu, "relu6": relu6, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax}


def activate(ops: Counter, name: str, x: np.ndarray) -> np.ndarray:
    """``x`` through the activation ``name`` ('none' returns ``x`` itself)."""
    return x if name == "none" else ACTIVATIONS[name](ops, x)


def _plan(name: str, shape: tuple[int, ...]) -> Plan:
    """Softmax keeps each row's maximum and sum (one element per row each) beside its output."""
    rows = math.prod(shape[:-1]) if shape else 1
    return Plan(shape, scratch=2 * rows if name == "softmax" else 0)


def _kernel(name: str) -> Kernel:
    function = ACTIVATIONS[name]
    return Kernel(lambda attrs, inputs: _plan(name, inputs[0]),
                  lambda ops, attrs, inputs, weights: function(ops, inputs[0]))


KERNELS = {name: _kernel(name) for name in ACTIVATIONS}
