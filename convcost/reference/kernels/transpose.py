"""Reference transposed convolutions: conv2d_transpose, conv3d_transpose (issue 12).

The formula read as a scatter: ``y_full[i·s + t·d, f] += Σ_c x[i, c] · w[t, c, f]``, then crop.
One contraction gives every input position's products with every tap of its group's filters,
summed over the group's channels (N, *I, G, *K, F/G); each tap's slab is then added into the full
output at the strided positions ``t·d + i·s``; the full output is cropped by the padding (and
extended at the end by output_padding, or by ``same`` past the full length) and the bias added.

Adds are measured, not derived: the contraction counts its channel sums, and the scatter keeps a
coverage mask of the full output's positions, so a partial sum landing on a position that holds
nothing yet is a copy (no add) and one landing on a covered position is one counted add per
element. Positions that nothing lands on stay 0 (only the bias is added there).

Weights: (*kernel, C_in / groups, C_out), filter f of group f // (C_out / groups) reading that
group's input channels (the layout of the forward conv kernels; PyTorch stores (C_in, C_out/G, *K)).
"""

from __future__ import annotations

import math
from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import (
    SPATIAL,
    TAPS,
    Kernel,
    Plan,
    PlanError,
    Shape,
    WeightSpec,
    require_rank,
)
from convcost.reference.kernels.conv import Conv

Weights = Mapping[str, np.ndarray]
Crops = tuple[tuple[int, int], ...]


class ConvTranspose(Conv, Protocol):
    """conv2d_transpose, conv3d_transpose: a convolution's attributes and output_padding."""

    @property
    def output_padding(self) -> Shape: ...


def geometry(attrs: ConvTranspose, spatial: Shape) -> tuple[Shape, tuple[int, ...], Shape]:
    """(full lengths (n − 1)·s + d·(k − 1) + 1, crop at the begin, output lengths) per axis.

    ``valid``: nothing cropped, ``out = full + output_padding``; explicit (begin, end): ``out =
    full − begin − end + output_padding``; ``same`` (TensorFlow): ``out = n·s``, begin
    ``max(d·(k − 1) + 1 − s, 0) // 2``.
    """
    full = tuple((n - 1) * s + d * (k - 1) + 1
                 for n, k, s, d in zip(spatial, attrs.kernel, attrs.stride, attrs.dilation))
    if attrs.padding == "same":
        begin = tuple(max(d * (k - 1) + 1 - s, 0) // 2 for k, s, d in zip(attrs.kernel, attrs.stride, attrs.dilation))
        out = tuple(n * s for n, s in zip(spatial, attrs.stride))
    else:
        pairs = [(0, 0)] * len(spatial) if attrs.padding == "valid" else attrs.padding
        begin = tuple(b for b, _ in pairs)
        out = tuple(f - b - e + op for f, (b, e), op in zip(full, pairs, attrs.output_padding))
    return full, begin, out


def transpose_convolve(ops: Counter, x: np.ndarray, kernel: np.ndarray, stride: Shape, dilation: Shape,
                       groups: int, begin: tuple[int, ...], out: Shape) -> np.ndarray:
    """x (N, *I, C_in), kernel (*K, C_in/G, C_out) -> (N, *out, C_out): products by one
    contraction, strided scatter-add into the full output (counted where a position is already
    covered), crop."""
    rank = kernel.ndim - 2
    S, T = SPATIAL[rank], TAPS[rank]
    n, spatial, c_in = x.shape[0], x.shape[1:-1], x.shape[-1]
    taps, c_out = kernel.shape[:rank], kernel.shape[-1]
    grouped = x.reshape(*x.shape[:-1], groups, c_in // groups)  # (N, *I, G, C/G)
    w = kernel.reshape(*kernel.shape[:-1], groups, c_out // groups)  # (*K, C/G, G, F/G)
    products = ops.contract(f"n{S}gc,{T}cgf->n{S}g{T}f", grouped, w)  # (N, *I, G, *K, F/G)
    # the full output, long enough for the crop window too (same can reach past the full length)
    length = tuple(max((i - 1) * s + d * (k - 1) + 1, b + o)
                   for i, k, s, d, b, o in zip(spatial, taps, stride, dilation, begin, out))
    y = np.zeros((n, *length, c_out), dtype=x.dtype)
    covered = np.zeros(length, dtype=bool)
    for tap in np.ndindex(*taps):
        term = products[(Ellipsis, *tap, slice(None))]  # (N, *I, G, F/G)
        term = term.reshape(*term.shape[:-2], c_out)
        where = tuple(slice(t * d, t * d + (i - 1) * s + 1, s) for t, d, i, s in zip(tap, dilation, spatial, stride))
        target = y[(slice(None), *where)]  # a view (N, *I, C_out)
        seen = covered[where]
        if seen.all():
            ops.add(target, term, out=target)
        elif not seen.any():
            target[...] = term  # the first partial sum at these positions: a copy, no add
        else:
            target[:, seen] = ops.add(target[:, seen], term[:, seen])
            target[:, ~seen] = term[:, ~seen]
        covered[where] = True
    crop = tuple(slice(b, b + o) for b, o in zip(begin, out))
    return np.ascontiguousarray(y[(slice(None), *crop)])


def _plan(kind: str):
    def plan(attrs: ConvTranspose, inputs: tuple[Shape, ...]) -> Plan:
        shape = inputs[0]
        rank = len(attrs.kernel)
        require_rank(shape, rank + 1, kind)
        c_in, groups = shape[-1], attrs.groups
        if c_in % groups or attrs.filters % groups:
            raise PlanError("E405", f"{kind}: groups={groups} must divide {c_in} channels and {attrs.filters} "
                                    "filters", "groups")
        if attrs.padding == "same" and any(attrs.output_padding):
            raise PlanError("E411", f"{kind}: output_padding with padding: same", "output_padding")
        if any(op >= s and op >= d for op, s, d in zip(attrs.output_padding, attrs.stride, attrs.dilation)):
            raise PlanError("E410", f"{kind}: output_padding must be below the stride or the dilation",
                            "output_padding")
        full, begin, out = geometry(attrs, shape[:-1])
        if min(out) < 1:
            raise PlanError("E403", f"{kind}: the padding crops the whole output {full}", "padding")
        taps = math.prod(attrs.kernel)
        weights = {"kernel": WeightSpec("weights", (*attrs.kernel, c_in // groups, attrs.filters), "he",
                                        fan_in=taps * c_in // groups)}
        if attrs.bias:
            weights["bias"] = WeightSpec("biases", (attrs.filters,), "small")
        positions = math.prod(shape[:-1])
        length = math.prod(max(f, b + o) for f, b, o in zip(full, begin, out))
        # the grouped input's copy, the products (and the matmul's result they are reshaped from),
        # the full output and its coverage mask, a tap's slab and the masked copies of it
        scratch = positions * c_in + 2 * positions * taps * attrs.filters + length * attrs.filters \
            + 4 * positions * attrs.filters
        return Plan(out + (attrs.filters,), weights, scratch, fixed_bytes=length)
    return plan


def _run(ops: Counter, attrs: ConvTranspose, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    _, begin, out = geometry(attrs, x.shape[1:-1])
    y = transpose_convolve(ops, x, weights["kernel"], attrs.stride, attrs.dilation, attrs.groups, begin, out)
    bias = weights.get("bias")
    return y if bias is None else ops.add(y, bias, out=y)


KERNELS: dict[str, Kernel] = {
    "conv2d_transpose": Kernel(_plan("conv2d_transpose"), _run),
    "conv3d_transpose": Kernel(_plan("conv3d_transpose"), _run),
}
