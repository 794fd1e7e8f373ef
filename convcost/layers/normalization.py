"""Normalizations computed from the data at inference: layer, group and instance norm, and local
response normalization (AlexNet, GoogLeNet).

Layer, group and instance norm standardize groups of n elements with their own statistics and then
apply a learned per-channel factor gamma and offset beta (2·C ``affine`` parameters; layer norm's
gamma and beta are over its axis, 2·n). Per group of n elements, in the form the executor computes
(docs/conventions.md):

    mean      μ = (Σ x) / n                 n − 1 adds, 1 division
    centre    d = x − μ                     n adds
    variance  v = (Σ d·d) / n               n mults, n − 1 adds, 1 division
    std       s = sqrt(v + ε)               1 add, 1 sqrt (a special function)
    normalize z = d / s                     n divisions
    scale     z · γ                         n mults
    shift     + β                           n adds

so per group 2n mults, 4n − 1 adds, n + 2 divisions and 1 special function. The groups are:
layer norm, each position's n elements along ``axis`` (default the channels: n = C per position);
group norm, per sample ``groups`` groups of S·C/groups elements (S spatial positions); instance
norm, one group per channel of S elements (group norm with groups = C).

Hand-derived example: layer norm on 7×7×512 has 49 groups of n = 512: 50,176 mults, 100,303 adds,
25,186 divisions, 49 square roots and 1,024 affine parameters.

Layer norm's ``scale: false`` (no gamma) drops the n mults by gamma and n parameters, ``center:
false`` (no beta) the n adds and n parameters (Keras' LayerNormalization(center=, scale=)): on
7×7×512 with ``scale: false``, 25,088 mults, 100,303 adds and 512 affine parameters; with both
false, 25,088 mults, 75,215 adds, 0 parameters.

Local response normalization, the Caffe/PyTorch form over ``size`` neighbouring channels,
``b_c = a_c / (k + α/size · Σ a_j²)^β``, j from c − floor(size/2) to c + ceil(size/2) − 1 with
zeros beyond the channels (PyTorch's padding), per element:

    square a·a (1 mult), window sum per window (size − 1 adds: every window summed on its own, no
    running sum, its zero padding included as pooling counts it), · α/size (1 mult), + k (1 add),
    pow(·, β) (1 special function), a / (·) (1 division).

AlexNet's LRN after conv1 (55×55×96, size 5) is 580,800 mults, 1,452,000 adds, 290,400 pow and
290,400 divisions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, NoAttrs, Shape, ShapeError, elements, resolve_axis


class LayerNormAttrs(NamedTuple):
    axis: int  # the one axis normalized; -1 (the default) is the channel axis
    center: bool  # a learned offset beta (Keras' center)
    scale: bool  # a learned factor gamma (Keras' scale)


class GroupNormAttrs(NamedTuple):
    groups: int  # must divide the channels


class LocalResponseNormAttrs(NamedTuple):
    size: int  # channels in a window
    alpha: int | Fraction
    beta: int | Fraction
    k: int | Fraction


def standardize_cost(groups: int, n: int, affine: int, scale: bool = True, center: bool = True) -> Cost:
    """The counts of ``groups`` groups of ``n`` elements standardized then scaled (``scale``: n
    mults) and shifted (``center``: n adds)."""
    mults = groups * (n + scale * n)
    return Cost(mults=mults, effective_mults=mults, adds=groups * (3 * n - 1 + center * n),
                divisions=groups * (n + 2), special_functions=groups, affine=affine)


def _layer_norm_shape(attrs: LayerNormAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with at least one axis")
    resolve_axis(attrs.axis, len(inputs[0]))
    return inputs[0]


def _layer_norm_cost(attrs: LayerNormAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = out[resolve_axis(attrs.axis, len(out))]
    return standardize_cost(elements(out) // n, n, (attrs.center + attrs.scale) * n, attrs.scale, attrs.center)


def _group_norm_shape(attrs: GroupNormAttrs, inputs: tuple[Shape, ...]) -> Shape:
    shape = inputs[0]
    if not shape:
        raise ShapeError("E404", "needs an input with a channel axis")
    if shape[-1] % attrs.groups:
        divisors = [g for g in range(1, min(shape[-1], 10**6) + 1) if shape[-1] % g == 0][:12]
        raise ShapeError("E405", f"groups={attrs.groups} must divide the input channels ({shape[-1]})",
                         field="groups", hint="groups that divide them: " + ", ".join(map(str, divisors)))
    return shape


def _group_norm_cost(attrs: GroupNormAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return standardize_cost(attrs.groups, elements(out) // attrs.groups, 2 * out[-1])


def _instance_norm_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if len(inputs[0]) < 2:
        raise ShapeError("E404", f"needs an input with spatial axes and channels, got rank {len(inputs[0])}",
                         hint="after flatten, dense or global pooling there is one value per channel; "
                              "use layer_norm there")
    return inputs[0]


def _instance_norm_cost(attrs: NoAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return standardize_cost(out[-1], elements(out) // out[-1], 2 * out[-1])


def _lrn_shape(attrs: LocalResponseNormAttrs, inputs: tuple[Shape, ...]) -> Shape:
    if not inputs[0]:
        raise ShapeError("E404", "needs an input with a channel axis")
    return inputs[0]


def _lrn_cost(attrs: LocalResponseNormAttrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    n = elements(out)
    return Cost(mults=2 * n, effective_mults=2 * n, adds=n * (attrs.size - 1) + n, special_functions=n, divisions=n)


def _describe_layer_norm(attrs: LayerNormAttrs) -> str:
    parts = [f"axis {attrs.axis}"] if attrs.axis != -1 else []
    parts += [f"no {what}" for what, present in (("gamma", attrs.scale), ("beta", attrs.center)) if not present]
    return ", ".join(parts)


def _describe_group_norm(attrs: GroupNormAttrs) -> str:
    return f"{attrs.groups} groups"


def _describe_lrn(attrs: LocalResponseNormAttrs) -> str:
    return f"size {attrs.size}"


KINDS: list[LayerKind] = [
    LayerKind("layer_norm", "layer normalization over one axis (default the channels), learned gamma and beta",
              {"axis": Field("int", default=-1, doc="the axis normalized; -1 is the channel axis"),
               "center": Field("bool", default=True, doc="a learned offset beta along the axis (Keras' center)"),
               "scale": Field("bool", default=True, doc="a learned factor gamma along the axis (Keras' scale)")},
              LayerNormAttrs, _layer_norm_shape, _layer_norm_cost, _describe_layer_norm),
    LayerKind("group_norm", "group normalization: channels in groups, each normalized over space and its channels",
              {"groups": Field("int", required=True, minimum=1, doc="channel groups; must divide the channels")},
              GroupNormAttrs, _group_norm_shape, _group_norm_cost, _describe_group_norm),
    LayerKind("instance_norm", "instance normalization: each channel normalized over space, learned gamma and beta",
              {}, NoAttrs, _instance_norm_shape, _instance_norm_cost),
    LayerKind("local_response_norm", "local response normalization across channels, a / (k + alpha/size · Σ a²)^beta",
              {"size": Field("int", required=True, minimum=1, doc="channels in a window (Caffe local_size)"),
               "alpha": Field("number", default=Fraction(1, 10000), minimum=0,
                              doc="scale of the window sum, divided by size (default 0.0001, PyTorch)"),
               "beta": Field("number", default=Fraction(3, 4), minimum=0, doc="exponent (default 0.75)"),
               "k": Field("number", default=1, minimum=0, doc="additive constant (default 1)")},
              LocalResponseNormAttrs, _lrn_shape, _lrn_cost, _describe_lrn),
]
