"""Elementwise maps with constants, for the Keras and ONNX importers (issue 13): rescaling
(Keras' Rescaling, and ``x + c`` / ``x · c`` with a constant), normalization (Keras' preprocessing
Normalization) and clip (ONNX Clip, Keras' ReLU(max_value=m)). None learns anything; the counts
are in docs/conventions.md.

Rescaling ``y = x · scale + offset``, each a number or one per channel: 1 mult per element unless
the scale is exactly 1 everywhere, 1 add per element unless the offset is exactly 0 everywhere
(the identity part is not computed). Hand-derived: EfficientNetB0's ``Rescaling(1/255)`` on
224×224×3 is 150,528 mults and no adds; MobileNetV3's hard sigmoid ``x + 3`` on 112×112×16 is
200,704 adds and no mults.

Normalization ``y = (x − mean_c) / max(sqrt(var_c), eps)`` along ``axis`` (default the channels):
1 add (the subtraction) and 1 division per element. The denominator depends on the layer's
constants only and is prepared once per channel before any input, as batch norm's fold is: its
sqrt and max are not counted. Parameters, all non-trainable (counted in ``bn_non_trainable``, the
group of non-trainable statistics): mean C, variance C and Keras' ``count`` (1), as Keras'
``count_params()`` gives for a layer that was adapted or loaded (EfficientNetB0's: 7 for RGB);
``stored: false`` is a layer given ``mean`` and ``variance`` as constants, for which Keras keeps
no weights (0). Hand-derived: EfficientNetB0's on 224×224×3: 150,528 adds and 150,528 divisions,
7 non-trainable parameters.

Clip ``y = min(max(x, min), max)``: 1 comparison per element per bound given (``min`` or ``max``
null: that bound is absent). Hand-derived: ONNX ``Clip(max=6)`` on 112×112×32 (401,408 elements)
is 401,408 comparisons; ``Clip(0, 6)``, 802,816, as relu6 counts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, Shape, ShapeError, elements, resolve_axis

Number = int | Fraction
Numbers = Number | tuple[Number, ...]  # one number, or one per channel


class RescalingAttrs(NamedTuple):
    scale: Numbers
    offset: Numbers


class NormalizationAttrs(NamedTuple):
    axis: int  # the axis whose every index has its own mean and variance; -1: the channels
    stored: bool  # Keras keeps mean, variance and count as (non-trainable) weights


class ClipAttrs(NamedTuple):
    min: Number | None  # None: no lower bound
    max: Number | None  # None: no upper bound


def _values(value: Numbers) -> tuple[Number, ...]:
    return value if isinstance(value, tuple) else (value,)


def _number_text(value: Number) -> str:
    """``Fraction(1, 255) -> '0.00392157'``, ``3 -> '3'``."""
    return str(value) if isinstance(value, int) else f"{float(value):g}"


def _numbers_text(value: Numbers) -> str:
    items = _values(value)
    shown = ", ".join(_number_text(v) for v in items[:4]) + (", …" if len(items) > 4 else "")
    return f"[{shown}]" if isinstance(value, tuple) else shown


def _rescaling_shape(attrs: RescalingAttrs, inputs: tuple[Shape, ...]) -> Shape:
    shape = inputs[0]
    if not shape:
        raise ShapeError("E404", "needs an input with a channel axis")
    for name in ("scale", "offset"):
        value = getattr(attrs, name)
        if isinstance(value, tuple) and len(value) != shape[-1]:
            raise ShapeError("E260", f"{name} has {len(value)} values but the input has {shape[-1]} channels; a "
                                     "per-channel list needs one value per channel", field=name,
                             hint="give one number for every channel, or a single number")
    return shape


def _rescaling_cost(attrs: RescalingAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    mults = n if any(v != 1 for v in _values(attrs.scale)) else 0
    adds = n if any(v != 0 for v in _values(attrs.offset)) else 0
    return Cost(mults=mults, effective_mults=mults, adds=adds)


def _describe_rescaling(attrs: RescalingAttrs) -> str:
    parts = [f"× {_numbers_text(attrs.scale)}"] if any(v != 1 for v in _values(attrs.scale)) else []
    parts += [f"+ {_numbers_text(attrs.offset)}"] if any(v != 0 for v in _values(attrs.offset)) else []
    return " ".join(parts) or "identity"


def _normalization_shape(attrs: NormalizationAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with at least one axis")
    resolve_axis(attrs.axis, len(inputs[0]))
    return inputs[0]


def _normalization_cost(attrs: NormalizationAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n, kept = elements(out), out[resolve_axis(attrs.axis, len(out))]
    return Cost(adds=n, divisions=n, bn_non_trainable=2 * kept + 1 if attrs.stored else 0)


def _describe_normalization(attrs: NormalizationAttrs) -> str:
    parts = [f"axis {attrs.axis}"] if attrs.axis != -1 else []
    return ", ".join(parts + ([] if attrs.stored else ["constants"]))


def _clip_shape(attrs: ClipAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if attrs.min is not None and attrs.max is not None and attrs.min > attrs.max:
        raise ShapeError("E205", f"max ({_number_text(attrs.max)}) must be >= min ({_number_text(attrs.min)})",
                         field="max", hint="swap them, or give one bound only")
    return inputs[0]


def _clip_cost(attrs: ClipAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    bounds = (attrs.min is not None) + (attrs.max is not None)
    return Cost(comparisons=bounds * elements(out))


def _describe_clip(attrs: ClipAttrs) -> str:
    low = "" if attrs.min is None else _number_text(attrs.min)
    high = "" if attrs.max is None else _number_text(attrs.max)
    return f"[{low or '−∞'}, {high or '∞'}]"


KINDS: list[LayerKind] = [
    LayerKind("rescaling", "y = x · scale + offset, constants (one number, or one per channel); no parameters",
              {"scale": Field("numbers", default=1, doc="the factor: a number or one per channel"),
               "offset": Field("numbers", default=0, doc="the offset added after scaling: a number or one per "
                                                         "channel")},
              RescalingAttrs, _rescaling_shape, _rescaling_cost, _describe_rescaling),
    LayerKind("normalization", "y = (x − mean) / max(sqrt(variance), eps) per channel (Keras' Normalization); "
                               "non-trainable mean, variance and count",
              {"axis": Field("int", default=-1, doc="the axis with a mean and variance per index; -1 is the "
                                                    "channel axis"),
               "stored": Field("bool", default=True, doc="mean, variance and count are weights (adapted or "
                                                         "loaded); false: given as constants, no parameters")},
              NormalizationAttrs, _normalization_shape, _normalization_cost, _describe_normalization),
    LayerKind("clip", "y = min(max(x, min), max), either bound optional (ONNX Clip)",
              {"min": Field("number", doc="the lower bound; null: none"),
               "max": Field("number", doc="the upper bound; null: none")},
              ClipAttrs, _clip_shape, _clip_cost, _describe_clip),
]
