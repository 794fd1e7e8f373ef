"""Two analyses side by side: totals with differences and ratios, and a per-layer diff matched by
layer name (the MobileNet paper's Table 4 is ``compare mobilenet_conv mobilenet``).

A layer is *removed* when only A has its name, *added* when only B has it, *changed* when both
have it but its kind, configuration, input or output shapes or any count differ, and *same*
otherwise. Differences are B − A and ratios B / A. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from convcost.analysis import Analysis, LayerRecord
from convcost.errors import UnknownNameError
from convcost.graph import without_gc
from convcost.layers import format_shape as shape

# The totals compared, in display order, with their labels.
TOTALS = (
    ("macs", "MACs (mult-adds)"),
    ("flops", "FLOPs (all scalar ops)"),
    ("mults", "mults"),
    ("adds", "adds"),
    ("effective_mults", "effective mults"),
    ("weights", "weights (conv/dense kernels)"),
    ("biases", "biases"),
    ("trainable_params", "trainable params"),
    ("non_trainable_params", "non-trainable params"),
    ("params", "params (Keras total)"),
    ("activation_elements", "activation elements"),
    ("peak_activation_bytes", "peak activation bytes"),
    ("weight_bytes", "weight bytes"),
    ("layers", "layers"),
)

# The per-layer counts compared.
LAYER_COUNTS = ("macs", "mults", "adds", "comparisons", "divisions", "exponentials", "special_functions",
                "effective_mults", "weights", "biases", "bn_trainable", "bn_non_trainable", "affine")

STATUSES = ("same", "changed", "removed", "added")


@dataclass(frozen=True)
class TotalDiff:
    key: str
    label: str
    a: int
    b: int

    @property
    def difference(self) -> int:
        return self.b - self.a

    @property
    def ratio(self) -> Fraction | None:
        """B / A exactly, None when A is 0."""
        return Fraction(self.b, self.a) if self.a else None


@dataclass(frozen=True)
class LayerDiff:
    name: str
    status: str  # one of STATUSES
    a: LayerRecord | None
    b: LayerRecord | None
    changes: tuple[str, ...] = ()  # "output 112×112×32 -> 112×112×16", ...

    def count(self, side: str, key: str) -> int:
        record = self.a if side == "a" else self.b
        return getattr(record.cost, key) if record is not None else 0


@dataclass(frozen=True)
class Comparison:
    a: Analysis
    b: Analysis
    label_a: str
    label_b: str
    totals: tuple[TotalDiff, ...]
    layers: tuple[LayerDiff, ...]  # every layer of A and B, in a merged order

    def total(self, key: str) -> TotalDiff:
        """The comparison of total ``key``; UnknownNameError (a KeyError) with a did-you-mean if none."""
        for diff in self.totals:
            if diff.key == key:
                return diff
        raise UnknownNameError("total", key, [d.key for d in self.totals])

    def counts(self) -> dict[str, int]:
        """How many layers are same, changed, removed and added."""
        result = {status: 0 for status in STATUSES}
        for diff in self.layers:
            result[diff.status] += 1
        return result

    def to_dict(self, *, all_layers: bool = False) -> dict:
        """The JSON form (docs/sweep.md); unchanged layers only with ``all_layers``.
        ``convcost.render.compare.write_json`` streams the same text."""
        return {**self.header_dict(),
                "layers": [{"name": d.name, "status": d.status, "changes": list(d.changes), "a": layer_dict(d.a),
                            "b": layer_dict(d.b)}
                           for d in self.layers if all_layers or d.status != "same"]}

    def header_dict(self) -> dict:
        """The JSON form without its ``layers``, in its key order."""
        from convcost.language import display_name
        from convcost.version import __version__

        def side(analysis: Analysis, label: str) -> dict:
            return {"label": label, "name": analysis.graph.name, "spec": display_name(analysis.graph.path),
                    "parameters": dict(analysis.graph.parameters), "input_shape": list(analysis.graph.input_shape),
                    "totals": analysis.totals_dict()}

        return {
            "convcost_version": __version__,
            "schema_version": 1,
            "batch": self.a.batch,
            "dtype": self.a.dtype,
            "weight_dtype": self.a.weight_dtype,
            "a": side(self.a, self.label_a),
            "b": side(self.b, self.label_b),
            "totals": [{"key": t.key, "label": t.label, "a": t.a, "b": t.b, "difference": t.difference,
                        "ratio": None if t.ratio is None else float(t.ratio)} for t in self.totals],
            "layer_counts": self.counts(),
        }


def layer_dict(record: LayerRecord | None) -> dict | None:
    """One side of a layer in the JSON form (None: the side does not have it)."""
    if record is None:
        return None
    return {"kind": record.kind, "description": record.description,
            "input_shapes": [list(s) for s in record.input_shapes], "output_shape": list(record.output_shape),
            "params": record.cost.params, **{k: getattr(record.cost, k) for k in LAYER_COUNTS}}


def _changes(a: LayerRecord, b: LayerRecord, cache: dict) -> tuple[str, ...]:
    """What differs between two records of one layer name, in a fixed order. The repetitions of
    a block differ alike (same kinds, attributes, shapes and costs): all but the inputs they read
    is worked out once per such pair, in ``cache``."""
    key = (a.kind, b.kind, id(a.attrs), id(b.attrs), id(a.cost), id(b.cost), a.input_shapes, b.input_shapes,
           a.output_shape, b.output_shape)  # the records keep attrs and costs alive while the cache is used
    content = cache.get(key)
    if content is None:
        content = cache[key] = _content_changes(a, b)
    if a.inputs != b.inputs:
        return content + (f"reads {', '.join(a.inputs)} -> {', '.join(b.inputs)}",)
    return content


def _content_changes(a: LayerRecord, b: LayerRecord) -> tuple[str, ...]:
    changes = []
    if a.kind != b.kind:
        changes.append(f"kind {a.kind} -> {b.kind}")
    if a.description != b.description:
        changes.append(f"configuration '{a.description}' -> '{b.description}'")
    if a.input_shapes != b.input_shapes:
        changes.append("input " + " + ".join(map(shape, a.input_shapes)) + " -> "
                       + " + ".join(map(shape, b.input_shapes)))
    if a.output_shape != b.output_shape:
        changes.append(f"output {shape(a.output_shape)} -> {shape(b.output_shape)}")
    for key in LAYER_COUNTS:
        before, after = getattr(a.cost, key), getattr(b.cost, key)
        if before != after:
            changes.append(f"{key} {before:,} -> {after:,}")
    return tuple(changes)


def _merged_order(a: Analysis, b: Analysis) -> list[str]:
    """A's layer names in order, with the layers only B has placed like a diff does: a run of them
    that follows layer X in B comes after X and after the A-only layers that follow X in A."""
    in_a = {r.name for r in a.layers}
    in_b = {r.name for r in b.layers}
    after: dict[str | None, list[str]] = {}
    anchor = None
    for record in b.layers:
        if record.name in in_a:
            anchor = record.name
        else:
            after.setdefault(anchor, []).append(record.name)
    order: list[str] = []
    previous = None
    for record in a.layers:
        if record.name in in_b:
            order.extend(after.pop(previous, []))
            previous = record.name
        order.append(record.name)
    order.extend(after.pop(previous, []))
    for names in after.values():  # anchors met out of order (layers moved): keep them, at the end
        order.extend(names)
    return order


@without_gc
def compare(a: Analysis, b: Analysis, label_a: str = "A", label_b: str = "B") -> Comparison:
    """Totals and per-layer differences of ``b`` against ``a``."""
    totals_a, totals_b = a.totals_dict(), b.totals_dict()
    totals = tuple(TotalDiff(key, label, totals_a[key], totals_b[key]) for key, label in TOTALS)
    records_a = {r.name: r for r in a.layers}
    records_b = {r.name: r for r in b.layers}
    layers = []
    cache: dict = {}
    for name in _merged_order(a, b):
        ra, rb = records_a.get(name), records_b.get(name)
        if rb is None:
            layers.append(LayerDiff(name, "removed", ra, None))
        elif ra is None:
            layers.append(LayerDiff(name, "added", None, rb))
        else:
            changes = _changes(ra, rb, cache)
            layers.append(LayerDiff(name, "changed" if changes else "same", ra, rb, changes))
    return Comparison(a, b, label_a, label_b, totals, tuple(layers))


__all__ = ["Comparison", "LayerDiff", "TotalDiff", "compare", "TOTALS", "STATUSES"]
