"""Reference elementwise layers with NumPy broadcasting over the per-sample shapes: multiply,
subtract, and scale (a learned per-channel factor).

Per-sample shapes broadcast by NumPy's rule (aligned at the channel axis); an input of lower rank
is given size-1 axes after the batch axis, so that ``[C]`` lines up with the channels of
``[H, W, C]`` and never with the batch.

    multiply  y = x_1 · x_2 · … · x_k    x_1 broadcast to the output's shape (a copy: no
                                          arithmetic), then one multiply per further input over
                                          the whole output: (k − 1)·E mults
    subtract  y = x_1 − x_2               E adds
    scale     y = x · gamma               E mults; gamma (C,) in the ``affine`` group
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec

Weights = Mapping[str, np.ndarray]


def broadcast(shapes: tuple[Shape, ...]) -> Shape:
    """NumPy's broadcast of per-sample shapes, or PlanError E402 naming every shape."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise PlanError("E402", f"inputs do not broadcast: {', '.join(map(str, shapes))}", "inputs") from None


def _aligned(x: np.ndarray, rank: int) -> np.ndarray:
    """(N, *shape) as (N, 1, …, 1, *shape) of per-sample rank ``rank`` (a view)."""
    return x.reshape((x.shape[0],) + (1,) * (rank + 1 - x.ndim) + x.shape[1:])


def _broadcast_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    return Plan(broadcast(inputs))


def _multiply_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    rank = max(x.ndim for x in inputs) - 1
    shape = (inputs[0].shape[0],) + broadcast(tuple(x.shape[1:] for x in inputs))
    total = np.broadcast_to(_aligned(inputs[0], rank), shape).copy()  # a copy, not arithmetic
    for x in inputs[1:]:
        ops.multiply(total, _aligned(x, rank), out=total)
    return total


def _subtract_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    rank = max(x.ndim for x in inputs) - 1
    return ops.subtract(_aligned(inputs[0], rank), _aligned(inputs[1], rank))


def _scale_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "scale needs an input with a channel axis")
    return Plan(shape, {"gamma": WeightSpec("affine", (shape[-1],), "positive")})


def _scale_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return ops.multiply(inputs[0], weights["gamma"])  # (N, ..., C) · (C,)


KERNELS: dict[str, Kernel] = {
    "multiply": Kernel(_broadcast_plan, _multiply_run),
    "subtract": Kernel(_broadcast_plan, _subtract_run),
    "scale": Kernel(_scale_plan, _scale_run),
}
