"""A sweep as a terminal table (aligned plain text with a bar per row), JSON, CSV or Markdown.

The table and Markdown show each column in one unit chosen for the column (``568.74M`` and
``41.03M``, ``4.21M`` and ``0.46M``), so the MobileNet paper's "Million Mult-Adds" and "Million
Parameters" can be read straight off; JSON and CSV hold the exact integers.

JSON and CSV are written a row at a time (:func:`write_json`, :func:`write_csv`), from a
:class:`~convcost.sweep.SweepStream` as its rows are computed or from a held
:class:`~convcost.sweep.SweepResult`, byte for byte the same. The table and Markdown need every
row first (units, widths and bars depend on the largest value).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Protocol

from convcost.render.numbers import shape
from convcost.render.text import table as text_table
from convcost.sweep import COLUMN_LABELS, SweepResult, SweepRow, SweepStream, format_value
from convcost.units import BINARY_STEPS, COUNT_STEPS, scaled

BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"


class Writable(Protocol):
    """Where rows are streamed: a text stream, or anything that writes text and flushes."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


def column_unit(key: str, values: list[int]) -> tuple[str, int]:
    """The unit for a whole column: the largest one its largest value reaches."""
    largest = max((abs(v) for v in values), default=0)
    units = BINARY_STEPS if key.endswith("_bytes") else COUNT_STEPS
    for suffix, scale in units:
        if largest >= scale:
            return suffix, scale
    return ("B", 1) if key.endswith("_bytes") else ("", 1)


def in_unit(value: int, unit: tuple[str, int]) -> str:
    suffix, scale = unit
    if scale == 1:
        return f"{value:,}" + (f" {suffix}" if suffix else "")
    return scaled(value, scale) + (f" {suffix}" if suffix.endswith("B") else suffix)


def ratio_text(value) -> str:
    return "—" if value is None else f"{float(value):.3f}"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``fraction`` (0..1) of ``width`` characters, in eighths."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[rest] if rest else "")).ljust(width)


def table(result: SweepResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the human table: #, the swept parameters, input, then per column its
    value and its ratio to the baseline row."""
    units = {key: column_unit(key, [row.totals[key] for row in result.rows]) for key in result.columns}
    header = ["#"] + [axis.name for axis in result.axes] + ["input"]
    for key in result.columns:
        header += [COLUMN_LABELS[key], "×base"]
    rows = []
    for row in result.rows:
        cells = [str(row.index + 1)] + [format_value(row.config[axis.name]) for axis in result.axes]
        cells.append(shape(row.input_shape))
        for key in result.columns:
            cells += [in_unit(row.totals[key], units[key]), ratio_text(result.ratio(row, key))]
        rows.append(cells)
    return header, rows


def bar_fractions(result: SweepResult, key: str | None = None) -> list[float]:
    """Each row's ``key`` (default: the first column) as a fraction of the largest in the sweep."""
    key = key or result.columns[0]
    largest = max(row.totals[key] for row in result.rows)
    return [row.totals[key] / largest if largest else 0.0 for row in result.rows]


def title(result: SweepResult) -> str:
    axes = ", ".join(a.name for a in result.axes) or "no parameters"
    mode = "paired" if result.mode == "zip" and len(result.axes) > 1 else "grid"
    count = len(result.rows)
    text = (f"{result.name}: {count} configuration{'s' if count != 1 else ''} ({mode} over {axes}); "
            f"ratios against row {result.baseline_index + 1}")
    if result.batch != 1:
        text += f"; batch {result.batch}"
    return text


def to_table(result: SweepResult, color: bool = False) -> str:
    """The sweep as an aligned plain-text table with a bar per row (render/text.py: no rich, so that
    a large sweep prints at once); ``color``: bold title and header."""
    header, rows = table(result)
    heading = title(result)
    input_column = header.index("input")
    if len({r[input_column] for r in rows}) == 1:  # the same input everywhere: say it once, in the title
        heading += f"; input {rows[0][input_column]}"
        header = header[:input_column] + header[input_column + 1:]
        rows = [r[:input_column] + r[input_column + 1:] for r in rows]
    bars = [bar(fraction) for fraction in bar_fractions(result)]
    header = header + [COLUMN_LABELS[result.columns[0]] + " (bar: share of the largest)"]
    rows = [cells + [b] for cells, b in zip(rows, bars)]
    right = {0} | set(range(1 + len(result.axes), len(header) - 1))
    notes = {"weights": "weights = conv/dense kernels (the MobileNet paper's parameters)",
             "params": "params = Keras' total (weights + biases + batch norm)"}
    caption = "; ".join(notes[c] for c in result.columns if c in notes)
    text = text_table(header, rows, title=heading, right=right, color=color)
    return text + ("\n" + caption if caption else "") + "\n"


def to_json(result: SweepResult) -> str:
    """Indented JSON with one configuration per line (compact rows keep a 1,000-row sweep fast to
    write and still easy to read or grep)."""
    out = io.StringIO()
    write_json(result, result.rows, out)
    return out.getvalue()


def write_json(sweep: SweepResult | SweepStream, rows: Iterable[SweepRow], out: Writable) -> None:
    """:func:`to_json`, written to ``out`` a row at a time as ``rows`` gives them (no final newline)."""
    head = json.dumps(sweep.header_dict(), indent=2, ensure_ascii=False)
    out.write(head[:-2] + ',\n  "rows": [')
    separator = "\n    "
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every row (json.dumps makes one a call)
    for row in rows:
        out.write(separator + encode(sweep.row_dict(row)))
        separator = ",\n    "
    out.write(("\n  " if separator != "\n    " else "") + "]\n}")


def to_csv(result: SweepResult) -> str:
    """One row per configuration: the swept values, the resolved input shape, the chosen totals
    and their ratios to the baseline, then every other total."""
    out = io.StringIO()
    write_csv(result, result.rows, out)
    return out.getvalue()


def write_csv(sweep: SweepResult | SweepStream, rows: Iterable[SweepRow], out: Writable) -> None:
    """:func:`to_csv`, written to ``out`` a row at a time (the header once the first row tells the
    other totals)."""
    writer = csv.writer(out, lineterminator="\n")
    names = [axis.name for axis in sweep.axes]
    others: list[str] | None = None
    for row in rows:
        if others is None:
            others = [k for k in row.totals if k not in sweep.columns]
            writer.writerow(_csv_header(sweep, others))
        ratios = [sweep.ratio(row, k) for k in sweep.columns]
        writer.writerow([format_value(row.config[name]) for name in names]
                        + ["x".join(map(str, row.input_shape))]
                        + [row.totals[k] for k in sweep.columns]
                        + ["" if r is None else repr(float(r)) for r in ratios]
                        + [row.totals[k] for k in others])
    if others is None:
        writer.writerow(_csv_header(sweep, []))


def _csv_header(sweep: SweepResult | SweepStream, others: list[str]) -> list[str]:
    return ([axis.name for axis in sweep.axes] + ["input_shape"] + list(sweep.columns)
            + [f"{k}_ratio" for k in sweep.columns] + others)


def to_markdown(result: SweepResult) -> str:
    header, rows = table(result)
    align = ["---:"] + [":---" for _ in result.axes] + ["---:"] + ["---:", "---:"] * len(result.columns)
    lines = [f"## {title(result)}", "",
             "| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    lines += ["", "weights = conv and dense kernels only (the MobileNet paper's \"Million Parameters\"); "
                  "params = weights + biases + batch norm (Keras' total). Exact integers: --format json or csv."]
    return "\n".join(lines) + "\n"
