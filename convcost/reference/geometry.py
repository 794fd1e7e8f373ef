"""Windows over the spatial axes: padding, windowed views, and the 0/1 mask of real positions.

Written here from the definitions (docs/conventions.md, "Output size"), not imported from the
analytic engine, so that a mistake in one is caught by the other. Arrays are channels-last with
the batch axis first: ``(N, H, W, C)`` or ``(N, D, H, W, C)``; "spatial" means axes 1 .. rank.

A windowed layer reads, for output index ``o`` and kernel tap ``t`` along an axis, the padded
input at ``o·s + t·d``. :func:`windows` returns every such value as a view, without copying.
"""

from __future__ import annotations

import functools
import itertools
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


def row_windows(x: np.ndarray, pads: Pads, kernel, stride, dilation):
    """The windows of ``x`` (N, *spatial, C) padded with ``pads``, read with unit stride, a few
    groups of kernel taps at a time, for contractions that run along whole output rows:
    ``[(taps, view)]``, ``taps`` one slice per spatial axis choosing the group's kernel taps,
    ``view`` of shape (*group taps, N, *out[:-1], out[-1]·C): the last output axis and the
    channels make one axis, the output row, contiguous in memory. The same values as
    ``windows(pad(x, pads), ...)``, arranged by tap.

    The padded input is written once, split along each axis of stride s into s phases
    (``x_pad[o·s + r] == phase_r[o]``; at stride 1 one phase, the padded input itself). Taps t
    whose offset ``t·d`` leaves the remainder r read phase r at starts ``(t·d) // s``, with unit
    stride: a group per remainder (a 3-tap kernel at stride 2: taps 0 and 2 from phase 0, at starts
    0 and 1; tap 1 from phase 1, at start 0).
    """
    rank = len(kernel)
    channels = x.shape[-1]
    padded = [n + b + e for n, (b, e) in zip(x.shape[1:rank + 1], pads)]
    out = [windows_along(n, k, s, d) for n, k, s, d in zip(padded, kernel, stride, dilation)]
    phases = padded_phases(x, pads, tuple(stride))  # (*stride, N, *ceil(padded / stride), C)
    rows = phases.reshape(*phases.shape[:-2], phases.shape[-2] * channels)  # (*stride, N, *P[:-1], P[-1]·C)
    spans = (*out[:-1], out[-1] * channels)  # a window at every start: (..., *starts, *spans)
    view = sliding_window_view(rows, spans, axis=tuple(range(rank + 1, 2 * rank + 1)))
    unit = [1] * (rank - 1) + [channels]  # the row axis counts channels
    order = (*range(1, rank + 1), 0, *range(rank + 1, 2 * rank + 1))  # N after the group's taps
    groups = []
    for chosen in itertools.product(*[_tap_groups(k, s, d) for k, s, d in zip(kernel, stride, dilation)]):
        starts = tuple(slice(first * u, (first + (len(range(taps.start, k, taps.step)) - 1) * step) * u + 1, step * u)
                       for (_, taps, first, step), k, u in zip(chosen, kernel, unit))
        index: tuple[Any, ...] = (*(g[0] for g in chosen), slice(None), *starts)
        group = view[index]  # (N, *group taps, *spans)
        groups.append((tuple(g[1] for g in chosen), group.transpose(order)))
    return groups


def _tap_groups(kernel: int, stride: int, dilation: int) -> list[tuple[int, slice, int, int]]:
    """Along one axis, the taps that read one phase: (remainder, taps as a slice, the first tap's
    start in the phase, the step between starts). Taps ``t0, t0 + q, ...`` with ``q = s / gcd(s, d)``
    share the remainder ``t0·d mod s``; their starts ``(t·d) // s`` are ``d / gcd(s, d)`` apart.
    ``_tap_groups(3, 2, 1) == [(0, slice(0, 3, 2), 0, 1), (1, slice(1, 3, 2), 0, 1)]``."""
    g = math.gcd(stride, dilation)
    q = stride // g
    return [((t0 * dilation) % stride, slice(t0, kernel, q), (t0 * dilation) // stride, dilation // g)
            for t0 in range(min(q, kernel))]


def padded_phases(x: np.ndarray, pads: Pads, stride: tuple[int, ...]) -> np.ndarray:
    """``x`` (N, *spatial, C) padded with zeros and split along each spatial axis into its ``s``
    phases, in one copy: (*stride, N, *ceil(padded / stride), C), with ``result[r][:, o] ==
    x_pad[:, o·s + r]`` per axis (zeros past the end, which no window reads). At stride 1 this is
    ``pad(x, pads)`` with a leading axis of size 1 per spatial axis."""
    rank = len(stride)
    spatial = x.shape[1:rank + 1]
    sizes = [-(-(n + b + e) // s) for n, (b, e), s in zip(spatial, pads, stride)]
    phases = np.zeros((*stride, x.shape[0], *sizes, *x.shape[rank + 1:]), dtype=x.dtype)
    for remainder in np.ndindex(*stride):
        source, target = [slice(None)], [slice(None)]
        for r, s, n, (b, _) in zip(remainder, stride, spatial, pads):
            first = (r - b) % s  # the first input index at padded index o·s + r
            count = len(range(first, n, s))
            source.append(slice(first, None, s))
            target.append(slice((first + b) // s, (first + b) // s + count))
        phases[remainder][tuple(target)] = x[tuple(source)]
    return phases


def phases_elements(shape: tuple[int, ...], pads: Pads, stride: tuple[int, ...]) -> int:
    """Elements of :func:`padded_phases` for a per-sample ``shape`` (*spatial, C)."""
    return math.prod(-(-(n + b + e) // s) * s for n, (b, e), s in zip(shape[:-1], pads, stride)) * shape[-1]


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
