"""Batch normalization at inference, over the channel (last) axis.

Folded to ``y = x · scale + shift``: 1 mult and 1 add per element. Parameters per channel C:
gamma and beta (trainable) and the moving mean and variance (non-trainable), as Keras counts them.
MobileNet 1.0-224's 27 batch-norm layers hold 2 · 10,944 trainable and 2 · 10,944 = 21,888
non-trainable values.

``scale: false`` (no learned gamma; Keras' ``BatchNormalization(scale=False)``, InceptionV3) and
``center: false`` (no learned beta) remove those C trainable values each; the moving mean and
variance (2C, non-trainable) are always kept. The operation count does not change: the folded
factor is ``gamma / sqrt(var + eps)`` (``1 / sqrt(var + eps)`` without gamma) and the folded shift
``beta − mean · factor`` (``−mean · factor`` without beta), neither 1 nor 0 in general, so both are
still computed. Hand-derived: InceptionV3's first batch norm (149×149×32, ``scale=False``):
710,432 mults and adds, 32 trainable (beta) and 64 non-trainable parameters (Keras: 96).
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, Shape, ShapeError, elements


class BatchNormAttrs(NamedTuple):
    center: bool  # a learned shift beta (Keras' center)
    scale: bool  # a learned factor gamma (Keras' scale)


def _shape(attrs: BatchNormAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with a channel axis")
    return inputs[0]


def _cost(attrs: BatchNormAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n, channels = elements(out), out[-1]
    return Cost(mults=n, adds=n, effective_mults=n, bn_trainable=(attrs.center + attrs.scale) * channels,
                bn_non_trainable=2 * channels)


def _describe(attrs: BatchNormAttrs) -> str:
    return ", ".join(f"no {what}" for what, present in (("gamma", attrs.scale), ("beta", attrs.center))
                     if not present)


KINDS: list[LayerKind] = [LayerKind("batch_norm", "batch normalization (inference: scale and shift per channel)",
                                    {"center": Field("bool", default=True,
                                                     doc="a learned shift beta per channel (Keras' center)"),
                                     "scale": Field("bool", default=True,
                                                    doc="a learned factor gamma per channel (Keras' scale)")},
                                    BatchNormAttrs, _shape, _cost, _describe)]
