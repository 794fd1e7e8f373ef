"""Number formatting shared by every renderer."""

from __future__ import annotations


def thousands(n: int) -> str:
    """``568740352 -> '568,740,352'``"""
    return f"{n:,}"


def human(n: int | float, unit: str = "") -> str:
    """Short form with K/M/G/T suffixes: ``568740352 -> '568.74M'``, ``21888 -> '21.89K'``."""
    value = float(n)
    for suffix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{suffix}{unit}"
    return f"{int(value) if value == int(value) else value:g}{unit}"


def human_bytes(n: int) -> str:
    """Binary units: ``6422528 -> '6.12 MiB'``."""
    value = float(n)
    for suffix, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.2f} {suffix}"
    return f"{n} B"


def percent(share: float, digits: int = 2) -> str:
    return f"{100 * share:.{digits}f}%"


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)
