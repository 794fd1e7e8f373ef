"""Turn a field's YAML value into its normalized attribute, once, with a located error if it is wrong.

Numeric values may be literals or expressions over parameters (``round(32 * alpha)``). Sizes become
tuples with one entry per spatial axis, padding becomes ``'same'``, ``'valid'`` or a tuple of
``(begin, end)`` pairs. Every message names the layer and field (``conv2d 'conv1': stride``), says
what was received and what was expected.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean
from convcost.language.expressions import (
    Number,
    Value,
    check_magnitude,
    evaluate,
    evaluate_condition,
    parse_expression,
)
from convcost.language.source import DateText, Node, Yaml11Text
from convcost.layers.base import Field
from convcost.units import MAX_WHOLE  # the largest size, count or channel number a spec may give (docs/errors.md)

_SMALL = 10**18


def show(value: Any) -> str:
    """A received value as a message shows it: short, exact enough, never a Node's repr."""
    if isinstance(value, Node):
        value = value.value
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "nothing"}[value]
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        try:
            return f"{float(value):g}"
        except OverflowError:
            return f"about 10^{len(str(abs(value.numerator))) - len(str(value.denominator))}"
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 30 else f"{text[:6]}…({len(text)} digits)"
    if isinstance(value, list):
        items = [show(v) for v in value[:6]]
        return "[" + ", ".join(items) + (", …" if len(value) > 6 else "") + "]"
    if isinstance(value, dict):
        keys = list(value)[:4]
        return "{" + ", ".join(f"{clip(k, 20)}: …" for k in keys) + (", …" if len(value) > 4 else "") + "}"
    return clip(value)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "a number"


def text_location(node: Node) -> Location:
    """Where the text of a scalar starts (after the opening quote of a quoted scalar)."""
    where = node.location
    return Location(where.path, where.line, where.column + 1) if node.quoted else where


def _in(what: str, error: SpecError) -> SpecError:
    """The problems of ``error`` with ``what`` (the layer and field) in front of each message."""
    return SpecError([Problem(p.code, f"{what}: {p.message}", p.location, p.hint) for p in error.problems])


def number(node: Node, scope: Mapping[str, Value], what: str, conditions: bool = False) -> Number:
    """The numeric value of a literal or expression; a condition (``stride == 1``: a boolean) is
    E311 unless ``conditions`` (a parameter's value, a true/false field)."""
    value = node.value
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        hint = "a missing value: write a number after the ':'" if value is None else None
        raise SpecError(Problem("E204", f"{what} must be a number or an expression, got {_kind_of(value)}"
                                        + ("" if value is None else f" ({show(value)})"), node.location, hint))
    if isinstance(value, Yaml11Text):
        raise yaml_1_1_error(node, what, "a number or an expression")
    if isinstance(value, DateText):  # YAML read it as a date; as arithmetic it would be 2001 - 12 - 14
        raise SpecError(Problem("E204", f"{what} must be a number or an expression, got the date {value}",
                                node.location, "quote it if you meant the expression"))
    if isinstance(value, str):
        where = text_location(node)
        try:
            result = evaluate(parse_expression(value, where, node), scope, where, node)
        except SpecError as error:
            raise _in(what, error) from None
        if result.__class__ is bool and not conditions:
            raise SpecError(Problem("E311", f"{what} must be a number, got a condition: {clip(value)} is "
                                            f"{show(result)}", where,
                                    "a condition is not a number: write 'a if condition else b' to choose one"))
        return result
    if type(value) is int and -_SMALL < value < _SMALL:  # the common case, quickly
        return value
    return check_magnitude(value, node.location, what)


def yaml_1_1_error(node: Node, what: str, expected: str) -> SpecError:
    """E208: a plain scalar that YAML 1.1 and 1.2 read differently (``010``, ``1:30``, ``yes``),
    where a number or true/false is needed: which reading was meant cannot be known."""
    value = node.value
    return SpecError(Problem("E208", f"{what} must be {expected}; {clip(value)} is {value.reading}",
                             node.location, value.fix))


def whole(node: Node, scope: Mapping[str, Value], what: str, minimum: int | None = None,
          maximum: int | None = None) -> int:
    """A whole number within [minimum, maximum] (and within ±MAX_WHOLE)."""
    value = number(node, scope, what)
    if isinstance(value, int) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum) \
            and -MAX_WHOLE <= value <= MAX_WHOLE:
        return value
    got = show(value) + (f", the value of {clip(node.value)}" if isinstance(node.value, str) else "")
    if isinstance(value, Fraction) and value.denominator == 1:  # a literal such as 32.0
        raise SpecError(Problem("E206", f"{what} must be a whole number written without a decimal point, got "
                                        f"{value}.0", node.location, f"write {value}"))
    if not isinstance(value, int):
        raise SpecError(Problem("E206", f"{what} must be a whole number, got {got}", node.location,
                                "wrap the expression in round(), int(), floor() or ceil()"
                                if isinstance(node.value, str) else "write a whole number"))
    if minimum is not None and value < minimum:
        raise SpecError(Problem("E205", f"{what} must be >= {minimum} (got {got})", node.location))
    if maximum is not None and value > maximum:
        raise SpecError(Problem("E205", f"{what} must be <= {maximum} (got {got})", node.location))
    if abs(value) > MAX_WHOLE:
        raise SpecError(Problem("E205", f"{what} must be at most 10^18 in size (got {got})", node.location,
                                "no real network has sizes this large; check the value"))
    return value


def _per_axis(node: Node, scope, what: str, rank: int, minimum: int | None) -> tuple[int, ...]:
    if isinstance(node.value, list):
        if len(node.value) != rank:
            raise SpecError(Problem("E204", f"{what} must be one whole number or a list of {rank}, got a list of "
                                            f"{len(node.value)} ({show(node.value)})", node.location))
        problems, result, failed = [], [], False
        for item in node.value:
            try:
                result.append(whole(item, scope, what, minimum))
            except SpecError as error:
                problems.extend(error.problems)
                failed = True
        if failed:
            raise SpecError(problems)
        return tuple(result)
    return (whole(node, scope, what, minimum),) * rank


def _pairs(node: Node, scope, what: str, rank: int) -> tuple[tuple[int, int], ...]:
    """int | [p per axis] | [[begin, end] per axis], all >= 0."""
    items = node.value
    if isinstance(items, list) and items and any(isinstance(i.value, list) for i in items):
        if len(items) != rank or any(not isinstance(i.value, list) or len(i.value) != 2 for i in items):
            raise SpecError(Problem("E204", f"{what} as pairs needs {rank} [begin, end] pairs, got "
                                            f"{show(items)}", node.location,
                                    "for example [[1, 1], [0, 1]]" if rank == 2 else None))
        return tuple((whole(i.value[0], scope, what, 0), whole(i.value[1], scope, what, 0)) for i in items)
    return tuple((p, p) for p in _per_axis(node, scope, what, rank, 0))


def _unknown_word(value: Any, scope: Mapping[str, Value]) -> bool:
    """A bare word that is not a parameter: a keyword the field does not know, not an expression."""
    return isinstance(value, str) and value.strip().isidentifier() and value.strip() not in scope


def normalize(spec: Field, node: Node, scope: Mapping[str, Value], what: str) -> Any:
    """The normalized value of one field (``what`` names it in messages: "conv2d 'conv1': stride")."""
    if node.value is None and spec.default is None and not spec.required and spec.type in ("int", "number"):
        return None  # an optional number written as null: none (clip's bounds, slice's stop)
    if spec.type == "int":
        return whole(node, scope, what, spec.minimum, spec.maximum)
    if spec.type == "size":
        return _per_axis(node, scope, what, spec.rank, spec.minimum)
    if spec.type == "pairs":
        return _pairs_field(node, scope, what, spec.rank)
    if spec.type == "padding":
        return _padding(node, scope, what, spec.rank)
    if spec.type == "bool":
        return _bool(node, scope, what)
    if spec.type in ("choice", "activation"):
        return _choice(spec, node, what)
    if spec.type == "number":
        return _bounded_number(spec, node, scope, what)
    if spec.type == "shape":
        return _shape(node, scope, what, spec.rank)
    if spec.type == "numbers":
        return _numbers(spec, node, scope, what)
    raise AssertionError(f"unknown field type {spec.type}")  # a bug in a LayerKind, not in the spec


def _pairs_field(node: Node, scope: Mapping[str, Value], what: str, rank: int) -> tuple[tuple[int, int], ...]:
    """A 'pairs' field: a whole number, per-axis numbers or [begin, end] pairs."""
    value = node.value
    if _unknown_word(value, scope):
        raise SpecError(Problem("E204", f"{what} must be a whole number, per-axis numbers or [begin, end] "
                                        f"pairs, got {show(value)}", node.location))
    return _pairs(node, scope, what, rank)


def _padding(node: Node, scope: Mapping[str, Value], what: str, rank: int) -> str | tuple[tuple[int, int], ...]:
    """A 'padding' field: 'same', 'valid', or what a 'pairs' field takes."""
    value = node.value
    if value in ("same", "valid"):
        return value
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        raise SpecError(Problem("E205", f"{what} must be 'same' or 'valid' in lower case, got {show(value)}",
                                node.location, f"write {value.strip().lower()}"))
    if _unknown_word(value, scope):
        raise SpecError(Problem("E205", f"{what} must be 'same', 'valid', a whole number, per-axis numbers or "
                                        f"[begin, end] pairs; got {show(value)}", node.location,
                                did_you_mean(value, ("same", "valid"))))
    return _pairs(node, scope, what, rank)


def _bool(node: Node, scope: Mapping[str, Value], what: str) -> bool:
    """A 'bool' field: true or false, or an expression whose value is 0 or 1."""
    value = node.value
    if isinstance(value, bool):
        return value
    if isinstance(value, Yaml11Text) and value not in scope:
        raise yaml_1_1_error(node, what, "true or false")
    if _unknown_word(value, scope):
        hint = "write true or false without quotes" if value.strip().lower() in ("true", "false") else None
        raise SpecError(Problem("E204", f"{what} must be true or false, got {show(value)}", node.location, hint))
    if isinstance(value, (str, int)):
        result = number(node, scope, what, conditions=True)
        if result in (0, 1):
            return bool(result)
    raise SpecError(Problem("E204", f"{what} must be true or false, got {show(value)}", node.location))


def truth(node: Node, scope: Mapping[str, Value], what: str) -> bool:
    """A condition (``when:``): true or false, or an expression whose value is a boolean (a
    comparison) or 0 or 1 (what a ``true``/``false`` parameter is); any other number is E311."""
    value = node.value
    if isinstance(value, bool):
        return value
    if isinstance(value, Yaml11Text):
        raise yaml_1_1_error(node, what, "true, false or a condition")
    if isinstance(value, str):
        where = text_location(node)
        try:
            return evaluate_condition(parse_expression(value, where, node), scope, where, node)
        except SpecError as error:
            raise _in(what, error) from None
    if isinstance(value, (int, Fraction)):
        if value in (0, 1):
            return value == 1
        raise SpecError(Problem("E311", f"{what} must be true, false or a condition, got the number {show(value)}",
                                node.location, "for example 'when: stride == 1'"))
    raise SpecError(Problem("E204", f"{what} must be true, false or a condition, got {_kind_of(value)}"
                                    + ("" if value is None else f" ({show(value)})"), node.location,
                            "for example 'when: stride == 1'"))


def _choice(spec: Field, node: Node, what: str) -> str | None:
    """A 'choice' field: one of ``spec.choices``; an 'activation' field, also None for linear or none written."""
    value = node.value
    if spec.type == "activation" and (value is None or value == "linear"):
        return None  # no activation
    if isinstance(value, str) and value in spec.choices:
        return value
    hint = did_you_mean(value, spec.choices) if isinstance(value, str) else None
    if spec.type == "activation" and isinstance(value, str) and value.strip().lower() in ("none", "identity"):
        hint = "write linear, or leave the field out, for no activation"
    raise SpecError(Problem("E205", f"{what} must be one of {', '.join(spec.choices)}; got {show(value)}",
                            node.location, hint))


def _bounded_number(spec: Field, node: Node, scope: Mapping[str, Value], what: str) -> Number:
    """A 'number' field: in [spec.minimum, spec.maximum) when they are given."""
    result = number(node, scope, what)
    if (spec.minimum is not None and result < spec.minimum) or (spec.maximum is not None and result >= spec.maximum):
        raise SpecError(Problem("E205", f"{what} must be in [{spec.minimum}, {spec.maximum}), "
                                        f"got {show(result)}", node.location))
    return result


def _shape(node: Node, scope: Mapping[str, Value], what: str, rank: int) -> tuple[int, ...]:
    """A 'shape' field (reshape): a list of 1 to ``rank`` whole numbers >= 1, one of which may be
    -1 (inferred from the element count)."""
    items = node.value
    if not isinstance(items, list) or not 1 <= len(items) <= rank:
        got = f"a list of {len(items)}" if isinstance(items, list) else _kind_of(items)
        raise SpecError(Problem("E204", f"{what} must be a list of 1 to {rank} whole numbers, got {got} "
                                        f"({show(items)})", node.location, "for example [-1, 16]"))
    problems, result = [], []
    for item in items:
        try:
            value = whole(item, scope, what, -1)
        except SpecError as error:
            problems.extend(error.problems)
            continue
        if value == 0:
            problems.append(Problem("E205", f"{what} entries must be >= 1, or -1 for the one axis to infer "
                                            f"(got 0)", item.location))
        elif value == -1 and -1 in result:
            problems.append(Problem("E205", f"{what} may have one -1 entry (the axis to infer), got a second",
                                    item.location, "write the other sizes out"))
        result.append(value)
    if problems:
        raise SpecError(problems)
    return tuple(result)


def _numbers(spec: Field, node: Node, scope: Mapping[str, Value], what: str) -> Number | tuple[Number, ...]:
    """A 'numbers' field (rescaling's scale and offset): one number, or a non-empty list of numbers
    (one per channel: the layer checks the length against its input)."""
    items = node.value
    if not isinstance(items, list):
        return _bounded_number(spec, node, scope, what)
    if not items:
        raise SpecError(Problem("E204", f"{what} must be a number or a list of numbers (one per channel), got an "
                                        "empty list", node.location))
    problems, result = [], []
    for item in items:
        try:
            result.append(_bounded_number(spec, item, scope, what))
        except SpecError as error:
            problems.extend(error.problems)
    if problems:
        raise SpecError(problems)
    return tuple(result)
