"""Shares and shapes as every renderer shows them. Counts and byte sizes are formatted by
convcost.units (the core needs them too: the executor's memory messages)."""

from __future__ import annotations


def percent(share: float, digits: int = 2) -> str:
    return f"{100 * share:.{digits}f}%"


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)
