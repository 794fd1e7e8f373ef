"""Every count and byte size convcost reads or prints: human units, parsed exactly and boundedly.

Reading:

- :func:`parse_count`: ``"4.5M"`` -> 4_500_000 (K, M, G, T: powers of 1000), for budget limits.
- :func:`parse_bytes`: ``"12MB"`` -> 12_000_000, ``"12MiB"`` -> 12 * 2**20, for budget limits on
  ``*_bytes`` metrics.
- :func:`parse_percent`: ``"5%"`` -> ``Fraction(1, 20)``, for budgets' ``max_increase``.
- :func:`parse_memory_size`: ``"4G"`` -> 4 * 2**30, for ``verify --max-memory``: like ``ulimit`` and
  container limits, a bare K, M, G, T is binary there and units are case-insensitive.

All of them read the number itself with :func:`read_number`, the one bounded reader of every
number convcost takes from a flag, a budget file, a sweep grid or a one-layer option: ASCII digits
0-9 only (``str.isdigit()`` and ``int()`` take superscripts and other scripts' digits; it does
not), at most :data:`MAX_NUMBER_CHARS` characters, an exponent within :data:`MAX_EXPONENT`
(checked before any arithmetic: ``10**999999999`` is never computed) and a value within
:data:`MAX_WHOLE`, the spec language's own bounds. A hostile value costs nothing to reject.

The first three are exact (``fractions.Fraction``, no floating point) and raise a
:class:`~convcost.errors.SpecError` (E503, E504, E510) located where the value was written;
:func:`read_number` and :func:`parse_memory_size` raise :class:`NumberError`, a ValueError (each
door adds the flag or the place).

Printing, exactly for integers of any size (no float conversion) unless said otherwise:

- :func:`thousands`: ``568740352`` -> ``'568,740,352'``, the exact counts of tables;
- :func:`human`: ``568740352`` -> ``'568.74M'``; :func:`human_bytes`: ``6422528`` -> ``'6.13 MiB'``
  (two decimals, rounded half up: :func:`scaled`);
- :func:`format_bytes`: ``6422528`` -> ``'6.12 MiB'``, the executor's memory estimates (a float
  division, rounded half to even, and TiB above 1024 GiB: ``verify`` has always printed them so).

Percentages and shapes are presentation, not units: they stay in convcost/render/numbers.py.

Pure: no printing, no NumPy.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import TypeGuard

from convcost.errors import Location, Problem, SpecError, clip

# The bounds of every number convcost reads, whatever the door (docs/errors.md, "Resource bounds");
# the spec language (convcost/language/source.py, fields.py) uses these same constants.
MAX_NUMBER_CHARS = 100  # characters in one number literal
MAX_EXPONENT = 400  # |e| in 1.5e-7
MAX_WHOLE = 10**18  # the largest size, count or channel number of a spec, and the largest limit or flag value


class NumberError(ValueError):
    """A number that is malformed or beyond the bounds; the message says what was received and what
    is accepted, not where (the caller names the flag or the file position)."""


# sign, digits (thousands commas or underscores allowed), fraction, exponent: ASCII only
_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:_[0-9]+)*|)"
                     r"(?:\.(?P<fraction>[0-9]+(?:_[0-9]+)*)?)?(?:[eE](?P<exponent>[+-]?[0-9]+))?", re.ASCII)


def read_number(text: str, maximum: int = MAX_WHOLE) -> Fraction:
    """The exact value of a decimal number written in ASCII: ``read_number("1.5e3") == 1500``,
    ``read_number("0.857") == Fraction(857, 1000)``, ``read_number("568,740,352") == 568740352``.

    NumberError for anything else, and for a number of more than MAX_NUMBER_CHARS characters, an
    exponent beyond ±MAX_EXPONENT, or a magnitude above ``maximum``. The exponent is bounded
    before anything is computed, so ``1e999999999`` is refused as fast as ``abc``.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError(f"'{text[:20]}…' has {len(text):,} characters; a number has at most {MAX_NUMBER_CHARS}")
    match = _NUMBER.fullmatch(text)
    if not match or not (match["whole"] or match["fraction"]):
        raise NumberError(f"'{text}' is not a number" + foreign_digit_note(text))
    exponent = int(match["exponent"] or 0)
    if abs(exponent) > MAX_EXPONENT:
        raise NumberError(f"'{text}' has an exponent beyond ±{MAX_EXPONENT}")
    fraction = (match["fraction"] or "").replace("_", "")
    digits = match["whole"].replace(",", "").replace("_", "") + fraction
    value = Fraction(int(digits or "0")) * Fraction(10) ** (exponent - len(fraction))
    if abs(value) > maximum:
        raise NumberError(f"'{text}' is " + (f"below -{_bound(maximum)}" if match["sign"] == "-" else
                                             f"above {_bound(maximum)}"))
    return -value if match["sign"] == "-" else value


def read_whole(text: str, minimum: int = 0, maximum: int = MAX_WHOLE) -> int:
    """A whole number in [minimum, maximum] through :func:`read_number`: ``read_whole("1e3") == 1000``;
    NumberError otherwise (``"1.5"``, ``"-1"`` below 0, ``"³"``), saying what is expected."""
    expected = f"a whole number from {minimum:,} to {_bound(maximum)}"
    try:
        value = read_number(text, max(maximum, abs(minimum)))
    except NumberError as error:
        raise NumberError(f"{error}; expected {expected}") from None
    if value.denominator != 1 or not minimum <= value <= maximum:
        raise NumberError(f"'{text.strip()}' is not {expected}")
    return int(value)


def check_bound(value: int | Fraction, maximum: int = MAX_WHOLE) -> int | Fraction:
    """``value`` if its magnitude is at most ``maximum``; NumberError otherwise, without ever
    printing the value in full (a 5,000-digit integer cannot even be converted to text)."""
    if not -maximum <= value <= maximum:
        whole = int(value)
        shown = (f"{whole:,}" if abs(whole) < 10**30 else
                 f"about {'-' if whole < 0 else ''}10^{int(abs(whole).bit_length() * 0.30103)}")
        raise NumberError(f"{shown} is " + (f"above {_bound(maximum)}" if whole > 0 else f"below -{_bound(maximum)}"))
    return value


def _bound(maximum: int) -> str:
    """``10**18 -> '10^18'``; other bounds in full."""
    power = len(str(maximum)) - 1
    return f"10^{power}" if maximum == 10**power and power > 6 else f"{maximum:,}"


def foreign_digit_note(text: str) -> str:
    """``": '³' is not a digit 0-9"`` when ``text`` holds a character that Unicode counts as a digit
    or a number (a superscript, an Arabic-Indic or a full-width digit), else ``""``."""
    foreign = next((c for c in text if not c.isascii() and c.isnumeric()), None)
    return f": '{foreign}' (U+{ord(foreign):04X}) is not a digit 0-9" if foreign else ""


COUNT_UNITS = {"": 1, "K": 10**3, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BYTE_UNITS = {"": 1, "B": 1, "KB": 10**3, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"\s*(?P<unit>[A-Za-z]*|%)",
    re.ASCII,  # \d is 0-9 alone: no superscripts, no other scripts' digits
)


def parse_count(value: object, where: Location | None = None, what: str = "limit") -> int:
    """A count with an optional K, M, G or T suffix, exactly: ``parse_count("4.5M") == 4_500_000``.

    Plain integers, underscores and thousands commas are accepted (``"568,740,352"``); a value that
    is negative, not a whole number, or has another unit is a SpecError located at ``where``.
    """
    return parse_quantity(value, False, where, what)


def parse_bytes(value: object, where: Location | None = None, what: str = "limit") -> int:
    """A size in bytes: ``parse_bytes("12MB") == 12_000_000``, ``parse_bytes("12MiB") == 12 * 2**20``.

    Decimal units KB, MB, GB, TB (powers of 1000) and binary KiB, MiB, GiB, TiB (powers of 1024);
    a plain number is bytes.
    """
    return parse_quantity(value, True, where, what)


def parse_quantity(value: object, in_bytes: bool, where: Location | None = None, what: str = "limit") -> int:
    """:func:`parse_bytes` when ``in_bytes``, else :func:`parse_count`; ``what`` starts each message."""
    units = BYTE_UNITS if in_bytes else COUNT_UNITS
    kind = "size in bytes" if in_bytes else "count"
    example = "12MB or 12MiB" if in_bytes else "600M or 4.5M"
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        shown = "nothing" if value is None else repr(value) if isinstance(value, bool) else type(value).__name__
        raise _error("E503", f"{what}: expected a {kind} like {example}, got {shown}", where)
    if isinstance(value, (int, Fraction)):
        _within_bounds(value, what, where)
        number, unit, text = Fraction(value), "", plain(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _error("E503", f"{what}: {value!r} is not a {kind}", where, f"write it like {example}")
        number, unit, text = Fraction(repr(value)), "", repr(value)
        _within_bounds(number, what, where)
    elif isinstance(value, str):
        text = value.strip()
        match = _QUANTITY.fullmatch(text)
        if not match:
            raise _error("E503", f"{what}: {clip(text)} is not a {kind}{foreign_digit_note(text)}", where,
                         f"write it like {example}")
        number = _read(match["sign"] + match["number"], what, where)
        unit = match["unit"]
    else:
        raise _error("E503", f"{what}: expected a {kind} like {example}, got {type(value).__name__}", where)
    if number < 0:
        raise _error("E504", f"{what}: '{text}' is negative; a limit is 0 or more", where)
    if unit not in units:
        number_text = text[: len(text) - len(unit)].strip() if unit else text
        raise _error("E503", f"{what}: unknown unit {clip(unit, 20)} in {clip(text)}", where,
                     _unit_hint(unit, in_bytes, number_text))
    exact = number * units[unit]
    if exact > MAX_WHOLE:
        raise _error("E510", f"{what}: '{text}' is above 10^18, the largest limit convcost takes", where,
                     "no network is that large; check the value")
    if exact.denominator != 1:
        raise _error("E503", f"{what}: '{text}' is not a whole number ({float(exact):g})", where,
                     "limits are exact integers; give fewer decimals or a smaller unit")
    return int(exact)


def _read(number: str, what: str, where: Location | None) -> Fraction:
    """:func:`read_number` of a limit's number, its NumberError as E510 at ``where``."""
    try:
        return read_number(number)
    except NumberError as error:
        raise _error("E510", f"{what}: {error}", where, "limits are whole numbers up to 10^18, like 600M or 4.5M; "
                     f"at most {MAX_NUMBER_CHARS} characters and an exponent within ±{MAX_EXPONENT}") from None


def _within_bounds(value: int | Fraction, what: str, where: Location | None) -> int | Fraction:
    """A limit given as a number (a YAML int, a Python value), within ±10^18: E510 otherwise."""
    try:
        return check_bound(value)
    except NumberError as error:
        raise _error("E510", f"{what}: {error}", where, "no network is that large; check the value") from None


def is_percent(value: object) -> TypeGuard[str]:
    """Is ``value`` written as a percentage (``"5%"``)?"""
    return isinstance(value, str) and value.strip().endswith("%")


def parse_percent(value: str, where: Location | None = None, what: str = "max_increase") -> Fraction:
    """``"5%"`` -> ``Fraction(1, 20)``, exactly; 0% or more."""
    text = value.strip()
    match = _QUANTITY.fullmatch(text)
    if not match or match["unit"] != "%":
        raise _error("E503", f"{what}: {clip(text)} is not a percentage{foreign_digit_note(text)}", where,
                     "write it like 5% or 0.5%")
    if match["sign"] == "-":
        raise _error("E504", f"{what}: '{text}' is negative; an allowed increase is 0% or more", where)
    return _read(match["number"], what, where) / 100


def parse_memory_size(text: str) -> int:
    """``"4GiB"`` -> 4294967296. Binary units: K, M, G, T, KiB, MiB, GiB, TiB; decimal: KB, MB, GB,
    TB; a plain number is bytes; at most 10^18 bytes. NumberError (a ValueError) names what was
    received."""
    match = _SIZE.fullmatch(str(text))
    unit = match["unit"].lower() if match else None
    if not match or unit not in _MEMORY_UNITS:
        raise NumberError(f"expected a size such as 4GiB, 512MiB or 2GB, got {clip(str(text))}"
                          + foreign_digit_note(str(text)))
    size = read_number(match["number"]) * _MEMORY_UNITS[unit]
    if size > MAX_WHOLE:
        raise NumberError(f"'{str(text).strip()}' is above 10^18 bytes, the largest size convcost takes")
    return int(size)


# --max-memory: BYTE_UNITS in any case, and a bare K, M, G or T is binary (KiB, MiB, GiB, TiB)
_MEMORY_UNITS = {**{unit.lower(): scale for unit, scale in BYTE_UNITS.items()},
                 "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SIZE = re.compile(r"\s*(?P<number>[0-9]+(?:\.[0-9]*)?(?:e[0-9]+)?|\.[0-9]+(?:e[0-9]+)?)\s*(?P<unit>[a-z]*)\s*",
                   re.IGNORECASE | re.ASCII)


# the steps of the short forms, largest first
COUNT_STEPS = (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3))
BINARY_STEPS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def thousands(n: int) -> str:
    """``568740352 -> '568,740,352'``"""
    return f"{n:,}"


def scaled(n: int, scale: int) -> str:
    """``n / scale`` with two decimals, rounded half up, exactly for integers of any size:
    ``scaled(6422528, 2**20) == '6.13'``."""
    hundredths = (abs(n) * 100 + scale // 2) // scale
    return f"{'-' if n < 0 else ''}{hundredths // 100}.{hundredths % 100:02d}"


def human(n: int | float, unit: str = "") -> str:
    """Short form with K/M/G/T suffixes: ``568740352 -> '568.74M'``, ``21888 -> '21.89K'``.
    Exact for integers of any size (no float conversion): ``10**30 -> '1000000000000000000.00T'``."""
    if isinstance(n, int):
        for suffix, scale in COUNT_STEPS:
            if abs(n) >= scale:
                return f"{scaled(n, scale)}{suffix}{unit}"
        return f"{n}{unit}"
    value = float(n)
    for suffix, float_scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= float_scale:
            return f"{value / float_scale:.2f}{suffix}{unit}"
    return f"{value:g}{unit}"


def human_bytes(n: int) -> str:
    """Binary units: ``6422528 -> '6.13 MiB'`` (exact for integers of any size)."""
    for suffix, scale in BINARY_STEPS:
        if n >= scale:
            return f"{scaled(n, scale)} {suffix}"
    return f"{n} B"


def format_bytes(n: int) -> str:
    """``6422528`` -> ``'6.12 MiB'``."""
    for suffix, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {suffix}"
    return f"{n} B"


def plain(value: int | Fraction) -> str:
    """A number given as a number rather than text, as it is shown back: ``600000000 -> '600,000,000'``."""
    return f"{value:,}" if isinstance(value, int) else str(float(value))


def _unit_hint(unit: str, byte_units: bool, number: str) -> str:
    if unit == "%":
        return "a percentage is only allowed for max_increase (growth against a --baseline)"
    if byte_units:
        if unit in COUNT_UNITS:
            return (f"this metric is in bytes: write {number}{unit.upper()}B (powers of 1000) "
                    f"or {number}{unit.upper()}iB (powers of 1024)")
        close = {u.lower(): u for u in BYTE_UNITS if u}.get(unit.lower())
        return (f"did you mean '{close}'?" if close else "byte units: B, KB, MB, GB, TB (powers of 1000), "
                "KiB, MiB, GiB, TiB (powers of 1024)")
    if unit in BYTE_UNITS:
        return "this metric is a count, not bytes: use K, M, G, T (powers of 1000)"
    if unit in ("m", "g", "t"):
        return f"did you mean '{unit.upper()}'? count units are K, M, G, T (powers of 1000)"
    return "count units: K, M, G, T (powers of 1000)"


def _error(code: str, message: str, where: Location | None, hint: str | None = None) -> SpecError:
    return SpecError(Problem(code, message, where, hint))


__all__ = ["BINARY_STEPS", "BYTE_UNITS", "COUNT_STEPS", "COUNT_UNITS", "MAX_EXPONENT", "MAX_NUMBER_CHARS", "MAX_WHOLE",
           "NumberError", "check_bound", "foreign_digit_note", "format_bytes", "human", "human_bytes", "is_percent",
           "parse_bytes", "parse_count", "parse_memory_size", "parse_percent", "parse_quantity", "plain", "read_number",
           "read_whole", "scaled", "thousands"]
