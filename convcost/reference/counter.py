"""The one place where the reference executor does arithmetic on data, and counts it.

Every kernel computes through a :class:`Counter`: :meth:`Counter.contract` for products of data
with weights (the multiply-accumulates of convolutions and dense layers), and one helper per
elementwise operation or reduction (add, subtract, multiply, divide, maximum, minimum, greater,
exp, sqrt, log, erf, power, sum, max). Each helper performs the NumPy operation and adds to the
tally the number of scalar operations it just performed, read off the arrays involved, never off
a formula for the layer. A kernel therefore cannot multiply without being counted.

The categories are those of docs/conventions.md: ``mults``, ``adds`` (subtractions included),
``comparisons``, ``divisions``, ``exponentials``, ``special_functions`` (sqrt, log, erf, pow);
``macs`` are the multiplications performed by :meth:`Counter.contract` (products of data with
weights); ``effective_mults`` are multiplications whose data operand is a real input value rather
than the layer's own padding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Tally:
    """Scalar operations performed by one layer (whole batch)."""

    macs: int = 0
    mults: int = 0
    adds: int = 0
    comparisons: int = 0
    divisions: int = 0
    exponentials: int = 0
    special_functions: int = 0
    effective_mults: int = 0

    @property
    def flops(self) -> int:
        """Every scalar operation: mults + adds + comparisons + divisions + exponentials + special functions."""
        return (self.mults + self.adds + self.comparisons + self.divisions + self.exponentials
                + self.special_functions)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Counter:
    """Performs array operations and tallies the scalar operations they consist of.

    ``effective`` is False while a kernel works on a tensor that holds its own zero padding: the
    multiplications are then counted in ``mults`` only, and the kernel measures the effective ones
    with :meth:`count_real_taps`.
    """

    def __init__(self) -> None:
        self.tally = Tally()

    # --- products with weights ------------------------------------------------------------------

    def contract(self, subscripts: str, data: np.ndarray, weights: np.ndarray, *, padded: bool = False,
                 out: np.ndarray | None = None, along_rows: bool = False) -> np.ndarray:
        """``np.einsum(subscripts, data, weights)`` for two operands, computed through BLAS.

        Counts, from the operand shapes: ``prod(every index size)`` multiplications (all macs),
        and ``mults - outputs`` additions, i.e. ``reduction - 1`` per output element. With
        ``padded=True`` the data operand holds the layer's padding and effective mults are
        left to :meth:`count_real_taps`.

        ``contract("nc,cf->nf", x (N, C), w (C, F))`` is a matrix product: N·C·F mults and
        N·F·(C - 1) adds. An index in both operands and in the output is a batch index (groups);
        an index in the output and one operand only is kept; an index in both operands but not in
        the output is summed. Summing an index that only one operand has is refused: it would
        change the number of multiplications performed. ``out`` (a buffer of the result's shape)
        is accepted for products without a summed index, such as a depthwise tap.

        ``along_rows=True`` computes the same sum with ``np.einsum``, multiply-adds running along
        the operands' last axis, instead of a matrix product: for a long batch index and a short
        sum (a depthwise layer's taps, channels × output row as the batch), where gathering the
        rows a matrix product needs would copy every window. The counts are the same.
        """
        a_idx, b_idx, out_idx, sizes = _parse(subscripts, data, weights)
        every = math.prod(sizes.values())
        outputs = math.prod(sizes[i] for i in out_idx)
        self.tally.macs += every
        self.tally.mults += every
        self.tally.adds += every - outputs
        if not padded:
            self.tally.effective_mults += every
        if along_rows:
            return np.einsum(subscripts, data, weights, out=out)
        return _contract(a_idx, b_idx, out_idx, sizes, data, weights, out)

    def count_real_taps(self, real_pairs: int, channel_factor: int) -> None:
        """Effective mults of a padded contraction: ``real_pairs`` (output position, kernel tap)
        pairs that read real input, measured on a 0/1 mask, times the channel products per pair."""
        self.tally.effective_mults += real_pairs * channel_factor

    # --- elementwise operations: one scalar operation per element of the result ---------------

    def add(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """a + b (broadcasting): one add per result element."""
        result = np.add(a, b, out=out)
        self.tally.adds += result.size
        return result

    def subtract(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """a - b: one add per result element (subtractions are counted as adds)."""
        result = np.subtract(a, b, out=out)
        self.tally.adds += result.size
        return result

    def multiply(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """a · b of two real data operands (batch-norm scale, tanh's 2x): one mult, and one
        effective mult, per result element."""
        result = np.multiply(a, b, out=out)
        self.tally.mults += result.size
        self.tally.effective_mults += result.size
        return result

    def divide(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """a / b: one division per result element."""
        result = np.divide(a, b, out=out)
        self.tally.divisions += result.size
        return result

    def maximum(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """max(a, b): one comparison per result element."""
        result = np.maximum(a, b, out=out)
        self.tally.comparisons += result.size
        return result

    def minimum(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """min(a, b): one comparison per result element."""
        result = np.minimum(a, b, out=out)
        self.tally.comparisons += result.size
        return result

    def exp(self, a, *, negate: bool = False, out: np.ndarray | None = None) -> np.ndarray:
        """exp(a), or exp(-a) with ``negate``: one exponential per element. Flipping a sign bit is
        not an arithmetic operation under the convention, so ``negate`` is not counted. Overflow
        to inf is intended (sigmoid and tanh are written to map it to their limits)."""
        with np.errstate(over="ignore"):
            if negate:
                result = np.negative(a, out=out)
                return self.exp(result, out=result)
            result = np.exp(a, out=out)
        self.tally.exponentials += result.size
        return result

    def greater(self, a, b) -> np.ndarray:
        """a > b as a boolean mask: one comparison per result element."""
        result = np.greater(a, b)
        self.tally.comparisons += result.size
        return result

    # --- special functions (sqrt, log, erf, pow): one each per element ------------------------

    def sqrt(self, a, out: np.ndarray | None = None) -> np.ndarray:
        """sqrt(a): one special function per element."""
        result = np.sqrt(a, out=out)
        self.tally.special_functions += result.size
        return result

    def log(self, a, out: np.ndarray | None = None) -> np.ndarray:
        """log(a), the natural logarithm: one special function per element."""
        with np.errstate(divide="ignore"):
            result = np.log(a, out=out)
        self.tally.special_functions += result.size
        return result

    def erf(self, a: np.ndarray) -> np.ndarray:
        """erf(a), the error function (``math.erf`` on each element: NumPy has none, SciPy is not a
        runtime dependency; exact to double precision, slow on huge arrays): one special function
        per element."""
        result = np.asarray(_ERF(a), dtype=np.asarray(a).dtype)
        self.tally.special_functions += result.size
        return result

    def power(self, a, b, out: np.ndarray | None = None) -> np.ndarray:
        """a ** b (broadcasting): one special function per result element."""
        result = np.power(a, b, out=out)
        self.tally.special_functions += result.size
        return result

    # --- reductions: n - 1 operations per output for n reduced elements ------------------------

    def sum(self, a: np.ndarray, axis, keepdims: bool = False) -> np.ndarray:
        """Sum over ``axis``: ``reduced - 1`` adds per output element."""
        result = np.sum(a, axis=axis, keepdims=keepdims)
        self.tally.adds += _reduction_ops(a, result)
        return result

    def max(self, a: np.ndarray, axis, keepdims: bool = False) -> np.ndarray:
        """Maximum over ``axis``: ``reduced - 1`` comparisons per output element."""
        result = np.max(a, axis=axis, keepdims=keepdims)
        self.tally.comparisons += _reduction_ops(a, result)
        return result


_ERF = np.vectorize(math.erf, otypes=[float])


def select(condition: np.ndarray, a, b) -> np.ndarray:
    """``a`` where ``condition`` holds, else ``b`` (np.where): choosing between values already
    computed is not an arithmetic operation, so nothing is counted; the comparison that made
    ``condition`` was (:meth:`Counter.greater`)."""
    return np.where(condition, a, b)


def _reduction_ops(a: np.ndarray, result: np.ndarray) -> int:
    """Pairwise operations of a reduction from ``a`` to ``result``: outputs · (reduced - 1)."""
    outputs = np.asarray(result).size
    return outputs * (a.size // outputs - 1) if outputs else 0


# --- the contraction --------------------------------------------------------------------------

def _parse(subscripts: str, a: np.ndarray, b: np.ndarray):
    """Index letters of both operands and the output, and every index's size (checked)."""
    inputs, arrow, out_idx = subscripts.replace(" ", "").partition("->")
    a_idx, comma, b_idx = inputs.partition(",")
    if not arrow or not comma or "," in b_idx:
        raise ValueError(f"contract takes 'ab,bc->ac' with two operands and an output, got {subscripts!r}")
    sizes: dict[str, int] = {}
    for idx, array in ((a_idx, a), (b_idx, b)):
        if len(idx) != array.ndim or len(set(idx)) != len(idx):
            raise ValueError(f"contract {subscripts!r}: '{idx}' does not fit an array of shape {array.shape}")
        for letter, n in zip(idx, array.shape):
            if sizes.setdefault(letter, n) != n:
                raise ValueError(f"contract {subscripts!r}: index '{letter}' is {sizes[letter]} and {n}")
    for letter in sizes:
        if letter not in out_idx and not (letter in a_idx and letter in b_idx):
            raise ValueError(f"contract {subscripts!r}: '{letter}' is summed but only one operand has it")
    if any(letter not in sizes for letter in out_idx) or len(set(out_idx)) != len(out_idx):
        raise ValueError(f"contract {subscripts!r}: bad output indices")
    return a_idx, b_idx, out_idx, sizes


def _contract(a_idx: str, b_idx: str, out_idx: str, sizes: dict[str, int], a: np.ndarray, b: np.ndarray,
              out: np.ndarray | None = None) -> np.ndarray:
    """The contraction as one (batched) matrix product: a -> (batch, kept_a, summed),
    b -> (batch, summed, kept_b), matmul, then the output order. Without a summed index it is
    a broadcast elementwise product (a depthwise tap)."""
    batch = [i for i in out_idx if i in a_idx and i in b_idx]
    kept_a = [i for i in a_idx if i in out_idx and i not in b_idx]
    kept_b = [i for i in b_idx if i in out_idx and i not in a_idx]
    summed = [i for i in b_idx if i in a_idx and i not in out_idx]  # in b's order: weights need no copy
    if not summed:
        return np.multiply(_aligned(a, a_idx, out_idx), _aligned(b, b_idx, out_idx), out=out)
    if out is not None:
        raise ValueError("contract: 'out' is only for products without a summed index")

    def n(letters: list[str]) -> int:
        return math.prod(sizes[i] for i in letters)

    # (rows of data, e.g. the windows gathered for im2col) @ (the weights as a matrix), per batch index
    a2 = a.transpose([a_idx.index(i) for i in batch + kept_a + summed]).reshape(n(batch), n(kept_a), n(summed))
    b2 = b.transpose([b_idx.index(i) for i in batch + summed + kept_b]).reshape(n(batch), n(summed), n(kept_b))
    product = np.matmul(a2[0], b2[0])[None] if not batch else np.matmul(a2, b2)
    order = batch + kept_a + kept_b
    product = product.reshape([sizes[i] for i in order])
    return product.transpose([order.index(i) for i in out_idx])


def _aligned(x: np.ndarray, idx: str, out_idx: str) -> np.ndarray:
    """A view of ``x`` with its axes in output order and size-1 axes for the indices it lacks."""
    x = x.transpose([idx.index(i) for i in out_idx if i in idx])
    missing = tuple(k for k, i in enumerate(out_idx) if i not in idx)
    return np.expand_dims(x, missing) if missing else x
