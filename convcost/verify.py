"""Hold the analytic engine against a reference run, layer by layer: the one place where the
two independent paths from a graph to counts meet. Pure: it compares records and returns
findings; ``convcost.render.verify`` shows them and ``convcost.cli.verify`` sets the exit code.

For every layer it compares the output shape, every operation count (macs, mults, adds,
comparisons, divisions, exponentials, effective mults) and every parameter group (weights,
biases, batch-norm trainable and non-trainable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convcost.analysis import Analysis
from convcost.errors import UnknownNameError
from convcost.reference.executor import Execution, MeasuredLayer

COUNT_FIELDS = ("macs", "mults", "adds", "comparisons", "divisions", "exponentials", "effective_mults")
PARAM_FIELDS = ("weights", "biases", "bn_trainable", "bn_non_trainable")
FIELDS = ("output_shape",) + COUNT_FIELDS + PARAM_FIELDS


@dataclass(frozen=True)
class Check:
    """One quantity of one layer (or of the totals), as the analytic engine and the executor give it."""

    field: str
    analytic: Any
    measured: Any

    @property
    def agree(self) -> bool:
        return self.analytic == self.measured


@dataclass(frozen=True)
class LayerVerdict:
    name: str
    kind: str
    checks: tuple[Check, ...]  # in FIELDS order; a layer only one side has gets one "layer" check

    @property
    def agree(self) -> bool:
        return all(check.agree for check in self.checks)

    @property
    def mismatches(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.agree)

    def check(self, field: str) -> Check | None:
        """The check of ``field`` (one of FIELDS, or "layer"), None when this verdict has none (a
        layer only one side has has only the "layer" check); UnknownNameError (a KeyError) with a
        did-you-mean for a name that is no quantity at all."""
        if field not in FIELDS and field != "layer":
            raise UnknownNameError("quantity", field, FIELDS + ("layer",))
        return next((c for c in self.checks if c.field == field), None)


@dataclass(frozen=True)
class Verification:
    layers: tuple[LayerVerdict, ...]
    totals: tuple[Check, ...]  # every count and parameter group summed over the network

    @property
    def agree(self) -> bool:
        return all(layer.agree for layer in self.layers) and all(t.agree for t in self.totals)

    @property
    def mismatches(self) -> list[tuple[str, Check]]:
        """(layer name, check) for every disagreement."""
        return [(layer.name, check) for layer in self.layers for check in layer.mismatches]


def _measured(layer: MeasuredLayer, field: str) -> Any:
    if field == "output_shape":
        return tuple(layer.output_shape)
    if field in PARAM_FIELDS:
        return layer.params[field]
    return getattr(layer.ops, field)


def _analytic(record, field: str) -> Any:
    return tuple(record.output_shape) if field == "output_shape" else getattr(record.cost, field)


def compare(analysis: Analysis, execution: Execution) -> Verification:
    """Every layer's shape, counts and parameters, analytic against measured. Both must describe
    the same graph at the same batch size."""
    if analysis.batch != execution.batch:
        raise ValueError(f"the analysis is at batch {analysis.batch}, the run at batch {execution.batch}")
    measured = {layer.name: layer for layer in execution.layers}
    verdicts = []
    for record in analysis.layers:
        layer = measured.pop(record.name, None)
        if layer is None:
            verdicts.append(LayerVerdict(record.name, record.kind, (Check("layer", "present", "missing"),)))
            continue
        verdicts.append(LayerVerdict(record.name, record.kind,
                                     tuple(Check(f, _analytic(record, f), _measured(layer, f)) for f in FIELDS)))
    for layer in measured.values():  # run by the executor but not analysed
        verdicts.append(LayerVerdict(layer.name, layer.kind, (Check("layer", "missing", "present"),)))
    totals = tuple(Check(f, getattr(analysis.totals, f), sum(_measured(m, f) for m in execution.layers))
                   for f in COUNT_FIELDS + PARAM_FIELDS)
    return Verification(tuple(verdicts), totals)


__all__ = ["COUNT_FIELDS", "FIELDS", "PARAM_FIELDS", "Check", "LayerVerdict", "Verification", "compare"]
