"""Reference convolutions: conv1d, conv2d, conv3d, depthwise_conv2d, separable_conv2d.

Each reads like its formula, ``y[o, f] = sum over taps t and channels c of x_pad[o·s + t·d, c] ·
w[t, c, f]``: pad → windowed view → one contraction. Effective mults of a padded layer are
measured by running the same windows over a 0/1 mask of real input positions.

Weight layouts follow Keras: conv kernels (*kernel, C_in / groups, C_out), depthwise kernels
(kh, kw, C_in, depth_multiplier), pointwise kernels (1, 1, C, filters).
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
    phases_elements,
    real_pair_total,
    real_pairs_bytes,
    row_windows,
    windows,
    windows_along,
)
from convcost.reference.kernels.activation import activate
from convcost.reference.kernels.base import (
    SPATIAL,
    TAPS,
    Kernel,
    Padding,
    Plan,
    PlanError,
    Shape,
    WeightSpec,
    require_rank,
)

Weights = Mapping[str, np.ndarray]


# --- what the kernels read from a layer's attributes --------------------------------------------

class Window(Protocol):
    """A windowed layer: sizes per spatial axis, padding 'valid' | 'same' | (begin, end) pairs."""

    @property
    def kernel(self) -> Shape: ...
    @property
    def stride(self) -> Shape: ...
    @property
    def padding(self) -> Padding: ...
    @property
    def dilation(self) -> Shape: ...


class Conv(Window, Protocol):
    """conv1d, conv2d, conv3d."""

    @property
    def filters(self) -> int: ...
    @property
    def groups(self) -> int: ...
    @property
    def bias(self) -> bool: ...


class Depthwise(Window, Protocol):
    """depthwise_conv2d."""

    @property
    def depth_multiplier(self) -> int: ...
    @property
    def bias(self) -> bool: ...


class Separable(Window, Protocol):
    """separable_conv2d."""

    @property
    def filters(self) -> int: ...
    @property
    def depth_multiplier(self) -> int: ...
    @property
    def bias(self) -> bool: ...
    @property
    def order(self) -> str: ...
    @property
    def activation(self) -> str: ...

# --- the computations ---------------------------------------------------------------------------


def convolve(ops: Counter, x: np.ndarray, kernel: np.ndarray, stride: Shape, dilation: Shape, pads: Pads,
             groups: int) -> np.ndarray:
    """Grouped convolution: x (N, *S, C_in), kernel (*K, C_in / G, C_out) -> (N, *O, C_out).

    The windows (N, *O, C, *K) are contracted with the kernel over taps and channels; with G
    groups the channels split into (G, C_in / G) and the filters into (G, C_out / G), and G is a
    batch index of the contraction (filters of group g read only channels of group g).
    """
    rank = kernel.ndim - 2
    S, T = SPATIAL[rank], TAPS[rank]
    n, c_in, c_out = x.shape[0], x.shape[-1], kernel.shape[-1]
    padded = _is_padded(pads)
    x_pad = pad(x, pads)
    if groups == 1:
        view = windows(x_pad, kernel.shape[:rank], stride, dilation)  # (N, *O, C, *K)
        y = ops.contract(f"n{S}c{T},{T}cf->n{S}f", view, kernel, padded=padded)
    else:
        grouped = x_pad.reshape(*x_pad.shape[:-1], groups, c_in // groups)  # (N, *P, G, C/G)
        view = windows(grouped, kernel.shape[:rank], stride, dilation)  # (N, *O, G, C/G, *K)
        w = kernel.reshape(*kernel.shape[:-1], groups, c_out // groups)  # (*K, C/G, G, F/G)
        y = ops.contract(f"n{S}gc{T},{T}cgf->n{S}gf", view, w, padded=padded)
        y = y.reshape(*y.shape[:-2], c_out)
    if padded:
        _count_effective(ops, x.shape[1:-1], pads, kernel.shape[:rank], stride, dilation, n,
                         channel_factor=kernel.size // math.prod(kernel.shape[:rank]))
    return y


def depthwise(ops: Counter, x: np.ndarray, kernel: np.ndarray, stride: Shape, dilation: Shape,
              pads: Pads) -> np.ndarray:
    """Depthwise convolution: x (N, *S, C), kernel (*K, C, M) -> (N, *O, C·M), output channel
    ``c·M + m`` from input channel c: ``y[o, c, m] = sum over taps t of x_pad[o·s + t·d, c] ·
    w[t, c, m]``.

    Pad and take the windows by output row (:func:`~convcost.reference.geometry.row_windows`:
    the last output axis and the channels as one contiguous axis, x), and contract each group of taps
    with its weights repeated along the row (``w[t, c, m]`` at every x = (o_last, c)), summing the
    taps: one contraction at stride 1, one per input phase at a larger stride, added up. The
    channels are a batch index, so no window is copied into rows for a matrix product.
    """
    rank = kernel.ndim - 2
    S, T = SPATIAL[rank], TAPS[rank]
    channels, multiplier = kernel.shape[-2:]
    padded = _is_padded(pads)
    single = multiplier == 1  # depth multiplier 1: no size-1 axis, numpy's loops run faster without it
    head = f"n{S[:-1]}x"  # the output without the channels: (N, *O[:-1], O[-1]·C)
    subscripts = f"{T}{head},{T}x->{head}" if single else f"{T}{head},{T}xm->{head}m"
    groups = row_windows(x, pads, kernel.shape[:rank], stride, dilation)
    row = groups[0][1].shape[-1] // channels  # O[-1]
    # w[t, c, m] at every x = (o_last, c): (*K, x[, M]), a small copy
    repeated = np.broadcast_to(kernel[..., None, :, :], (*kernel.shape[:rank], row, channels, multiplier))
    repeated = repeated.reshape(*kernel.shape[:rank], row * channels, multiplier)
    if single:
        repeated = repeated[..., 0]
    y = None
    for taps, view in groups:
        part = ops.contract(subscripts, view, repeated[taps], padded=padded, along_rows=True)
        y = part if y is None else ops.add(y, part, out=y)  # y is this layer's fresh result
    if padded:
        _count_effective(ops, x.shape[1:-1], pads, kernel.shape[:rank], stride, dilation, x.shape[0],
                         channel_factor=channels * multiplier)
    assert y is not None  # a kernel has at least one tap
    out = y.shape[1:rank] + (y.shape[rank] // channels,)
    return y.reshape(x.shape[0], *out, channels * multiplier)


def pointwise(ops: Counter, x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """1×1 convolution as one matrix product: x (N, *S, C), kernel (C, F) -> (N, *S, F)."""
    S = SPATIAL[x.ndim - 2]
    return ops.contract(f"n{S}c,cf->n{S}f", x, kernel)


def add_bias(ops: Counter, y: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """y (N, ..., F) + bias (F,), in place on the fresh output: one add per element."""
    if bias is None:
        return y
    return ops.add(y, bias, out=y)  # y is a fresh result of this layer, never an input


def _is_padded(pads: Pads) -> bool:
    return any(b or e for b, e in pads)


def _mask_bytes(shape: Shape, pads: Pads, out: Shape) -> int:
    """Bytes of the mask that measures effective mults (only a padded layer runs it)."""
    return real_pairs_bytes(shape[:-1], pads, out) if _is_padded(pads) else 0


def _count_effective(ops: Counter, spatial: Shape, pads: Pads, kernel: Shape, stride: Shape, dilation: Shape,
                     batch: int, channel_factor: int) -> None:
    """Effective mults: the windows run over a 0/1 mask of real input positions give, per output
    position, the taps that read real data; each such pair multiplies ``channel_factor``
    (C_out · C_in / groups) weights, for every sample."""
    real = real_pair_total(tuple(spatial), tuple(map(tuple, pads)), tuple(kernel), tuple(stride), tuple(dilation))
    ops.count_real_taps(real * batch, channel_factor)


# --- plans ----------------------------------------------------------------------------------------

def _geometry(attrs: Window, shape: Shape, kind: str) -> tuple[Pads, Shape]:
    """(pads, output spatial sizes) of a windowed layer on a per-sample ``shape`` (*S, C)."""
    rank = len(attrs.kernel)
    require_rank(shape, rank + 1, kind)
    stride, dilation = attrs.stride, attrs.dilation
    pads = layer_pads(attrs.padding, shape[:-1], attrs.kernel, stride, dilation)
    out = tuple(windows_along(n + b + e, k, s, d)
                for n, (b, e), k, s, d in zip(shape[:-1], pads, attrs.kernel, stride, dilation))
    if min(out) < 1:
        raise PlanError("E403", f"{kind}: the kernel does not fit the padded input {shape[:-1]} "
                                f"(padding {pads})", "kernel")
    return pads, out


def _conv_plan(kind: str) -> Callable[[Conv, tuple[Shape, ...]], Plan]:
    def plan(attrs: Conv, inputs: tuple[Shape, ...]) -> Plan:
        shape = inputs[0]
        pads, out = _geometry(attrs, shape, kind)
        c_in, groups = shape[-1], attrs.groups
        if c_in % groups or attrs.filters % groups:
            raise PlanError("E405", f"{kind}: groups={groups} must divide {c_in} channels and {attrs.filters} "
                                    "filters", "groups")
        taps = math.prod(attrs.kernel)
        weights = {"kernel": WeightSpec("weights", (*attrs.kernel, c_in // groups, attrs.filters), "he",
                                        fan_in=taps * c_in // groups)}
        if attrs.bias:
            weights["bias"] = WeightSpec("biases", (attrs.filters,), "small")
        positions = math.prod(out)
        # padded input + the windows gathered into rows for the matrix product (+ its grouped copy)
        scratch = padded_elements(shape, pads) + (2 if groups > 1 else 1) * positions * taps * c_in
        return Plan(out + (attrs.filters,), weights, scratch + positions * attrs.filters, _mask_bytes(shape, pads, out))
    return plan


def _conv_run(ops: Counter, attrs: Conv, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    pads = layer_pads(attrs.padding, x.shape[1:-1], attrs.kernel, attrs.stride, attrs.dilation)
    y = convolve(ops, x, weights["kernel"], attrs.stride, attrs.dilation, pads, attrs.groups)
    return add_bias(ops, y, weights.get("bias"))


def _depthwise_plan(attrs: Depthwise, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    pads, out = _geometry(attrs, shape, "depthwise_conv2d")
    c_out = shape[-1] * attrs.depth_multiplier
    weights = {"kernel": WeightSpec("weights", (*attrs.kernel, shape[-1], attrs.depth_multiplier), "he",
                                    fan_in=math.prod(attrs.kernel))}
    if attrs.bias:
        weights["bias"] = WeightSpec("biases", (c_out,), "small")
    # the padded input (split into phases), the weights repeated along a row, the result
    scratch = (phases_elements(shape, pads, attrs.stride)
               + math.prod(attrs.kernel) * out[-1] * c_out + math.prod(out) * c_out)
    return Plan(out + (c_out,), weights, scratch, _mask_bytes(shape, pads, out))


def _depthwise_run(ops: Counter, attrs: Depthwise, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    pads = layer_pads(attrs.padding, x.shape[1:-1], attrs.kernel, attrs.stride, attrs.dilation)
    y = depthwise(ops, x, weights["kernel"], attrs.stride, attrs.dilation, pads)
    return add_bias(ops, y, weights.get("bias"))


def _separable_plan(attrs: Separable, inputs: tuple[Shape, ...]) -> Plan:
    """depthwise_first: depthwise k×k (stride, padding) on C_in, then 1×1 to filters, bias there.
    pointwise_first: 1×1 to filters at stride 1, then depthwise k×k (stride, padding) producing
    filters · depth_multiplier channels, bias there."""
    shape = inputs[0]
    require_rank(shape, 3, "separable_conv2d")
    dm, filters = attrs.depth_multiplier, attrs.filters
    if attrs.order == "depthwise_first":
        pads, out = _geometry(attrs, shape, "separable_conv2d")
        mid, c_out = out + (shape[-1] * dm,), filters
        weights = {"depthwise": WeightSpec("weights", (*attrs.kernel, shape[-1], dm), "he", math.prod(attrs.kernel)),
                   "pointwise": WeightSpec("weights", (1, 1, shape[-1] * dm, filters), "he", shape[-1] * dm)}
        padded, mask = phases_elements(shape, pads, attrs.stride), _mask_bytes(shape, pads, out)
        padded += math.prod(attrs.kernel) * out[-1] * shape[-1] * dm
    else:
        mid = shape[:-1] + (filters,)
        pads, out = _geometry(attrs, mid, "separable_conv2d")
        c_out = filters * dm
        weights = {"pointwise": WeightSpec("weights", (1, 1, shape[-1], filters), "he", shape[-1]),
                   "depthwise": WeightSpec("weights", (*attrs.kernel, filters, dm), "he", math.prod(attrs.kernel))}
        padded, mask = phases_elements(mid, pads, attrs.stride), _mask_bytes(mid, pads, out)
        padded += math.prod(attrs.kernel) * out[-1] * c_out
    if attrs.bias:
        weights["bias"] = WeightSpec("biases", (c_out,), "small")
    mid_elements = math.prod(mid)
    # the padded tensor (in phases) and the repeated weights, the accumulator and one group's part, the
    # activated copy, the second step's term
    scratch = padded + 3 * mid_elements + math.prod(out) * c_out
    return Plan(out + (c_out,), weights, scratch, mask)


def _separable_run(ops: Counter, attrs: Separable, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    dw, pw = weights["depthwise"], weights["pointwise"]
    pw = pw.reshape(pw.shape[-2], pw.shape[-1])  # (1, 1, C, F) -> (C, F)

    def depthwise_step(t: np.ndarray) -> np.ndarray:
        pads = layer_pads(attrs.padding, t.shape[1:-1], attrs.kernel, attrs.stride, attrs.dilation)
        return depthwise(ops, t, dw, attrs.stride, attrs.dilation, pads)

    if attrs.order == "depthwise_first":
        y = pointwise(ops, activate(ops, attrs.activation, depthwise_step(x)), pw)
    else:
        y = depthwise_step(activate(ops, attrs.activation, pointwise(ops, x, pw)))
    return add_bias(ops, y, weights.get("bias"))


KERNELS: dict[str, Kernel] = {
    "conv2d": Kernel(_conv_plan("conv2d"), _conv_run),
    "conv3d": Kernel(_conv_plan("conv3d"), _conv_run),
    "depthwise_conv2d": Kernel(_depthwise_plan, _depthwise_run),
    "separable_conv2d": Kernel(_separable_plan, _separable_run),
    "conv1d": Kernel(_conv_plan("conv1d"), _conv_run),
}
