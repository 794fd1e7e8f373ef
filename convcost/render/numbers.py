"""Number formatting shared by every renderer."""

from __future__ import annotations


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
        for suffix, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
            if abs(n) >= scale:
                return f"{scaled(n, scale)}{suffix}{unit}"
        return f"{n}{unit}"
    value = float(n)
    for suffix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{suffix}{unit}"
    return f"{value:g}{unit}"


def human_bytes(n: int) -> str:
    """Binary units: ``6422528 -> '6.12 MiB'`` (exact for integers of any size)."""
    for suffix, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{scaled(n, scale)} {suffix}"
    return f"{n} B"


def percent(share: float, digits: int = 2) -> str:
    return f"{100 * share:.{digits}f}%"


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)
