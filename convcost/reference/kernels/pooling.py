"""Reference pooling: windowed max/average (1-D, 2-D, 3-D) and global max/average.

Windowed pooling is pad → windowed view → a running maximum or sum over the kernel taps, so a
window of k taps costs k - 1 comparisons or adds per output, padding taps included (as for
convolutions). Padding follows TensorFlow: max pooling pads with -inf, so padding never wins;
average pooling divides by the number of real positions in each window, measured on the 0/1
mask of real positions (Keras' AveragePooling2D with padding='same').

``ceil_mode`` (Caffe, PyTorch): the output size rounds up, ``ceil((n + p_b + p_e − k)/s) + 1``,
less one if the last window would start at or past ``n + p_b``. The input is then padded past its
end so that the last window has a view, but that overhang is never operated on: each tap
combines only the outputs whose tap lies inside the padded input (a prefix of the outputs along
every axis), so a window of t such taps costs t − 1 operations, measured from the arrays.
``count_include_pad`` (average): divide by the taps inside the padded input (PyTorch) rather
than by the real positions (the default), each measured on a 0/1 mask.
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
    @property
    def ceil_mode(self) -> bool: ...


class AveragePool(Pool, Protocol):
    """average pooling: and what a window's sum is divided by."""

    @property
    def count_include_pad(self) -> bool: ...


class GlobalPool(Protocol):
    @property
    def keepdims(self) -> bool: ...


def _stride(attrs: Pool) -> tuple[int, ...]:
    return attrs.stride if attrs.stride is not None else attrs.kernel  # Keras: stride defaults to the window


def _geometry(attrs: Pool, shape: Shape, kind: str) -> tuple[Pads, Pads, tuple[int, ...]]:
    """(pads, the overhang past the padded end per axis (ceil mode), output spatial sizes)."""
    rank = len(attrs.kernel)
    require_rank(shape, rank + 1, kind)
    ones = (1,) * rank
    stride = _stride(attrs)
    pads = layer_pads(attrs.padding, shape[:-1], attrs.kernel, stride, ones)
    out = []
    for n, (b, e), k, s in zip(shape[:-1], pads, attrs.kernel, stride):
        o = windows_along(n + b + e, k, s, 1)
        if attrs.ceil_mode and o >= 1:
            o = -(-(n + b + e - k) // s) + 1
            if o > 1 and (o - 1) * s >= n + b:  # the last window would start in the right padding
                o -= 1
        out.append(o)
    if min(out) < 1:
        raise PlanError("E403", f"{kind}: the window does not fit the padded input {shape[:-1]}", "kernel")
    over = tuple((0, max(0, (o - 1) * s + k - (n + b + e)))
                 for n, (b, e), k, s, o in zip(shape[:-1], pads, attrs.kernel, stride, out))
    return pads, over, tuple(out)


def _pool_plan(kind: str) -> Callable[[Pool, tuple[Shape, ...]], Plan]:
    def plan(attrs: Pool, inputs: tuple[Shape, ...]) -> Plan:
        shape = inputs[0]
        pads, over, out = _geometry(attrs, shape, kind)
        full = tuple((b, e + x) for (b, e), (_, x) in zip(pads, over))
        # average pooling divides by the real positions of each window: the int64 mask, then
        # np.maximum(real, 1) (int64) and its cast, each of the output's spatial size
        mask = real_pairs_bytes(shape[:-1], full, out) + 16 * math.prod(out) if kind.startswith("average") else 0
        return Plan(out + (shape[-1],), scratch=padded_elements(shape, full), fixed_bytes=mask)
    return plan


def _pool_windows(attrs: Pool, x: np.ndarray, fill: float) -> tuple[np.ndarray, Pads, Pads]:
    """(the windows (N, *O, C, *K) of ``x`` padded with ``fill`` (and past the padded end in
    ceil mode), pads, overhang)."""
    rank = len(attrs.kernel)
    pads, over, _ = _geometry(attrs, x.shape[1:], "pooling")
    full = tuple((b, e + o) for (b, e), (_, o) in zip(pads, over))
    return windows(pad(x, full, fill), attrs.kernel, _stride(attrs), (1,) * rank), pads, over


def _inside(tap: tuple[int, ...], out: tuple[int, ...], kernel: Shape, stride: Shape, over: Pads) -> tuple[slice, ...]:
    """The outputs (a prefix along each axis) whose window has ``tap`` inside the padded input:
    along an axis, output o reads padded position o·s + t, outside only past the end in ceil mode."""
    limits = []
    for t, o, k, s, (_, x) in zip(tap, out, kernel, stride, over):
        end = (o - 1) * s + k - x  # padded length
        limits.append(min(o, -(-(end - t) // s)))  # o·s + t < end
    return (slice(None), *(slice(0, m) for m in limits))


def _reduce_taps(ops: Counter, attrs: Pool, view: np.ndarray, over: Pads, combine) -> np.ndarray:
    """The running maximum or sum over the taps, each tap combined only where it is inside."""
    rank = len(attrs.kernel)
    acc = None
    out = view.shape[1:rank + 1]
    for tap, x_tap in tap_views(view, rank):
        if acc is None:
            acc = np.array(x_tap)  # first tap: a copy, no op (every window has it inside)
            continue
        where = _inside(tap, out, attrs.kernel, _stride(attrs), over)
        if all(m.stop > 0 for m in where[1:]):
            combine(acc[where], x_tap[where], out=acc[where])
    assert acc is not None  # a window has at least one tap
    return acc


def _max_run(ops: Counter, attrs: Pool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    view, _, over = _pool_windows(attrs, inputs[0], -np.inf)
    return _reduce_taps(ops, attrs, view, over, ops.maximum)


def _average_run(ops: Counter, attrs: AveragePool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    view, pads, over = _pool_windows(attrs, x, 0.0)
    acc = _reduce_taps(ops, attrs, view, over, ops.add)
    ones = (1,) * len(attrs.kernel)
    if attrs.count_include_pad:  # taps inside the padded input: a mask of the padded size
        padded = tuple(n + b + e for n, (b, e) in zip(x.shape[1:-1], pads))
        real = real_pairs(padded, over, attrs.kernel, _stride(attrs), ones)
    else:  # real positions per window (*O), from the mask
        full = tuple((b, e + o) for (b, e), (_, o) in zip(pads, over))
        real = real_pairs(x.shape[1:-1], full, attrs.kernel, _stride(attrs), ones)
    # at least 1 so that an all-padding window (possible with explicit padding) gives 0, not 0/0
    divisor = np.maximum(real, 1).astype(x.dtype)[None, ..., None]
    return ops.divide(acc, divisor, out=acc)


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


# --- adaptive pooling ---------------------------------------------------------------------------

class AdaptivePool(Protocol):
    @property
    def output_size(self) -> Shape: ...


def adaptive_bins(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, size) of the ``o`` bins along an axis of length ``n`` (PyTorch): bin i covers
    ``[floor(i·n/o), ceil((i + 1)·n/o))``. ``adaptive_bins(5, 3)`` starts (0, 1, 3), sizes (2, 3, 2)."""
    i = np.arange(o, dtype=np.int64)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    return start, end - start


def _adaptive_plan(kind: str) -> Callable[[AdaptivePool, tuple[Shape, ...]], Plan]:
    def plan(attrs: AdaptivePool, inputs: tuple[Shape, ...]) -> Plan:
        shape = inputs[0]
        require_rank(shape, len(attrs.output_size) + 1, kind)
        # a bound on the widest bin, without making the bins (an output size may be huge):
        # ceil((i + 1)·n/o) − floor(i·n/o) <= ceil(n/o) + 1
        widest = [-(-n // o) + (1 if n % o else 0) for n, o in zip(shape[:-1], attrs.output_size)]
        gathered = math.prod(o * k for o, k in zip(attrs.output_size, widest)) * shape[-1]
        # the gathered bins (and one take's intermediate), the masked copies of one tap
        scratch = 2 * gathered + 3 * math.prod(attrs.output_size) * shape[-1]
        return Plan(tuple(attrs.output_size) + (shape[-1],), scratch=scratch,
                    fixed_bytes=16 * sum(o * k for o, k in zip(attrs.output_size, widest)))
    return plan


def _adaptive_reduce(ops: Counter, attrs: AdaptivePool, x: np.ndarray, combine) -> tuple[np.ndarray, np.ndarray]:
    """Gather every bin padded to the widest bin of its axis (N, o1, K1, o2, K2, ..., C), then a
    running maximum or sum over the taps, each tap combined only at the outputs whose bin holds it.
    Returns (the reduction (N, *O, C), the taps per output (*O))."""
    rank = len(attrs.output_size)
    starts, sizes = zip(*(adaptive_bins(n, o) for n, o in zip(x.shape[1:-1], attrs.output_size)))
    widest = [int(size.max()) for size in sizes]
    gathered = x
    for axis, (start, k) in enumerate(zip(starts, widest)):
        index = np.minimum(start[:, None] + np.arange(k), x.shape[1 + axis] - 1)  # (o, K), past a bin: clamped
        gathered = np.take(gathered, index.ravel(), axis=1 + axis)
    gathered = gathered.reshape(x.shape[0], *(v for o, k in zip(attrs.output_size, widest) for v in (o, k)),
                                x.shape[-1])
    valid = [np.arange(k)[None, :] < size[:, None] for size, k in zip(sizes, widest)]  # (o, K): tap inside the bin
    acc = None
    for tap in np.ndindex(*widest):
        x_tap = gathered[(slice(None), *(v for t in tap for v in (slice(None), t)), slice(None))]  # (N, *O, C)
        if acc is None:
            acc = np.array(x_tap)  # the first tap is in every bin: a copy, no op
            continue
        mask = np.ones((), dtype=bool)
        for axis, t in enumerate(tap):
            mask = np.multiply.outer(mask, valid[axis][:, t]) if axis else valid[axis][:, t]
        if mask.all():
            combine(acc, x_tap, out=acc)
        elif mask.any():
            acc[:, mask] = combine(acc[:, mask], x_tap[:, mask])
    assert acc is not None and rank >= 1
    counts = np.ones((), dtype=np.int64)
    for axis, size in enumerate(sizes):
        counts = np.multiply.outer(counts, size) if axis else size
    return acc, counts


def _adaptive_max_run(ops: Counter, attrs: AdaptivePool, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    return _adaptive_reduce(ops, attrs, inputs[0], ops.maximum)[0]


def _adaptive_average_run(ops: Counter, attrs: AdaptivePool, inputs: list[np.ndarray],
                          weights: Weights) -> np.ndarray:
    x = inputs[0]
    acc, counts = _adaptive_reduce(ops, attrs, x, ops.add)
    return ops.divide(acc, counts.astype(x.dtype)[None, ..., None], out=acc)


KERNELS: dict[str, Kernel] = {
    "max_pooling2d": Kernel(_pool_plan("max_pooling2d"), _max_run),
    "average_pooling2d": Kernel(_pool_plan("average_pooling2d"), _average_run),
    "max_pooling3d": Kernel(_pool_plan("max_pooling3d"), _max_run),
    "average_pooling3d": Kernel(_pool_plan("average_pooling3d"), _average_run),
    "global_average_pooling": Kernel(_global_plan, _global_average_run),
    "global_max_pooling": Kernel(_global_plan, _global_max_run),
    "max_pooling1d": Kernel(_pool_plan("max_pooling1d"), _max_run),
    "average_pooling1d": Kernel(_pool_plan("average_pooling1d"), _average_run),
    "adaptive_average_pooling2d": Kernel(_adaptive_plan("adaptive_average_pooling2d"), _adaptive_average_run),
    "adaptive_max_pooling2d": Kernel(_adaptive_plan("adaptive_max_pooling2d"), _adaptive_max_run),
    "adaptive_average_pooling1d": Kernel(_adaptive_plan("adaptive_average_pooling1d"), _adaptive_average_run),
    "adaptive_max_pooling1d": Kernel(_adaptive_plan("adaptive_max_pooling1d"), _adaptive_max_run),
}
