"""The executor's estimate of the memory a run needs, and the limit it is held to (sizes are read
and printed by convcost.units)."""

from __future__ import annotations

from dataclasses import dataclass

from convcost.errors import ConvcostError
from convcost.units import format_bytes

DEFAULT_MAX_MEMORY = 4 * 2**30

class MemoryLimitError(ConvcostError):
    """A reference run would need more memory than allowed (an input problem: exit code 2)."""


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
