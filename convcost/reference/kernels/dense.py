"""Reference dense layer on the last axis: ``y[..., u] = sum_c x[..., c] · w[c, u] (+ b[u])``,
one matrix product (Keras' Dense on an input of any rank)."""

from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec
from convcost.reference.kernels.conv import add_bias


class Dense(Protocol):
    @property
    def units(self) -> int: ...
    @property
    def bias(self) -> bool: ...

_LEADING = "pqrst"  # index letters for axes between the batch and the last one


def _plan(attrs: Dense, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "dense needs an input with at least one axis")
    weights = {"kernel": WeightSpec("weights", (shape[-1], attrs.units), "he", fan_in=shape[-1])}
    if attrs.bias:
        weights["bias"] = WeightSpec("biases", (attrs.units,), "small")
    return Plan(shape[:-1] + (attrs.units,), weights)


def _run(ops: Counter, attrs: Dense, inputs: list[np.ndarray], weights: Mapping[str, np.ndarray]) -> np.ndarray:
    x = inputs[0]  # (N, ..., C)
    lead = _LEADING[: x.ndim - 2]
    y = ops.contract(f"n{lead}c,cu->n{lead}u", x, weights["kernel"])
    return add_bias(ops, y, weights.get("bias"))


KERNELS: dict[str, Kernel] = {"dense": Kernel(_plan, _run)}
