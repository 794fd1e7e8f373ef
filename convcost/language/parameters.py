"""A spec's parameters -> their values: each default evaluated with the values above it, ``--set``
overrides in place of defaults (:func:`resolve`), and the check that every override is read by
something (:func:`unused`, E305).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean, names
from convcost.language.expressions import (
    POISONED,
    Number,
    Value,
    check_magnitude,
    evaluate,
    names_read,
    parse_expression,
)
from convcost.language.fields import number
from convcost.language.source import Node, decimal_fraction
from convcost.language.spec import Spec


def resolve(spec: Spec, overrides: Mapping[str, object] | None) -> tuple[dict[str, Value], list[Problem]]:
    """Parameter values in order, each default evaluated with the values before it; an override
    (a number, or an expression string as given to ``--set``) replaces a default. A parameter that
    fails is POISONED (what reads it fails silently) and its problems are returned."""
    overrides = overrides or {}
    known = spec.parameter_names
    problems = [Problem("E304", f"--set {clip(name)[1:-1]}: this spec has no parameter {clip(name)}", None,
                        did_you_mean(name, known)
                        or ("parameters: " + names(known) if known else "this spec declares no parameters"))
                for name in overrides if name not in known]
    values: dict[str, Value] = {}
    for name, node in spec.parameters:
        if ("parameter", name) in spec.broken:
            values[name] = POISONED
            continue
        try:
            if name in overrides:
                values[name] = _override_value(name, overrides[name], values)
            else:
                values[name] = _parameter_value(name, node, values)
        except SpecError as error:
            problems.extend(error.problems)
            values[name] = POISONED
    return values, problems


def unused(spec: Spec, overrides: Mapping[str, object] | None, used: set[str] | frozenset[str]) -> list[Problem]:
    """E305 for each overridden parameter that nothing reads: setting it changes nothing, which is
    never what the user meant. ``used`` holds the names read by what was built (layer fields,
    block arguments, ``repeat``, the input); to it come the names read by the parameters'
    evaluated defaults and the overrides themselves, and the names in the ``budget`` section."""
    if not overrides:
        return []
    used = used | names_read(spec.budget) if spec.budget is not None else set(used)
    for name, node in spec.parameters:
        if name not in overrides:
            used |= names_read(node)
        elif isinstance(override := overrides[name], str):
            try:
                used |= parse_expression(override.strip(), Location(f"--set {name}", 1, 1)).names
            except SpecError:  # pragma: no cover - resolve() reported it and the build failed
                pass
    problems = []
    for name in overrides:
        if name in used or name not in spec.parameter_names:
            continue
        readers = [p for p, node in spec.parameters if p != name and p in overrides and name in names_read(node)]
        hint = (f"only the default of '{readers[0]}' uses it, and --set {readers[0]} replaces that default"
                if readers else "no layer, block or other parameter of this spec reads it")
        problems.append(Problem("E305", f"--set {name}: parameter '{name}' is not used, so setting it "
                                        "changes nothing", None, hint))
    return problems


def _parameter_value(name: str, node: Node, earlier: Mapping[str, Value]) -> Number:
    """The value of a default (whose syntax and names were checked at load: spec._default_problems)."""
    if isinstance(node.value, bool):
        return int(node.value)
    return number(node, earlier, f"parameter '{name}'", conditions=True)


def _override_value(name: str, value: object, earlier: Mapping[str, Value]) -> Number:
    where = Location(f"--set {name}", 1, 1)
    try:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, Fraction)):
            return check_magnitude(value, where, "the value")
        if isinstance(value, float):
            return check_magnitude(decimal_fraction(repr(value), where), where, "the value")
        text = str(value).strip()
        return evaluate(parse_expression(text, where), earlier, where)
    except SpecError as error:
        raise SpecError([Problem("E304", f"--set {name}={clip(value)[1:-1]}: {p.message}", None, p.hint)
                         for p in error.problems]) from None


