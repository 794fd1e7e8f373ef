"""The one bounded number reader (convcost.units.read_number) and the doors that use it (issue 11,
class 1): every number convcost takes from a flag, a budget file, a sweep grid or a one-layer option
is written with ASCII digits, has at most MAX_NUMBER_CHARS characters and an exponent within
±MAX_EXPONENT, and is at most MAX_WHOLE, the spec language's own bounds; anything else is refused
at once, with a message that names the flag or the file position.

The door-by-door command lines are in the door corpus (tests/data/doors/num_*.yaml) and the fuzzing
in tests/test_fuzz_doors.py; this file holds the reader's own contract.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from convcost.errors import CODES, SpecError
from convcost.language import fields, source
from convcost.units import (
    MAX_EXPONENT,
    MAX_NUMBER_CHARS,
    MAX_WHOLE,
    NumberError,
    parse_count,
    parse_memory_size,
    parse_percent,
    read_number,
    read_whole,
)


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("224", 224), ("-2", -2), ("+3", 3), ("0.857", Fraction(857, 1000)), (".5", Fraction(1, 2)),
    ("1.", 1), ("1.5e3", 1500), ("1e-3", Fraction(1, 1000)), ("568,740,352", 568_740_352), ("1_000", 1000),
    ("1E18", MAX_WHOLE), ("  42 ", 42),
])
def test_reads_decimal_numbers_exactly(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize("text", ["³", "3³", "٣", "３", "1e³", "½", "Ⅻ", "𝟗"])
def test_refuses_every_digit_that_is_not_ascii(text):
    """``int()`` reads ``'٣'`` and ``'３'`` as 3 and ``str.isdigit()`` is true for ``'³'``; the reader refuses them,
    saying which character it is."""
    with pytest.raises(NumberError, match=r"U\+[0-9A-F]{4,5}\) is not a digit 0-9"):
        read_number(text)


@pytest.mark.parametrize("text", ["", "abc", "1e", "e5", "1.2.3", "1,00", "--1", "1 000", "0x1F", "inf", "nan",
                                  "1e5.5"])
def test_refuses_what_is_not_a_decimal_number(text):
    with pytest.raises(NumberError, match="is not a number"):
        read_number(text)


@pytest.mark.parametrize("text", ["1e999999999", "1e-999999999", "9" * 5000 + "e9", f"1e{MAX_EXPONENT + 1}",
                                  "1e" + "9" * 90])
def test_huge_exponents_and_long_numbers_are_refused_at_once(text):
    """The exponent is bounded before any arithmetic: Fraction("1e999999999") would never return."""
    start = time.perf_counter()
    with pytest.raises(NumberError, match="exponent beyond|characters"):
        read_number(text)
    assert time.perf_counter() - start < 0.5  # unbounded, it would never return; generous for a busy CI machine


def test_a_number_has_at_most_max_number_chars_characters():
    assert read_number("1" * MAX_NUMBER_CHARS, maximum=10**MAX_NUMBER_CHARS) == int("1" * MAX_NUMBER_CHARS)
    with pytest.raises(NumberError, match=f"at most {MAX_NUMBER_CHARS}"):
        read_number("1" * (MAX_NUMBER_CHARS + 1), maximum=10**MAX_NUMBER_CHARS)


def test_the_value_is_bounded_by_the_specs_largest_size():
    assert read_number(str(MAX_WHOLE)) == MAX_WHOLE
    with pytest.raises(NumberError, match=r"above 10\^18"):
        read_number(str(MAX_WHOLE + 1))
    with pytest.raises(NumberError, match=r"below -10\^18"):
        read_number("-1e19")
    assert read_number(f"1e-{MAX_EXPONENT}") == Fraction(1, 10**MAX_EXPONENT)  # tiny is fine


def test_the_spec_language_and_the_reader_share_one_set_of_bounds():
    """One constant each, not a second copy that could drift (docs/errors.md, Resource bounds)."""
    assert source.MAX_NUMBER_CHARS is MAX_NUMBER_CHARS and source.MAX_EXPONENT is MAX_EXPONENT
    assert fields.MAX_WHOLE is MAX_WHOLE


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("1e3", 1000), ("4294967295", 2**32 - 1)])
def test_read_whole_takes_whole_numbers_in_range(text, expected):
    assert read_whole(text, 0, 2**32 - 1) == expected


@pytest.mark.parametrize("text", ["-1", "1.5", "4294967296", "1e999999999", "٣", ""])
def test_read_whole_says_what_is_expected(text):
    with pytest.raises(NumberError, match="whole number from 0 to 4,294,967,295"):
        read_whole(text, 0, 2**32 - 1)


@pytest.mark.parametrize("value", ["1e999999999", "1e400", "1e18T", "9" * 5001, 10**5000, 10**19, Fraction(10**40, 3)],
                         ids=["exponent", "1e400", "1e18T", "5001 digits", "int 10^5000", "int 10^19", "fraction"])
def test_limits_beyond_the_bounds_are_e510(value):
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        parse_count(value, what="macs")
    assert time.perf_counter() - start < 0.5  # unbounded, it would never return; generous for a busy CI machine
    assert [p.code for p in caught.value.problems] == ["E510"]
    assert len(str(caught.value)) < 400  # never the 5,000 digits back


def test_a_limit_of_exactly_the_bound_is_taken():
    assert parse_count("1e18") == parse_count("1000000T") == MAX_WHOLE


@pytest.mark.parametrize("text", ["1e999999999%", "9" * 5000 + "%"])
def test_percentages_are_bounded_too(text):
    with pytest.raises(SpecError) as caught:
        parse_percent(text)
    assert caught.value.problems[0].code == "E510"


@pytest.mark.parametrize("text", ["9" * 5000, "1e999999999", "1e400", "1e18GiB", "٤G", "4G³"])
def test_memory_sizes_are_bounded(text):
    with pytest.raises(NumberError):
        parse_memory_size(text)


def test_memory_sizes_keep_their_units():
    assert parse_memory_size("4GiB") == parse_memory_size("4g") == 4 * 2**30
    assert parse_memory_size("1.5e3") == 1500 and parse_memory_size("2GB") == 2 * 10**9


def test_e510_is_catalogued():
    assert "E510" in CODES
