"""Reference batch normalization at inference, folded: ``y = x · scale + shift`` per channel.

The executor allocates the four arrays Keras keeps (gamma and beta, trainable; moving mean and
variance, non-trainable), and folds them once, before any forward pass, into
``scale = gamma / sqrt(variance + eps)`` and ``shift = beta - mean · scale``: the convention counts
batch norm in this folded form (1 mult and 1 add per element), and the fold is per-channel
preparation of constants, not work done on data.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, WeightSpec

Weights = Mapping[str, np.ndarray]

EPSILON = 1e-3  # Keras' default


def _plan(attrs: object, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if not shape:
        raise PlanError("E404", "batch_norm needs an input with a channel axis")
    c = shape[-1]
    return Plan(shape, {"gamma": WeightSpec("bn_trainable", (c,), "positive"),
                        "beta": WeightSpec("bn_trainable", (c,), "small"),
                        "moving_mean": WeightSpec("bn_non_trainable", (c,), "small"),
                        "moving_variance": WeightSpec("bn_non_trainable", (c,), "positive")})


def _fold(weights: Weights) -> Weights:
    """gamma, beta, mean, variance (C,) -> scale, shift (C,)."""
    scale = weights["gamma"] / np.sqrt(weights["moving_variance"] + EPSILON)
    return {"scale": scale, "shift": weights["beta"] - weights["moving_mean"] * scale}


def _run(ops: Counter, attrs: object, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    y = ops.multiply(inputs[0], weights["scale"])  # (N, ..., C) · (C,)
    return ops.add(y, weights["shift"], out=y)


KERNELS = {"batch_norm": Kernel(_plan, _run, prepare=_fold)}
