"""The layer graph: frozen nodes in topological order, built from a spec by ``convcost.spec``.

Every node keeps where it was written, so that a shape error found later (an ``add`` of
mismatched shapes, a kernel larger than its input) still points at the right line and column.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

from convcost.errors import Location
from convcost.layers import Attrs, Shape

INPUT = "input"  # the name by which layers refer to the network's input


class LayerNode(NamedTuple):
    name: str  # unique; block instances give "instance/layer"
    kind: str  # a key of convcost.layers.KINDS
    attrs: Attrs  # normalized: sizes are tuples, padding is 'same' | 'valid' | ((begin, end), ...)
    inputs: tuple[str, ...]  # names of earlier nodes, or INPUT
    location: Location  # where the layer item starts
    field_locations: Mapping[str, Location] | None = None  # where each field was written

    def where(self, field_name: str | None = None) -> Location:
        """Where ``field_name`` was written (falling back to the layer itself)."""
        if field_name is not None and self.field_locations and field_name in self.field_locations:
            return self.field_locations[field_name]
        return self.location


class Graph(NamedTuple):
    name: str
    input_shape: Shape
    parameters: Mapping[str, int | float]  # resolved values, for reports
    nodes: tuple[LayerNode, ...]  # topological: every input of a node comes before it
    path: str = "<text>"
    budget: object = None  # the spec's own `budget:` section as a source Node, if any
