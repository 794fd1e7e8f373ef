"""Walk a layer graph: each layer's output shape and exact counts, the totals, the breakdown by
layer type and the peak activation memory. Pure: no printing, no NumPy.

The counting conventions are in ``convcost.layers`` (one rule per kind) and docs/conventions.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction

from convcost.errors import Problem, SpecError
from convcost.graph import INPUT, Graph, LayerNode
from convcost.layers import CATEGORIES, KINDS, Cost, Shape, ShapeError
from convcost.layers.base import elements

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1}

_PER_SAMPLE = ("macs", "mults", "adds", "comparisons", "divisions", "exponentials", "effective_mults")


@dataclass(frozen=True)
class LayerRecord:
    """One layer's shapes and counts (already multiplied by the batch size)."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    cost: Cost
    activation_elements: int  # output elements, whole batch

    attrs: object = None  # the node's Attrs, for the description

    @property
    def description(self) -> str:
        """The layer's configuration in a few characters: "32 3×3/2 same"."""
        return KINDS[self.kind].describe(self.attrs)

    def __getattr__(self, name: str):  # record.macs, record.params, record.flops ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.cost, name)


@dataclass(frozen=True)
class Analysis:
    graph: Graph
    layers: tuple[LayerRecord, ...]
    totals: Cost
    batch: int
    dtype: str
    activation_elements: int  # sum over layers
    peak_activation_elements: int  # largest sum of tensors alive at once (see peak_live_elements)

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def peak_activation_bytes(self) -> int:
        return self.peak_activation_elements * self.dtype_bytes

    def layer(self, name: str) -> LayerRecord:
        for record in self.layers:
            if record.name == name:
                return record
        raise KeyError(name)

    def breakdown(self) -> list[dict]:
        """MACs and weights per layer type, with shares of the network's totals (MobileNet Table 2:
        conv 1x1, depthwise, full conv, dense; weights are conv/dense kernels without biases)."""
        macs = {c: 0 for c in CATEGORIES}
        weights = {c: 0 for c in CATEGORIES}
        for record in self.layers:
            for part in record.cost.parts:
                macs[part.category] += part.macs
                weights[part.category] += part.weights
        total_macs, total_weights = self.totals.macs, self.totals.weights
        return [
            {"category": c, "macs": macs[c], "macs_share": _share(macs[c], total_macs),
             "weights": weights[c], "weights_share": _share(weights[c], total_weights)}
            for c in CATEGORIES if macs[c] or weights[c]
        ]

    def totals_dict(self) -> dict:
        t = self.totals
        return {
            "macs": t.macs, "mults": t.mults, "adds": t.adds, "comparisons": t.comparisons,
            "divisions": t.divisions, "exponentials": t.exponentials, "flops": t.flops,
            "effective_mults": t.effective_mults, "padding_mults": t.mults - t.effective_mults,
            "params": t.params, "trainable_params": t.trainable_params,
            "non_trainable_params": t.non_trainable_params, "weights": t.weights, "biases": t.biases,
            "bn_trainable": t.bn_trainable, "bn_non_trainable": t.bn_non_trainable,
            "activation_elements": self.activation_elements,
            "activation_bytes": self.activation_elements * self.dtype_bytes,
            "peak_activation_elements": self.peak_activation_elements,
            "peak_activation_bytes": self.peak_activation_bytes,
            "layers": len(self.layers),
        }

    def to_dict(self) -> dict:
        """The JSON report (a documented, stable contract: docs/json.md)."""
        from convcost import __version__

        return {
            "convcost_version": __version__,
            "schema_version": 1,
            "name": self.graph.name,
            "spec": self.graph.path,
            "input_shape": list(self.graph.input_shape),
            "parameters": dict(self.graph.parameters),
            "batch": self.batch,
            "dtype": self.dtype,
            "totals": self.totals_dict(),
            "breakdown": self.breakdown(),
            "layers": [self._layer_dict(r) for r in self.layers],
        }

    def _layer_dict(self, r: LayerRecord) -> dict:
        c = r.cost
        return {
            "name": r.name, "kind": r.kind, "description": r.description, "inputs": list(r.inputs),
            "output_shape": list(r.output_shape),
            "macs": c.macs, "mults": c.mults, "adds": c.adds, "comparisons": c.comparisons,
            "divisions": c.divisions, "exponentials": c.exponentials, "flops": c.flops,
            "effective_mults": c.effective_mults,
            "params": c.params, "trainable_params": c.trainable_params,
            "non_trainable_params": c.non_trainable_params, "weights": c.weights, "biases": c.biases,
            "bn_trainable": c.bn_trainable, "bn_non_trainable": c.bn_non_trainable,
            "activation_elements": r.activation_elements,
            "activation_bytes": r.activation_elements * self.dtype_bytes,
            "macs_share": _share(c.macs, self.totals.macs),
        }


def _share(part: int, whole: int) -> float:
    return float(Fraction(part, whole)) if whole else 0.0


def analyze(graph: Graph, *, batch: int = 1, dtype: str = "float32") -> Analysis:
    """Shapes and counts of every layer of ``graph``; SpecError (with every shape problem found,
    each at the layer or field it concerns) when layers cannot take their inputs."""
    if batch < 1:
        raise ValueError("batch must be >= 1")
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPE_BYTES)}")
    shapes: dict[str, Shape] = {INPUT: graph.input_shape}
    records: list[LayerRecord] = []
    problems: list[Problem] = []
    for node in graph.nodes:
        if any(name not in shapes for name in node.inputs):
            continue  # an input already failed and was reported
        input_shapes = tuple(shapes[name] for name in node.inputs)
        try:
            record = _record(node, input_shapes, batch)
        except ShapeError as error:
            problems.append(Problem(error.code, f"layer '{node.name}': {error.message}",
                                    node.where(error.field), error.hint))
            continue
        shapes[node.name] = record.output_shape
        records.append(record)
    if problems:
        raise SpecError(problems)
    return Analysis(
        graph, tuple(records), _sum_costs([r.cost for r in records]), batch, dtype,
        activation_elements=sum(r.activation_elements for r in records),
        peak_activation_elements=batch * peak_live_elements(graph, shapes),
    )


_COST_FIELDS = tuple(f.name for f in fields(Cost) if f.name != "parts")


def _sum_costs(costs: list[Cost]) -> Cost:
    """Field-by-field totals (parts are per layer only)."""
    return Cost(**{name: sum(getattr(c, name) for c in costs) for name in _COST_FIELDS})


def _record(node: LayerNode, input_shapes: tuple[Shape, ...], batch: int) -> LayerRecord:
    kind = KINDS[node.kind]
    output_shape = kind.output_shape(node.attrs, input_shapes)
    cost = kind.cost(node.attrs, input_shapes, output_shape)
    if batch != 1:
        cost = replace(cost, **{f: getattr(cost, f) * batch for f in _PER_SAMPLE})
    return LayerRecord(node.name, node.kind, node.inputs, input_shapes, output_shape, cost,
                       batch * elements(output_shape), node.attrs)


def peak_live_elements(graph: Graph, shapes: dict[str, Shape]) -> int:
    """The largest number of activation elements alive at once, batch 1.

    Running layers in order, a tensor is alive from the layer that makes it until the last layer
    that reads it (the input from the start; outputs nobody reads stay alive to the end). While a
    layer runs, its inputs and its output are alive together; nothing is computed in place.
    """
    remaining = {name: 0 for name in shapes}
    for node in graph.nodes:
        for name in set(node.inputs):
            remaining[name] += 1
    live = {INPUT: elements(shapes[INPUT])}
    live_total = peak = live[INPUT]
    for node in graph.nodes:
        out = elements(shapes[node.name])
        peak = max(peak, live_total + out)
        live[node.name] = out
        live_total += out
        for name in set(node.inputs):
            remaining[name] -= 1
            if remaining[name] == 0:
                live_total -= live.pop(name)
    return peak


__all__ = ["Analysis", "LayerRecord", "analyze", "peak_live_elements", "DTYPE_BYTES"]
