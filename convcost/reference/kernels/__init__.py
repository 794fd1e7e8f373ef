"""The reference kernels, by layer kind: one per kind of the spec language (a test holds this
registry against ``convcost.layers.KINDS``, so a new kind without a kernel fails the tests)."""

from __future__ import annotations

from convcost.reference.kernels import (
    activation,
    conv,
    dense,
    elementwise,
    merge,
    norm,
    normalization,
    pointwise,
    pooling,
    reshape,
    resize,
    slicing,
    structure,
    transpose,
)
from convcost.reference.kernels.base import PARAM_GROUPS, Kernel, Plan, PlanError, WeightSpec

KERNELS: dict[str, Kernel] = {
    kind: kernel
    for module in (conv, pooling, dense, norm, activation, reshape, merge, resize, structure, elementwise,
                   normalization, transpose, pointwise, slicing)
    for kind, kernel in module.KERNELS.items()
}

__all__ = ["KERNELS", "PARAM_GROUPS", "Kernel", "Plan", "PlanError", "WeightSpec"]
