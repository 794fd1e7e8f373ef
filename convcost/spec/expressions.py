"""Safe arithmetic over spec parameters: ``round(32 * alpha)``, ``resolution // 32``.

An expression is parsed with Python's ``ast`` module only to get a syntax tree; the tree is then
checked against a short whitelist (numbers, names, ``+ - * / // %``, unary minus, parentheses and
calls of the functions in :data:`FUNCTIONS`) and walked by :func:`evaluate`. Nothing is ever
passed to ``eval``/``exec``: attribute access, subscripts, lambdas, comprehensions, strings and
keywords are rejected before any evaluation happens. Arithmetic is exact: numbers are ``int`` or
``fractions.Fraction``, so ``224 * 0.857`` is exactly 191.968.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Mapping

from convcost.errors import Location, Problem, SpecError, did_you_mean

Number = int | Fraction

MAX_EXPRESSION_LENGTH = 500


def _to_number(value) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def _round(x: Number, ndigits: Number | None = None) -> Number:
    """Round half to even, as Python and NumPy do: ``round(191.968) == 192``, ``round(2.5) == 2``."""
    if ndigits is None:
        return round(Fraction(x))
    return _to_number(round(Fraction(x), int(ndigits)))


def make_divisible(value: Number, divisor: Number = 8, min_value: Number | None = None) -> int:
    """The nearest multiple of ``divisor`` not below ``min_value`` and not more than 10% under
    ``value``; the channel-rounding helper of the MobileNet v2/v3 reference code.
    ``make_divisible(32 * 0.75) == 24``, ``make_divisible(20) == 24``."""
    if divisor <= 0:
        raise ZeroDivisionError("make_divisible divisor must be positive")
    floor_value = divisor if min_value is None else min_value
    rounded = max(floor_value, math.floor(Fraction(value) + Fraction(divisor) / 2) // divisor * divisor)
    if rounded < Fraction(9, 10) * value:
        rounded += divisor
    return int(rounded)


FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    # name: (implementation, fewest arguments, most arguments)
    "int": (lambda x: int(Fraction(x)), 1, 1),  # toward zero
    "round": (_round, 1, 2),
    "floor": (lambda x: math.floor(Fraction(x)), 1, 1),
    "ceil": (lambda x: math.ceil(Fraction(x)), 1, 1),
    "abs": (abs, 1, 1),
    "min": (min, 1, 64),
    "max": (max, 1, 64),
    "make_divisible": (make_divisible, 1, 3),
}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: Fraction(a) / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_OPERATOR_TEXT = {ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
                  ast.RShift: ">>", ast.MatMult: "@"}


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, syntax tree and the parameter names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]


def _at(where: Location, node: ast.AST | None) -> Location:
    if node is None or not hasattr(node, "col_offset"):
        return where
    return Location(where.path, where.line + node.lineno - 1,
                    (where.column if node.lineno == 1 else 1) + node.col_offset)


def parse_expression(text: str, where: Location) -> Expression:
    """Check ``text`` and return an :class:`Expression`, or raise SpecError (E300/E302)."""
    try:
        return _parse_cached(text)
    except _Rejected as rejected:
        raise SpecError(Problem(rejected.code, rejected.message, _at(where, rejected.node), rejected.hint)) from None


class _Rejected(Exception):
    def __init__(self, code: str, message: str, node: ast.AST | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.node, self.hint = code, message, node, hint


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _Rejected("E300", f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise _Rejected("E300", f"cannot read expression '{text}': {exc.msg}",
                        hint="expressions use numbers, parameter names, + - * / // %, parentheses "
                             "and the functions " + ", ".join(FUNCTIONS)) from None
    except (RecursionError, MemoryError, ValueError):
        raise _Rejected("E300", "expression is nested too deeply") from None
    names: set[str] = set()
    _check(tree, text, names)
    return Expression(text, tree, frozenset(names))


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Rejected("E300", f"only numbers are allowed in expressions, got {node.value!r}", node)
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise _Rejected("E300", f"operator '{symbol}' is not allowed", node,
                            "use + - * / // % and parentheses")
        _check(node.left, text, names)
        _check(node.right, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text, names)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _Rejected("E300", "only the built-in functions can be called", node,
                            "functions: " + ", ".join(FUNCTIONS))
        if node.func.id not in FUNCTIONS:
            hint = did_you_mean(node.func.id, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS)
            raise _Rejected("E302", f"unknown function '{node.func.id}'", node, hint)
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _Rejected("E300", f"'{node.func.id}' takes positional arguments only", node)
        _, fewest, most = FUNCTIONS[node.func.id]
        if not fewest <= len(node.args) <= most:
            expected = str(fewest) if fewest == most else f"{fewest} to {most}"
            raise _Rejected("E300", f"'{node.func.id}' takes {expected} argument(s), got {len(node.args)}", node)
        for arg in node.args:
            _check(arg, text, names)
    else:
        raise _Rejected("E300", f"'{ast.get_source_segment(text, node) or type(node).__name__}' is not allowed "
                                "in an expression", node,
                        "expressions use numbers, parameter names, + - * / // %, parentheses "
                        "and the functions " + ", ".join(FUNCTIONS))


def evaluate(expression: Expression, scope: Mapping[str, Number], where: Location) -> Number:
    """The value of ``expression`` with parameter values from ``scope``; SpecError (E301/E303) on
    an unknown name or an arithmetic error."""
    try:
        return _to_number(_eval(expression.tree, expression.text, scope))
    except _Rejected as rejected:
        raise SpecError(Problem(rejected.code, rejected.message, _at(where, rejected.node), rejected.hint)) from None


def _eval(node: ast.expr, text: str, scope: Mapping[str, Number]) -> Number:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, float):  # exact decimal value of what was written
            return _to_number(Fraction(ast.get_source_segment(text.strip(), node) or repr(node.value)))
        return node.value
    if isinstance(node, ast.Name):
        try:
            return scope[node.id]
        except KeyError:
            hint = did_you_mean(node.id, scope) or (
                "known names: " + ", ".join(sorted(scope)) if scope else "this spec defines no parameters")
            raise _Rejected("E301", f"unknown name '{node.id}'", node, hint) from None
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, text, scope)
        right = _eval(node.right, text, scope)
        try:
            return _to_number(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise _Rejected("E303", f"division by zero in '{ast.get_source_segment(text.strip(), node)}'", node) from None
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, text, scope)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        function = FUNCTIONS[node.func.id][0]
        args = [_eval(arg, text, scope) for arg in node.args]
        try:
            return _to_number(function(*args))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
            raise _Rejected("E303", f"{node.func.id}(): {exc}", node) from None
    raise _Rejected("E300", "expression not allowed", node)  # unreachable after _check
