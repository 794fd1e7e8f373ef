"""Layers that change the spatial size without weights: upsampling2d (nearest or bilinear
resizing), depth_to_space and space_to_depth (moving blocks of pixels to and from the channels),
and cropping2d / cropping3d (cutting rows and columns off the borders).

Only bilinear upsampling computes: per output element three linear interpolations
``a + t·(b − a)`` (along the width in the top row and in the bottom row, then along the height
between them), so 3 mults and 6 adds (subtractions are adds). A 2× bilinear upsampling of a U-Net
decoder's 28×28×512 map to 56×56×512 (1,605,632 outputs) is 4,816,896 mults and 9,633,792 adds
(:func:`_upsampling_cost`). The interpolation weights ``t`` depend on positions only and are not
counted, like the divisor of average pooling. The others move data: no arithmetic.
"""

from __future__ import annotations

from typing import Callable, Literal, NamedTuple

from convcost.layers.base import (
    Cost,
    Field,
    LayerKind,
    Pads,
    Shape,
    ShapeError,
    axis_name,
    check_dimensions,
    elements,
    format_shape,
    require_rank,
)

# Per output element of bilinear upsampling: top = a + tx·(b − a), bottom = c + tx·(d − c),
# out = top + ty·(bottom − top) (docs/conventions.md).
BILINEAR_MULTS = 3
BILINEAR_ADDS = 6


class UpsamplingAttrs(NamedTuple):
    size: tuple[int, int] | None  # integer factors (fh, fw); exactly one of size and target is given
    target: tuple[int, int] | None  # output (H, W)
    interpolation: Literal["nearest", "bilinear"]
    align_corners: bool  # bilinear only: PyTorch's align_corners=True (default False: half-pixel)


class BlockAttrs(NamedTuple):
    """depth_to_space and space_to_depth."""

    block_size: int


class CroppingAttrs(NamedTuple):
    """cropping2d and cropping3d."""

    cropping: Pads  # (begin, end) removed per spatial axis


# --- upsampling2d ---------------------------------------------------------------------------------

def _upsampling_shape(attrs: UpsamplingAttrs, inputs: tuple[Shape, ...]) -> Shape:
    """``(H·fh, W·fw, C)`` with ``size``, ``(target_H, target_W, C)`` with ``target``:
    ``_upsampling_shape(UpsamplingAttrs((2, 2), None, "bilinear", False), ((28, 28, 512),)) == (56, 56, 512)``."""
    require_rank(inputs[0], 3, "upsampling2d", "[H, W, C]")
    if attrs.size is not None and attrs.target is not None:
        raise ShapeError("E423", "give either size (integer factors) or target (the output [H, W]), not both",
                         field="target", hint="remove one of them")
    if attrs.size is None and attrs.target is None:
        raise ShapeError("E203", "needs 'size' (integer factors, int or [fh, fw]) or 'target' "
                                 "(the output [H, W])")
    if attrs.align_corners and attrs.interpolation != "bilinear":
        raise ShapeError("E205", "align_corners applies to bilinear interpolation only",
                         field="align_corners", hint="remove it, or write interpolation: bilinear")
    h, w, c = inputs[0]
    out = attrs.target if attrs.target is not None else (h * attrs.size[0], w * attrs.size[1])  # type: ignore[index]
    return check_dimensions((out[0], out[1], c))


def _upsampling_cost(attrs: UpsamplingAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    """Nearest: nothing. Bilinear: per output element 3 mults and 6 adds (the module docstring);
    every operand is real data, so effective mults are the mults.

    ``_upsampling_cost(bilinear 2×, ((28, 28, 512),), (56, 56, 512))``: 1,605,632 outputs,
    4,816,896 mults, 9,633,792 adds."""
    if attrs.interpolation == "nearest":
        return Cost()
    n = elements(out)
    return Cost(mults=BILINEAR_MULTS * n, adds=BILINEAR_ADDS * n, effective_mults=BILINEAR_MULTS * n)


def _describe_upsampling(attrs: UpsamplingAttrs) -> str:
    how = f"×{attrs.size[0]}×{attrs.size[1]}" if attrs.size is not None else \
        f"to {attrs.target[0]}×{attrs.target[1]}" if attrs.target is not None else ""
    return f"{attrs.interpolation} {how}" + (" align_corners" if attrs.align_corners else "")


# --- depth_to_space / space_to_depth ----------------------------------------------------------------

def _depth_to_space_shape(attrs: BlockAttrs, inputs: tuple[Shape, ...]) -> Shape:
    """``(H·b, W·b, C / b²)``; E420 unless b² divides C: ``(7, 7, 64)``, b = 2 -> ``(14, 14, 16)``."""
    require_rank(inputs[0], 3, "depth_to_space", "[H, W, C]")
    h, w, c = inputs[0]
    b = attrs.block_size
    if c % (b * b):
        raise ShapeError("E420", f"block_size {b} needs channels divisible by block_size² = {b * b}, got {c} "
                                 f"channels (input {format_shape(inputs[0])})", field="block_size",
                         hint=_divisors_hint(c, square=True))
    return check_dimensions((h * b, w * b, c // (b * b)))


def _space_to_depth_shape(attrs: BlockAttrs, inputs: tuple[Shape, ...]) -> Shape:
    """``(H / b, W / b, C·b²)``; E420 unless b divides H and W: ``(14, 14, 16)``, b = 2 -> ``(7, 7, 64)``."""
    require_rank(inputs[0], 3, "space_to_depth", "[H, W, C]")
    b = attrs.block_size
    for axis, n in enumerate(inputs[0][:2]):
        if n % b:
            raise ShapeError("E420", f"block_size {b} must divide the {axis_name(axis, 2)} {n} (input "
                                     f"{format_shape(inputs[0])})", field="block_size",
                             hint=_divisors_hint(n, square=False))
    h, w, c = inputs[0]
    return check_dimensions((h // b, w // b, c * b * b))


def _divisors_hint(n: int, square: bool) -> str | None:
    fits = [b for b in range(2, 17) if n % (b * b if square else b) == 0]
    return f"block sizes that fit: {', '.join(map(str, fits))}" if fits else None


def _describe_block(attrs: BlockAttrs) -> str:
    return f"block {attrs.block_size}"


# --- cropping2d / cropping3d -----------------------------------------------------------------------

def _cropping_shape(rank: int, kind: str) -> Callable[[CroppingAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: CroppingAttrs, inputs: tuple[Shape, ...]) -> Shape:
        """Each spatial axis ``n − begin − end``; E421 where that leaves nothing."""
        require_rank(inputs[0], rank + 1, kind, "[H, W, C]" if rank == 2 else "[D, H, W, C]")
        spatial = []
        for axis, (n, (b, e)) in enumerate(zip(inputs[0][:-1], attrs.cropping)):
            if b + e >= n:
                raise ShapeError("E421", f"cropping {b}+{e} = {b + e} from the {axis_name(axis, rank)} of {n} "
                                         f"(input {format_shape(inputs[0])}) leaves nothing: the crop must be "
                                         f"smaller than the {axis_name(axis, rank)}", field="cropping")
            spatial.append(n - b - e)
        return tuple(spatial) + (inputs[0][-1],)
    return output_shape


def _describe_cropping(attrs: CroppingAttrs) -> str:
    return " ".join(f"{b}:{e}" if b != e else str(b) for b, e in attrs.cropping)


def _no_cost(attrs: object, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


KINDS: list[LayerKind] = [
    LayerKind("upsampling2d", "resize H and W: integer factors or a target size, nearest or bilinear",
              {"size": Field("size", default=None, minimum=1, rank=2,
                             doc="integer factors, int | [fh, fw] (give size or target)"),
               "target": Field("size", default=None, minimum=1, rank=2,
                               doc="the output size [H, W] (give size or target)"),
               "interpolation": Field("choice", default="nearest", choices=("nearest", "bilinear"),
                                      doc="nearest copies; bilinear is half-pixel (PyTorch align_corners=false, "
                                          "Keras)"),
               "align_corners": Field("bool", default=False,
                                      doc="bilinear only: PyTorch's align_corners=true")},
              UpsamplingAttrs, _upsampling_shape, _upsampling_cost, _describe_upsampling),
    LayerKind("depth_to_space", "move channel blocks into b×b pixel blocks (TensorFlow order)",
              {"block_size": Field("int", required=True, minimum=2,
                                   doc="b: [H, W, C] -> [H·b, W·b, C/b²]")},
              BlockAttrs, _depth_to_space_shape, _no_cost, _describe_block),
    LayerKind("space_to_depth", "move b×b pixel blocks into the channels (TensorFlow order)",
              {"block_size": Field("int", required=True, minimum=2,
                                   doc="b: [H, W, C] -> [H/b, W/b, C·b²]")},
              BlockAttrs, _space_to_depth_shape, _no_cost, _describe_block),
    LayerKind("cropping2d", "cut rows and columns off H and W (U-Net's crop before concat)",
              {"cropping": Field("pairs", required=True, minimum=0, rank=2,
                                 doc="int | [ch, cw] | [[top, bottom], [left, right]]")},
              CroppingAttrs, _cropping_shape(2, "cropping2d"), _no_cost, _describe_cropping),
    LayerKind("cropping3d", "cut slices off D, H and W",
              {"cropping": Field("pairs", required=True, minimum=0, rank=3,
                                 doc="int | [cd, ch, cw] | three [begin, end] pairs")},
              CroppingAttrs, _cropping_shape(3, "cropping3d"), _no_cost, _describe_cropping),
]
