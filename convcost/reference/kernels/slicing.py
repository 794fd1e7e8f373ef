"""Reference slice: ``x[..., start:stop:step, ...]`` along one axis, a view; nothing computed."""

from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape

Weights = Mapping[str, np.ndarray]


class Slice(Protocol):
    @property
    def axis(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def stop(self) -> int | None: ...
    @property
    def step(self) -> int: ...


def _axis(attrs: Slice, rank: int) -> int:
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < rank:
        raise PlanError("E205", f"slice axis {attrs.axis} is out of range for inputs of rank {rank}", "axis")
    return axis


def _plan(attrs: Slice, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    axis = _axis(attrs, len(shape))
    length = len(range(shape[axis])[attrs.start:attrs.stop:attrs.step])  # a range: no list is made
    if length == 0:
        raise PlanError("E261", f"slice [{attrs.start}:{attrs.stop}:{attrs.step}] of {shape} is empty", "start")
    return Plan(shape[:axis] + (length,) + shape[axis + 1:])


def _run(ops: Counter, attrs: Slice, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    axis = _axis(attrs, x.ndim - 1) + 1  # per-sample axis -> array axis after the batch
    return x[(slice(None),) * axis + (slice(attrs.start, attrs.stop, attrs.step),)]  # a view


KERNELS: dict[str, Kernel] = {"slice": Kernel(_plan, _run)}
