"""Reference pooling: windowed max/average (2-D, 3-D) and global max/average.

Windowed pooling is pad → windowed view → a running maximum or sum over the kernel taps, so a
window of k taps costs k - 1 comparisons or adds per output, padding taps included (as for
convolutions). Padding follows TensorFlow: max pooling pads with -inf, so padding never wins;
average pooling divides by the number of real positions in each window, measured on the 0/1
mask of real positions (Keras' AveragePooling2D with padding='same').
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.geometry import (
    Pads,
    layer_pads,
    pad,
    padded_elements,
    real_pairs,
    real_pairs_bytes,
    tap_views,
    windows,
    windows_along,
)
from convcost.reference.kernels.base import Kernel, Padding, Plan, PlanError, Shape, require_rank

Weights = Mapping[str, np.ndarray]


class Pool(Protocol):
    """max/average pooling: sizes per spatial axis, stride None for the window."""

    @property
    def kernel(self) -> Shape: ...
    @property
    def stride(self) -> Shape | None: ...
    @property
    def padding(self) -> Padding: ...


class GlobalPool(Protocol):
    @property
    def keepdims(self) -> bool: ...


def _stride(attrs: Pool) -> tuple[int, ...]:
    return attrs.stride if attrs.stride is not None else attrs.kernel  # Keras: stride defaults to the window


def _pool_plan(kind: str) -> Callable[[Pool, tuple[Shape, ...]], Plan]:
    def plan(attrs: Pool, inputs: tuple[Shape, ...]) -> Plan:
        shape = inputs[0]
        rank = len(attrs.kernel)
        require_rank(shape, rank + 1, kind)
        ones = (1,) * rank
        pads = layer_pads(attrs.padding, shape[:-1], attrs.kernel, _stride(attrs), ones)
        out = tuple(windows_along(n + b + e, k, s, 1)
                    for n, (b, e), k, s in zip(shape[:-1], pads, attrs.kernel, _stride(attrs)))
        if min(out) < 1:
            raise PlanError("E403", f"{kind}: the window does not fit the padded input {shape[:-1]}", "kernel")
        # average pooling divides by the real positions of each window: the int64 mask, then
        # np.maximum(real, 1) (int64) and its cast, each of the output's spatial size
        mask = real_pairs_bytes(shape[:-1], pads, out) + 16 * math.prod(out) if kind.startswith("average") else 0
        return Plan(out + (shape[-1],), scratch=padded_elements(shape, pads), fixed_bytes=mask)
    return plan


def _pool_windows(attrs: Pool, x: np.ndarray, fill: float) -> tuple[np.ndarray, Pads]:
    """(the windows (N, *O, C, *K) of ``x`` padded with ``fill``, pads)."""
    rank = len(attrs.kernel)
    pads = layer_pads(attrs.padding, x.shape[1:-1], attrs.kernel, _stride(attrs), (1,) * rank)
    return windows(pad(x, pads, fill), attrs.kernel, _stride(attrs), (1,) * rank), pads


def _max_run(ops: Counter, attrs: Pool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    view, _ = _pool_windows(attrs, inputs[0], -np.inf)
    acc = None
    for _, x_tap in tap_views(view, len(attrs.kernel)):
        acc = np.array(x_tap) if acc is None else ops.maximum(acc, x_tap, out=acc)  # first tap: a copy, no op
    assert acc is not None  # a window has at least one tap
    return acc


def _average_run(ops: Counter, attrs: Pool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    view, pads = _pool_windows(attrs, x, 0.0)
    acc = None
    for _, x_tap in tap_views(view, len(attrs.kernel)):
        acc = np.array(x_tap) if acc is None else ops.add(acc, x_tap, out=acc)
    # real positions per window (*O), from the mask; at least 1 so that an all-padding window
    # (possible with explicit padding) gives 0 rather than 0/0
    real = real_pairs(x.shape[1:-1], pads, attrs.kernel, _stride(attrs), (1,) * len(attrs.kernel))
    real = np.maximum(real, 1).astype(x.dtype)[None, ..., None]
    return ops.divide(acc, real, out=acc)


# --- global pooling -----------------------------------------------------------------------------

def _global_plan(attrs: GlobalPool, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    if len(shape) < 2:
        raise PlanError("E404", f"global pooling needs spatial axes and channels, got shape {shape}")
    return Plan((1,) * (len(shape) - 1) + (shape[-1],) if attrs.keepdims else (shape[-1],))


def _spatial_axes(x: np.ndarray) -> tuple[int, ...]:
    return tuple(range(1, x.ndim - 1))


def _global_average_run(ops: Counter, attrs: GlobalPool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    total = ops.sum(x, axis=_spatial_axes(x), keepdims=attrs.keepdims)  # S - 1 adds per channel
    positions = math.prod(x.shape[1:-1])
    return ops.divide(total, positions, out=total)  # 1 division per channel


def _global_max_run(ops: Counter, attrs: GlobalPool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    return ops.max(x, axis=_spatial_axes(x), keepdims=attrs.keepdims)  # S - 1 comparisons per channel


KERNELS: dict[str, Kernel] = {
    "max_pooling2d": Kernel(_pool_plan("max_pooling2d"), _max_run),
    "average_pooling2d": Kernel(_pool_plan("average_pooling2d"), _average_run),
    "max_pooling3d": Kernel(_pool_plan("max_pooling3d"), _max_run),
    "average_pooling3d": Kernel(_pool_plan("average_pooling3d"), _average_run),
    "global_average_pooling": Kernel(_global_plan, _global_average_run),
    "global_max_pooling": Kernel(_global_plan, _global_max_run),
}
