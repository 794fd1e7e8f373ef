"""Batch normalization at inference, over the channel (last) axis.

Folded to ``y = x · scale + shift``: 1 mult and 1 add per element. Parameters per channel C:
gamma and beta (trainable) and the moving mean and variance (non-trainable), as Keras counts them.
MobileNet 1.0-224's 27 batch-norm layers hold 2 · 10,944 trainable and 2 · 10,944 = 21,888
non-trainable values.
"""

from __future__ import annotations

from convcost.layers.base import Cost, LayerKind, NoAttrs, Shape, ShapeError, elements


def _shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with a channel axis")
    return inputs[0]


def _cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n, channels = elements(out), out[-1]
    return Cost(mults=n, adds=n, effective_mults=n, bn_trainable=2 * channels, bn_non_trainable=2 * channels)


KINDS: list[LayerKind] = [LayerKind("batch_norm", "batch normalization (inference: scale and shift per channel)", {},
                                    NoAttrs, _shape, _cost)]
