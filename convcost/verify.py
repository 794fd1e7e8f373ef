"""Hold the analytic engine against a reference run, layer by layer: the one place where the
two independent paths from a graph to counts meet. Pure: it compares records and returns
findings; ``convcost.render.verify`` shows them and ``convcost.cli.verify`` sets the exit code.

For every layer it compares the output shape, every operation count (macs, mults, adds,
comparisons, divisions, exponentials, special functions, effective mults) and every parameter
group (weights, biases, batch-norm trainable and non-trainable, affine).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, NamedTuple

from convcost.analysis import Analysis
from convcost.errors import UnknownNameError
from convcost.graph import without_gc
from convcost.reference.executor import Execution, MeasuredLayer

COUNT_FIELDS = ("macs", "mults", "adds", "comparisons", "divisions", "exponentials", "special_functions",
                "effective_mults")
PARAM_FIELDS = ("weights", "biases", "bn_trainable", "bn_non_trainable", "affine")
FIELDS = ("output_shape",) + COUNT_FIELDS + PARAM_FIELDS


class Check(NamedTuple):
    """One quantity of one layer (or of the totals), as the analytic engine and the executor give it."""

    field: str
    analytic: Any
    measured: Any

    @property
    def agree(self) -> bool:
        return self.analytic == self.measured


class LayerVerdict(NamedTuple):
    """One layer's quantities, analytic and measured, in ``fields`` order (FIELDS; a layer only
    one side has has the one field "layer"). Held as two tuples, compared at once: a network of
    100,000 layers makes no 1,200,000 check objects unless they are asked for."""

    name: str
    kind: str
    analytic: tuple
    measured: tuple
    fields: tuple[str, ...] = FIELDS

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(map(Check, self.fields, self.analytic, self.measured))

    @property
    def agree(self) -> bool:
        return self.analytic == self.measured

    @property
    def mismatches(self) -> tuple[Check, ...]:
        if self.analytic == self.measured:
            return ()
        return tuple(check for check in self.checks if not check.agree)

    def check(self, field: str) -> Check | None:
        """The check of ``field`` (one of FIELDS, or "layer"), None when this verdict has none (a
        layer only one side has has only the "layer" check); UnknownNameError (a KeyError) with a
        did-you-mean for a name that is no quantity at all."""
        if field not in FIELDS and field != "layer":
            raise UnknownNameError("quantity", field, FIELDS + ("layer",))
        if field not in self.fields:
            return None
        index = self.fields.index(field)
        return Check(field, self.analytic[index], self.measured[index])


class Verification(NamedTuple):
    layers: tuple[LayerVerdict, ...]
    totals: tuple[Check, ...]  # every count and parameter group summed over the network

    @property
    def agree(self) -> bool:
        return all(layer.agree for layer in self.layers) and all(t.agree for t in self.totals)

    @property
    def mismatches(self) -> list[tuple[str, Check]]:
        """(layer name, check) for every disagreement."""
        return [(layer.name, check) for layer in self.layers if not layer.agree for check in layer.mismatches]


_counts = attrgetter(*COUNT_FIELDS)


def _measured(layer: MeasuredLayer) -> tuple:
    """A run layer's quantities in FIELDS order."""
    params = layer.params
    return (tuple(layer.output_shape), *_counts(layer.ops), *(params[f] for f in PARAM_FIELDS))


def _analytic(record) -> tuple:
    """An analysed layer's quantities in FIELDS order."""
    return (tuple(record.output_shape), *_ANALYTIC_COUNTS(record.cost))


_ANALYTIC_COUNTS = attrgetter(*COUNT_FIELDS, *PARAM_FIELDS)


@without_gc
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
            verdicts.append(LayerVerdict(record.name, record.kind, ("present",), ("missing",), ("layer",)))
            continue
        verdicts.append(LayerVerdict(record.name, record.kind, _analytic(record), _measured(layer)))
    for layer in measured.values():  # run by the executor but not analysed
        verdicts.append(LayerVerdict(layer.name, layer.kind, ("missing",), ("present",), ("layer",)))
    sums = [sum(column) for column in zip(*(_measured(m)[1:] for m in execution.layers))] \
        or [0] * (len(COUNT_FIELDS) + len(PARAM_FIELDS))
    totals = tuple(Check(f, getattr(analysis.totals, f), total)
                   for f, total in zip(COUNT_FIELDS + PARAM_FIELDS, sums))
    return Verification(tuple(verdicts), totals)


# --- against a production runtime (convcost verify MODEL.onnx --runtime onnxruntime; convcost.runtime) ---------

RUNTIME_TOLERANCE = 1e-4  # an output agrees when max |executor - runtime| <= 1e-4 · max |runtime|


class OutputCheck(NamedTuple):
    """One graph output, the executor's against the runtime's (both channels last, batch first):
    ``max_abs_diff`` = max |a - b|, ``max_abs_runtime`` = max |b|, ``tolerance`` = 1e-4 · max |b|
    (inf when an output is not finite or the shapes differ: then it does not agree)."""

    name: str  # the graph output's name in the model
    layer: str  # the spec layer holding it
    shape: tuple[int, ...]
    max_abs_diff: float
    max_abs_runtime: float
    tolerance: float
    agree: bool


class RuntimeComparison(NamedTuple):
    runtime: str  # "onnxruntime"
    version: str
    relative_tolerance: float
    outputs: tuple[OutputCheck, ...]
    seconds: float  # the runtime's session and run

    @property
    def agree(self) -> bool:
        return all(output.agree for output in self.outputs)


__all__ = ["COUNT_FIELDS", "FIELDS", "PARAM_FIELDS", "RUNTIME_TOLERANCE", "Check", "LayerVerdict", "OutputCheck",
           "RuntimeComparison", "Verification", "compare"]
