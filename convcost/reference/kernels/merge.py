"""Reference merges: add (elementwise sum of two or more inputs) and concat (no arithmetic)."""

from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape

Weights = Mapping[str, np.ndarray]


class Concat(Protocol):
    @property
    def axis(self) -> int: ...


def _add_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    if any(shape != inputs[0] for shape in inputs[1:]):
        raise PlanError("E402", f"add needs inputs of one shape, got {', '.join(map(str, inputs))}", "inputs")
    return Plan(inputs[0])


def _add_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    total = ops.add(inputs[0], inputs[1])
    for x in inputs[2:]:
        ops.add(total, x, out=total)
    return total


def _concat_axis(attrs: Concat, rank: int) -> int:
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < rank:
        raise PlanError("E205", f"concat axis {attrs.axis} is out of range for inputs of rank {rank}", "axis")
    return axis


def _concat_plan(attrs: Concat, inputs: tuple[Shape, ...]) -> Plan:
    rank = len(inputs[0])
    axis = _concat_axis(attrs, rank)
    for shape in inputs[1:]:
        if len(shape) != rank or any(a != b for i, (a, b) in enumerate(zip(shape, inputs[0])) if i != axis):
            raise PlanError("E402", f"concat along axis {attrs.axis} needs shapes that agree elsewhere, got "
                                    f"{', '.join(map(str, inputs))}", "inputs")
    return Plan(inputs[0][:axis] + (sum(s[axis] for s in inputs),) + inputs[0][axis + 1:])


def _concat_run(ops: Counter, attrs: Concat, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    axis = _concat_axis(attrs, inputs[0].ndim - 1) + 1  # per-sample axis -> array axis after the batch
    return np.concatenate(inputs, axis=axis)


KERNELS: dict[str, Kernel] = {"add": Kernel(_add_plan, _add_run), "concat": Kernel(_concat_plan, _concat_run)}
