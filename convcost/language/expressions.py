"""Safe arithmetic over spec parameters: ``round(32 * alpha)``, ``resolution // 32``.

An expression is parsed with Python's ``ast`` module only to get a syntax tree; the tree is then
checked against a short whitelist (numbers, names, ``+ - * / // %``, unary minus, parentheses,
calls of the functions in :data:`FUNCTIONS`, comparisons, ``and or not``, ``True``/``False`` and
``a if c else b``) and walked by :func:`evaluate`. Nothing is ever
passed to ``eval``/``exec``: attribute access, subscripts, lambdas, comprehensions, strings and
keywords are rejected before any evaluation happens. Arithmetic is exact: numbers are ``int`` or
``fractions.Fraction``, so ``224 * 0.857`` is exactly 191.968. A comparison's value is a boolean,
which is not a number: arithmetic on it, or a boolean where a number is needed, is E311, and a
condition must be a boolean (or 0 or 1, what a ``true``/``false`` parameter is).

The names :data:`SHAPE_NAMES` (``in_channels``, ``in_height``, …) stand for the shape of a layer's
input; the language gives them values per layer (:func:`shape_values`), and a name of an axis the
input lacks is :class:`MissingAxis`, E310 when read.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from functools import lru_cache
from keyword import iskeyword
from typing import Callable, Mapping, NamedTuple

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean
from convcost.errors import names as name_list
from convcost.language.source import MAX_EXPONENT, MAX_NUMBER_CHARS, Node, decimal_fraction, text_position

Number = int | Fraction

MAX_EXPRESSION_LENGTH = 500
MAX_DIGITS = 100  # a value (or its denominator) with more digits than this is an error
MAX_ROUND_DIGITS = 100  # round(x, n) with |n| above this is an error


class Poisoned:
    """The value of a parameter whose own definition failed (and was reported): an expression
    that reads it fails silently, so that one mistake is reported once, not at every use."""

    def __repr__(self) -> str:
        return "<poisoned>"


POISONED = Poisoned()

class MissingAxis(Poisoned):
    """The value of a shape name for an axis the layer's input lacks (``in_height`` of a vector):
    reading it is E310, with this message (not silent, as reading POISONED is)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __repr__(self) -> str:
        return "<missing axis>"


Value = Number | Poisoned  # what a name in an expression stands for: a number (a bool is one), or POISONED

# The names of the axes of a layer's input, by the input's rank (channels last, as `input:` is written).
SHAPE_AXES: dict[int, tuple[str, ...]] = {
    1: ("in_channels",),
    2: ("in_length", "in_channels"),
    3: ("in_height", "in_width", "in_channels"),
    4: ("in_depth", "in_height", "in_width", "in_channels"),
}
SHAPE_NAMES = frozenset(("in_channels", "in_length", "in_height", "in_width", "in_depth"))
_RANK_TEXT = {1: "a vector [N]", 2: "a sequence [L, C]", 3: "an image [H, W, C]", 4: "a volume [D, H, W, C]"}


def shape_values(shape: tuple[int, ...], what: str) -> dict[str, Value]:
    """The shape names for an input of ``shape`` (``what`` names it in messages): each axis it has
    -> its size, the others -> :class:`MissingAxis`. ``shape_values((7, 7, 3), …)["in_channels"] == 3``."""
    axes = SHAPE_AXES.get(len(shape), ())
    values: dict[str, Value] = dict(zip(axes, shape))
    shown = "×".join(map(str, shape))
    rank = _RANK_TEXT.get(len(shape), f"of rank {len(shape)}")
    for name in SHAPE_NAMES - values.keys():
        values[name] = MissingAxis(f"{name}: {what} is {shown}, {rank}, which has no {name[3:]} axis")
    return values


def silent() -> SpecError:
    """A SpecError with no problem of its own: what fails because of a problem reported elsewhere."""
    return SpecError([])


_LIMIT = 10 ** MAX_DIGITS


def check_magnitude(value: Number, where: Location, what: str) -> Number:
    """``value`` if it has at most MAX_DIGITS digits (numerator and denominator), else SpecError E205."""
    if isinstance(value, Fraction):
        too_big = abs(value.numerator) >= _LIMIT or value.denominator >= _LIMIT
    else:
        too_big = abs(value) >= _LIMIT
    if too_big:
        raise SpecError(Problem("E205", f"{what} has more than {MAX_DIGITS} digits; numbers in a spec are far "
                                        "smaller", where))
    return value


def _to_number(value) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def _whole_argument(label: str, value: Number) -> int:
    """``value`` as an int, or ValueError (E303) when it is a fraction: a function argument that
    must be whole is refused, never cut to a whole number."""
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise ValueError(f"the {label} must be a whole number, got {float(value):g}")
        return int(value)
    return value


def _round(x: Number, ndigits: Number | None = None) -> Number:
    """Round half to even, as Python and NumPy do: ``round(191.968) == 192``, ``round(2.5) == 2``."""
    if ndigits is None:
        return round(Fraction(x))
    ndigits = _whole_argument("number of digits", ndigits)  # round(8.5, 0.5) is not round(8.5, 0)
    if not -MAX_ROUND_DIGITS <= ndigits <= MAX_ROUND_DIGITS:
        raise ValueError(f"the number of digits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}, "
                         f"got {ndigits}")
    return _to_number(round(Fraction(x), ndigits))


def make_divisible(value: Number, divisor: Number = 8, min_value: Number | None = None) -> int:
    """The nearest multiple of ``divisor`` not below ``min_value`` and not more than 10% under
    ``value``; the channel-rounding helper of the MobileNet v2/v3 reference code.
    ``make_divisible(32 * 0.75) == 24``, ``make_divisible(20) == 24``."""
    if divisor <= 0:
        raise ZeroDivisionError("make_divisible divisor must be positive")
    divisor = _whole_argument("divisor", divisor)  # a fractional one would be cut off by int() below
    if min_value is not None:
        min_value = _whole_argument("min_value", min_value)
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
    "min": (min, 2, 64),  # min(x) of one number is an error in Python too
    "max": (max, 2, 64),
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
_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_COMPARE_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
                 ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_OPERATOR_TEXT = {ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
                  ast.RShift: ">>", ast.MatMult: "@"}


class Expression(NamedTuple):
    """A checked expression: its text, syntax tree and the parameter names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]


def _at(where: Location, node: ast.AST | None, text: str = "", scalar: Node | None = None) -> Location:
    """Where ``node`` of the expression ``text`` (written at ``where``, the value of ``scalar`` if
    it comes from the file) is in the file."""
    if node is None or not hasattr(node, "col_offset") or not hasattr(node, "lineno"):  # nodes have both or neither
        return where
    stripped = text.strip()
    lines = stripped.split("\n")
    line_text = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
    column = len(line_text.encode("utf-8")[:node.col_offset].decode("utf-8", "replace"))  # col_offset is in bytes
    if scalar is not None:  # a scalar written over several lines, or with escapes
        offset = len(text) - len(text.lstrip()) + sum(len(line) + 1 for line in lines[:node.lineno - 1]) + column
        found = text_position(scalar, offset)
        if found is not None:
            return found
    if node.lineno == 1:
        column += where.column + len(text) - len(text.lstrip())
    else:
        column += 1
    return Location(where.path, where.line + node.lineno - 1, column)


def parse_expression(text: str, where: Location, scalar: Node | None = None) -> Expression:
    """Check ``text`` and return an :class:`Expression`, or raise SpecError (E300/E302). ``scalar``
    is the YAML value ``text`` comes from, if any: a problem inside a value written over several
    lines is placed on its own line."""
    try:
        return _parse_cached(text)
    except _Rejected as rejected:
        raise SpecError(Problem(rejected.code, rejected.message, _at(where, rejected.node, text, scalar),
                                rejected.hint)) from None


class _Rejected(Exception):
    def __init__(self, code: str, message: str, node: ast.AST | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.node, self.hint = code, message, node, hint


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _Rejected("E300", f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    if not text.strip():
        raise _Rejected("E300", "empty text where a number or an expression was expected")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        lines = text.strip().split("\n")
        hint = "expressions use numbers, parameter names, + - * / // %, parentheses and the functions " \
            + ", ".join(FUNCTIONS)
        if len(lines) > 1 and not text.strip().startswith("("):
            hint = "an expression written over several lines needs parentheses around it: (…)"
        raise _Rejected("E300", f"cannot read {clip(text)} as a number or an expression: {exc.msg}",
                        _syntax_error_place(exc, lines), hint) from None
    except (RecursionError, MemoryError, OverflowError):
        raise _Rejected("E300", "expression is nested too deeply") from None
    except ValueError as exc:  # e.g. a NUL character
        raise _Rejected("E300", f"cannot read {clip(text)} as an expression: {exc}") from None
    names: set[str] = set()
    _check(tree, text, names)
    return Expression(text, tree, frozenset(names))


def _syntax_error_place(error: SyntaxError, lines: list[str]) -> ast.AST | None:
    """Where Python stopped reading an expression, as a node :func:`_at` can place (its offset is
    in characters, a node's in UTF-8 bytes); None when it does not say."""
    if not error.lineno or not error.offset or not 1 <= error.lineno <= len(lines):
        return None
    line = lines[error.lineno - 1]
    column = min(error.offset - 1, len(line))
    return ast.Name(id="", lineno=error.lineno, col_offset=len(line[:column].encode("utf-8")))


def names_read(node) -> frozenset[str]:
    """The names the expressions in a source :class:`~convcost.language.source.Node` read: the
    names in the syntax tree of each text value (in nested lists and mappings too). Text that is
    not an expression (``600M``, a syntax error) reads nothing; a bare word (``same``) is a name.
    This is how the language decides which parameters anything reads; it is computed once per
    node and kept on it."""
    found = node.names
    if found is None:
        value = node.value
        if isinstance(value, str):
            if value.isascii() and value.isidentifier() and not iskeyword(value):
                found = frozenset((value,))  # what its syntax tree would say, without parsing
            else:
                try:
                    found = _parse_cached(value).names
                except _Rejected:
                    found = frozenset()
        elif isinstance(value, (list, dict)):
            found = frozenset().union(*map(names_read, value.values() if isinstance(value, dict) else value))
        else:
            found = frozenset()
        node.names = found
    return found


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    """Raise _Rejected at the first part of the tree outside the whitelist; add the names read to ``names``."""
    if isinstance(node, ast.Constant):
        _check_constant(node, text)
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise _Rejected("E300", f"operator '{symbol}' is not allowed", node,
                            "use + - * / // % and parentheses")
        _check(node.left, text, names)
        _check(node.right, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        _check(node.operand, text, names)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise _Rejected("E300", f"comparison '{_COMPARE_TEXT.get(type(op), type(op).__name__)}' is not "
                                        "allowed", node, "compare numbers with == != < <= > >=")
        _check(node.left, text, names)
        for operand in node.comparators:
            _check(operand, text, names)
    elif isinstance(node, ast.BoolOp):
        for operand in node.values:
            _check(operand, text, names)
    elif isinstance(node, ast.IfExp):
        _check(node.test, text, names)
        _check(node.body, text, names)
        _check(node.orelse, text, names)
    elif isinstance(node, ast.Call):
        _check_call(node)
        for arg in node.args:
            _check(arg, text, names)
    else:
        shown = ast.get_source_segment(text.strip(), node) or type(node).__name__
        raise _Rejected("E300", f"{clip(shown)} is not allowed in an expression", node,
                        "expressions use numbers, parameter names, + - * / // %, parentheses, "
                        "comparisons, and/or/not, 'a if c else b' and the functions " + ", ".join(FUNCTIONS))


def _check_constant(node: ast.Constant, text: str) -> None:
    """A number literal (no bool, string, None, ...) of at most MAX_NUMBER_CHARS characters, its exponent in range."""
    if isinstance(node.value, bool):  # True, False
        return
    if not isinstance(node.value, (int, float)):
        shown = clip(node.value) if isinstance(node.value, str) else clip(repr(node.value))
        raise _Rejected("E300", f"only numbers are allowed in expressions, got {shown}", node,
                        "a parameter name is written without quotes" if isinstance(node.value, str) else None)
    segment = ast.get_source_segment(text.strip(), node) or repr(node.value)
    if len(segment) > MAX_NUMBER_CHARS:
        raise _Rejected("E205", f"number has more than {MAX_NUMBER_CHARS} characters", node)
    if isinstance(node.value, float):
        try:
            decimal_fraction(segment, Location("", 1, 1))
        except SpecError:
            raise _Rejected("E205", f"number {clip(segment)} has an exponent beyond ±{MAX_EXPONENT}",
                            node) from None


def _check_call(node: ast.Call) -> None:
    """A call of a function of FUNCTIONS by name, with positional arguments only and as many as it takes
    (the arguments themselves are checked by the caller)."""
    if not isinstance(node.func, ast.Name):
        raise _Rejected("E300", "only the built-in functions can be called", node,
                        "functions: " + ", ".join(FUNCTIONS))
    if node.func.id not in FUNCTIONS:
        hint = did_you_mean(node.func.id, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS)
        raise _Rejected("E302", f"unknown function {clip(node.func.id)}", node, hint)
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _Rejected("E300", f"'{node.func.id}' takes positional arguments only", node)
    _, fewest, most = FUNCTIONS[node.func.id]
    if not fewest <= len(node.args) <= most:
        expected = str(fewest) if fewest == most else f"{fewest} to {most}"
        raise _Rejected("E300", f"'{node.func.id}' takes {expected} argument(s), got {len(node.args)}", node)


def evaluate(expression: Expression, scope: Mapping[str, Value], where: Location,
             scalar: Node | None = None) -> Number:
    """The value of ``expression`` with parameter values from ``scope``; SpecError (E301/E303) on
    an unknown name or an arithmetic error (``scalar`` as for :func:`parse_expression`)."""
    try:
        value = _to_number(_eval(expression.tree, expression.text, scope))
    except _Rejected as rejected:
        if rejected.code == "":
            raise silent() from None
        raise SpecError(Problem(rejected.code, rejected.message, _at(where, rejected.node, expression.text, scalar),
                                rejected.hint)) from None
    return check_magnitude(value, where, f"the value of {clip(expression.text)}")


def evaluate_condition(expression: Expression, scope: Mapping[str, Value], where: Location,
                       scalar: Node | None = None) -> bool:
    """The value of ``expression`` as a condition (:func:`condition`), located as :func:`evaluate`."""
    value = evaluate(expression, scope, where, scalar)
    try:
        return condition(value, expression.tree, expression.text)
    except _Rejected as rejected:
        raise SpecError(Problem(rejected.code, rejected.message, _at(where, rejected.node, expression.text, scalar),
                                rejected.hint)) from None


def _unknown_name(node: ast.Name, known) -> _Rejected:
    if node.id in FUNCTIONS:
        hint = f"{node.id} is a function: write {node.id}(x)"
    else:
        hint = did_you_mean(node.id, known) or (
            "known names: " + name_list(sorted(known)) if known else "this spec defines no parameters")
    return _Rejected("E301", f"unknown name {clip(node.id)}", node, hint)


def unknown_names(expression: Expression, known, where: Location, scalar: Node | None = None) -> list[Problem]:
    """E301 for each name that ``expression`` reads and ``known`` does not hold, without evaluating
    anything: how a parameter default that ``--set`` replaces is still checked. (``where`` and
    ``scalar`` as for :func:`parse_expression`.)"""
    called = {id(node.func) for node in ast.walk(expression.tree) if isinstance(node, ast.Call)}
    return [Problem(rejected.code, rejected.message, _at(where, node, expression.text, scalar), rejected.hint)
            for node in ast.walk(expression.tree)
            if isinstance(node, ast.Name) and node.id not in known and id(node) not in called
            for rejected in (_unknown_name(node, known),)]


def _segment(node: ast.AST, text: str) -> str:
    return clip(ast.get_source_segment(text.strip(), node) or text)


def _numeric(value: Number, node: ast.expr, text: str, what: str) -> Number:
    """``value`` if it is a number; E311 if it is a boolean (the value of a comparison)."""
    if isinstance(value, bool):
        raise _Rejected("E311", f"{what} must be a number, but {_segment(node, text)} is a condition "
                                f"({'true' if value else 'false'})", node,
                        "a condition is not a number: write 'a if condition else b' to choose a number")
    return value


def condition(value: Number, node: ast.expr | None, text: str) -> bool:
    """``value`` as a condition: a boolean, or 0 or 1 (what a ``true``/``false`` parameter is);
    E311 for any other number."""
    if isinstance(value, bool):
        return value
    if value == 0 or value == 1:
        return value == 1
    shown = _segment(node, text) if node is not None else clip(text)
    raise _Rejected("E311", f"a condition must be true or false, but {shown} is the number "
                            f"{_show_number(value)}", node, "compare it: write, for example, 'x > 1' or 'x == 2'")


def _show_number(value: Number) -> str:
    if isinstance(value, Fraction):
        return f"{float(value):g}"
    text = str(value)
    return text if len(text) <= 30 else f"{text[:6]}…"


def _eval(node: ast.expr, text: str, scope: Mapping[str, Value]) -> Number:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, float):  # exact decimal value of what was written
            return _to_number(Fraction(ast.get_source_segment(text.strip(), node) or repr(node.value)))
        if isinstance(node.value, int):  # _check let only ints, floats and booleans through
            return node.value
    if isinstance(node, ast.Name):
        try:
            value = scope[node.id]
        except KeyError:
            raise _unknown_name(node, scope) from None
        if isinstance(value, Poisoned):  # POISONED or a MissingAxis
            raise _poisoned(node, value)
        return value
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, text, scope)
        right = _eval(node.right, text, scope)
        if left.__class__ is bool or right.__class__ is bool:  # (a bool is an int: checked by its class)
            _numeric(left, node.left, text, "an operand of arithmetic")
            _numeric(right, node.right, text, "an operand of arithmetic")
        try:
            return _to_number(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise _Rejected("E303", f"division by zero in {_segment(node, text)}", node) from None
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, text, scope)
        if isinstance(node.op, ast.Not):
            return not condition(value, node.operand, text)
        value = _numeric(value, node.operand, text, "the operand of a sign")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.Compare, ast.BoolOp, ast.IfExp)):
        return _eval_condition(node, text, scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # _check let only calls by name through
        return _call(node, node.func.id, text, scope)
    raise _Rejected("E300", "expression not allowed", node)  # unreachable after _check


def _call(node: ast.Call, name: str, text: str, scope: Mapping[str, Value]) -> Number:
    args = [_eval(arg, text, scope) for arg in node.args]
    for arg, value in zip(node.args, args):
        if value.__class__ is bool:
            _numeric(value, arg, text, f"an argument of {name}()")
    try:
        return _to_number(FUNCTIONS[name][0](*args))
    except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
        raise _Rejected("E303", f"{name}(): {exc}", node) from None


def _poisoned(node: ast.Name, value: Poisoned) -> _Rejected:
    """What reading POISONED (silent: its definition failed and was reported) or a MissingAxis (E310) raises."""
    if isinstance(value, MissingAxis):
        return _Rejected("E310", value.message, node, "the shape names of an input " + "; of ".join(
            f"{_RANK_TEXT[rank].split(' ', 1)[1]}: " + ", ".join(axes) for rank, axes in SHAPE_AXES.items()))
    return _Rejected("", "", node)


def _eval_condition(node: ast.Compare | ast.BoolOp | ast.IfExp, text: str, scope: Mapping[str, Value]) -> Number:
    """A comparison (chained, as in Python), ``and``/``or`` (short-circuit, a boolean value) or ``a if c else b``
    (only the branch chosen is evaluated)."""
    if isinstance(node, ast.Compare):
        left = _eval(node.left, text, scope)
        left_node: ast.expr = node.left
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, text, scope)
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                _numeric(left, left_node, text, "what is compared")
                _numeric(right, right_node, text, "what is compared")
            if not _COMPARE[type(op)](left, right):
                return False
            left, left_node = right, right_node
        return True
    if isinstance(node, ast.BoolOp):
        stop = isinstance(node.op, ast.Or)
        for operand in node.values:
            if condition(_eval(operand, text, scope), operand, text) == stop:
                return stop
        return not stop
    chosen = node.body if condition(_eval(node.test, text, scope), node.test, text) else node.orelse
    return _eval(chosen, text, scope)
