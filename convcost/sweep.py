"""Parameter grids: one parsed spec analysed for many parameter values.

The MobileNet paper's Tables 6 and 7 are such grids: width multiplier alpha in {1, 0.75, 0.5, 0.25}
at 224, and resolution multiplier rho in {1, 0.857, 0.714, 0.571} at alpha 1, against mult-adds and
parameters. ``--set alpha=1,0.75,0.5,0.25`` gives one axis; several axes combine as a cartesian
product (the first varies slowest) or, with ``mode="zip"``, pairwise.

Values are exact: ``0.857`` is 857/1000 and ``0.25:1.0:0.25`` is 1/4, 1/2, 3/4, 1, so that
``round(224 * rho)`` gives the resolution the paper means. The spec is parsed once; every
configuration is built from it (:meth:`Spec.build`) and summarized once
(:func:`convcost.analysis.summarize`, which shares rule results between configurations).
Nothing here prints.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Sequence, overload

from convcost.analysis import memo_entries, summarize
from convcost.errors import ConvcostError, Location, Problem, SpecError, UnknownNameError, did_you_mean, once, shorten
from convcost.language import Spec, display_name
from convcost.language.expressions import Number, parse_expression
from convcost.units import MAX_EXPONENT, MAX_NUMBER_CHARS, NumberError, read_number

MAX_CONFIGURATIONS = 100_000  # the grid size run without asking (--max-configurations raises it)
LIMIT_CEILING = 10**9  # the largest --max-configurations: each row is still computed, ~0.1-1 ms apiece
MODES = ("cartesian", "zip")

# The totals a sweep shows by default, and how each is labelled.
DEFAULT_COLUMNS = ("macs", "weights", "params", "peak_activation_bytes")
COLUMN_LABELS = {
    "macs": "MACs", "weights": "weights", "params": "params", "trainable_params": "trainable",
    "non_trainable_params": "non-trainable", "peak_activation_bytes": "peak act.", "flops": "FLOPs",
    "mults": "mults", "adds": "adds", "effective_mults": "eff. mults", "padding_mults": "padding mults",
    "activation_bytes": "activations", "activation_elements": "act. elements",
    "peak_activation_elements": "peak act. elements", "biases": "biases", "bn_trainable": "BN trainable",
    "bn_non_trainable": "BN non-trainable", "comparisons": "comparisons", "divisions": "divisions",
    "exponentials": "exponentials", "special_functions": "special functions", "affine": "affine",
    "layers": "layers", "weight_bytes": "weight bytes",
}


class Steps(Sequence):
    """``count`` exact numbers ``start, start + step, …``, computed when asked for: a range's values
    are never all made at once, so ``0:1:1e-12`` costs nothing until the grid's size is checked.

    ``list(Steps(Fraction(1, 4), Fraction(1, 4), 4)) == [Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1]``
    """

    __slots__ = ("start", "step", "total")

    def __init__(self, start: Number, step: Number, count: int):
        self.start, self.step, self.total = Fraction(start), Fraction(step), count

    def __len__(self) -> int:
        return self.total  # (len() needs it below 2**63: ask .total first)

    @overload
    def __getitem__(self, index: int) -> Number: ...
    @overload
    def __getitem__(self, index: slice) -> list[Number]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.total))]
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        return _whole(self.start + index * self.step)

    def __iter__(self) -> Iterator[Number]:
        value = self.start
        for _ in range(self.total):
            yield _whole(value)
            value += self.step

    def __repr__(self) -> str:
        return f"Steps({self.start}, {self.step}, {self.total})"


class Values(Sequence):
    """An axis's values: explicit values and :class:`Steps`, one after another, none copied. Equal
    to any sequence with the same values: ``parse_axis("a", "1:3").values == (1, 2, 3)``."""

    __slots__ = ("parts", "total", "_ends")

    def __init__(self, parts: Iterable[Sequence[Number | str]]):
        self.parts = tuple(part for part in parts if _size(part))
        self._ends = list(itertools.accumulate(_size(part) for part in self.parts))
        self.total = self._ends[-1] if self._ends else 0

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> Number | str: ...
    @overload
    def __getitem__(self, index: slice) -> list[Number | str]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.total))]
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        part = bisect.bisect_right(self._ends, index)
        return self.parts[part][index - (self._ends[part - 1] if part else 0)]

    def __iter__(self) -> Iterator[Number | str]:
        return itertools.chain.from_iterable(self.parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        if _size(other) != self.total:
            return False
        return all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Values({self.parts!r})"


def _size(values: Sequence) -> int:
    """How many values, without len() (which stops at 2**63): ``0:1:1e-100`` has 10**100 + 1."""
    return values.total if isinstance(values, (Steps, Values)) else len(values)


def _whole(value: Fraction) -> Number:
    return int(value) if value.denominator == 1 else value


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its values (exact numbers, or expression text) in order; a tuple or
    :class:`Values` (ranges computed when read)."""

    name: str
    values: Sequence[Number | str]

    @property
    def size(self) -> int:
        """How many values, however many: computed, not counted."""
        return _size(self.values)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(format_value(v) for v in self.values)


@dataclass(frozen=True)
class SweepRow:
    """One configuration and its totals (the dict of :meth:`Analysis.totals_dict`)."""

    index: int  # 0-based position in the sweep
    config: dict[str, Number | str]  # the swept values
    parameters: dict[str, int | float]  # every spec parameter as resolved (e.g. resolution)
    input_shape: tuple[int, ...]
    totals: dict[str, int]
    warnings: tuple[Problem, ...] = ()  # the configuration's graph's (W codes)

    @property
    def label(self) -> str:
        """``alpha=0.75, rho=0.857``"""
        return ", ".join(f"{k}={format_value(v)}" for k, v in self.config.items())

    def keeping(self, keys: Iterable[str]) -> SweepRow:
        """This row with only the totals ``keys`` (no parameters, no warnings): what a table or a plot
        of a large sweep holds of each row until the last one is made."""
        return SweepRow(self.index, self.config, {}, self.input_shape, {k: self.totals[k] for k in keys})


class _Ratios:
    """What a sweep's rows are shown with, for :class:`SweepResult` (every row held) and
    :class:`SweepStream` (rows computed as they are read) alike: the baseline, ratios, JSON."""

    name: str
    path: str
    axes: tuple[Axis, ...]
    mode: str
    batch: int
    dtype: str
    baseline_index: int
    columns: tuple[str, ...]
    weight_dtype: str

    @property
    def baseline(self) -> SweepRow:
        raise NotImplementedError

    def ratio(self, row: SweepRow, key: str) -> Fraction | None:
        """``row``'s total ``key`` divided by the baseline row's, exactly (None when that is 0);
        UnknownNameError (a KeyError) with a did-you-mean when there is no such total."""
        if key not in self.baseline.totals:
            raise UnknownNameError("total", key, self.baseline.totals)
        base = self.baseline.totals[key]
        return Fraction(row.totals[key], base) if base else None

    def header_dict(self) -> dict:
        """The JSON form without its rows (docs/sweep.md): what is known before the first row."""
        from convcost.version import __version__

        return {
            "convcost_version": __version__,
            "schema_version": 1,
            "name": self.name,
            "spec": display_name(self.path),
            "mode": self.mode,
            "batch": self.batch,
            "dtype": self.dtype,
            "weight_dtype": self.weight_dtype,
            "axes": {axis.name: [json_value(v) for v in axis.values] for axis in self.axes},
            "columns": list(self.columns),
            "baseline": self.baseline_index,
        }

    def row_dict(self, row: SweepRow) -> dict:
        """One row of the JSON form."""
        return {
            "index": row.index,
            "label": row.label,
            "config": {k: json_value(v) for k, v in row.config.items()},
            "parameters": dict(row.parameters),
            "input_shape": list(row.input_shape),
            "totals": row.totals,
            "ratios": {key: _float(self.ratio(row, key)) for key in self.columns},
        }


@dataclass(frozen=True)
class SweepResult(_Ratios):
    """A sweep with all its rows (:func:`sweep`)."""

    name: str  # the spec's name
    path: str
    axes: tuple[Axis, ...]
    mode: str
    rows: tuple[SweepRow, ...]
    batch: int = 1
    dtype: str = "float32"
    baseline_index: int = 0
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)
    weight_dtype: str = "float32"

    @property
    def baseline(self) -> SweepRow:
        return self.rows[self.baseline_index]

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The configurations' warnings, each code at each place once (as the first row has it)."""
        return tuple(once(w for row in self.rows for w in row.warnings))

    def to_dict(self) -> dict:
        """The JSON form (docs/sweep.md)."""
        return {**self.header_dict(), "rows": [self.row_dict(row) for row in self.rows]}


@dataclass(frozen=True)
class SweepStream(_Ratios):
    """A sweep whose rows are computed as ``rows`` is read (:func:`stream`), in order, once: the
    grid is checked and the baseline row computed before, so each row can be shown at once."""

    name: str
    path: str
    axes: tuple[Axis, ...]
    mode: str
    count: int  # rows that ``rows`` will give
    first: SweepRow = field(repr=False)  # the baseline row, computed first
    rows: Iterator[SweepRow] = field(repr=False)
    batch: int = 1
    dtype: str = "float32"
    baseline_index: int = 0
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)
    weight_dtype: str = "float32"

    @property
    def baseline(self) -> SweepRow:
        return self.first


# --- values ----------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)  # a sweep's rows repeat each axis's few values
def format_value(value: Number | str) -> str:
    """Short exact text of a swept value: ``Fraction(3, 4) -> '0.75'``, ``1 -> '1'``,
    ``Fraction(1, 3) -> '0.333333'`` (six significant digits when there is no finite decimal)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) or value.denominator == 1:
        return str(int(value))
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return f"{float(value):.6g}"
    digits = max(twos, fives)
    text = f"{abs(value.numerator) * 10 ** digits // value.denominator:0{digits + 1}d}"
    text = text[:-digits] + "." + text[-digits:]
    return ("-" if value < 0 else "") + text.rstrip("0").rstrip(".")


def json_value(value: Number | str) -> int | float | str:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


# (one way to match each text: a digit is required by a look-ahead, not by splitting the run of
# digits in two, which backtracked quadratically over a 5,000-digit value that fails to match)
_NUMBER_LIKE = re.compile(r"[+-]?(?=[0-9._,]*[0-9])[0-9._,]+(?:[eE][+-]?[0-9]+)?(?:/[+-]?[0-9_]+)?", re.ASCII)


def _exact(name: str, whole: str, text: str) -> Number | None:
    """An exact number from ``0.75``, ``3/4``, ``1e-3`` or ``-2``; None if ``text`` is not written as a
    number (an expression, then). Read by the one bounded reader (convcost.units.read_number: ASCII
    digits, at most 100 characters, an exponent within ±400, within ±10^18), so a hostile value is
    refused (E304) before any arithmetic."""
    text = text.strip()
    if not _NUMBER_LIKE.fullmatch(text):
        return None
    numerator, slash, denominator = text.partition("/")
    try:
        value = read_number(numerator)
        if slash:
            divisor = read_number(denominator)
            if value.denominator != 1 or divisor.denominator != 1 or divisor == 0:
                return None  # "1.5/2", "1/0": an expression, as before (evaluating 1/0 is E303)
            value /= divisor
    except NumberError as error:
        raise _bad(name, whole, str(error), "values are numbers up to 10^18 written with the digits 0-9: "
                                            f"at most {MAX_NUMBER_CHARS} characters, an exponent within "
                                            f"±{MAX_EXPONENT}") from None
    return int(value) if value.denominator == 1 else value


def _split_items(text: str) -> list[str]:
    """Split on commas outside parentheses: ``1,max(1, 2)`` -> ``['1', 'max(1, 2)']``."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items]


def _bad(name: str, text: str, message: str, hint: str | None = None) -> SpecError:
    return SpecError(Problem("E304", f"--set {shorten(name, 60)}={shorten(text, 60)}: {message}", None, hint))


def _range(name: str, whole: str, item: str) -> Steps:
    """``start:stop[:step]``, stop included when a step lands on it, exact."""
    parts = item.split(":")
    if len(parts) not in (2, 3):
        raise _bad(name, whole, f"a range is START:STOP or START:STOP:STEP, got '{item}'")
    parsed = [_exact(name, whole, p) for p in parts]
    numbers = [n for n in parsed if n is not None]
    if len(numbers) != len(parsed):
        raise _bad(name, whole, f"range bounds and step must be numbers, got '{item}'",
                   "e.g. 0.25:1.0:0.25 for 0.25, 0.5, 0.75, 1")
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1
    if step == 0:
        raise _bad(name, whole, "the step of a range cannot be 0")
    count = math.floor(Fraction(stop - start) / step) + 1
    if count < 1:
        raise _bad(name, whole, f"the range '{item}' holds no values",
                   "use a negative step to count down, e.g. 1:0.25:-0.25")
    return Steps(start, step, count)  # how many is checked for the whole grid (grid_size)


def parse_axis(name: str, text: str) -> Axis:
    """The values of ``--set NAME=TEXT``: a comma-separated list of numbers, ranges
    (``0.25:1.0:0.25``, stop included) or expressions over earlier parameters.

    ``parse_axis("alpha", "1,0.75").values == (1, Fraction(3, 4))``;
    ``parse_axis("alpha", "0.25:1.0:0.25").values == (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1)``.
    """
    name, text = name.strip(), text.strip()
    parts: list[Sequence[Number | str]] = []
    values: list[Number | str] = []  # the explicit values since the last range
    for item in _split_items(text):
        if not item:
            raise _bad(name, text, "empty value in the list", "separate values with commas: 1,0.75,0.5")
        number = _exact(name, text, item)
        if number is not None:
            values.append(number)
        elif ":" in item and "(" not in item:
            parts += [tuple(values), _range(name, text, item)]
            values = []
        else:
            try:
                parse_expression(item, Location(f"--set {name}", 1, 1))
            except SpecError as error:
                raise SpecError([Problem("E304", f"--set {name}={text}: {p.message}", None, p.hint)
                                 for p in error.problems]) from None
            values.append(item)
    if not parts:
        return Axis(name, tuple(values))
    return Axis(name, Values(parts + [tuple(values)]))


def parse_axes(items: Mapping[str, str] | Sequence[tuple[str, str]]) -> tuple[Axis, ...]:
    """Axes from ``{"alpha": "1,0.5", "rho": "1,0.714"}`` or ``[("alpha", "1,0.5"), ...]``."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return tuple(parse_axis(name, text) for name, text in pairs)


def grid_size(axes: Sequence[Axis], mode: str = "cartesian") -> int:
    """How many configurations the grid has, computed from the axes' sizes (nothing is made):
    their product, or with ``mode="zip"`` their common size. Raises the E304 of unequal lengths."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if mode == "cartesian":
        return math.prod(axis.size for axis in axes)
    sizes = {axis.size for axis in axes if axis.size != 1}
    if len(sizes) > 1:
        counts = ", ".join(f"{a.name} has {a.size:,}" for a in axes)
        raise SpecError(Problem("E304", f"--zip needs the same number of values for every parameter: {counts}",
                                None, "give each --set the same number of values, or drop --zip for the "
                                      "cartesian product"))
    return sizes.pop() if sizes else 1


def check_limit(limit: int) -> int:
    """``limit`` if it is a usable --max-configurations (1 to LIMIT_CEILING), else E531."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_CEILING:
        shown = f"{limit:,}" if isinstance(limit, int) and abs(limit) < 10**24 else _count(limit) \
            if isinstance(limit, int) else repr(limit)
        raise SpecError(Problem("E531", f"--max-configurations must be a whole number from 1 to {LIMIT_CEILING:,} "
                                        f"(got {shown})", None,
                                f"the default is {MAX_CONFIGURATIONS:,}; a sweep computes every row, so a larger "
                                "grid is better cut into several sweeps"))
    return limit


def check_size(axes: Sequence[Axis], mode: str = "cartesian", limit: int = MAX_CONFIGURATIONS) -> int:
    """The grid's size (:func:`grid_size`), or E530 naming it and ``limit`` when it is larger: a
    grid of 10**100 configurations is refused before the first is made."""
    check_limit(limit)
    count = grid_size(axes, mode)
    if count > limit:
        if mode == "zip" or len(axes) == 1:
            made = f"--set {axes[0].name} has {_count(count)} values" if len(axes) == 1 else \
                f"every --set has {_count(count)} values"
        else:
            made = " × ".join(f"{a.name} {_count(a.size)}" for a in axes)
        raise SpecError(Problem("E530", f"the grid has {_count(count)} configurations ({made}), more than the "
                                        f"limit of {limit:,}", None,
                                "use fewer values or a coarser step, or raise the limit with "
                                "--max-configurations N if you mean it"))
    return count


def _count(n: int) -> str:
    """``1,000,001`` for a count that reads well that way, ``about 8 × 10^100`` for one that does not
    (without str(): a count may have more digits than str() allows)."""
    if abs(n) < 10**24:
        return f"{n:,}"
    exponent = int((abs(n).bit_length() - 1) * 0.30102999566398)  # log10(2): at most one too small
    if 10 ** (exponent + 1) <= abs(n):
        exponent += 1
    lead = abs(n) // 10**exponent
    return ("minus " if n < 0 else "") + "about " + (f"{lead} × " if lead > 1 else "") + f"10^{exponent}"


class Grid(Sequence):
    """The configurations of a grid, each made when it is asked for (a row at a time: a sweep holds
    none of them). ``grid[i]`` is the i-th: cartesian with the first axis varying slowest, or with
    ``mode="zip"`` the i-th value of every axis (an axis of one value in every configuration)."""

    def __init__(self, axes: Sequence[Axis], mode: str = "cartesian", limit: int = MAX_CONFIGURATIONS):
        self.axes, self.mode = tuple(axes), mode
        self.total = check_size(self.axes, mode, limit)
        # Axes are read by index many times: small ones are made once (each is at most the grid's size).
        self._values = [tuple(a.values) if a.size <= MAX_CONFIGURATIONS else a.values for a in self.axes]
        self._sizes = [a.size for a in self.axes]

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> dict[str, Number | str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Number | str]]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.total))]
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        if self.mode == "zip":
            return {a.name: v[index] if n != 1 else v[0] for a, v, n in zip(self.axes, self._values, self._sizes)}
        config = {}
        for axis, values, size in zip(reversed(self.axes), reversed(self._values), reversed(self._sizes)):
            index, position = divmod(index, size)
            config[axis.name] = values[position]
        return dict(reversed(config.items()))

    def __iter__(self) -> Iterator[dict[str, Number | str]]:
        return (self[i] for i in range(self.total))


def configurations(axes: Sequence[Axis], mode: str = "cartesian", limit: int = MAX_CONFIGURATIONS) -> Grid:
    """Every configuration of the grid, in order, as a :class:`Grid` (each made when read).

    cartesian: the product, the first axis varying slowest. zip: the i-th value of every axis
    together; every axis needs the same number of values, except that an axis of one value is
    used in every configuration. A grid of more than ``limit`` configurations is E530.
    """
    return Grid(axes, mode, limit)


# --- running -------------------------------------------------------------------------------------

def sweep(spec: Spec, axes: Sequence[Axis], *, mode: str = "cartesian", fixed: Mapping[str, object] | None = None,
          batch: int = 1, dtype: str = "float32", baseline: int = 0,
          columns: Sequence[str] = DEFAULT_COLUMNS, jobs: int | None = 1,
          limit: int = MAX_CONFIGURATIONS, weight_dtype: str = "float32") -> SweepResult:
    """Build and summarize every configuration of the grid once; ``fixed`` overrides apply to all.

    ``baseline`` is the 0-based row the ratios are taken against; ``columns`` the totals the
    renderers show (any key of :meth:`Analysis.totals_dict`). ``jobs`` > 1 splits the grid between
    this process and forked workers (POSIX; each configuration still runs once); None chooses
    (two processes for large sweeps on a machine with two or more CPUs). The default, 1, never
    forks, which is what a library called from a threaded program wants. A grid of more than
    ``limit`` configurations is refused (E530) before any is built. :func:`stream` gives the rows
    one at a time instead of holding them.
    """
    running = stream(spec, axes, mode=mode, fixed=fixed, batch=batch, dtype=dtype, baseline=baseline,
                     columns=columns, jobs=jobs, limit=limit, weight_dtype=weight_dtype)
    return SweepResult(running.name, running.path, running.axes, running.mode, tuple(running.rows), running.batch,
                       running.dtype, running.baseline_index, running.columns, running.weight_dtype)


def stream(spec: Spec, axes: Sequence[Axis], *, mode: str = "cartesian", fixed: Mapping[str, object] | None = None,
           batch: int = 1, dtype: str = "float32", baseline: int = 0,
           columns: Sequence[str] = DEFAULT_COLUMNS, jobs: int | None = 1,
           limit: int = MAX_CONFIGURATIONS, weight_dtype: str = "float32") -> SweepStream:
    """:func:`sweep`, its rows computed as they are read: every check (names, columns, the grid's
    size, the baseline) is made, and the baseline row computed, before this returns; the rest are
    built one by one as ``.rows`` is iterated, and none is kept. A configuration that fails raises
    its SpecError from the iteration, after the rows before it (the first failure in row order)."""
    names = [a.name for a in axes]
    known = spec.parameter_names
    problems = []
    for name in dict.fromkeys(names + list(fixed or {})):
        if name not in known:
            problems.append(Problem("E304", f"--set {name}: this spec has no parameter '{name}'", None,
                                    did_you_mean(name, known) or ("parameters: " + ", ".join(known) if known
                                                                  else "this spec declares no parameters")))
    duplicated = {n for n in names if names.count(n) > 1} | (set(names) & set(fixed or {}))
    problems += [Problem("E304", f"--set {name} is given twice") for name in sorted(duplicated)]
    if problems:
        raise SpecError(problems)
    for column in columns:
        if column not in COLUMN_LABELS:
            raise ConvcostError(f"unknown column '{column}'; "
                                + (did_you_mean(column, COLUMN_LABELS) or "columns: " + ", ".join(COLUMN_LABELS)))
    if not columns:
        raise ConvcostError("no columns to show; columns: " + ", ".join(COLUMN_LABELS))
    grid = configurations(axes, mode, limit)
    if not 0 <= baseline < len(grid):
        raise ConvcostError(f"--baseline {baseline + 1}: there is no such row; the sweep has {len(grid):,} "
                            f"row{'s' if len(grid) != 1 else ''}")
    run = _Run(spec, grid, dict(fixed or {}), batch, dtype, weight_dtype)
    first = run.baseline_row(baseline)
    jobs = _jobs(jobs, len(grid))
    rows = run.forked(jobs) if jobs > 1 else run.rows(range(len(grid)))
    return SweepStream(spec.name, spec.path, tuple(axes), mode, len(grid), first, rows, batch, dtype, baseline,
                       tuple(columns), weight_dtype)


PARALLEL_FROM = 200  # configurations; below this a second process does not pay for itself
CHUNK = 64  # configurations a worker computes and sends at a time: rows arrive in order, soon, and few wait
# summarize's memo is started afresh past either bound (its results, and the attributes it numbers, would
# otherwise grow with the grid: ~0.7 KB a configuration); one configuration in thousands starts cold.
MEMO_ENTRIES = 20_000
MEMO_ROWS = 2_000


def _jobs(jobs: int | None, count: int) -> int:
    """How many processes to use: ``jobs`` if given (1 = this process only); None = as many as there
    are CPUs, at most 2, for sweeps of PARALLEL_FROM configurations or more, where os.fork exists."""
    if jobs is None:
        if count < PARALLEL_FROM or not hasattr(os, "fork"):
            return 1
        jobs = min(2, os.cpu_count() or 1)
    if jobs > 1 and not hasattr(os, "fork"):
        return 1
    return max(1, min(jobs, count))


class _Run:
    """The configurations of one sweep, built and summarized on demand (here or in forked workers)."""

    def __init__(self, spec: Spec, grid: Grid, fixed: dict, batch: int, dtype: str, weight_dtype: str = "float32"):
        self.spec, self.grid, self.fixed, self.batch, self.dtype = spec, grid, fixed, batch, dtype
        self.weight_dtype = weight_dtype
        self.memo: dict = {}  # shared between this process's configurations, bounded by MEMO_ENTRIES, MEMO_ROWS
        self.since_cleared = 0
        self.held: SweepRow | None = None  # the baseline row, computed first and given again in its place

    def row(self, index: int) -> SweepRow:
        """Configuration ``index``'s row; its SpecError prefixed with the configuration."""
        if self.held is not None and self.held.index == index:
            return self.held
        config = self.grid[index]
        self.since_cleared += 1
        if self.since_cleared > MEMO_ROWS or memo_entries(self.memo) > MEMO_ENTRIES:
            self.memo.clear()
            self.since_cleared = 0
        try:
            graph = self.spec.build({**self.fixed, **config} if self.fixed else config)
            summary = summarize(graph, batch=self.batch, dtype=self.dtype, weight_dtype=self.weight_dtype,
                                memo=self.memo)
        except SpecError as error:
            label = ", ".join(f"{k}={format_value(v)}" for k, v in config.items())
            raise SpecError([Problem(p.code, f"configuration {index + 1} ({label}): {p.message}", p.location,
                                     p.hint) for p in error.problems]) from None
        return SweepRow(index, config, dict(graph.parameters), graph.input_shape, summary.totals_dict(),
                        graph.warnings)

    def baseline_row(self, index: int) -> SweepRow:
        """The baseline's row, computed before the others (every row's ratios need it). If it fails,
        the first failure in row order is raised, as if the rows before it had been run."""
        try:
            self.held = self.row(index)
        except SpecError:
            for _ in self.rows(range(index)):
                pass
            raise
        return self.held

    def rows(self, indices: range) -> Iterator[SweepRow]:
        """The rows of ``indices``, in order, each computed when it is asked for.

        The cyclic garbage collector is paused meanwhile: building graphs allocates many short-lived
        objects without cycles (freed by reference counting), and the collector's passes over the
        memo cost 5-10% of a large sweep.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            for index in indices:
                yield self.row(index)
        finally:
            if collecting:
                gc.enable()

    def forked(self, jobs: int) -> Iterator[SweepRow]:
        """:meth:`rows` of the whole grid shared with ``jobs - 1`` forked children (which share the
        parsed spec: nothing is read again). The grid is cut into chunks of CHUNK configurations
        dealt in turn (this process takes chunks 0, jobs, 2·jobs, …; child k chunks k, k + jobs, …);
        each child sends each chunk's rows through a pipe as soon as it is done, and waits while
        the pipe is full, so rows come out in order, soon, and only a few chunks wait in memory.
        The first error in row order is raised, as :meth:`rows` would."""
        import pickle
        import signal
        import sys

        count = len(self.grid)
        chunks = [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
        for out in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            out.flush()
        children: list[tuple[int, object]] = []
        try:
            for worker in range(1, jobs):
                read_end, write_end = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child: compute, send, leave without running the parent's exit handlers
                    status = 0
                    try:
                        os.close(read_end)
                        with os.fdopen(write_end, "wb") as out:
                            self._serve(chunks[worker::jobs], out, pickle)
                    except BaseException:  # noqa: BLE001 - the parent reports a worker without an answer
                        status = 1
                    finally:
                        os._exit(status)
                os.close(write_end)
                children.append((pid, os.fdopen(read_end, "rb")))
            for number, chunk in enumerate(chunks):
                worker = number % jobs
                if worker == 0:
                    yield from self.rows(chunk)
                    continue
                try:
                    kind, payload = pickle.load(children[worker - 1][1])  # type: ignore[arg-type]
                except EOFError:
                    raise RuntimeError("a sweep worker ended without sending its rows") from None
                if kind == "problems":
                    raise SpecError(payload)
                if kind == "crash":
                    raise RuntimeError(f"a sweep worker failed: {payload}")
                yield from payload
        finally:
            for pid, received in children:  # done, or stopped early: stop and reap every worker
                try:
                    received.close()  # type: ignore[attr-defined]
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.waitpid(pid, 0)
                except OSError:
                    pass

    def _serve(self, chunks: list[range], out, pickle) -> None:
        """In a child: each chunk's rows, or the error that stopped them, to ``out`` as made."""
        for chunk in chunks:
            try:
                message: tuple[str, object] = ("rows", list(self.rows(chunk)))
            except SpecError as error:
                message = ("problems", error.problems)
            except BaseException as error:  # noqa: BLE001 - reported by the parent
                message = ("crash", f"{type(error).__name__}: {error}")
            pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            if message[0] != "rows":
                return


def pareto_front(rows: Sequence[SweepRow], x: str = "weights", y: str = "macs") -> list[int]:
    """Indices of the rows that no other row beats on both ``x`` and ``y`` (lower is better, at least
    as good on both and better on one), in row order."""
    front = []
    best_y = None  # the lowest y among the points already passed (all with x <= this one's)
    ordered = sorted(rows, key=lambda r: (r.totals[x], r.totals[y]))
    i = 0
    while i < len(ordered):
        key = (ordered[i].totals[x], ordered[i].totals[y])
        group = []
        while i < len(ordered) and (ordered[i].totals[x], ordered[i].totals[y]) == key:
            group.append(ordered[i].index)
            i += 1
        if best_y is None or best_y > key[1]:
            front.extend(group)
            best_y = key[1]
    return sorted(front)


__all__ = ["Axis", "Grid", "Steps", "SweepResult", "SweepRow", "SweepStream", "Values", "check_limit", "check_size",
           "configurations", "format_value", "grid_size", "parse_axes", "parse_axis", "pareto_front", "stream", "sweep",
           "DEFAULT_COLUMNS", "COLUMN_LABELS", "LIMIT_CEILING", "MAX_CONFIGURATIONS", "MODES"]
