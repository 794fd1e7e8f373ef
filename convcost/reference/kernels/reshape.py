"""Reference layers that move data without arithmetic: flatten, dropout (the identity at
inference) and zero padding (whose zeros are data to the layers after it)."""

from __future__ import annotations

import numpy as np

from convcost.reference.geometry import pad
from convcost.reference.kernels.base import Kernel, Plan, elements, require_rank


def _zero_padding_plan(rank: int, kind: str):
    def plan(attrs, inputs) -> Plan:
        require_rank(inputs[0], rank + 1, kind)
        shape = inputs[0]
        return Plan(tuple(n + b + e for n, (b, e) in zip(shape[:-1], attrs.padding)) + (shape[-1],))
    return plan


def _zero_padding_run(ops, attrs, inputs, weights) -> np.ndarray:
    return pad(inputs[0], attrs.padding)


KERNELS = {
    "flatten": Kernel(lambda attrs, inputs: Plan((elements(inputs[0]),)),
                      lambda ops, attrs, inputs, weights: inputs[0].reshape(inputs[0].shape[0], -1)),
    "dropout": Kernel(lambda attrs, inputs: Plan(inputs[0]), lambda ops, attrs, inputs, weights: inputs[0]),
    "zero_padding2d": Kernel(_zero_padding_plan(2, "zero_padding2d"), _zero_padding_run),
    "zero_padding3d": Kernel(_zero_padding_plan(3, "zero_padding3d"), _zero_padding_run),
}
