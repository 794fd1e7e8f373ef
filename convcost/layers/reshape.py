"""Layers that move data without arithmetic: flatten, dropout (identity at inference) and
zero padding. They cost nothing; zero padding's zeros count as data for the layers after it
(only a layer's own ``padding`` is excluded from its effective mults)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, NamedTuple

from convcost.layers.base import Cost, Field, LayerKind, NoAttrs, Pads, Shape, check_dimensions, elements, require_rank


class DropoutAttrs(NamedTuple):
    rate: int | Fraction  # a spec number, 0 <= rate < 1


class ZeroPaddingAttrs(NamedTuple):
    """zero_padding2d and zero_padding3d."""

    padding: Pads  # (begin, end) per spatial axis


def _zero_padding_shape(rank: int, kind: str) -> Callable[[ZeroPaddingAttrs, tuple[Shape, ...]], Shape]:
    def output_shape(attrs: ZeroPaddingAttrs, inputs: tuple[Shape, ...]) -> Shape:
        require_rank(inputs[0], rank + 1, kind, "[H, W, C]" if rank == 2 else "[D, H, W, C]")
        spatial = tuple(n + b + e for n, (b, e) in zip(inputs[0][:-1], attrs.padding))
        return check_dimensions(spatial + (inputs[0][-1],))
    return output_shape


def _no_cost(attrs: Any, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


def _flatten_shape(attrs: NoAttrs, inputs: tuple[Shape, ...]) -> Shape:
    return check_dimensions((elements(inputs[0]),))


def _same_shape(attrs: DropoutAttrs, inputs: tuple[Shape, ...]) -> Shape:
    return inputs[0]


def _describe_dropout(attrs: DropoutAttrs) -> str:
    return f"{float(attrs.rate):g}"


def _describe_padding(attrs: ZeroPaddingAttrs) -> str:
    return " ".join(f"{b}:{e}" if b != e else str(b) for b, e in attrs.padding)


KINDS: list[LayerKind] = [
    LayerKind("flatten", "flatten to one axis", {}, NoAttrs, _flatten_shape, _no_cost),
    LayerKind("dropout", "dropout (identity at inference)",
              {"rate": Field("number", default=0, minimum=0, maximum=1,
                             doc="fraction dropped in training, 0 <= rate < 1")},
              DropoutAttrs, _same_shape, _no_cost, _describe_dropout),
    LayerKind("zero_padding2d", "pad H and W with zeros",
              {"padding": Field("pairs", required=True, minimum=0, rank=2,
                                doc="int | [ph, pw] | [[top, bottom], [left, right]]")},
              ZeroPaddingAttrs, _zero_padding_shape(2, "zero_padding2d"), _no_cost, _describe_padding),
    LayerKind("zero_padding3d", "pad D, H and W with zeros",
              {"padding": Field("pairs", required=True, minimum=0, rank=3,
                                doc="int | [pd, ph, pw] | three [begin, end] pairs")},
              ZeroPaddingAttrs, _zero_padding_shape(3, "zero_padding3d"), _no_cost, _describe_padding),
]
