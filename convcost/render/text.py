"""Aligned plain-text tables for the terminal.

The report's table is drawn here rather than with rich: rich measures every cell and needs
~60 ms for Xception's 134 rows, more than the whole rest of `convcost report` (the start-up budget is
in benchmarks/report_speed.py). Bold titles and header use ANSI codes only when asked (a terminal
without NO_COLOR).
"""

from __future__ import annotations

from typing import AbstractSet

from convcost.errors import has_controls, visible

BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
STYLES = (BOLD, DIM, RESET)  # the only escape sequences convcost writes (cli/common.write keeps them)


def table(headers: list[str], rows: list[list[str]], *, title: str = "", right: AbstractSet[int] = frozenset(),
          color: bool = False, show_header: bool = True) -> str:
    """A table with one space-padded column per header; columns in ``right`` are right-aligned.

    >>> print(table(["a", "bb"], [["1", "22"], ["333", "4"]], right={1}))
    a    bb
    ───  ──
    1    22
    333   4
    """
    # Escaped here, before the widths are measured and the bold added: a cell or title holding an
    # escape sequence (a spec's name) shows it as \x1b[1m, aligned, and cannot pass for convcost's own
    # styles, which cli/common.write keeps. One pass over all the text when there is none to escape.
    title, headers = visible(title), [visible(h) for h in headers]
    if has_controls("".join("".join(r) for r in rows)):
        rows = [[visible(c) for c in r] for r in rows]
    widths = [max([len(h) if show_header else 0] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    out = []
    if title:
        out.append(f"{BOLD}{title}{RESET}" if color else title)
    if show_header:
        header = line(headers)
        out.append(f"{BOLD}{header}{RESET}" if color else header)
        out.append("  ".join("─" * w for w in widths))
    out.extend(line(r) for r in rows)
    return "\n".join(out)
