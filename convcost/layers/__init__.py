"""The layer kinds, by name: one registry, so an unknown kind is an error, never a silent zero."""

from __future__ import annotations

from typing import Any

from convcost.layers import (
    activation,
    conv,
    dense,
    elementwise,
    merge,
    norm,
    normalization,
    pointwise,
    pooling,
    reshape,
    resize,
    slicing,
    structure,
    transpose,
)
from convcost.layers.activation import EluAttrs, GeluAttrs, LeakyReluAttrs
from convcost.layers.base import (
                                  CATEGORIES,
                                  NO_ATTRS,
                                  Cost,
                                  Field,
                                  LayerKind,
                                  NoAttrs,
                                  Part,
                                  Shape,
                                  ShapeError,
                                  conv_output_size,
                                  format_shape,
                                  same_padding,
                                  taps_inside,
)
from convcost.layers.conv import ConvAttrs, DepthwiseConvAttrs, SeparableConvAttrs
from convcost.layers.dense import DenseAttrs
from convcost.layers.merge import ConcatAttrs
from convcost.layers.norm import BatchNormAttrs
from convcost.layers.normalization import GroupNormAttrs, LayerNormAttrs, LocalResponseNormAttrs
from convcost.layers.pointwise import ClipAttrs, NormalizationAttrs, RescalingAttrs
from convcost.layers.pooling import AdaptivePoolAttrs, AveragePoolAttrs, GlobalPoolAttrs, PoolAttrs
from convcost.layers.reshape import DropoutAttrs, ZeroPaddingAttrs
from convcost.layers.resize import BlockAttrs, CroppingAttrs, UpsamplingAttrs
from convcost.layers.slicing import SliceAttrs
from convcost.layers.structure import ChannelShuffleAttrs, ReshapeAttrs, SplitAttrs
from convcost.layers.transpose import ConvTransposeAttrs

KINDS: dict[str, LayerKind[Any]] = {
    kind.name: kind
    for module in (conv, pooling, dense, norm, activation, reshape, merge, resize, structure, elementwise,
                   normalization, transpose, pointwise, slicing)
    for kind in module.KINDS
}

# A layer's normalized attributes: the record of its kind (``KINDS[kind].attrs_type``), built by
# ``KINDS[kind].make_attrs(values)``.
Attrs = (ConvAttrs | DepthwiseConvAttrs | SeparableConvAttrs | PoolAttrs | GlobalPoolAttrs | DenseAttrs
         | DropoutAttrs | ZeroPaddingAttrs | ConcatAttrs | NoAttrs
         | UpsamplingAttrs | BlockAttrs | CroppingAttrs | ReshapeAttrs | ChannelShuffleAttrs | SplitAttrs
         | LeakyReluAttrs | EluAttrs | GeluAttrs | LayerNormAttrs | GroupNormAttrs | LocalResponseNormAttrs
         | AveragePoolAttrs | ConvTransposeAttrs | AdaptivePoolAttrs
         | BatchNormAttrs | RescalingAttrs | NormalizationAttrs | ClipAttrs | SliceAttrs)

__all__ = ["KINDS", "CATEGORIES", "NO_ATTRS", "Attrs", "ConcatAttrs", "ConvAttrs", "Cost", "DenseAttrs",
           "DepthwiseConvAttrs", "DropoutAttrs", "Field", "GlobalPoolAttrs", "LayerKind", "NoAttrs", "Part",
           "PoolAttrs", "SeparableConvAttrs", "Shape", "ShapeError", "ZeroPaddingAttrs", "conv_output_size",
           "format_shape", "same_padding", "taps_inside",
           "UpsamplingAttrs", "BlockAttrs", "CroppingAttrs", "ReshapeAttrs", "ChannelShuffleAttrs", "SplitAttrs",
           "EluAttrs", "GeluAttrs", "GroupNormAttrs", "LayerNormAttrs", "LeakyReluAttrs", "LocalResponseNormAttrs",
           "AveragePoolAttrs", "ConvTransposeAttrs", "AdaptivePoolAttrs",
           "BatchNormAttrs", "RescalingAttrs", "NormalizationAttrs", "ClipAttrs", "SliceAttrs"]
