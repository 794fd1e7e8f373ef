"""Walk a layer graph: each layer's output shape and exact counts, the totals, the breakdown by
layer type and the peak activation memory. Pure: no printing, no NumPy.

The counting conventions are in ``convcost.layers`` (one rule per kind) and docs/conventions.md.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterator, NamedTuple

from convcost.errors import Problem, SpecError, UnknownNameError, finish
from convcost.graph import INPUT, Graph, LayerNode, shape_problem, shared_weights_problem, without_gc
from convcost.layers import CATEGORIES, KINDS, Attrs, Cost, Shape, ShapeError
from convcost.layers.base import PARAMETER_GROUPS, elements

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1}
# --weight-dtype: bits per stored parameter (int4: two parameters a byte)
WEIGHT_BITS = {"float32": 32, "float16": 16, "bfloat16": 16, "int8": 8, "int4": 4}


def weight_bytes(params: int, bits: int) -> int:
    """Bytes of one layer's parameters at ``bits`` per parameter: ``ceil(params · bits / 8)``,
    each layer rounded up to a whole byte on its own (a network's total is the sum of its layers').
    Every parameter counts: weights, biases and batch-norm's four (docs/conventions.md).

    MobileNet's conv1 (864 weights): 3,456 bytes at float32, 432 at int4; its classifier
    (1,025,000 parameters) 512,500 at int4; a batch-norm on 3 channels (12) 6; a 1,001-parameter
    layer 501 at int4 (the odd half byte rounded up).
    """
    return (params * bits + 7) // 8

_PER_SAMPLE = ("macs", "mults", "adds", "comparisons", "divisions", "exponentials", "special_functions",
               "effective_mults")


class LayerRecord(NamedTuple):
    """One layer's shapes and counts (already multiplied by the batch size)."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    cost: Cost
    activation_elements: int  # output elements, whole batch

    attrs: Attrs | None = None  # the node's attributes, for the description
    shares: str | None = None  # the layer whose weights it uses (its parameters are counted there)

    def weight_bytes(self, weight_dtype: str = "float32") -> int:
        """This layer's parameters in bytes at ``weight_dtype`` (:func:`weight_bytes`)."""
        return weight_bytes(self.cost.params, WEIGHT_BITS[weight_dtype])

    @property
    def description(self) -> str:
        """The layer's configuration in a few characters: "32 3×3/2 same"."""
        text = KINDS[self.kind].describe(self.attrs)
        return text if self.shares is None else f"{text} (weights of {self.shares})".lstrip()

    def __getattr__(self, name: str):  # record.macs, record.params, record.flops ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.cost, name)


class Analysis(NamedTuple):
    graph: Graph
    layers: tuple[LayerRecord, ...]
    totals: Cost
    batch: int
    dtype: str
    activation_elements: int  # sum over layers
    peak_activation_elements: int  # largest sum of tensors alive at once (see peak_live_elements)
    weight_dtype: str = "float32"  # the element type of stored parameters (weight_bytes)

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def weight_bytes(self) -> int:
        """The parameters in bytes at ``weight_dtype``: the sum of the layers' :func:`weight_bytes`."""
        return _total_weight_bytes(self.totals.params, [r.cost.params for r in self.layers],
                                   WEIGHT_BITS[self.weight_dtype])

    @property
    def peak_activation_bytes(self) -> int:
        return self.peak_activation_elements * self.dtype_bytes

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The graph's warnings (W codes): valid input that is probably not what was meant."""
        return self.graph.warnings

    def layer(self, name: str) -> LayerRecord:
        """The record of the layer ``name``; UnknownNameError (a KeyError) with a did-you-mean if none."""
        for record in self.layers:
            if record.name == name:
                return record
        raise UnknownNameError("layer", name, [r.name for r in self.layers], f" in {self.graph.name}")

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
        return _totals_dict(self.totals, self.activation_elements, self.peak_activation_elements,
                            self.dtype_bytes, len(self.layers), self.weight_bytes)

    @without_gc
    def to_dict(self) -> dict:
        """The JSON report (a documented, stable contract: docs/json.md)."""
        return {**self.header_dict(), "layers": list(self.layer_dicts())}

    def header_dict(self) -> dict:
        """The JSON report without its ``layers``, in the report's key order (a renderer streams
        the layers after it: :meth:`layer_dicts`)."""
        from convcost.language import display_name
        from convcost.version import __version__

        header = {
            "convcost_version": __version__,
            "schema_version": 1,
            "name": self.graph.name,
            "spec": display_name(self.graph.path),
            "input_shape": list(self.graph.input_shape),
        }
        if self.graph.inputs:  # a spec with named inputs ('input_shape' is the first's)
            header["inputs"] = {name: list(shape) for name, shape in self.graph.inputs}
        if self.graph.outputs:  # a spec with 'outputs:'
            header["outputs"] = list(self.graph.outputs)
        return header | {
            "parameters": dict(self.graph.parameters),
            "batch": self.batch,
            "dtype": self.dtype,
            "weight_dtype": self.weight_dtype,
            "totals": self.totals_dict(),
            "breakdown": self.breakdown(),
        }

    def layer_dicts(self) -> Iterator[dict]:
        """The ``layers`` of the JSON report, one at a time."""
        for head, counts in self.layer_parts():
            yield {**head, **counts}

    def layer_parts(self) -> Iterator[tuple[dict, dict]]:
        """Each layer of the JSON report as two dicts whose keys, in order, make its object: what
        names it (name, kind, description, inputs, output_shape) and its counts. Layers with the
        same cost and size share one counts dict, worked out once (the records of the repetitions of
        a block do): a renderer can encode it once too."""
        dtype_bytes, total_macs, bits = self.dtype_bytes, self.totals.macs, WEIGHT_BITS[self.weight_dtype]
        # (id(cost), activation elements) -> counts (the records hold the costs)
        shared: dict[tuple[int, int], dict] = {}
        descriptions: dict[int, str] = {}  # id(attrs) -> the description
        for r in self.layers:
            c = r.cost
            key = (id(c), r.activation_elements)
            counts = shared.get(key)
            if counts is None:
                counts = shared[key] = {
                    "macs": c.macs, "mults": c.mults, "adds": c.adds, "comparisons": c.comparisons,
                    "divisions": c.divisions, "exponentials": c.exponentials,
                    "special_functions": c.special_functions, "flops": c.flops,
                    "effective_mults": c.effective_mults, "params": c.params, "trainable_params": c.trainable_params,
                    "non_trainable_params": c.non_trainable_params, "weights": c.weights, "biases": c.biases,
                    "bn_trainable": c.bn_trainable, "bn_non_trainable": c.bn_non_trainable, "affine": c.affine,
                    "activation_elements": r.activation_elements,
                    "activation_bytes": r.activation_elements * dtype_bytes,
                    "weight_bytes": weight_bytes(c.params, bits),
                    "macs_share": _share(c.macs, total_macs),
                }
            description = descriptions.get(id(r.attrs)) if r.shares is None else r.description
            if description is None:
                description = descriptions[id(r.attrs)] = r.description
            entry = {"name": r.name, "kind": r.kind, "description": description, "inputs": list(r.inputs),
                     "output_shape": list(r.output_shape)}
            if r.shares is not None:  # only where a layer shares weights: other reports are as they were
                entry["shares"] = r.shares
            yield entry, counts

def _totals_dict(t: Cost, activation_elements: int, peak_activation_elements: int, dtype_bytes: int,
                 layers: int, weight_bytes: int) -> dict:
    """The totals as a flat dict (the ``totals`` object of the JSON report)."""
    return {
        "macs": t.macs, "mults": t.mults, "adds": t.adds, "comparisons": t.comparisons,
        "divisions": t.divisions, "exponentials": t.exponentials, "special_functions": t.special_functions,
        "flops": t.flops,
        "effective_mults": t.effective_mults, "padding_mults": t.mults - t.effective_mults,
        "params": t.params, "trainable_params": t.trainable_params,
        "non_trainable_params": t.non_trainable_params, "weights": t.weights, "biases": t.biases,
        "bn_trainable": t.bn_trainable, "bn_non_trainable": t.bn_non_trainable, "affine": t.affine,
        "activation_elements": activation_elements,
        "activation_bytes": activation_elements * dtype_bytes,
        "peak_activation_elements": peak_activation_elements,
        "peak_activation_bytes": peak_activation_elements * dtype_bytes,
        "layers": layers,
        "weight_bytes": weight_bytes,
    }


def _total_weight_bytes(params: int, per_layer: list[int], bits: int) -> int:
    """The sum of the layers' :func:`weight_bytes`: ``params · bits / 8`` when that is whole for
    every layer (8, 16, 32 bits), else layer by layer (int4 rounds each layer up)."""
    if bits % 8 == 0:
        return params * bits // 8
    return sum([(p * bits + 7) // 8 for p in per_layer])


def _share(part: int, whole: int) -> float:
    return float(Fraction(part, whole)) if whole else 0.0


@without_gc
def analyze(graph: Graph, *, batch: int = 1, dtype: str = "float32", weight_dtype: str = "float32") -> Analysis:
    """Shapes and counts of every layer of ``graph``; SpecError (with every shape problem found,
    each at the layer or field it concerns) when layers cannot take their inputs. ``dtype`` sets
    the bytes per activation element, ``weight_dtype`` those per parameter (``weight_bytes``)."""
    if batch < 1:
        raise ValueError("batch must be >= 1")
    _check_dtypes(dtype, weight_dtype)
    shapes: dict[str, Shape] = graph.input_shapes()  # {INPUT: graph.input_shape}, or the named inputs
    sizes: dict[str, int] = {name: batch * elements(shape) for name, shape in shapes.items()}  # whole batch
    records: list[LayerRecord] = []
    problems: list[Problem] = []
    in_instances = set()  # where problems of layers inside block instances are ("u1/conv")
    # Layer rules are pure: one result per (attributes' value, input shapes), shared by the layers
    # that have them (the repetitions of a block, every batch norm on one shape).
    numbers: dict[int, int | None] = {}  # id(attrs) -> the number of its value (graph.nodes holds attrs)
    values: dict = {}
    results: dict[tuple, tuple[Shape, Cost, int]] = {}
    owners: dict[str, LayerNode] = {}  # of shared weights: filled when a layer shares them
    for node in graph.nodes:
        inputs = node.inputs
        input_shapes: tuple[Shape, ...]
        if len(inputs) == 1:
            if inputs[0] not in shapes:
                continue  # an input already failed and was reported
            input_shapes = (shapes[inputs[0]],)
        else:
            if any(name not in shapes for name in inputs):
                continue
            input_shapes = tuple([shapes[name] for name in inputs])
        number = numbers.get(id(node.attrs), -1)
        if number == -1:
            number = numbers[id(node.attrs)] = _number(node, values)
        key = (number, input_shapes) if number is not None else None
        result = results.get(key) if key is not None else None
        if result is None:
            try:
                result = _result(node, input_shapes, batch)
            except ShapeError as error:
                problems.append(shape_problem(node, error, input_shapes))
                if "/" in node.name:
                    in_instances.add(problems[-1].location)
                continue
            if key is not None:
                results[key] = result
        if node.shares is not None:
            problem = shared_weights_problem(node, input_shapes, graph.nodes, owners, shapes)
            if problem is not None:
                problems.append(problem)
                continue
            result = (result[0], without_parameters(result[1]), result[2])
        shapes[node.name] = result[0]
        sizes[node.name] = result[2]
        records.append(LayerRecord(node.name, node.kind, inputs, input_shapes, result[0], result[1], result[2],
                                   node.attrs, node.shares))
    if problems:
        raise SpecError(finish(problems, in_instances.__contains__))
    return Analysis(
        graph, tuple(records), _sum_costs([r.cost for r in records]), batch, dtype,
        activation_elements=sum([r.activation_elements for r in records]),
        # of whole-batch sizes: batch × the peak of one
        peak_activation_elements=_peak_of(graph, sizes),
        weight_dtype=weight_dtype,
    )


def _check_dtypes(dtype: str, weight_dtype: str) -> None:
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPE_BYTES)}")
    if weight_dtype not in WEIGHT_BITS:
        raise ValueError(f"weight_dtype must be one of {', '.join(WEIGHT_BITS)}")


_COST_FIELDS = Cost._fields[:-1]  # every count; "parts" is per layer
_PARAMETER_INDEX = frozenset(_COST_FIELDS.index(group) for group in PARAMETER_GROUPS)


def without_parameters(cost: Cost) -> Cost:
    """The cost of a layer that uses another layer's weights (``shares:``): its operations, none of
    the parameters, which are counted once, at the layer that owns them."""
    return cost._replace(**{group: 0 for group in PARAMETER_GROUPS},
                         parts=tuple(part._replace(weights=0) for part in cost.parts))


def _sum_costs(costs: list[Cost]) -> Cost:
    """Field-by-field totals (parts are per layer only)."""
    if not costs:
        return Cost()
    return Cost(*[sum(column) for column in list(zip(*costs))[:len(_COST_FIELDS)]])


def _result(node: LayerNode, input_shapes: tuple[Shape, ...], batch: int) -> tuple[Shape, Cost, int]:
    """A layer's output shape, cost and output elements for the whole batch."""
    kind = KINDS[node.kind]
    output_shape = kind.output_shape(node.attrs, input_shapes)
    cost = kind.cost(node.attrs, input_shapes, output_shape)
    if batch != 1:
        cost = cost._replace(**{f: getattr(cost, f) * batch for f in _PER_SAMPLE},
                             parts=tuple(part._replace(macs=part.macs * batch) for part in cost.parts))
    return output_shape, cost, batch * elements(output_shape)


def peak_live_elements(graph: Graph, shapes: dict[str, Shape]) -> int:
    """The largest number of activation elements alive at once, batch 1.

    Running layers in order, a tensor is alive from the layer that makes it until the last layer
    that reads it (the input from the start; outputs nobody reads stay alive to the end). While a
    layer runs, its inputs and its output are alive together; nothing is computed in place.
    """
    return _peak_of(graph, {name: elements(shape) for name, shape in shapes.items()})


def _peak_of(graph: Graph, sizes: dict[str, int]) -> int:
    """:func:`peak_live_elements` from each tensor's element count, by name. Every input is alive
    from the start (until its last reader), and every output named by 'outputs:' to the end."""
    inputs = tuple(graph.input_shapes())
    reads = _positions(graph.nodes, inputs)
    return _peak_live([sizes[name] for name in inputs] + [sizes[node.name] for node in graph.nodes],
                      _frees(reads, _kept(graph, inputs)), len(inputs))


def _kept(graph: Graph, inputs: tuple[str, ...]) -> frozenset[int]:
    """The positions of the outputs that 'outputs:' names: never freed (the last layer, the output
    without 'outputs:', is read by none, so it is never freed either)."""
    if not graph.outputs:
        return frozenset()
    position = {node.name: index for index, node in enumerate(graph.nodes, len(inputs))}
    return frozenset(position[name] for name in graph.outputs)


def _peak_live(sizes: list[int], frees: list[tuple[int, ...]], first: int = 1) -> int:
    """:func:`peak_live_elements` from each tensor's element count, by position (the ``first``
    inputs, then node i at ``first + i``), and the :func:`_frees` of the nodes."""
    live_total = peak = sum(sizes[:first])
    for size, freed in zip(sizes[first:], frees):
        live_total += size
        if live_total > peak:
            peak = live_total
        for position in freed:
            live_total -= sizes[position]
    return peak


def _positions(nodes: tuple[LayerNode, ...], inputs: tuple[str, ...] = (INPUT,)) -> list[tuple[int, ...]]:
    """For each node, the positions of the tensors it reads (the inputs first: the input at 0;
    node i at len(inputs) + i)."""
    position = {name: index for index, name in enumerate(inputs)} | {
        node.name: index for index, node in enumerate(nodes, len(inputs))}
    return [tuple([position[name] for name in node.inputs]) for node in nodes]


def _frees(reads: list[tuple[int, ...]], kept: frozenset[int] = frozenset()) -> list[tuple[int, ...]]:
    """For each node, the positions of the tensors whose last reader it is (freed once it has run),
    from the positions each node reads; those in ``kept`` (outputs) are never freed."""
    last_reader: dict[int, int] = {}
    for index, positions in enumerate(reads):
        for position in positions:
            last_reader[position] = index
    frees: list[tuple[int, ...]] = [()] * len(reads)
    for position, index in last_reader.items():
        if position not in kept:
            frees[index] += (position,)
    return frees


# --- totals only, for sweeps ----------------------------------------------------------------------

class Summary(NamedTuple):
    """What :func:`analyze` finds for a whole graph, without the per-layer records: the totals,
    the activation elements and the peak activation memory. Equal, field by field, to the
    corresponding values of ``analyze(graph)``."""

    graph: Graph
    totals: Cost
    batch: int
    dtype: str
    activation_elements: int
    peak_activation_elements: int
    layers: int  # how many layers
    weight_bytes: int = 0  # the parameters in bytes at weight_dtype (Analysis.weight_bytes)
    weight_dtype: str = "float32"

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def peak_activation_bytes(self) -> int:
        return self.peak_activation_elements * self.dtype_bytes

    def totals_dict(self) -> dict:
        """The same dict as :meth:`Analysis.totals_dict`."""
        return _totals_dict(self.totals, self.activation_elements, self.peak_activation_elements,
                            self.dtype_bytes, self.layers, self.weight_bytes)


_FIELD_INDEX = {name: i for i, name in enumerate(_COST_FIELDS)}
_PER_SAMPLE_INDEX = tuple(_FIELD_INDEX[name] for name in _PER_SAMPLE)
MEMO_LIMIT = 200_000  # layer results; a sweep's memo is cleared when it holds more
_ATTRS, _VALUES, _PLANS, _TABLES, _COUNT = object(), object(), object(), object(), object()  # the memo's keys


def memo_entries(memo: dict) -> int:
    """How many layer results a :func:`summarize` memo holds."""
    return memo.get(_COUNT, 0)


def summarize(graph: Graph, *, batch: int = 1, dtype: str = "float32", weight_dtype: str = "float32",
              memo: dict | None = None) -> Summary:
    """The totals of ``analyze(graph)`` computed without building per-layer records.

    Layer rules are pure functions of (kind, attributes, input shapes), so their results are kept
    in ``memo`` and reused: within a graph (MobileNet's five identical 14×14×512 blocks, every
    batch-norm and ReLU on one shape) and across graphs when the same ``memo`` dict is passed for
    every configuration of a sweep. The memo also numbers each attributes object it meets by its
    value (a layer's results are kept in one table per number, by input shape), and keeps, for a
    node tuple it met before, those numbers, the positions each node reads and the tensors each
    frees (a sweep's graphs share a few: build() reuses the nodes of layers that read none of the
    swept parameters). Tensors are held by position (the input at 0, node i at i + 1), not name.
    A graph whose layers cannot take their inputs raises the same SpecError as :func:`analyze`.
    """
    if batch < 1:
        raise ValueError("batch must be >= 1")
    _check_dtypes(dtype, weight_dtype)
    if memo is None:
        memo = {}
    elif memo.get(_COUNT, 0) > MEMO_LIMIT:
        memo.clear()
    if _ATTRS not in memo:
        memo[_ATTRS], memo[_VALUES], memo[_PLANS], memo[_TABLES], memo[_COUNT] = {}, {}, {}, {}, 0
    nodes = graph.nodes
    inputs = graph.input_shapes()
    plan = memo[_PLANS].get(id(nodes))
    ends = (tuple(inputs), graph.outputs)  # the names of the inputs and the outputs: where tensors start and stay
    if plan is None or plan[0] is not nodes or plan[3] != ends:  # (the memo holds nodes: its id is not reused)
        plan = _plan(nodes, memo, graph, ends[0])
        if len(memo[_PLANS]) < 64:  # a sweep's graphs share a few node tuples
            memo[_PLANS][id(nodes)] = plan
    # by position (the inputs, then each node): (output shape, counts, output elements, parameters)
    results: list[tuple[Shape, Any, int, int]] = [(shape, (), elements(shape), 0) for shape in inputs.values()]
    for node, table, single, reads in plan[1]:
        # a layer of one input is looked up by that shape, others by the tuple of their shapes
        key: Any = results[single][0] if single >= 0 else tuple([results[p][0] for p in reads])
        hit = table.get(key)
        if hit is None:
            input_shapes = (key,) if single >= 0 else key
            kind = KINDS[node.kind]
            try:
                output_shape = kind.output_shape(node.attrs, input_shapes)
                cost = kind.cost(node.attrs, input_shapes, output_shape)
            except ShapeError:
                analyze(graph, batch=batch, dtype=dtype)  # raises the SpecError with every problem, located
                raise
            # parts are per layer; Cost.params, every parameter group, for the weight bytes
            hit = table[key] = (output_shape, cost[:-1], elements(output_shape), cost.params)
            memo[_COUNT] += 1
        if node.shares is not None:  # its operations; the parameters are the owner's
            hit = (hit[0], tuple(0 if i in _PARAMETER_INDEX else v for i, v in enumerate(hit[1])), hit[2], 0)
        results.append(hit)
    first = len(inputs)
    rows = [result[1] for result in results[first:]]
    sizes = [result[2] for result in results]
    sums: list[Any] = [sum(column) for column in zip(*rows)] if rows else [0] * len(_COST_FIELDS)
    if batch != 1:
        for index in _PER_SAMPLE_INDEX:
            sums[index] *= batch
    activation = sum(sizes) - sum(sizes[:first])
    totals = Cost(*sums)
    bits = WEIGHT_BITS[weight_dtype]
    stored = totals.params * bits // 8 if bits % 8 == 0 else _total_weight_bytes(
        0, [result[3] for result in results[first:]], bits)
    return Summary(graph, totals, batch, dtype, batch * activation, batch * _peak_live(sizes, plan[2], first),
                   len(rows), stored, weight_dtype)


# a node, the table of results of its attribute values, the one position it reads (-1 if it reads
# several) and the positions it reads
_Step = tuple[LayerNode, dict, int, tuple[int, ...]]


def _plan(nodes: tuple[LayerNode, ...], memo: dict, graph: Graph, inputs: tuple[str, ...]
          ) -> tuple[tuple, list[_Step], list[tuple[int, ...]], tuple]:
    """What :func:`summarize` needs of a node tuple whatever the input: (the nodes; a :data:`_Step`
    for each node; the positions each node frees; the names of the inputs and outputs it was made
    for). Nodes whose attributes cannot be hashed get a table of their own (their attributes object
    does not change)."""
    numbers: dict[int, tuple[object, int | None]] = memo[_ATTRS]  # id(attrs) -> (attrs, its number)
    tables: dict[int, dict] = memo[_TABLES]  # number -> {input shape(s): (output shape, counts, elements)}
    steps: list[_Step] = []
    reads = _positions(nodes, inputs)
    for node, positions in zip(nodes, reads):
        known = numbers.get(id(node.attrs))
        if known is None or known[0] is not node.attrs:  # (the memo holds attrs: its id is not reused)
            known = numbers[id(node.attrs)] = (node.attrs, _number(node, memo[_VALUES]))
        table = {} if known[1] is None else tables.setdefault(known[1], {})
        steps.append((node, table, positions[0] if len(positions) == 1 else -1, positions))
    return nodes, steps, _frees(reads, _kept(graph, inputs)), (inputs, graph.outputs)


def _number(node: LayerNode, values: dict) -> int | None:
    """A small number standing for (kind, attribute values) of ``node``: equal for equal values
    (None if a value cannot be hashed)."""
    value = (node.kind, node.attrs)  # a kind's attribute record: equal and hashed by value
    try:
        return values.setdefault(value, len(values))
    except TypeError:
        return None


__all__ = ["Analysis", "LayerRecord", "Summary", "analyze", "memo_entries", "peak_live_elements", "summarize",
           "DTYPE_BYTES", "WEIGHT_BITS", "weight_bytes"]
