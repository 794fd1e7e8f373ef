"""Reference batch normalization at inference, folded: ``y = x · scale + shift`` per channel.

The executor allocates the four arrays Keras keeps (gamma and beta, trainable; moving mean and
variance, non-trainable), and folds them once, before any forward pass, into
``scale = gamma / sqrt(variance + eps)`` and ``shift = beta - mean · scale``: the convention counts
batch norm in this folded form (1 mult and 1 add per element), and the fold is per-channel
preparation of constants, not work done on data. Without gamma (``scale: false``) the factor is
``1 / sqrt(variance + eps)``, without beta (``center: false``) the shift is ``-mean · scale``:
neither is 1 or 0, so the forward pass is the same.
"""

from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec

Weights = Mapping[str, np.ndarray]

EPSILON = 1e-3  # Keras' default


class BatchNorm(Protocol):
    @property
    def center(self) -> bool: ...
    @property
    def scale(self) -> bool: ...


def _plan(attrs: BatchNorm, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "batch_norm needs an input with a channel axis")
    c = shape[-1]
    learned = {"gamma": WeightSpec("bn_trainable", (c,), "positive"), "beta": WeightSpec("bn_trainable", (c,), "small")}
    kept = {name: spec for name, spec in learned.items() if (attrs.scale if name == "gamma" else attrs.center)}
    return Plan(shape, {**kept, "moving_mean": WeightSpec("bn_non_trainable", (c,), "small"),
                        "moving_variance": WeightSpec("bn_non_trainable", (c,), "positive")})


def _fold(weights: Weights) -> Weights:
    """gamma (if any), beta (if any), mean, variance (C,) -> scale, shift (C,)."""
    gamma = weights["gamma"] if "gamma" in weights else 1.0
    scale = gamma / np.sqrt(weights["moving_variance"] + EPSILON)
    shift = -weights["moving_mean"] * scale
    if "beta" in weights:
        shift = weights["beta"] + shift
    return {"scale": scale, "shift": shift}


def _run(ops: Counter, attrs: BatchNorm, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    y = ops.multiply(inputs[0], weights["scale"])  # (N, ..., C) · (C,)
    return ops.add(y, weights["shift"], out=y)


KERNELS = {"batch_norm": Kernel(_plan, _run, prepare=_fold)}
