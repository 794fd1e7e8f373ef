"""Reference layers that move data without arithmetic: flatten, dropout (the identity at
inference) and zero padding (whose zeros are data to the layers after it)."""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.geometry import Pads, pad
from convcost.reference.kernels.base import Kernel, Plan, Shape, elements, require_rank

Weights = Mapping[str, np.ndarray]


class ZeroPadding(Protocol):
    @property
    def padding(self) -> Pads: ...


def _zero_padding_plan(rank: int, kind: str) -> Callable[[ZeroPadding, tuple[Shape, ...]], Plan]:
    def plan(attrs: ZeroPadding, inputs: tuple[Shape, ...]) -> Plan:
        require_rank(inputs[0], rank + 1, kind)
        shape = inputs[0]
        return Plan(tuple(n + b + e for n, (b, e) in zip(shape[:-1], attrs.padding)) + (shape[-1],))
    return plan


def _zero_padding_run(ops: Counter, attrs: ZeroPadding, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return pad(inputs[0], attrs.padding)


def _flatten_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    return Plan((elements(inputs[0]),))


def _flatten_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return inputs[0].reshape(inputs[0].shape[0], -1)


def _identity_plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    return Plan(inputs[0])


def _identity_run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return inputs[0]


KERNELS: dict[str, Kernel] = {
    "flatten": Kernel(_flatten_plan, _flatten_run),
    "dropout": Kernel(_identity_plan, _identity_run),  # the identity at inference
    "zero_padding2d": Kernel(_zero_padding_plan(2, "zero_padding2d"), _zero_padding_run),
    "zero_padding3d": Kernel(_zero_padding_plan(3, "zero_padding3d"), _zero_padding_run),
}
