"""The reference executor: run a layer graph forward with NumPy and measure what it computed.

For every layer it records the shape of the array it produced, the scalar operations the
kernel performed (tallied by :class:`~convcost.reference.counter.Counter` from the arrays it
actually contracted, added, compared ...) and the elements of the weight arrays it allocated.
It reads only the graph (kinds, inputs, normalized attributes) and never calls an analytic rule
of ``convcost.layers`` or ``convcost.analysis``: ``convcost verify`` holds the two against each
other.

    net = ReferenceNetwork(graph, batch=1, dtype="float32", seed=0)   # plan, check memory, allocate
    run = net.forward()                                                # one forward pass
    run.layer("conv1").ops.macs, run.layer("conv1").output_shape
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from convcost.errors import Problem, SpecError, UnknownNameError
from convcost.graph import INPUT, Graph, LayerNode, without_gc
from convcost.reference.counter import Counter, Tally
from convcost.reference.kernels import KERNELS, PARAM_GROUPS, Kernel, Plan, PlanError, WeightSpec
from convcost.reference.memory import DEFAULT_MAX_MEMORY, MemoryEstimate

DTYPES = ("float32", "float64")
Shape = tuple[int, ...]


@dataclass(frozen=True)
class MeasuredLayer:
    """What one layer did in a reference run (operation counts for the whole batch)."""

    name: str
    kind: str
    output_shape: Shape  # the produced array's shape without the batch axis
    ops: Tally
    params: Mapping[str, int]  # allocated elements per group: weights, biases, bn_trainable, bn_non_trainable
    seconds: float

    @property
    def flops(self) -> int:
        return self.ops.flops


@dataclass(frozen=True)
class Execution:
    """The result of one forward pass."""

    graph: Graph
    layers: tuple[MeasuredLayer, ...]
    output: np.ndarray  # the network's output, (N, ...): the last layer's, or the last that 'outputs:' names
    batch: int
    dtype: str
    seed: int
    seconds: float  # wall time of the forward pass, counting included
    memory: MemoryEstimate
    outputs: Mapping[str, np.ndarray] = field(default_factory=dict)  # every layer's output, with keep=True
    heads: Mapping[str, np.ndarray] = field(default_factory=dict)  # every network output (outputs:), by name

    def layer(self, name: str) -> MeasuredLayer:
        """What layer ``name`` did; UnknownNameError (a KeyError) with a did-you-mean if no layer ran."""
        for measured in self.layers:
            if measured.name == name:
                return measured
        raise UnknownNameError("layer", name, [m.name for m in self.layers], f" in {self.graph.name}")


@dataclass(frozen=True)
class _Planned:
    node: LayerNode
    kernel: Kernel
    plan: Plan
    input_shapes: tuple[Shape, ...]


class ReferenceNetwork:
    """A graph with seeded random weights, ready to run forward.

    Construction plans every layer (shapes, weight shapes, scratch memory), refuses with
    :class:`~convcost.reference.memory.MemoryLimitError` a run whose estimated peak exceeds
    ``max_memory`` bytes (None: no limit), then allocates the weights and the input from
    ``numpy.random.default_rng(seed)``.
    """

    @without_gc  # many small objects and no cycles: the collector's passes would cost more than the work
    def __init__(self, graph: Graph, *, batch: int = 1, dtype: str = "float32", seed: int = 0,
                 max_memory: int | None = DEFAULT_MAX_MEMORY):
        if batch < 1:
            raise ValueError("batch must be >= 1")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        self.graph, self.batch, self.dtype, self.seed = graph, batch, np.dtype(dtype), seed
        self.planned = plan_graph(graph)
        self.memory = estimate_memory(graph, self.planned, batch, self.dtype.itemsize)
        self.memory.check(max_memory)
        rng = np.random.default_rng(seed)
        # a layer that shares weights (node.shares) runs on its owner's arrays and allocates none
        self.parameters: dict[str, dict[str, np.ndarray]] = {
            p.node.name: {name: _allocate(spec, rng, self.dtype) for name, spec in p.plan.weights.items()}
            for p in self.planned if p.node.shares is None}
        self.param_counts = {p.node.name: (_param_counts(p.plan.weights, self.parameters[p.node.name])
                                           if p.node.shares is None else _param_counts(p.plan.weights, {}))
                             for p in self.planned}
        self._weights = {p.node.name: (dict(p.kernel.prepare(self.parameters[p.node.name])) if p.kernel.prepare
                                       else self.parameters[p.node.name]) for p in self.planned
                         if p.node.shares is None}
        for p in self.planned:
            if p.node.shares is not None:
                self._weights[p.node.name] = self._weights[p.node.shares]
        # every input, drawn in order (one input: the same draw as ever, for a seed)
        self.inputs = {name: _draw(rng.standard_normal, (batch, *shape), self.dtype)
                       for name, shape in graph.input_shapes().items()}
        self.input = next(iter(self.inputs.values()))

    @without_gc
    def forward(self, x: np.ndarray | Mapping[str, np.ndarray] | None = None, *, keep: bool = False,
                on_layer: Callable[[int, int, str], None] | None = None) -> Execution:
        """Run every layer once on ``x`` (default: the seeded random input), (N, *input_shape), or
        on every input of a spec with named inputs, ``{name: array}``.

        A tensor is released after its last reader unless ``keep`` (then ``outputs`` holds every
        layer's output); the network's outputs are kept to the end. ``on_layer(done, total, name)``
        is called after each layer.
        """
        shapes = self.graph.input_shapes()
        if x is None:
            given = dict(self.inputs)
        elif isinstance(x, Mapping):
            if set(x) != set(shapes):
                raise ValueError(f"inputs must be {', '.join(shapes)}, got {', '.join(map(str, x)) or 'none'}")
            given = {name: np.asarray(x[name], dtype=self.dtype) for name in shapes}
        elif len(shapes) == 1:
            given = {next(iter(shapes)): np.asarray(x, dtype=self.dtype)}
        else:
            raise ValueError(f"this network has {len(shapes)} inputs: give them by name ({', '.join(shapes)})")
        for name, shape in shapes.items():
            if given[name].shape != (self.batch, *shape):
                label = "input" if name == INPUT else f"input '{name}'"
                raise ValueError(f"{label} must have shape {(self.batch, *shape)}, got {given[name].shape}")
        readers = _reader_counts(self.graph)
        values: dict[str, np.ndarray] = given
        kept: dict[str, np.ndarray] = {}
        measured: list[MeasuredLayer] = []
        ends = set(self.graph.output_names())  # alive to the end
        last = self.graph.output_names()[-1]
        start = time.perf_counter()
        with np.errstate(all="ignore"):  # random weights may overflow float32 deep in a network; counts do not care
            for index, item in enumerate(self.planned):
                name = item.node.name
                y, layer = self._run_layer(item, [values[i] for i in item.node.inputs])
                measured.append(layer)
                if keep:
                    kept[name] = y
                if readers[name] or name in ends:  # a layer nobody reads is dropped at once
                    values[name] = y
                for source in set(item.node.inputs):  # release a tensor after its last reader
                    readers[source] -= 1
                    if readers[source] == 0 and source not in ends:
                        del values[source]
                if on_layer is not None:
                    on_layer(index + 1, len(self.planned), name)
        return Execution(self.graph, tuple(measured), values[last], self.batch, self.dtype.name, self.seed,
                         time.perf_counter() - start, self.memory, kept, {name: values[name] for name in ends})

    def _run_layer(self, item: _Planned, inputs: list[np.ndarray]) -> tuple[np.ndarray, MeasuredLayer]:
        """One layer's output (N, ...) and what it did: the shape produced, the operations its
        kernel performed (a fresh Counter), the parameters allocated for it, its wall time."""
        node = item.node
        ops = Counter()
        began = time.perf_counter()
        y = item.kernel.run(ops, node.attrs, inputs, self._weights[node.name])
        seconds = time.perf_counter() - began
        expected = (self.batch, *item.plan.output_shape)
        if y.shape != expected:  # the executor's own plan and kernel disagree: a bug here, not in the spec
            raise AssertionError(f"reference kernel '{node.kind}' made shape {y.shape} for layer "
                                 f"'{node.name}', planned {expected}")
        return y, MeasuredLayer(node.name, node.kind, tuple(y.shape[1:]), ops.tally, self.param_counts[node.name],
                                seconds)


def execute(graph: Graph, *, batch: int = 1, dtype: str = "float32", seed: int = 0,
            max_memory: int | None = DEFAULT_MAX_MEMORY, keep: bool = False,
            on_layer: Callable[[int, int, str], None] | None = None) -> Execution:
    """Build a :class:`ReferenceNetwork` and run it forward once."""
    net = ReferenceNetwork(graph, batch=batch, dtype=dtype, seed=seed, max_memory=max_memory)
    return net.forward(keep=keep, on_layer=on_layer)


# --- planning -----------------------------------------------------------------------------------

def plan_graph(graph: Graph) -> list[_Planned]:
    """Every layer's plan in order; SpecError with every layer that cannot be run, located."""
    shapes: dict[str, Shape] = graph.input_shapes()
    planned: list[_Planned] = []
    problems: list[Problem] = []
    # the repetitions of a block share their attribute records: one plan per (kind, attributes,
    # input shapes), reused (plans are frozen); the nodes keep the records alive, so ids stay theirs
    plans: dict[tuple, Plan] = {}
    for node in graph.nodes:
        kernel = KERNELS.get(node.kind)
        if kernel is None:
            problems.append(Problem("E201", f"layer '{node.name}': the reference executor has no kernel for "
                                            f"kind '{node.kind}'", node.location))
            continue
        if any(name not in shapes for name in node.inputs):
            continue  # an input already failed and was reported
        input_shapes = tuple(shapes[name] for name in node.inputs)
        key = (node.kind, id(node.attrs), input_shapes)
        plan = plans.get(key)
        if plan is None:
            try:
                plan = plans[key] = kernel.plan(node.attrs, input_shapes)
            except PlanError as error:
                problems.append(Problem(error.code, f"layer '{node.name}': {error.message}",
                                        node.where(error.field)))
                continue
        shapes[node.name] = plan.output_shape
        planned.append(_Planned(node, kernel, plan, input_shapes))
    if problems:
        raise SpecError(problems)
    if not planned:
        raise SpecError(Problem("E203", "the graph has no layers"))
    return planned


def _reader_counts(graph: Graph) -> dict[str, int]:
    """How many layers read each tensor (a layer reading one tensor twice counts once)."""
    readers = {**{name: 0 for name in graph.input_shapes()}, **{node.name: 0 for node in graph.nodes}}
    for node in graph.nodes:
        for name in set(node.inputs):
            readers[name] += 1
    return readers


def estimate_memory(graph: Graph, planned: list[_Planned], batch: int, itemsize: int) -> MemoryEstimate:
    """The arrays a run holds at its peak, in bytes: the maximum, over layers run in order, of the
    live tensors (as :meth:`ReferenceNetwork.forward` keeps them) plus the running layer's output,
    scratch and fixed temporaries; and every weight array, raw and prepared (counted twice where a
    kernel prepares constants from its weights), plus the float64 chunk values are drawn through
    (:func:`_draw`; drawing happens before any activation but the input exists)."""
    readers = _reader_counts(graph)
    live = {name: math.prod(shape) for name, shape in graph.input_shapes().items()}
    total = sum(live.values())
    peak, peak_layer = total * batch * itemsize, planned[0].node.name
    ends = set(graph.output_names())  # alive to the end
    for item in planned:
        out = math.prod(item.plan.output_shape)
        running = (total + out + item.plan.scratch) * batch * itemsize + item.plan.fixed_bytes
        if running > peak:
            peak, peak_layer = running, item.node.name
        if readers[item.node.name] or item.node.name in ends:
            live[item.node.name] = out
            total += out
        for name in set(item.node.inputs):
            readers[name] -= 1
            if readers[name] == 0 and name not in ends:
                total -= live.pop(name)
    weights = sum(math.prod(spec.shape) * (2 if item.kernel.prepare is not None else 1)
                  for item in planned if item.node.shares is None for spec in item.plan.weights.values()) * itemsize
    return MemoryEstimate(peak, weights + DRAW_CHUNK * 8, peak_layer)


# --- weights ------------------------------------------------------------------------------------

DRAW_CHUNK = 2**16  # elements drawn in float64 at a time: a 512 KiB temporary, whatever the array's size


def _allocate(spec: WeightSpec, rng: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """A new array for ``spec``, drawn from ``rng`` (see WeightSpec for the distributions)."""
    if spec.init == "he":
        return _draw(rng.standard_normal, spec.shape, dtype, scale=math.sqrt(2.0 / max(spec.fan_in, 1)))
    if spec.init == "small":
        return _draw(rng.standard_normal, spec.shape, dtype, scale=0.1)
    if spec.init == "positive":
        return _draw(rng.random, spec.shape, dtype, shift=0.5)
    raise ValueError(f"unknown initializer {spec.init!r}")


def _draw(sample: Callable[[int], np.ndarray], shape: Shape, dtype: np.dtype, *, scale: float = 1.0,
          shift: float = 0.0) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` holding ``sample(n) * scale + shift``, in C order.

    Values are drawn in float64 and rounded to ``dtype``, so that one seed gives the same network
    at either precision; they are drawn DRAW_CHUNK at a time, so that the float64 temporary stays
    small (a generator's stream does not depend on how it is split: drawing 3 then 7 values gives
    the 10 values drawn at once). The memory estimate counts DRAW_CHUNK float64 elements for it.
    """
    array = np.empty(shape, dtype=dtype)
    flat = array.reshape(-1)  # a view: the array is contiguous
    for start in range(0, flat.size, DRAW_CHUNK):
        chunk = sample(min(DRAW_CHUNK, flat.size - start))
        if scale != 1.0:
            chunk *= scale
        if shift:
            chunk += shift
        flat[start:start + chunk.size] = chunk
    return array


def _param_counts(specs: Mapping[str, WeightSpec], arrays: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Elements of the allocated arrays, per group."""
    counts = {group: 0 for group in PARAM_GROUPS}
    for name, array in arrays.items():
        counts[specs[name].group] += array.size
    return counts
