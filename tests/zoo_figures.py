"""torchvision's published figures, checked one way for every zoo test file.

torchvision publishes per set of weights `num_params` (`sum(p.numel() for p in
model.parameters())`: batch norm's gamma and beta in, its running statistics out — convcost's
trainable_params) and "GFLOPS" (`_ops` in torchvision/models/<file>.py to 3 decimals, the docs pages
to 2), which are multiply-accumulates: convcost's macs / 10⁹.
"""

from __future__ import annotations

from fractions import Fraction

import convcost


def giga(n: int, digits: int) -> Fraction:
    """``n / 10^9`` rounded half up to ``digits`` decimals, as torchvision prints its GFLOPS."""
    scale = 10**digits
    return Fraction(int(Fraction(n * scale, 10**9) + Fraction(1, 2)), scale)


def check_published(name: str, overrides: dict, num_params: int, ops: str, gflops: str,
                    exact_macs: int | None) -> None:
    """Spec ``name`` with ``overrides`` against torchvision's num_params, `_ops` and docs GFLOPS
    (and the exact MACs where a source gives them)."""
    totals = convcost.analyze(name, overrides).totals
    assert totals.trainable_params == num_params  # torchvision's num_params: BN gamma/beta in, running stats out
    assert totals.params == num_params + totals.non_trainable_params
    assert giga(totals.macs, 3) == Fraction(ops)
    assert giga(totals.macs, 2) == Fraction(gflops)
    if exact_macs is not None:
        assert totals.macs == exact_macs
