"""The layer kinds, by name: one registry, so an unknown kind is an error, never a silent zero."""

from __future__ import annotations

from convcost.layers import activation, conv, dense, merge, norm, pooling, reshape
from convcost.layers.base import (CATEGORIES, Attrs, Cost, Field, LayerKind, Part, Shape, ShapeError,
                                  conv_output_size, format_shape, same_padding, taps_inside)

KINDS: dict[str, LayerKind] = {
    kind.name: kind
    for module in (conv, pooling, dense, norm, activation, reshape, merge)
    for kind in module.KINDS
}

__all__ = ["KINDS", "CATEGORIES", "Attrs", "Cost", "Field", "LayerKind", "Part", "Shape", "ShapeError",
           "conv_output_size", "format_shape", "same_padding", "taps_inside"]
