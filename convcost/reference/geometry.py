"""Windows over the spatial axes: padding, windowed views, and the 0/1 mask of real positions.

Written here from the definitions (docs/conventions.md, "Output size"), not imported from the
analytic engine, so that a mistake in one is caught by the other. Arrays are channels-last with
the batch axis first: ``(N, H, W, C)`` or ``(N, D, H, W, C)``; "spatial" means axes 1 .. rank.

A windowed layer reads, for output index ``o`` and kernel tap ``t`` along an axis, the padded
input at ``o·s + t·d``. :func:`windows` returns every such value as a view, without copying.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pads = tuple[tuple[int, int], ...]


def same_pads(n: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same' along one axis: output ``ceil(n / s)``; the total padding
    ``max((out - 1)·s + d·(k - 1) + 1 - n, 0)`` is split with the odd one at the end.

    ``same_pads(224, 3, 2, 1) == (0, 1)``, ``same_pads(7, 3, 1, 1) == (1, 1)``.
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def layer_pads(padding, spatial: tuple[int, ...], kernel, stride, dilation) -> Pads:
    """(begin, end) per spatial axis from a normalized padding attribute: 'valid', 'same' or pairs."""
    if padding == "valid":
        return tuple((0, 0) for _ in spatial)
    if padding == "same":
        return tuple(same_pads(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation))
    return tuple((int(b), int(e)) for b, e in padding)


def windows_along(n_padded: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows fit along one padded axis (used to plan memory; the kernels take their
    output sizes from the views themselves): ``windows_along(226, 3, 2, 1) == 112``."""
    span = dilation * (kernel - 1) + 1
    return (n_padded - span) // stride + 1 if n_padded >= span else 0


def pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """``x`` (N, *spatial, C) with ``pads`` added around the spatial axes (no copy if none)."""
    if all(b == 0 and e == 0 for b, e in pads):
        return x
    # np.full and one assignment of the interior: np.pad's generality costs ~0.1 ms a call, which
    # a 100,000-layer network of small tensors pays 100,000 times
    shape = (x.shape[0], *(n + b + e for n, (b, e) in zip(x.shape[1:], pads)), *x.shape[len(pads) + 1:])
    padded = np.full(shape, value, dtype=x.dtype)
    interior = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[1:], pads))
    padded[(slice(None), *interior)] = x
    return padded


def windows(x: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Every window of the padded ``x`` (N, *spatial, *channels) as a view
    (N, *out, *channels, *kernel); ``channels`` is one axis (C), or two for groups (G, C/G).

    ``out`` along an axis is the number of window starts ``0, s, 2s, ...`` whose span
    ``d·(k - 1) + 1`` fits; taps inside a window are ``d`` apart. No data is copied.
    """
    rank = len(kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    view = sliding_window_view(x, spans, axis=tuple(range(1, rank + 1)))  # (N, *starts, *channels, *spans)
    starts = tuple(slice(None, None, s) for s in stride)
    taps = tuple(slice(None, None, d) for d in dilation)
    index: tuple[Any, ...] = (slice(None), *starts, Ellipsis, *taps)
    return view[index]


def tap_views(window_view: np.ndarray, rank: int):
    """``(tap, view)`` for every kernel tap of a ``windows`` result; each view is (N, *out, C):
    the input value that tap multiplies, at every output position."""
    kernel = window_view.shape[-rank:]
    for tap in np.ndindex(*kernel):
        yield tap, window_view[(Ellipsis, *tap)]


@functools.lru_cache(maxsize=256)
def real_pair_total(spatial: tuple[int, ...], pads: Pads, kernel, stride, dilation) -> int:
    """``real_pairs(...).sum()``, measured once per geometry (the layers of a repeated block
    share theirs; the arguments are tuples of ints)."""
    return int(real_pairs(spatial, pads, kernel, stride, dilation).sum())


def real_pairs(spatial: tuple[int, ...], pads: Pads, kernel, stride, dilation) -> np.ndarray:
    """For every output position, how many of its kernel taps read a real input position rather
    than padding: the windowed layer run over a 0/1 mask of real positions (shape ``out``).

    ``real_pairs((7,), ((1, 1),), (3,), (1,), (1,))`` is ``[2, 3, 3, 3, 3, 3, 2]``.
    """
    mask = np.ones((1, *spatial, 1), dtype=np.int64)
    view = windows(pad(mask, pads, 0), kernel, stride, dilation)  # (1, *out, 1, *kernel)
    return view.sum(axis=tuple(range(-len(kernel), 0)))[0, ..., 0]


def real_pairs_bytes(spatial: tuple[int, ...], pads: Pads, out: tuple[int, ...]) -> int:
    """Bytes :func:`real_pairs` holds at once: the int64 mask, its padded copy and the result."""
    padded = math.prod(n + b + e for n, (b, e) in zip(spatial, pads))
    return 8 * (math.prod(spatial) + padded + math.prod(out))


def padded_elements(shape: tuple[int, ...], pads: Pads) -> int:
    """Elements of a per-sample tensor ``shape`` (*spatial, C) once padded."""
    return math.prod(n + b + e for n, (b, e) in zip(shape[:-1], pads)) * shape[-1]
