"""The layer graph: frozen nodes in topological order, built from a spec by ``convcost.language``.

Every node keeps where it was written, so that a shape error found later (an ``add`` of
mismatched shapes, a kernel larger than its input) still points at the right line and column:
:func:`shape_problems` runs the layers' shape rules over nodes and locates what they refuse: the
spec language uses it to check what it could build of a spec that failed, ``convcost.analysis``
reports with :func:`shape_problem`, so the spec language never imports the analysis.
"""

from __future__ import annotations

import gc
from functools import wraps
from typing import Mapping, NamedTuple

from convcost.errors import Location, Problem
from convcost.layers import KINDS, Attrs, Shape, ShapeError

INPUT = "input"  # the name by which layers refer to the network's input


class LayerNode(NamedTuple):
    name: str  # unique; block instances give "instance/layer"
    kind: str  # a key of convcost.layers.KINDS
    attrs: Attrs  # normalized: sizes are tuples, padding is 'same' | 'valid' | ((begin, end), ...)
    inputs: tuple[str, ...]  # names of earlier nodes, or INPUT
    location: Location  # where the layer item starts
    field_locations: Mapping[str, Location] | None = None  # where each field was written
    # the earlier layer whose weights this one uses (a shared Keras layer called again, `shares:`):
    # its operations are its own, its parameters that layer's; None for a layer with its own
    shares: str | None = None

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
    warnings: tuple[Problem, ...] = ()  # W-code problems: valid, but probably not what was meant
    # 'inputs:' of a spec with named inputs: (name, shape) in order, input_shape being the first's;
    # () for one input, named INPUT
    inputs: tuple[tuple[str, Shape], ...] = ()
    outputs: tuple[str, ...] = ()  # the nodes 'outputs:' names; () for the last node alone

    def input_shapes(self) -> dict[str, Shape]:
        """Every input's shape, by the name layers read it by."""
        return dict(self.inputs) if self.inputs else {INPUT: self.input_shape}

    def output_names(self) -> tuple[str, ...]:
        """The network's outputs: those 'outputs:' names, else the last layer."""
        return self.outputs or ((self.nodes[-1].name,) if self.nodes else ())


def looks_channels_first(shape: Shape) -> bool:
    """An image (H, W, C) or volume (D, H, W, C) input whose first axis looks like the channels: at
    most 4 and smaller than every other axis. ``(3, 224, 224) -> True``; ``(224, 224, 3)``,
    ``(4, 4, 3)``, ``(1024,) -> False``."""
    return len(shape) in (3, 4) and shape[0] <= 4 and all(shape[0] < n for n in shape[1:])


def channels_first_warning(shape: Shape, where: Location, fix: str) -> Problem:
    """W101 for an input that :func:`looks_channels_first`; ``fix`` is the same input channels-last,
    as the user writes it (``input: [224, 224, 3]``, ``--input 224x224x3``)."""
    layout, what = ("H×W×C", "image") if len(shape) == 3 else ("D×H×W×C", "volume")
    return Problem("W101", f"input {'×'.join(map(str, shape))} looks channels-first: convcost reads it as "
                           f"{layout}, a {'×'.join(map(str, shape[:-1]))} {what} with {shape[-1]} channels",
                   where, f"if {shape[0]} is the number of channels, put it last: {fix}")


def shape_problem(node: LayerNode, error: ShapeError, input_shapes: tuple[Shape, ...]) -> Problem:
    """A rule's ShapeError as a located problem: "conv2d 'conv3': …", at the field it concerns, with
    the names of the inputs when the problem is about them."""
    message = f"{node.kind} '{node.name}': {error.message}"
    if error.code in ("E402", "E404"):
        message += " (from " + ", ".join(f"'{name}'" for name in node.inputs[:6]) + \
                   (", …" if len(node.inputs) > 6 else "") + ")"
    return Problem(error.code, message, node.where(error.field), error.hint)


def shape_problems(nodes, input_shape: Shape | Mapping[str, Shape]) -> list[Problem]:
    """The shape problems of layer nodes in order (a partial graph: layers whose inputs are unknown
    or failed are skipped, so one mistake is reported once); ``input_shape`` is the input's shape,
    or every input's by name."""
    shapes: dict[str, Shape] = dict(input_shape) if isinstance(input_shape, Mapping) else {INPUT: input_shape}
    problems: list[Problem] = []
    owners: dict[str, LayerNode] = {}  # filled only when a layer shares weights
    for node in nodes:
        if any(name not in shapes for name in node.inputs):
            continue
        input_shapes = tuple(shapes[name] for name in node.inputs)
        if node.shares is not None:
            problem = shared_weights_problem(node, input_shapes, nodes, owners, shapes)
            if problem is not None:
                problems.append(problem)
                continue
        try:
            shapes[node.name] = KINDS[node.kind].output_shape(node.attrs, input_shapes)
        except ShapeError as error:
            problems.append(shape_problem(node, error, input_shapes))
    return problems


def shared_weights_problem(node: LayerNode, input_shapes: tuple[Shape, ...], nodes, owners: dict[str, LayerNode],
                           shapes: Mapping[str, Shape]) -> Problem | None:
    """E430 when a layer that uses the weights of ``node.shares`` (``shares:``) reads another number
    of channels than their owner (the weights' shapes are made from the input's channels). The kind
    and fields were checked when the graph was built. ``owners`` is a lookup filled on first use."""
    if node.shares is None:
        return None
    if not owners:
        owners.update((n.name, n) for n in nodes)
    owner = owners[node.shares]
    if any(name not in shapes for name in owner.inputs):
        return None  # the owner failed: reported there
    theirs = shapes[owner.inputs[0]]
    if input_shapes[0][-1:] == theirs[-1:] and len(input_shapes[0]) == len(theirs):
        return None
    return Problem("E430", f"{node.kind} '{node.name}' shares the weights of '{owner.name}', but reads "
                           f"{'×'.join(map(str, input_shapes[0]))} where '{owner.name}' reads "
                           f"{'×'.join(map(str, theirs))}: shared weights need the same input channels",
                   node.where("shares"))


def without_gc(function):
    """``function`` with the cyclic garbage collector paused while it runs (and resumed after, if it
    was on). Building, analysing and reporting a graph allocate many objects that form no cycles
    (reference counting frees them), and on a graph of 100,000 layers the collector's passes over
    them would take a third of the time."""

    @wraps(function)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused
