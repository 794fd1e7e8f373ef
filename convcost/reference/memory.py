"""Memory sizes in human units, and the executor's estimate of the memory a run needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from convcost.errors import ConvcostError

DEFAULT_MAX_MEMORY = 4 * 2**30

_UNITS = {"": 1, "b": 1,
          "k": 2**10, "kib": 2**10, "kb": 10**3,
          "m": 2**20, "mib": 2**20, "mb": 10**6,
          "g": 2**30, "gib": 2**30, "gb": 10**9,
          "t": 2**40, "tib": 2**40, "tb": 10**12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:e(\d+))?\s*([a-z]*)\s*$", re.IGNORECASE)


class MemoryLimitError(ConvcostError):
    """A reference run would need more memory than allowed (an input problem: exit code 2)."""


def parse_bytes(text: str) -> int:
    """``"4GiB"`` -> 4294967296. Binary units: K, M, G, T, KiB, MiB, GiB, TiB; decimal: KB, MB, GB,
    TB; a plain number is bytes. ValueError names what was received."""
    match = _SIZE.match(str(text))
    unit = match.group(3).lower() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(f"expected a size such as 4GiB, 512MiB or 2GB, got '{text}'")
    value = float(match.group(1)) * (10 ** int(match.group(2)) if match.group(2) else 1)
    return int(value * _UNITS[unit])


def format_bytes(n: int) -> str:
    """``6422528`` -> ``'6.12 MiB'``."""
    for suffix, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {suffix}"
    return f"{n} B"


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a reference run holds at its peak: the live activations plus the largest temporaries
    of the layer running at that moment (or the float64 draw of the largest weight array, if
    larger), and every weight array (raw and prepared)."""

    activations: int  # the peak of activations and temporaries
    weights: int
    peak_layer: str  # the layer running at the peak

    @property
    def total(self) -> int:
        return self.activations + self.weights

    def check(self, limit: int | None) -> None:
        """MemoryLimitError when the estimate exceeds ``limit`` (None: no limit)."""
        if limit is not None and self.total > limit:
            raise MemoryLimitError(
                f"the reference run needs an estimated {format_bytes(self.total)} "
                f"(activations {format_bytes(self.activations)} at layer '{self.peak_layer}', "
                f"weights {format_bytes(self.weights)}), over the limit of {format_bytes(limit)}; "
                "lower the input size with --set (a spec parameter such as rho or size), use a smaller --batch, "
                "or raise --max-memory")
