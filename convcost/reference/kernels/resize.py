"""Reference resizing: upsampling2d (nearest: a gather; bilinear: a gather of the four neighbours,
then three counted linear interpolations per output element), depth_to_space and space_to_depth
(reshape -> transpose -> reshape, TensorFlow's channel order) and cropping (a slice)."""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Pads, Plan, PlanError, Shape, require_rank

Weights = Mapping[str, np.ndarray]


class Upsampling(Protocol):
    @property
    def size(self) -> tuple[int, int] | None: ...
    @property
    def target(self) -> tuple[int, int] | None: ...
    @property
    def interpolation(self) -> str: ...
    @property
    def align_corners(self) -> bool: ...


class Block(Protocol):
    @property
    def block_size(self) -> int: ...


class Cropping(Protocol):
    @property
    def cropping(self) -> Pads: ...


# --- upsampling2d ---------------------------------------------------------------------------------

def _upsampling_out(attrs: Upsampling, shape: Shape) -> tuple[int, int]:
    if (attrs.size is None) == (attrs.target is None):
        raise PlanError("E423" if attrs.size is not None else "E203",
                        "upsampling2d needs exactly one of size and target", "target")
    if attrs.align_corners and attrs.interpolation != "bilinear":
        raise PlanError("E205", "align_corners applies to bilinear interpolation only", "align_corners")
    if attrs.target is not None:
        return attrs.target
    assert attrs.size is not None
    return shape[0] * attrs.size[0], shape[1] * attrs.size[1]


def _upsampling_plan(attrs: Upsampling, inputs: tuple[Shape, ...]) -> Plan:
    require_rank(inputs[0], 3, "upsampling2d")
    h, w = _upsampling_out(attrs, inputs[0])
    out = (h, w, inputs[0][2])
    # bilinear: the gathered neighbours b, c, d besides the output (which starts as a)
    scratch = 3 * h * w * inputs[0][2] if attrs.interpolation == "bilinear" else 0
    return Plan(out, scratch=scratch)


def nearest_index(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each output index, half-pixel: ``floor((o + 0.5)·n_in / n_out)`` in exact
    integers (TensorFlow 2 / Keras, PyTorch's 'nearest-exact'; for integer factors f it is
    ``o // f``, a repeat, as PyTorch's 'nearest' too). ``nearest_index(2, 4) == [0, 0, 1, 1]``."""
    o = np.arange(n_out, dtype=np.int64)
    return np.minimum((2 * o + 1) * n_in // (2 * n_out), n_in - 1)


def linear_taps(n_in: int, n_out: int, align_corners: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, weight t of the upper) of each output index along one axis.

    Half-pixel (``align_corners`` False): source ``(o + 0.5)·n_in/n_out − 0.5``, clamped at 0;
    align_corners: ``o·(n_in − 1)/(n_out − 1)``. Lower = floor(source), upper = min(lower + 1,
    n_in − 1), t = source − lower. ``linear_taps(2, 4, False)``: t = [0, 0.25, 0.75, 0.25],
    lower [0, 0, 0, 1], upper [1, 1, 1, 1]."""
    o = np.arange(n_out, dtype=np.int64)
    if align_corners:
        num, den = o * (n_in - 1), max(n_out - 1, 1)
    else:
        num, den = np.maximum((2 * o + 1) * n_in - n_out, 0), 2 * n_out  # exact: source = num / den
    lower = num // den
    t = (num - lower * den) / den
    return lower, np.minimum(lower + 1, n_in - 1), t


def _upsampling_run(ops: Counter, attrs: Upsampling, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    h, w = _upsampling_out(attrs, x.shape[1:])
    if attrs.interpolation == "nearest":
        rows, cols = nearest_index(x.shape[1], h), nearest_index(x.shape[2], w)
        return x[:, rows[:, None], cols[None, :]]  # a gather, no arithmetic
    y0, y1, ty = linear_taps(x.shape[1], h, attrs.align_corners)
    x0, x1, tx = linear_taps(x.shape[2], w, attrs.align_corners)
    ty, tx = ty.astype(x.dtype)[:, None, None], tx.astype(x.dtype)[:, None]  # broadcast over (H, W, C)
    a, b = x[:, y0[:, None], x0[None, :]], x[:, y0[:, None], x1[None, :]]  # the four neighbours
    c, d = x[:, y1[:, None], x0[None, :]], x[:, y1[:, None], x1[None, :]]
    top = ops.add(a, ops.multiply(ops.subtract(b, a, out=b), tx, out=b), out=a)  # a + tx·(b − a)
    bottom = ops.add(c, ops.multiply(ops.subtract(d, c, out=d), tx, out=d), out=c)  # c + tx·(d − c)
    return ops.add(top, ops.multiply(ops.subtract(bottom, top, out=bottom), ty, out=bottom), out=top)


# --- depth_to_space / space_to_depth ----------------------------------------------------------------

def _depth_to_space_plan(attrs: Block, inputs: tuple[Shape, ...]) -> Plan:
    require_rank(inputs[0], 3, "depth_to_space")
    h, w, c = inputs[0]
    b = attrs.block_size
    if c % (b * b):
        raise PlanError("E420", f"depth_to_space: {c} channels are not divisible by block_size² = {b * b}",
                        "block_size")
    return Plan((h * b, w * b, c // (b * b)), scratch=0)


def _depth_to_space_run(ops: Counter, attrs: Block, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    """out[h·b + i, w·b + j, c] = in[h, w, (i·b + j)·C_out + c] (TensorFlow's order)."""
    x, b = inputs[0], attrs.block_size
    n, h, w, c = x.shape
    blocks = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)  # (n, h, i, w, j, c)
    return blocks.reshape(n, h * b, w * b, c // (b * b))


def _space_to_depth_plan(attrs: Block, inputs: tuple[Shape, ...]) -> Plan:
    require_rank(inputs[0], 3, "space_to_depth")
    h, w, c = inputs[0]
    b = attrs.block_size
    if h % b or w % b:
        raise PlanError("E420", f"space_to_depth: block_size {b} does not divide {h}×{w}", "block_size")
    return Plan((h // b, w // b, c * b * b))


def _space_to_depth_run(ops: Counter, attrs: Block, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    """out[h, w, (i·b + j)·C + c] = in[h·b + i, w·b + j, c] (TensorFlow's order)."""
    x, b = inputs[0], attrs.block_size
    n, h, w, c = x.shape
    blocks = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)  # (n, h, w, i, j, c)
    return blocks.reshape(n, h // b, w // b, b * b * c)


# --- cropping --------------------------------------------------------------------------------------

def _cropping_plan(rank: int, kind: str) -> Callable[[Cropping, tuple[Shape, ...]], Plan]:
    def plan(attrs: Cropping, inputs: tuple[Shape, ...]) -> Plan:
        require_rank(inputs[0], rank + 1, kind)
        spatial = tuple(n - b - e for n, (b, e) in zip(inputs[0][:-1], attrs.cropping))
        if any(n < 1 for n in spatial):
            raise PlanError("E421", f"{kind}: cropping {attrs.cropping} leaves nothing of {inputs[0]}", "cropping")
        return Plan(spatial + (inputs[0][-1],))
    return plan


def _cropping_run(ops: Counter, attrs: Cropping, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    window = tuple(slice(b, n - e) for n, (b, e) in zip(x.shape[1:-1], attrs.cropping))
    return x[(slice(None), *window)]  # a view


KERNELS: dict[str, Kernel] = {
    "upsampling2d": Kernel(_upsampling_plan, _upsampling_run),
    "depth_to_space": Kernel(_depth_to_space_plan, _depth_to_space_run),
    "space_to_depth": Kernel(_space_to_depth_plan, _space_to_depth_run),
    "cropping2d": Kernel(_cropping_plan(2, "cropping2d"), _cropping_run),
    "cropping3d": Kernel(_cropping_plan(3, "cropping3d"), _cropping_run),
}
