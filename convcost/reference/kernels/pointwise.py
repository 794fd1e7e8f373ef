"""Reference rescaling, normalization and clip: elementwise maps with constants, each computing
only the parts docs/conventions.md counts.

    rescaling      y = x · scale + offset     the product skipped where scale is 1 everywhere,
                                              the sum where offset is 0 everywhere
    normalization  y = (x − mean) / std       std = max(sqrt(variance), eps), prepared once per
                                              channel from the constants (as batch norm's fold)
    clip           y = min(max(x, lo), hi)    each bound only where given
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec

Weights = Mapping[str, np.ndarray]
Number = int | Fraction
Numbers = Number | tuple[Number, ...]

EPSILON = 1e-7  # Keras' backend.epsilon(), the floor of Normalization's std; counts do not depend on it


class Rescaling(Protocol):
    @property
    def scale(self) -> Numbers: ...
    @property
    def offset(self) -> Numbers: ...


class Normalization(Protocol):
    @property
    def axis(self) -> int: ...
    @property
    def stored(self) -> bool: ...


class Clip(Protocol):
    @property
    def min(self) -> Number | None: ...
    @property
    def max(self) -> Number | None: ...


def _constant(value: Numbers) -> tuple[np.ndarray, bool]:
    """A spec constant as an array broadcasting along the channels ((C,) or a scalar), and
    whether every entry is 1 (for a scale) — the caller asks for 0 with ``value - 0``."""
    items = value if isinstance(value, tuple) else (value,)
    array = np.array([float(v) for v in items]) if isinstance(value, tuple) else np.array(float(value))
    return array, all(v == 1 for v in items)


def _is_zero(value: Numbers) -> bool:
    return all(v == 0 for v in (value if isinstance(value, tuple) else (value,)))


def _rescaling_plan(attrs: Rescaling, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    for name in ("scale", "offset"):
        value = getattr(attrs, name)
        if not shape or (isinstance(value, tuple) and len(value) != shape[-1]):
            raise PlanError("E260", f"rescaling {name}: one value per channel is needed for shape {shape}", name)
    return Plan(shape)


def _rescaling_run(ops: Counter, attrs: Rescaling, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = y = inputs[0]
    scale, identity = _constant(attrs.scale)
    if not identity:
        y = ops.multiply(x, scale.astype(x.dtype))  # (N, ..., C) · (C,) or a scalar
    if not _is_zero(attrs.offset):
        offset = _constant(attrs.offset)[0].astype(x.dtype)
        y = ops.add(y, offset, out=None if y is x else y)  # never in place on the input
    return y


def _axis(attrs: Normalization, rank: int) -> int:
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < rank:
        raise PlanError("E205", f"normalization axis {attrs.axis} is out of range for an input of rank {rank}",
                        "axis")
    return axis


def _normalization_plan(attrs: Normalization, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "normalization needs an input with at least one axis")
    n = shape[_axis(attrs, len(shape))]
    stored = {"mean": WeightSpec("bn_non_trainable", (n,), "small"),
              "variance": WeightSpec("bn_non_trainable", (n,), "positive"),
              "count": WeightSpec("bn_non_trainable", (), "positive")}
    return Plan(shape, stored if attrs.stored else {})


def _std(weights: Weights) -> Weights:
    """mean, variance (n,) -> mean, std = max(sqrt(variance), eps) (n,): constants, prepared once."""
    if "mean" not in weights:
        return {}
    return {"mean": weights["mean"], "std": np.maximum(np.sqrt(weights["variance"]), EPSILON)}


def _normalization_run(ops: Counter, attrs: Normalization, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    axis = _axis(attrs, x.ndim - 1) + 1  # after the batch axis
    n = x.shape[axis]
    if weights:
        mean, std = weights["mean"], weights["std"]
    else:  # stored: false, the constants a Keras model was given (any fixed values: counts do not depend on them)
        mean, std = np.linspace(-0.1, 0.1, n), np.linspace(0.5, 1.5, n)
    along = (n,) + (1,) * (x.ndim - 1 - axis)  # lined up with the normalized axis
    d = ops.subtract(x, mean.reshape(along).astype(x.dtype))
    return ops.divide(d, std.reshape(along).astype(x.dtype), out=d)


def _clip_plan(attrs: Clip, inputs: tuple[Shape, ...]) -> Plan:
    if attrs.min is not None and attrs.max is not None and attrs.min > attrs.max:
        raise PlanError("E205", f"clip max {attrs.max} is below min {attrs.min}", "max")
    return Plan(inputs[0])


def _clip_run(ops: Counter, attrs: Clip, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = y = inputs[0]
    if attrs.min is not None:
        y = ops.maximum(x, x.dtype.type(attrs.min))
    if attrs.max is not None:
        y = ops.minimum(y, x.dtype.type(attrs.max), out=None if y is x else y)
    return y


KERNELS: dict[str, Kernel] = {
    "rescaling": Kernel(_rescaling_plan, _rescaling_run),
    "normalization": Kernel(_normalization_plan, _normalization_run, prepare=_std),
    "clip": Kernel(_clip_plan, _clip_run),
}
