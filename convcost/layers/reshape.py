"""Layers that move data without arithmetic: flatten, dropout (identity at inference) and
zero padding. They cost nothing; zero padding's zeros count as data for the layers after it
(only a layer's own ``padding`` is excluded from its effective mults)."""

from __future__ import annotations

from convcost.layers.base import Attrs, Cost, Field, LayerKind, Shape, check_dimensions, elements, require_rank


def _zero_padding_shape(rank: int, kind: str):
    def output_shape(attrs: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        require_rank(inputs[0], rank + 1, kind, "[H, W, C]" if rank == 2 else "[D, H, W, C]")
        spatial = tuple(n + b + e for n, (b, e) in zip(inputs[0][:-1], attrs.padding))
        return check_dimensions(spatial + (inputs[0][-1],))
    return output_shape


def _no_cost(attrs: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost()


def _describe_padding(attrs: Attrs) -> str:
    return " ".join(f"{b}:{e}" if b != e else str(b) for b, e in attrs.padding)


KINDS = [
    LayerKind("flatten", "flatten to one axis", {}, lambda attrs, inputs: check_dimensions((elements(inputs[0]),)),
              _no_cost),
    LayerKind("dropout", "dropout (identity at inference)",
              {"rate": Field("number", default=0, minimum=0, maximum=1, doc="fraction dropped in training, 0 <= rate < 1")},
              lambda attrs, inputs: inputs[0], _no_cost, lambda a: f"{float(a.rate):g}"),
    LayerKind("zero_padding2d", "pad H and W with zeros",
              {"padding": Field("pairs", required=True, minimum=0, rank=2, doc="int | [ph, pw] | [[top, bottom], [left, right]]")},
              _zero_padding_shape(2, "zero_padding2d"), _no_cost, _describe_padding),
    LayerKind("zero_padding3d", "pad D, H and W with zeros",
              {"padding": Field("pairs", required=True, minimum=0, rank=3, doc="int | [pd, ph, pw] | three [begin, end] pairs")},
              _zero_padding_shape(3, "zero_padding3d"), _no_cost, _describe_padding),
]
