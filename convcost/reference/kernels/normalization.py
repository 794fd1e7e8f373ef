"""Reference layer, group and instance norm and local response normalization, each written in the
form whose operations docs/conventions.md counts.

Standardizing a group of n elements (:func:`standardize`)::

    mu = sum(x) / n;  d = x - mu;  v = sum(d·d) / n;  s = sqrt(v + eps);  z = d / s

then ``z · gamma + beta`` per channel (layer norm: along its axis). Local response normalization,
Caffe's and PyTorch's form over ``size`` channels::

    q = a·a;  pad q with zeros along the channels (size // 2 before, (size - 1) // 2 after);
    w = the sum of each window of size (a windowed view, each window summed: no running sum);
    b = a / (k + (alpha / size)·w) ** beta
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Protocol

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec, elements

Weights = Mapping[str, np.ndarray]

EPSILON = 1e-5  # PyTorch's default (Keras: 1e-3); counts do not depend on it


class LayerNorm(Protocol):
    @property
    def axis(self) -> int: ...
    @property
    def center(self) -> bool: ...
    @property
    def scale(self) -> bool: ...


class GroupNorm(Protocol):
    @property
    def groups(self) -> int: ...


class LocalResponseNorm(Protocol):
    @property
    def size(self) -> int: ...
    @property
    def alpha(self) -> int | Fraction: ...  # spec numbers
    @property
    def beta(self) -> int | Fraction: ...
    @property
    def k(self) -> int | Fraction: ...


def standardize(ops: Counter, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """(x - mean) / sqrt(variance + eps) over ``axes``: for each group of n elements, (n - 1) + n +
    (n - 1) + 1 adds, n mults, n + 2 divisions and 1 sqrt (the caller's scale and shift add n mults
    and n adds)."""
    n = elements(tuple(x.shape[a] for a in axes))
    mean = ops.sum(x, axis=axes, keepdims=True)
    mean = ops.divide(mean, n, out=mean)
    d = ops.subtract(x, mean)
    variance = ops.sum(ops.multiply(d, d), axis=axes, keepdims=True)
    variance = ops.divide(variance, n, out=variance)
    std = ops.sqrt(ops.add(variance, EPSILON, out=variance), out=variance)
    return ops.divide(d, std, out=d)


def _affine(shape: tuple[int, ...]) -> dict[str, WeightSpec]:
    return {"gamma": WeightSpec("affine", shape, "positive"), "beta": WeightSpec("affine", shape, "small")}


def _scale_shift(ops: Counter, z: np.ndarray, weights: Weights) -> np.ndarray:
    """z · gamma + beta, each part only where the layer has it (layer norm's scale and center)."""
    y = ops.multiply(z, weights["gamma"], out=z) if "gamma" in weights else z
    return ops.add(y, weights["beta"], out=y) if "beta" in weights else y


def _axis(attrs: LayerNorm, rank: int) -> int:
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < rank:
        raise PlanError("E205", f"layer_norm axis {attrs.axis} is out of range for an input of rank {rank}", "axis")
    return axis


def _layer_norm_plan(attrs: LayerNorm, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "layer_norm needs an input with at least one axis")
    n = shape[_axis(attrs, len(shape))]
    learned = {name: spec for name, spec in _affine((n,)).items() if (attrs.scale if name == "gamma" else attrs.center)}
    return Plan(shape, learned, scratch=elements(shape) + 2 * elements(shape) // n)


def _layer_norm_run(ops: Counter, attrs: LayerNorm, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    axis = _axis(attrs, x.ndim - 1) + 1  # after the batch axis
    z = np.moveaxis(standardize(ops, np.moveaxis(x, axis, -1), (-1,)), -1, axis)  # views
    # gamma and beta (n,) lined up with the normalized axis
    along = (1,) * (x.ndim - 1 - axis)
    return _scale_shift(ops, z, {k: w.reshape(w.shape + along) for k, w in weights.items()})


def _grouped_plan(shape: Shape, groups: int) -> Plan:
    if shape[-1] % groups:
        raise PlanError("E405", f"group_norm groups={groups} must divide the channels ({shape[-1]})", "groups")
    return Plan(shape, _affine((shape[-1],)), scratch=elements(shape) + 2 * groups)


def _group_norm_plan(attrs: GroupNorm, inputs: tuple[Shape, ...]) -> Plan:
    if not inputs[0]:
        raise PlanError("E404", "group_norm needs an input with a channel axis")
    return _grouped_plan(inputs[0], attrs.groups)


def _instance_norm_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    if len(inputs[0]) < 2:
        raise PlanError("E404", f"instance_norm needs spatial axes and channels, got shape {inputs[0]}")
    return _grouped_plan(inputs[0], inputs[0][-1])


def _grouped_run(ops: Counter, x: np.ndarray, groups: int, weights: Weights) -> np.ndarray:
    """Statistics per sample and group over the spatial positions and the group's channels."""
    grouped = x.reshape(x.shape[0], -1, groups, x.shape[-1] // groups)  # (N, S, G, C/G), a view
    z = standardize(ops, grouped, (1, 3)).reshape(x.shape)
    return _scale_shift(ops, z, weights)


def _group_norm_run(ops: Counter, attrs: GroupNorm, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return _grouped_run(ops, inputs[0], attrs.groups, weights)


def _instance_norm_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return _grouped_run(ops, inputs[0], inputs[0].shape[-1], weights)


def _lrn_plan(attrs: LocalResponseNorm, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "local_response_norm needs an input with a channel axis")
    positions = elements(shape) // shape[-1]
    return Plan(shape, scratch=elements(shape) + positions * (shape[-1] + attrs.size - 1))


def _lrn_run(ops: Counter, attrs: LocalResponseNorm, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    a, size = inputs[0], attrs.size
    squares = ops.multiply(a, a)
    padded = np.pad(squares, [(0, 0)] * (a.ndim - 1) + [(size // 2, (size - 1) // 2)])
    windows = sliding_window_view(padded, size, axis=-1)  # (N, ..., C, size)
    total = ops.sum(windows, axis=-1)
    t = ops.multiply(total, float(attrs.alpha) / size, out=total)
    t = ops.add(t, float(attrs.k), out=t)
    t = ops.power(t, float(attrs.beta), out=t)
    return ops.divide(a, t, out=t)


KERNELS: dict[str, Kernel] = {
    "layer_norm": Kernel(_layer_norm_plan, _layer_norm_run),
    "group_norm": Kernel(_group_norm_plan, _group_norm_run),
    "instance_norm": Kernel(_instance_norm_plan, _instance_norm_run),
    "local_response_norm": Kernel(_lrn_plan, _lrn_run),
}
