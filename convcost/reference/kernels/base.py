"""What every reference kernel is made of: a plan (output shape, weights to allocate, scratch
memory) and a run function that computes through a :class:`~convcost.reference.counter.Counter`.

Shapes in plans are per sample, channels-last, without the batch axis, as in the spec language;
arrays in run functions carry the batch axis first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Generic, Literal, Mapping, TypeVar

import numpy as np

from convcost.reference.counter import Counter

Shape = tuple[int, ...]
Pads = tuple[tuple[int, int], ...]  # (begin, end) per spatial axis
Padding = Literal["valid", "same"] | Pads  # a windowed layer's normalized padding attribute

# The attributes a kernel reads from its graph node: a Protocol per kernel, declared next to it
# (``Conv`` in conv.py), which the graph's attribute records satisfy; the executor stays
# independent of the analytic engine, where those records are declared.
A = TypeVar("A")

# How allocated arrays are grouped, as docs/conventions.md splits parameters.
PARAM_GROUPS = ("weights", "biases", "bn_trainable", "bn_non_trainable", "affine")

# Index letters of the contractions: batch n, spatial axes, kernel taps, channels c, groups g,
# filters f, depth multiplier m.
SPATIAL = {1: "w", 2: "hw", 3: "dhw"}
TAPS = {1: "j", 2: "ij", 3: "ijk"}


class PlanError(Exception):
    """A layer cannot take its input shapes; ``field`` names the spec field to point at."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class WeightSpec:
    """An array the executor allocates for a layer.

    ``init``: ``"he"`` (normal, std sqrt(2 / fan_in), so activations keep their scale through
    deep stacks), ``"small"`` (normal, std 0.1: biases, beta, moving mean) or ``"positive"``
    (uniform in [0.5, 1.5): gamma, moving variance).
    """

    group: str  # one of PARAM_GROUPS
    shape: Shape
    init: str
    fan_in: int = 1


@dataclass(frozen=True)
class Plan:
    """What a layer will produce and need, known before anything is allocated."""

    output_shape: Shape  # per sample
    weights: Mapping[str, WeightSpec] = field(default_factory=dict)
    scratch: int = 0  # per-sample elements of the temporaries the kernel creates besides its output
    # bytes of temporaries that do not grow with the batch: the int64 masks of real positions
    # (geometry.real_pairs), counted whatever the element type
    fixed_bytes: int = 0


@dataclass(frozen=True)
class Kernel(Generic[A]):
    """One layer kind's reference implementation.

    ``run(ops, attrs, inputs, weights)`` computes the layer's output from its input arrays
    (each (N, ...)) through ``ops``; ``prepare(weights)`` derives inference constants from the
    allocated arrays once (batch-norm folding), so that a forward pass does only counted work.
    """

    plan: Callable[[A, tuple[Shape, ...]], Plan]
    run: Callable[[Counter, A, list[np.ndarray], Mapping[str, np.ndarray]], np.ndarray]
    prepare: Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]] | None = None


def require_rank(shape: Shape, rank: int, kind: str) -> None:
    if len(shape) != rank:
        layout = {3: "[H, W, C]", 4: "[D, H, W, C]"}.get(rank, f"rank {rank}")
        raise PlanError("E404", f"{kind} needs an input of rank {rank} ({layout}), got shape {shape}")


def elements(shape: Shape) -> int:
    n = 1
    for size in shape:
        n *= size
    return n
