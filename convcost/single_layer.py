"""The one-layer calculator: one layer from command-line options, no spec file, and the seeds'
alternatives to a full convolution.

``convcost layer conv2d --input 7x7x3 --filters 128 --kernel 3`` builds a one-layer graph and
analyses it like any spec. The options are normalized by the spec's own field rules
(:func:`convcost.language.fields.normalize`), so they accept what a spec accepts and are checked the
same way; a problem names the option it is about (``--stride: E205 ...``).

Alternatives to a full k_h×k_w convolution from M to N channels (the seed notes):

* depthwise separable: a depthwise k_h×k_w convolution (M channels) and a pointwise 1×1
  convolution to N. Its mults and weights are ``1/N + 1/(k_h·k_w)`` of the full convolution's,
  exactly, for any padding and stride (both steps have the full convolution's output positions);
  the seeds write it ``1/N + 1/f²``.
* spatially separable: each k×k kernel as a k×1 kernel followed by a 1×k kernel. Built as a
  depthwise k_h×1 convolution with depth multiplier N (one vertical kernel per input channel and
  filter) and a 1×k_w convolution with N groups, which filters and sums each filter's M vertical
  responses. Per input channel and filter this is the seeds' count
  ``(n − f + 1)·n·f + (n − f + 1)²·f`` against ``(n − f + 1)²·f²`` for an n×n input, f×f kernel,
  stride 1, no padding: the ratio ``(2n − f + 1)/((n − f + 1)·f)``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

from convcost.analysis import Analysis, LayerRecord, analyze
from convcost.errors import Location, Problem, SpecError, clip, did_you_mean
from convcost.graph import INPUT, Graph, LayerNode, channels_first_warning, looks_channels_first
from convcost.language.fields import normalize
from convcost.language.source import Node
from convcost.layers import KINDS, Attrs, ConvAttrs
from convcost.layers.base import resolve_padding
from convcost.units import MAX_EXPONENT, MAX_NUMBER_CHARS, MAX_WHOLE, NumberError, read_number, read_whole
from convcost.units import foreign_digit_note as foreign_digit

ALTERNATIVES = ("depthwise-separable", "spatially-separable")
SOURCE = "<command line>"


class OptionLocation(Location):
    """Where a value came from on the command line: shown as the option itself (``--stride``)."""

    def __str__(self) -> str:
        return self.path


# The fields `convcost layer` has an option of their own for (tests hold this to the command's
# options); every other field is given as ``--field NAME=VALUE``.
OWN_OPTIONS = frozenset({"filters", "kernel", "stride", "padding", "dilation", "groups", "depth_multiplier", "bias",
                         "units", "order", "activation", "keepdims", "alpha", "approximate", "axis", "size", "beta",
                         "k", "output_padding", "ceil_mode", "count_include_pad", "output_size"})


def option_name(field: str) -> str:
    """How the command line spells a field: ``depth_multiplier -> '--depth-multiplier'``,
    ``interpolation -> '--field interpolation'``."""
    if field in OWN_OPTIONS:
        return "--" + field.replace("_", "-")
    return f"--field {field if field.isidentifier() else clip(field)}"


# --- parsing option text into spec values -------------------------------------------------------

_SPLIT = re.compile(r"\s*[x×,]\s*")


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``'7x7x3'``, ``'7×7×3'``, ``'7,7,3'`` or ``'[7, 7, 3]'`` -> ``(7, 7, 3)``; each size is written
    with the digits 0-9 and is at most 10^18 (convcost.units.read_whole, the spec's bound)."""
    where = OptionLocation("--input", 1, 1)
    body = text.strip().strip("[]()").strip()
    parts = _SPLIT.split(body) if body else []
    if not 1 <= len(parts) <= 4 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise SpecError(Problem("E204", f"--input must be a shape like 7x7x3 (H×W×C) or 8x32x32x3 (D×H×W×C), "
                                        f"got {clip(text)}{foreign_digit(text)}", where))
    try:
        shape = tuple(read_whole(p, 1, MAX_WHOLE) for p in parts)
    except NumberError as error:
        raise SpecError(Problem("E205", f"--input sizes: {error}",
                                where)) from None
    return shape


_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _scalar(text: str, where: Location) -> object:
    """``'3'`` -> 3, ``'0.5'`` -> Fraction(1, 2) (exact, as a spec reads it), anything else stays text
    (an expression or a choice, which the field's rule reads). Numbers are read by the bounded
    reader: at most 100 characters and an exponent within ±400, or E205 at the option."""
    text = text.strip()
    if not (_INTEGER.fullmatch(text) or _DECIMAL.fullmatch(text)):
        return text
    try:
        value = read_number(text, maximum=10**(MAX_NUMBER_CHARS + MAX_EXPONENT))  # the field bounds the value
    except NumberError as error:
        raise SpecError(Problem("E205", str(error), where)) from None
    return int(value) if _INTEGER.fullmatch(text) else value


def option_node(field: str, value: object) -> Node:
    """A spec :class:`Node` for an option's value, located at the option.

    Text as typed on the command line: ``3`` -> 3; ``3x1`` or ``3,1`` -> [3, 1]; ``same``;
    ``1:2,0:0`` -> [[1, 2], [0, 0]]; ``true``/``false`` -> booleans; ``null`` -> None; other text stays text (an
    expression or a choice). Python values (ints, lists, booleans) are taken as they are.
    """
    return _node(value, OptionLocation(option_name(field), 1, 1))


def _node(value: object, where: Location) -> Node:
    if isinstance(value, (bool, int, Fraction)):
        return Node(value, where)
    if isinstance(value, (list, tuple)):
        return Node([_node(v, where) for v in value], where)
    text = str(value).strip()
    if text.lower() in ("true", "false", "yes", "no"):
        return Node(text.lower() in ("true", "yes"), where)
    if text == "null":  # as a spec writes none (clip's bounds, slice's stop)
        return Node(None, where)
    is_list = re.search(r"[x×,]", text) and not re.search(r"[a-wyzA-Z_(]", text)
    parts = _SPLIT.split(text) if is_list else [text]
    if len(parts) == 1 and ":" not in text:
        return Node(_scalar(text, where), where)
    items = []
    for part in parts:
        if ":" in part:
            begin, _, end = part.partition(":")
            items.append(Node([Node(_scalar(begin, where), where), Node(_scalar(end, where), where)], where))
        else:
            items.append(Node(_scalar(part, where), where))
    return Node(items, where)


def with_fields(options: Mapping[str, object], fields: Sequence[str]) -> dict[str, object]:
    """``options`` (field name -> option value, None where not given) with each ``--field
    NAME=VALUE`` added: ``with_fields({"kernel": "3"}, ["interpolation=bilinear"])`` ->
    ``{"kernel": "3", "interpolation": "bilinear"}``. A field given twice (by its own option and
    ``--field``, or by two ``--field``) is E202 at the second, never one value silently kept."""
    merged = {name: value for name, value in options.items() if value is not None}
    problems: list[Problem] = []
    for text in fields:
        name, equals, value = text.partition("=")
        name = name.strip().replace("-", "_")
        where = OptionLocation(f"--field {name if name.isidentifier() else clip(name or text)}", 1, 1)
        if not equals or not name or not value.strip():
            problems.append(Problem("E204", f"--field takes NAME=VALUE, got {clip(text)}", where,
                                    "for example --field interpolation=bilinear"))
        elif name in merged:
            problems.append(Problem("E202", f"field '{name}' is given twice", where,
                                    "give each field once"))
        else:
            merged[name] = value
    if problems:
        raise SpecError(problems)
    return merged


# --- building ----------------------------------------------------------------------------------

def _attrs(kind: str, options: Mapping[str, object]) -> tuple[Attrs, dict[str, Location]]:
    layer = KINDS[kind]
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for field in options:
        if field not in layer.fields:
            close = difflib.get_close_matches(field, list(layer.fields), n=1, cutoff=0.6)
            allowed = ", ".join(option_name(f) for f in layer.fields) or "none"
            problems.append(Problem("E202", f"{kind} has no option {option_name(field)}",
                                    OptionLocation(option_name(field), 1, 1),
                                    f"did you mean {option_name(close[0])}?" if close
                                    else f"options of {kind}: {allowed}"))
    for field, spec in layer.fields.items():
        if field in options:
            try:
                values[field] = normalize(spec, option_node(field, options[field]), {}, f"{kind} {field}")
            except SpecError as error:
                problems.extend(error.problems)
                continue
            if spec.type == "activation" and values[field] is not None:  # a second layer, not an attribute
                problems.append(Problem("E202", f"{kind} {option_name(field)} {values[field]} adds a layer of its own, "
                                                "and the layer calculator counts one layer",
                                        OptionLocation(option_name(field), 1, 1),
                                        f"count it with 'convcost layer {values[field]} --input' and this layer's "
                                        "output shape, or write a spec"))
        elif spec.required:
            problems.append(Problem("E203", f"{kind} needs {option_name(field)} ({spec.doc})",
                                    OptionLocation(option_name(field), 1, 1)))
        elif spec.type == "size" and isinstance(spec.default, int):
            values[field] = (spec.default,) * spec.rank
        else:
            values[field] = spec.default
    if problems:
        raise SpecError(problems)
    locations: dict[str, Location] = {field: OptionLocation(option_name(field), 1, 1) for field in layer.fields}
    return layer.make_attrs({f: v for f, v in values.items() if layer.fields[f].type != "activation"}), locations


def build_layer(kind: str, input_shape: tuple[int, ...] | str, options: Mapping[str, object]) -> Graph:
    """A one-layer graph: ``build_layer("conv2d", "7x7x3", {"filters": 128, "kernel": 3})``.

    ``options`` maps field names to values as a spec would write them (or as option text:
    ``"3x1"``, ``"same"``, ``"0:1,0:1"``); options given as None are left out. An input that looks
    channels-first (``3x224x224``) gives the graph a W101 warning, located at ``--input``.
    """
    if kind not in KINDS:
        raise SpecError(Problem("E201", f"unknown layer kind '{kind}'", OptionLocation("KIND", 1, 1),
                                did_you_mean(kind, KINDS) or "see 'convcost kinds' for the layer kinds"))
    layer = KINDS[kind]
    if layer.min_inputs > 1:
        raise SpecError(Problem("E204", f"{kind} takes two or more inputs; the layer calculator takes "
                                        "one-input kinds", OptionLocation("KIND", 1, 1),
                                "write a small spec and use 'convcost report'"))
    shape = parse_input_shape(input_shape) if isinstance(input_shape, str) else tuple(input_shape)
    attrs, locations = _attrs(kind, {k: v for k, v in options.items() if v is not None})
    where = OptionLocation("--input", 1, 1)
    node = LayerNode(kind, kind, attrs, (INPUT,), where, locations)
    warnings: tuple[Problem, ...] = ()
    if looks_channels_first(shape):  # "3x224x224": --input 224x224x3 was probably meant
        warnings = (channels_first_warning(shape, where, "--input " + "x".join(map(str, shape[1:] + shape[:1]))),)
    return Graph(kind, shape, {}, (node,), SOURCE, warnings=warnings)


@dataclass(frozen=True)
class ClosedForm:
    """A formula from the seeds, its symbols' values and its exact value."""

    formula: str  # "1/N + 1/f²"
    substituted: str  # "1/128 + 1/3²"
    value: Fraction
    note: str = ""


@dataclass(frozen=True)
class Alternative:
    name: str  # one of ALTERNATIVES
    description: str
    analysis: Analysis
    step_names: tuple[str, ...]  # a short label for each step
    mults_ratio: Fraction  # alternative / original
    weights_ratio: Fraction | None
    closed_form: ClosedForm | None  # None when the seeds' formula does not apply
    closed_form_reason: str = ""  # why not, when it does not
    per_pair: dict | None = None  # the seeds' per channel-and-filter counts (spatially separable)


def _conv_parts(original: Analysis) -> tuple[ConvAttrs, LayerRecord]:
    """The attributes and the record of the conv2d layer ``original`` analysed."""
    node = original.graph.nodes[0]
    record = original.layers[0]
    if node.kind != "conv2d":
        raise SpecError(Problem("E204", f"--vs compares a conv2d with its separable forms, not a {node.kind}",
                                OptionLocation("--vs", 1, 1),
                                "use: convcost layer conv2d ... --vs depthwise-separable"))
    attrs = node.attrs
    assert isinstance(attrs, ConvAttrs)  # conv2d's record
    if attrs.groups != 1:
        raise SpecError(Problem("E204", "--vs needs a full convolution (groups 1)", OptionLocation("--groups", 1, 1)))
    return attrs, record


def _two_steps(original: Analysis, nodes: list[tuple[str, str, dict]]) -> Analysis:
    built = []
    previous = INPUT
    for name, kind, values in nodes:
        attrs, _ = _attrs(kind, values)
        built.append(LayerNode(name, kind, attrs, (previous,), OptionLocation("--vs", 1, 1)))
        previous = name
    return analyze(Graph(original.graph.name, original.graph.input_shape, {}, tuple(built), SOURCE))


def _ratio(a: int, b: int) -> Fraction | None:
    return Fraction(a, b) if b else None


def _mults_ratio(alternative: Analysis, original: Analysis) -> Fraction:
    """Mults of the alternative / mults of the conv2d, which always multiplies (never 0)."""
    return Fraction(alternative.totals.mults, original.totals.mults)


def depthwise_separable(original: Analysis) -> Alternative:
    """The depthwise separable form of a conv2d layer, with the seeds' ``1/N + 1/f²``."""
    a, record = _conv_parts(original)
    c_in, n = record.input_shapes[0][-1], a.filters
    alt = _two_steps(original, [
        ("depthwise", "depthwise_conv2d", {"kernel": list(a.kernel), "stride": list(a.stride),
                                           "padding": _padding_value(a.padding), "dilation": list(a.dilation),
                                           "bias": False}),
        ("pointwise", "conv2d", {"filters": n, "kernel": 1, "bias": a.bias}),
    ])
    taps = a.kernel[0] * a.kernel[1]
    if a.kernel[0] == a.kernel[1]:
        closed = ClosedForm("1/N + 1/f²", f"1/{n} + 1/{a.kernel[0]}²", Fraction(1, n) + Fraction(1, taps))
    else:
        closed = ClosedForm("1/N + 1/(k_h·k_w)", f"1/{n} + 1/({a.kernel[0]}·{a.kernel[1]})",
                            Fraction(1, n) + Fraction(1, taps))
    k = "×".join(map(str, a.kernel))
    return Alternative(
        "depthwise-separable",
        f"depthwise {k} on {c_in} channels, then pointwise 1×1 to {n}",
        alt, (f"depthwise {k}", "pointwise 1×1"),
        _mults_ratio(alt, original), _ratio(alt.totals.weights, original.totals.weights),
        closed)


def _padding_value(padding):
    if isinstance(padding, str):
        return padding
    return [list(pair) for pair in padding]


def spatially_separable(original: Analysis) -> Alternative:
    """Each k×k kernel as k×1 then 1×k (see the module docstring), with the seeds'
    ``(2n − f + 1)/((n − f + 1)·f)`` when its assumptions hold."""
    a, record = _conv_parts(original)
    in_shape = record.input_shapes[0]
    c_in, n_filters = in_shape[-1], a.filters
    (kh, kw), (sh, sw), (dh, dw) = a.kernel, a.stride, a.dilation
    pads = resolve_padding(a.padding, in_shape[:-1], a.kernel, a.stride, a.dilation)
    alt = _two_steps(original, [
        ("vertical", "depthwise_conv2d", {"kernel": [kh, 1], "stride": [sh, 1], "dilation": [dh, 1],
                                          "padding": [list(pads[0]), [0, 0]], "depth_multiplier": n_filters,
                                          "bias": False}),
        ("horizontal", "conv2d", {"filters": n_filters, "kernel": [1, kw], "stride": [1, sw], "dilation": [1, dw],
                                  "padding": [[0, 0], list(pads[1])], "groups": n_filters, "bias": a.bias}),
    ])
    height, width = in_shape[0], in_shape[1]
    reasons = []
    if height != width:
        reasons.append(f"the input is not square ({height}×{width})")
    if kh != kw:
        reasons.append(f"the kernel is not square ({kh}×{kw})")
    if any(p != (0, 0) for p in pads):
        reasons.append("there is padding")
    if (sh, sw) != (1, 1) or (dh, dw) != (1, 1):
        reasons.append("stride or dilation is not 1")
    closed, per_pair = None, None
    if not reasons:
        n, f = height, kh
        closed = ClosedForm("(2n − f + 1)/((n − f + 1)·f)", f"(2·{n} − {f} + 1)/(({n} − {f} + 1)·{f})",
                            Fraction(2 * n - f + 1, (n - f + 1) * f))
        m = n - f + 1
        per_pair = {"n": n, "f": f, "separable": m * n * f + m * m * f, "regular": m * m * f * f,
                    "separable_text": f"({n} − {f} + 1)·{n}·{f} + ({n} − {f} + 1)²·{f} = {m * n * f} + {m * m * f}",
                    "regular_text": f"({n} − {f} + 1)²·{f}² = {m}²·{f}²",
                    "pairs": c_in * n_filters}
    return Alternative(
        "spatially-separable",
        f"{kh}×1 then 1×{kw} per input channel and filter ({c_in}·{n_filters} pairs): a depthwise {kh}×1 "
        f"convolution with depth multiplier {n_filters}, then a 1×{kw} convolution with {n_filters} groups",
        alt, (f"vertical {kh}×1", f"horizontal 1×{kw}"),
        _mults_ratio(alt, original), _ratio(alt.totals.weights, original.totals.weights),
        closed, "; ".join(reasons) and "the seeds' formula assumes an n×n input, an f×f kernel, stride 1 and no "
                                        "padding: " + "; ".join(reasons),
        per_pair)


def alternative(name: str, original: Analysis) -> Alternative:
    if name == "depthwise-separable":
        return depthwise_separable(original)
    if name == "spatially-separable":
        return spatially_separable(original)
    raise SpecError(Problem("E205", f"--vs must be one of {', '.join(ALTERNATIVES)}, got '{name}'",
                            OptionLocation("--vs", 1, 1), did_you_mean(name, ALTERNATIVES)))


__all__ = ["ALTERNATIVES", "Alternative", "ClosedForm", "OptionLocation", "alternative", "build_layer",
           "depthwise_separable", "option_node", "parse_input_shape", "spatially_separable"]
