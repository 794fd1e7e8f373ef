"""The executor's estimate of the memory a run needs, and the limit it is held to (sizes are read
and printed by convcost.units)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from convcost.errors import ConvcostError
from convcost.units import format_bytes

DEFAULT_MAX_MEMORY = 4 * 2**30

# What a run adds to a process's resident memory besides its arrays, measured by
# benchmarks/verify_memory.py: the pages of NumPy's and OpenBLAS's code and buffers touched on
# first use (6-7 MiB with one BLAS thread), with room for a second BLAS thread.
RUNTIME_ALLOWANCE = 16 * 2**20

# The estimate counts every array the kernels and the executor create, at its exact size; what
# it cannot see is covered by a factor on the arrays: the allocator keeping freed memory and
# NumPy's reduction buffers (1.25; measured up to 1.16 × the arrays, less the allowance), and,
# when BLAS runs on several threads, the copy of a matrix product's data operand it packs per
# call (1.6; measured up to 1.47 ×). benchmarks/verify_memory.py measures each kind and whole networks.
SAFETY_FACTOR = 1.25
THREADED_SAFETY_FACTOR = 1.6
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads(environ: Mapping[str, str] = os.environ) -> int:
    """The threads BLAS will use, as OpenBLAS and MKL choose them: the first of their variables
    that is set to a positive number, else every processor."""
    for name in _THREAD_VARIABLES:
        text = environ.get(name, "").strip()
        if text.isdigit() and int(text) > 0:
            return int(text)
    return os.cpu_count() or 1


def safety_factor(environ: Mapping[str, str] = os.environ) -> float:
    """The factor on the counted arrays for this process's BLAS threads."""
    return SAFETY_FACTOR if blas_threads(environ) == 1 else THREADED_SAFETY_FACTOR


class MemoryLimitError(ConvcostError):
    """A reference run would need more memory than allowed (an input problem: exit code 2)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """An upper bound of the resident memory a reference run adds to its process: ``factor``
    (SAFETY_FACTOR, or THREADED_SAFETY_FACTOR with several BLAS threads) times the arrays alive at
    the peak (the live activations, the running layer's output and temporaries, every weight
    array), plus RUNTIME_ALLOWANCE."""

    activations: int  # bytes of the peak of activations and temporaries
    weights: int  # bytes of every weight array, raw and prepared
    peak_layer: str  # the layer running at the peak
    factor: float = field(default_factory=safety_factor)

    @property
    def arrays(self) -> int:
        """Bytes of the arrays alive at the peak, counted exactly."""
        return self.activations + self.weights

    @property
    def total(self) -> int:
        return -(-self.arrays * round(self.factor * 100) // 100) + RUNTIME_ALLOWANCE

    def check(self, limit: int | None) -> None:
        """MemoryLimitError when the estimate exceeds ``limit`` (None: no limit)."""
        if limit is not None and self.total > limit:
            raise MemoryLimitError(
                f"--max-memory: the reference run needs an estimated {format_bytes(self.total)} "
                f"(activations {format_bytes(self.activations)} at layer '{self.peak_layer}', "
                f"weights {format_bytes(self.weights)}, times {self.factor} for what the allocator keeps, "
                f"plus {format_bytes(RUNTIME_ALLOWANCE)} for NumPy and BLAS), over the limit of "
                f"{format_bytes(limit)}; lower the input size with --set (a spec parameter such as rho or size), "
                "use a smaller --batch, or raise --max-memory")
