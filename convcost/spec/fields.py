"""Turn a field's YAML value into its normalized attribute, once, with a located error if it is wrong.

Numeric values may be literals or expressions over parameters (``round(32 * alpha)``). Sizes become
tuples with one entry per spatial axis, padding becomes ``'same'``, ``'valid'`` or a tuple of
``(begin, end)`` pairs.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

from convcost.errors import Problem, SpecError, did_you_mean
from convcost.layers.base import Field
from convcost.spec.expressions import Number, evaluate, parse_expression
from convcost.spec.source import Node


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        return f"{float(value):g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v.value if isinstance(v, Node) else v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def number(node: Node, scope: Mapping[str, Number], what: str) -> Number:
    """The numeric value of a literal or expression."""
    value = node.value
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        kind = {bool: "a boolean", type(None): "empty"}.get(type(value), "a mapping" if isinstance(value, dict) else "a list")
        raise SpecError(Problem("E204", f"{what} must be a number or an expression, got {kind} ({_show(value)})",
                                node.location))
    if isinstance(value, str):
        return evaluate(parse_expression(value, node.location), scope, node.location)
    return value


def whole(node: Node, scope: Mapping[str, Number], what: str, minimum: int | None = None,
          maximum: int | None = None) -> int:
    """A whole number within [minimum, maximum]."""
    value = number(node, scope, what)
    if not isinstance(value, int):
        raise SpecError(Problem("E206", f"{what} must be a whole number, got {_show(value)}", node.location,
                                "wrap the expression in round(), int(), floor() or ceil()"))
    if minimum is not None and value < minimum:
        raise SpecError(Problem("E205", f"{what} must be >= {minimum} (got {value})", node.location))
    if maximum is not None and value > maximum:
        raise SpecError(Problem("E205", f"{what} must be <= {maximum} (got {value})", node.location))
    return value


def _per_axis(node: Node, scope, what: str, rank: int, minimum: int | None) -> tuple[int, ...]:
    if isinstance(node.value, list):
        if len(node.value) != rank:
            raise SpecError(Problem("E204", f"{what} must be one whole number or a list of {rank}, got a list of "
                                            f"{len(node.value)}", node.location))
        return tuple(whole(item, scope, what, minimum) for item in node.value)
    return (whole(node, scope, what, minimum),) * rank


def _pairs(node: Node, scope, what: str, rank: int) -> tuple[tuple[int, int], ...]:
    """int | [p per axis] | [[begin, end] per axis], all >= 0."""
    items = node.value
    if isinstance(items, list) and items and all(isinstance(i.value, list) for i in items):
        if len(items) != rank or any(len(i.value) != 2 for i in items):
            raise SpecError(Problem("E204", f"{what} as pairs needs {rank} [begin, end] pairs, got "
                                            f"{_show(items)}", node.location))
        return tuple((whole(i.value[0], scope, what, 0), whole(i.value[1], scope, what, 0)) for i in items)
    return tuple((p, p) for p in _per_axis(node, scope, what, rank, 0))


def normalize(spec: Field, node: Node, scope: Mapping[str, Number], what: str) -> Any:
    """The normalized value of one field (``what`` names it in messages: "layer 'conv1': stride")."""
    value = node.value
    if spec.type == "int":
        return whole(node, scope, what, spec.minimum, spec.maximum)
    if spec.type == "size":
        return _per_axis(node, scope, what, spec.rank, spec.minimum)
    if spec.type == "pairs":
        return _pairs(node, scope, what, spec.rank)
    if spec.type == "padding":
        if value in ("same", "valid"):
            return value
        if isinstance(value, str) and value.lower() in ("same", "valid"):
            raise SpecError(Problem("E205", f"{what} must be 'same' or 'valid' in lower case, got '{value}'",
                                    node.location))
        return _pairs(node, scope, what, spec.rank)
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) or isinstance(value, int):
            result = number(node, scope, what)
            if result in (0, 1):
                return bool(result)
        raise SpecError(Problem("E204", f"{what} must be true or false, got {_show(value)}", node.location))
    if spec.type == "choice":
        if value in spec.choices:
            return value
        hint = did_you_mean(value, spec.choices) if isinstance(value, str) else None
        raise SpecError(Problem("E205", f"{what} must be one of {', '.join(spec.choices)}; got {_show(value)}",
                                node.location, hint))
    if spec.type == "number":
        result = number(node, scope, what)
        if (spec.minimum is not None and result < spec.minimum) or (spec.maximum is not None and result >= spec.maximum):
            raise SpecError(Problem("E205", f"{what} must be in [{spec.minimum}, {spec.maximum}), got {_show(result)}",
                                    node.location))
        return result
    raise AssertionError(f"unknown field type {spec.type}")  # a bug in a LayerKind, not in the spec
