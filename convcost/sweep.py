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

import gc
import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping, Sequence

from convcost.analysis import summarize
from convcost.errors import ConvcostError, Location, Problem, SpecError, UnknownNameError, did_you_mean, once, shorten
from convcost.language import Spec, display_name
from convcost.language.expressions import Number, parse_expression
from convcost.units import MAX_EXPONENT, MAX_NUMBER_CHARS, MAX_WHOLE, NumberError, read_number

MAX_CONFIGURATIONS = 100_000
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
    "exponentials": "exponentials", "layers": "layers",
}


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its values (exact numbers, or expression text) in order."""

    name: str
    values: tuple[Number | str, ...]

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


@dataclass(frozen=True)
class SweepResult:
    name: str  # the spec's name
    path: str
    axes: tuple[Axis, ...]
    mode: str
    rows: tuple[SweepRow, ...]
    batch: int = 1
    dtype: str = "float32"
    baseline_index: int = 0
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)

    @property
    def baseline(self) -> SweepRow:
        return self.rows[self.baseline_index]

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The configurations' warnings, each code at each place once (as the first row has it)."""
        return tuple(once(w for row in self.rows for w in row.warnings))

    def ratio(self, row: SweepRow, key: str) -> Fraction | None:
        """``row``'s total ``key`` divided by the baseline row's, exactly (None when that is 0);
        UnknownNameError (a KeyError) with a did-you-mean when there is no such total."""
        if key not in self.baseline.totals:
            raise UnknownNameError("total", key, self.baseline.totals)
        base = self.baseline.totals[key]
        return Fraction(row.totals[key], base) if base else None

    def to_dict(self) -> dict:
        """The JSON form (docs/sweep.md)."""
        from convcost.version import __version__

        return {
            "convcost_version": __version__,
            "schema_version": 1,
            "name": self.name,
            "spec": display_name(self.path),
            "mode": self.mode,
            "batch": self.batch,
            "dtype": self.dtype,
            "axes": {axis.name: [json_value(v) for v in axis.values] for axis in self.axes},
            "columns": list(self.columns),
            "baseline": self.baseline_index,
            "rows": [
                {
                    "index": row.index,
                    "label": row.label,
                    "config": {k: json_value(v) for k, v in row.config.items()},
                    "parameters": dict(row.parameters),
                    "input_shape": list(row.input_shape),
                    "totals": row.totals,
                    "ratios": {key: _float(self.ratio(row, key)) for key in self.columns},
                }
                for row in self.rows
            ],
        }


# --- values ----------------------------------------------------------------------------------------

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


_NUMBER_LIKE = re.compile(r"[+-]?[0-9._,]*[0-9][0-9._,]*(?:[eE][+-]?[0-9]+)?(?:/[+-]?[0-9_]+)?", re.ASCII)


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


def _range(name: str, whole: str, item: str) -> list[Number]:
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
    if count > MAX_CONFIGURATIONS:
        shown = f"{count:,}" if count <= MAX_WHOLE else "more than 10^18"
        raise _bad(name, whole, f"the range '{item}' holds {shown} values (at most {MAX_CONFIGURATIONS:,})")
    values = []
    for i in range(count):
        value = Fraction(start) + i * Fraction(step)
        values.append(int(value) if value.denominator == 1 else value)
    return values


def parse_axis(name: str, text: str) -> Axis:
    """The values of ``--set NAME=TEXT``: a comma-separated list of numbers, ranges
    (``0.25:1.0:0.25``, stop included) or expressions over earlier parameters.

    ``parse_axis("alpha", "1,0.75").values == (1, Fraction(3, 4))``;
    ``parse_axis("alpha", "0.25:1.0:0.25").values == (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1)``.
    """
    name, text = name.strip(), text.strip()
    values: list[Number | str] = []
    for item in _split_items(text):
        if not item:
            raise _bad(name, text, "empty value in the list", "separate values with commas: 1,0.75,0.5")
        number = _exact(name, text, item)
        if number is not None:
            values.append(number)
        elif ":" in item and "(" not in item:
            values.extend(_range(name, text, item))
        else:
            try:
                parse_expression(item, Location(f"--set {name}", 1, 1))
            except SpecError as error:
                raise SpecError([Problem("E304", f"--set {name}={text}: {p.message}", None, p.hint)
                                 for p in error.problems]) from None
            values.append(item)
    return Axis(name, tuple(values))


def parse_axes(items: Mapping[str, str] | Sequence[tuple[str, str]]) -> tuple[Axis, ...]:
    """Axes from ``{"alpha": "1,0.5", "rho": "1,0.714"}`` or ``[("alpha", "1,0.5"), ...]``."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return tuple(parse_axis(name, text) for name, text in pairs)


def configurations(axes: Sequence[Axis], mode: str = "cartesian") -> list[dict[str, Number | str]]:
    """Every configuration of the grid, in order.

    cartesian: the product, the first axis varying slowest. zip: the i-th value of every axis
    together; every axis needs the same number of values, except that an axis of one value is
    used in every configuration.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if not axes:
        return [{}]
    if mode == "zip":
        lengths = {len(a.values) for a in axes if len(a.values) != 1}
        if len(lengths) > 1:
            counts = ", ".join(f"{a.name} has {len(a.values)}" for a in axes)
            raise SpecError(Problem("E304", f"--zip needs the same number of values for every parameter: {counts}",
                                    None, "give each --set the same number of values, or drop --zip for the "
                                          "cartesian product"))
        count = lengths.pop() if lengths else 1
        return [{a.name: a.values[i] if len(a.values) != 1 else a.values[0] for a in axes} for i in range(count)]
    total = math.prod(len(a.values) for a in axes)
    if total > MAX_CONFIGURATIONS:
        raise SpecError(Problem("E304", f"the grid has {total:,} configurations (at most {MAX_CONFIGURATIONS:,})",
                                None, "use fewer values, or --zip to pair them"))
    configs: list[dict[str, Number | str]] = [{}]
    for axis in axes:
        configs = [{**config, axis.name: value} for config in configs for value in axis.values]
    return configs


# --- running -------------------------------------------------------------------------------------

def sweep(spec: Spec, axes: Sequence[Axis], *, mode: str = "cartesian", fixed: Mapping[str, object] | None = None,
          batch: int = 1, dtype: str = "float32", baseline: int = 0,
          columns: Sequence[str] = DEFAULT_COLUMNS, jobs: int | None = 1) -> SweepResult:
    """Build and summarize every configuration of the grid once; ``fixed`` overrides apply to all.

    ``baseline`` is the 0-based row the ratios are taken against; ``columns`` the totals the
    renderers show (any key of :meth:`Analysis.totals_dict`). ``jobs`` > 1 splits the grid between
    this process and forked workers (POSIX; each configuration still runs once); None chooses
    (two processes for large sweeps on a machine with two or more CPUs). The default, 1, never
    forks, which is what a library called from a threaded program wants.
    """
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
    configs = configurations(axes, mode)
    if not 0 <= baseline < len(configs):
        raise ConvcostError(f"--baseline {baseline + 1}: there is no such row; the sweep has {len(configs):,} "
                            f"row{'s' if len(configs) != 1 else ''}")
    fixed = dict(fixed or {})
    jobs = _jobs(jobs, len(configs))
    if jobs > 1:
        rows = _run_forked(spec, configs, fixed, batch, dtype, jobs)
    else:
        rows = _run(spec, configs, 0, fixed, batch, dtype)
    return SweepResult(spec.name, spec.path, tuple(axes), mode, tuple(rows), batch, dtype, baseline, tuple(columns))


PARALLEL_FROM = 200  # configurations; below this a second process does not pay for itself


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


def _run(spec: Spec, configs: Sequence[dict], start: int, fixed: dict, batch: int, dtype: str) -> list[SweepRow]:
    """Build and summarize ``configs`` (rows numbered from ``start``), in this process.

    The cyclic garbage collector is paused meanwhile: building graphs allocates many short-lived
    objects without cycles (freed by reference counting), and the collector's passes over the
    growing rows and memo cost 5-10% of a large sweep.
    """
    memo: dict = {}
    rows = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        for index, config in enumerate(configs, start):
            try:
                graph = spec.build({**fixed, **config} if fixed else config)
                summary = summarize(graph, batch=batch, dtype=dtype, memo=memo)
            except SpecError as error:
                label = ", ".join(f"{k}={format_value(v)}" for k, v in config.items())
                raise SpecError([Problem(p.code, f"configuration {index + 1} ({label}): {p.message}", p.location,
                                         p.hint) for p in error.problems]) from None
            rows.append(SweepRow(index, config, dict(graph.parameters), graph.input_shape, summary.totals_dict(),
                                 graph.warnings))
    finally:
        if collecting:
            gc.enable()
    return rows


def _run_forked(spec: Spec, configs: Sequence[dict], fixed: dict, batch: int, dtype: str, jobs: int) -> list[SweepRow]:
    """:func:`_run` over ``jobs`` contiguous chunks: this process takes the first, forked children
    (which share the parsed spec: nothing is read again) the others and send their rows back
    through a pipe. The first error in configuration order is raised, as :func:`_run` would."""
    import pickle
    import signal
    import sys

    size = -(-len(configs) // jobs)
    chunks = [(start, configs[start:start + size]) for start in range(0, len(configs), size)]
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
        stream.flush()
    children: list[tuple[int, int]] = []
    try:
        for start, chunk in chunks[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: compute, send, leave without running the parent's exit handlers
                status = 0
                try:
                    os.close(read_end)
                    try:
                        message: tuple[str, object] = ("rows", _run(spec, chunk, start, fixed, batch, dtype))
                    except SpecError as error:
                        message = ("problems", error.problems)
                    except BaseException as error:  # noqa: BLE001 - reported by the parent
                        message = ("crash", f"{type(error).__name__}: {error}")
                    with os.fdopen(write_end, "wb") as out:
                        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # noqa: BLE001
                    status = 1
                finally:
                    os._exit(status)
            os.close(write_end)
            children.append((pid, read_end))
        rows = _run(spec, chunks[0][1], 0, fixed, batch, dtype)
        while children:
            pid, read_end = children.pop(0)
            try:
                with os.fdopen(read_end, "rb") as received:
                    kind, payload = pickle.load(received)
            finally:
                os.waitpid(pid, 0)
            if kind == "problems":
                raise SpecError(payload)
            if kind == "crash":
                raise RuntimeError(f"a sweep worker failed: {payload}")
            rows.extend(payload)
        return rows
    finally:
        for pid, read_end in children:  # only after an error: stop and reap the workers not yet read
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
            try:
                os.close(read_end)
            except OSError:
                pass


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


__all__ = ["Axis", "SweepResult", "SweepRow", "configurations", "format_value", "parse_axes", "parse_axis",
           "pareto_front", "sweep", "DEFAULT_COLUMNS", "COLUMN_LABELS", "MODES"]
