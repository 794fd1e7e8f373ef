"""A :class:`~convcost.language.spec.Spec` and parameter overrides -> a layer :class:`~convcost.graph.Graph`.

:func:`build` is the one function that does it: it resolves the parameters
(:mod:`convcost.language.parameters`), expands blocks and ``repeat``, resolves names and inputs,
normalizes every field (:mod:`convcost.language.fields`) and checks that every override is used
(E305, from the names its expressions read: :func:`~convcost.language.expressions.names_read`).

What it finds is kept per spec (:class:`_Memo`), by the values of the parameters it depends on, so
that building again is cheap: a sweep builds one spec many times, and a large spec repeats the same
block instances. A layer item's normalized fields are kept by the values of the names they read; a
block instance that built without a problem is kept as a template, by its own parameter values and
those of the spec's parameters it may read, and made again under another prefix and input; the
spec's whole layer list is kept by the values of the parameters it may read (a sweep over the input
size rebuilds no layer, and the graphs share one node tuple).

Every problem is collected with its location, and one mistake is reported once: what fails only
because of it (a layer reading a broken layer, an expression reading a broken parameter) is
skipped silently ("poisoned"), and the same problem in many block instances is reported once with
a count. A spec that failed to load (``Spec.broken``) is built with its defaults, skipping the
broken parts, so that loading reports what else is wrong in the same run.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, NamedTuple
from weakref import WeakKeyDictionary

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean, finish, names
from convcost.graph import (
    INPUT,
    Graph,
    LayerNode,
    channels_first_warning,
    looks_channels_first,
    shape_problem,
    shape_problems,
    without_gc,
)
from convcost.language.checks import Instance, spec_warnings, unread_layers
from convcost.language.expressions import POISONED, SHAPE_NAMES, Poisoned, Value, names_read, shape_values, silent
from convcost.language.fields import normalize, number, show, truth, whole
from convcost.language.parameters import resolve, unused
from convcost.language.source import Node, through_aliases
from convcost.language.spec import ITEM_KEYS, NAME_PATTERN, Spec, item_kind
from convcost.layers import KINDS, NO_ATTRS, Attrs, Field, Shape, ShapeError

MAX_LAYERS = 100_000
MEMO_LIMIT = 100_000  # entries of each table of a spec's memo (the attributes table starts again when full)
INPUT_MEMO_LIMIT = 1_024  # input shapes kept by the values they read (a sweep's few resolutions)

POISON = "\x00poisoned"  # the output of a layer that failed: no spec can write this name
REMOVED = "\x00removed "  # prefix of what an item removed by 'repeat: 0' with several inputs stands for


class _Memo:
    """What building a spec has found that building it again can reuse (one per spec, in _MEMOS).
    A sweep rebuilds one spec many times, and most of it does not change between configurations;
    a large spec repeats the same block instance many times."""

    __slots__ = ("attrs", "names", "block_names", "block_shapes", "templates", "layers", "instances", "tops",
                 "input_shapes", "dead_ends")

    def __init__(self):
        # (item, values of the names its fields read) -> (normalized attributes, fused activation)
        self.attrs: dict[tuple, tuple[Attrs, str | None]] = {}
        self.names: dict[int, tuple[str, ...]] = {}  # id(item) -> the names its fields read, sorted
        # block (None: the spec's own layers) -> the spec's parameters it may read
        self.block_names: dict[str | None, tuple[str, ...]] = {}
        # block (None: the spec's own layers) -> whether it may read a shape name (in_channels, …) anywhere:
        # then what it builds depends on its input's shape, which is part of the keys below
        # "channels" when what it reads is in_channels alone and no layer in it mixes the spatial axes into
        # the channels (flatten, reshape): its rank and channels then decide what is built
        self.block_shapes: dict[str | None, bool | str] = {}
        # (block, its own parameter values, the values of the spec's parameters it may read) -> _Template
        self.templates: dict[tuple, _Template] = {}
        # the values of the spec's parameters its layers may read -> (the nodes, the parameters read)
        self.layers: dict[tuple, tuple[tuple[LayerNode, ...], frozenset[str]]] = {}
        self.instances: dict[tuple, list[tuple[str, Instance]]] = {}  # the same key -> the block instances made
        # the same key -> the names of the spec's layer list and the names its 'when:'s left out (for 'outputs:')
        self.tops: dict[tuple, tuple[dict[str, str], dict[str, Node]]] = {}
        # (an input's node, the values of the names it reads) -> (its shape, its W101 warning or None)
        self.input_shapes: dict[tuple, tuple[tuple[int, ...], Problem | None]] = {}
        # (id of a reused node tuple, the outputs) -> (the tuple, its W401 warnings): a sweep over the
        # input size builds the same nodes for every size
        self.dead_ends: dict[tuple, tuple[tuple[LayerNode, ...], list[Problem]]] = {}


class _Template(NamedTuple):
    """A block instance that was built without a problem, with its prefix taken off: what any other
    instance of the same block with the same parameter values is, under its own prefix and input.
    A node's inputs are suffixes, or None for the instance's input."""

    nodes: tuple[tuple[str, str, Attrs, tuple[str | None, ...], Location, Mapping | None], ...]
    output: str | None  # the suffix of the instance's output, None when that is its input
    used: frozenset[str]  # the spec's parameters the instance reads
    # the block instances inside it: (name, block, location, output), the names as suffixes (None: its input)
    instances: tuple[tuple[str, str, Location, str | None], ...] = ()


_MEMOS: WeakKeyDictionary = WeakKeyDictionary()


@without_gc
def build(spec: Spec, overrides: Mapping[str, object] | None = None) -> Graph:
    """The layer graph of ``spec`` for these parameter values (SpecError with every problem found)."""
    values, problems = resolve(spec, overrides)
    builder = _Builder(spec, values)
    input_shape = builder.input_shape()
    try:
        builder.layers()
        outputs = builder.outputs()
    except _Fatal as fatal:
        raise SpecError(finish(through_aliases(problems + builder.problems + fatal.problems, spec.root),
                                    spec.in_blocks)) from None
    problems += builder.problems
    if problems or builder.poisoned:
        if not problems and not spec.broken:  # pragma: no cover - would be a bug in this module
            raise RuntimeError("a layer failed without a reported problem")
        if input_shape is not None:
            problems += [p for p in shape_problems(builder.nodes, builder.input_shapes())
                         if p not in builder.shape_reported]
        raise SpecError(finish(through_aliases(problems, spec.root), spec.in_blocks))
    if not builder.nodes:
        if spec.broken:  # the layers were reported while loading
            raise SpecError([])
        raise SpecError(Problem("E203", "the spec has no layers (every 'repeat' is 0?)", spec.input.location))
    problems = unused(spec, overrides, builder.used)
    if problems:
        raise SpecError(problems)
    # for reports: a whole number as an int, any other as the nearest float (docs/json.md)
    # (a POISONED value is left out: it is only in a spec that failed to load, whose graph is never returned)
    shown = {k: (v if not isinstance(v, Fraction) else int(v) if v.denominator == 1 else float(v))
             for k, v in values.items() if not isinstance(v, Poisoned)}
    assert input_shape is not None  # a missing or wrong input is a problem, or poisons the build: raised above
    nodes = builder.reused if builder.reused is not None else tuple(builder.nodes)
    warnings = tuple(sorted((*builder.warnings, *spec_warnings(spec), *builder.dead_ends(nodes, outputs)),
                            key=_reading_order))
    inputs = tuple((name, builder.shapes[name]) for name in builder.input_names) if spec.named_inputs else ()
    return Graph(spec.name, input_shape, shown, nodes, spec.path, spec.budget, warnings, inputs, outputs)


def _reading_order(problem: Problem) -> tuple:
    where = problem.location
    return (0, "", 0, 0) if where is None else (1, where.path, where.line, where.column)


class _Fatal(SpecError):
    """A bound was exceeded: stop building at once."""


class _Scope:
    __slots__ = ("prefix", "input_name", "values", "own", "arguments", "names", "counters", "items", "left_out")

    def __init__(self, prefix: str, input_name: str, values: Mapping[str, Value], own: frozenset[str] = frozenset(),
                 arguments: Mapping[str, Node] | None = None):
        self.prefix = prefix  # "" at the top, "instance/" inside a block instance
        self.input_name = input_name  # what 'input' and the first layer read
        self.values = values  # parameters visible here
        self.own = own  # a block instance's own parameters, which hide the spec's of the same names
        # a block instance's parameters given at its use -> the value the user wrote there (for a block
        # used inside a block with one of that block's own arguments: the value given to the outer one)
        self.arguments = arguments
        self.names: dict[str, str] = {}  # local name -> full node name (or POISON)
        self.counters: dict[str, int] = {}
        self.items: list[Node] = []  # the item list being expanded
        self.left_out: dict[str, Node] = {}  # names of items a false 'when:' left out -> that 'when:'

    def auto_name(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind}_{self.counters[kind]}"


class _Builder:
    def __init__(self, spec: Spec, values: dict[str, Value]):
        self.spec = spec
        self.values = values
        self.nodes: list[LayerNode] = []
        self.full_names: set[str] = {INPUT}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # W codes: the graph is built, and carries them
        self.count = 0  # layers expanded so far, including those that failed
        self.poisoned = False  # something failed silently, because of a problem reported elsewhere
        self.broken = spec.broken
        self._declared_cache: dict[int, dict[str, int]] = {}
        self._locations: dict[int, dict[str, Location]] = {}
        memo = _MEMOS.get(spec)
        if memo is None:
            memo = _MEMOS[spec] = _Memo()
        self.memo: _Memo = memo
        self.attrs_memo = memo.attrs
        self._names = memo.names
        self.prefixes: set[str] = set()  # the block instances made, by their full name
        self.reused: tuple[LayerNode, ...] | None = None  # the nodes, when they are those of an earlier build
        # what an item removed by 'repeat: 0' with several inputs stands for -> (its name, the item, what
        # it read as written): reading it is an error, since it stands for no single layer
        self.removed: dict[str, tuple[str, Node, list[str]]] = {}
        self.activations: dict[str, Location] = {}  # layers made by 'activation:' fields -> where
        self.used: set[str] = set()  # the spec's parameters that what was built reads (for E305)
        self.argument_problems: set[tuple[str, Location]] = set()  # problems placed at a block argument
        self.instances: list[tuple[str, Instance]] = []  # the block instances made: full name, block (for W401)
        self.top_names: dict[str, str] = {}  # the names of the spec's layer list -> full node names
        self.top_left_out: dict[str, Node] = {}
        # output shapes of the nodes made so far, computed only when an expression reads a shape name
        # (in_channels, …): nodes[:shaped] have been through their shape rule
        self.shapes: dict[str, Shape] = {}
        # the names layers read the network's inputs by: 'input', or those of 'inputs:'
        self.input_names = spec.input_names
        self.shaped = 0
        self.shape_reported: list[Problem] = []  # shape problems found while building (reported once)

    def dead_ends(self, nodes: tuple[LayerNode, ...], outputs: tuple[str, ...]) -> list[Problem]:
        """:func:`unread_layers` of the built nodes, kept for a node tuple reused from the memo."""
        if self.reused is not nodes:
            return unread_layers(nodes, self.instances, outputs)
        key = (id(nodes), outputs)
        hit = self.memo.dead_ends.get(key)
        if hit is None or hit[0] is not nodes:  # (the memo holds the nodes: their id is not reused)
            hit = self.memo.dead_ends[key] = (nodes, unread_layers(nodes, self.instances, outputs))
        return hit[1]

    def input_shape(self) -> tuple[int, ...] | None:
        """The input shape (with named inputs, the first's), or None when it is missing or wrong
        (reported). Every input's shape is kept in ``shapes``, by the name layers read it by."""
        node = self.spec.input
        if node is None or ("input",) in self.broken:
            self.poisoned = True
            return None
        named = self.spec.named_inputs
        if not named:
            found = self._one_input(node, "input", "input: ")
            if found is not None:
                self.shapes[INPUT] = found
            return found
        first = None
        for index, (name, written) in enumerate(named):
            found = self._one_input(written, f"inputs: {name}", f"{name}: ")
            if found is not None:
                self.shapes[name] = found
            if index == 0:
                first = found
        if any(name not in self.shapes for name in self.input_names):
            return None
        return first

    def input_shapes(self) -> dict[str, Shape]:
        """The shapes of the inputs found (by name)."""
        return {name: self.shapes[name] for name in self.input_names if name in self.shapes}

    def _one_input(self, node: Node, what: str, written: str) -> tuple[int, ...] | None:
        if not node.is_sequence or not 1 <= len(node.value) <= 4:
            got = f"a list of {len(node.value)}" if node.is_sequence else show(node.value)
            self.problems.append(Problem("E204", f"{what} must be a list of 1 to 4 sizes like [H, W, C] "
                                                 f"(or [D, H, W, C]), got {got}", node.location))
            return None
        reads = names_read(node)
        self.used |= reads
        key = (id(node), tuple([self.values.get(name) for name in sorted(reads)]))
        hit = self.memo.input_shapes.get(key)
        if hit is not None:
            if hit[1] is not None:
                self.warnings.append(hit[1])
            return hit[0]
        shape, failed = [], False
        for item in node.value:
            try:
                shape.append(whole(item, self.values, "input size", minimum=1))
            except SpecError as error:
                self.problems.extend(error.problems)
                failed = True
        if failed:
            self.poisoned = True
            return None
        found = tuple(shape)
        warning = None
        if looks_channels_first(found):
            sizes = [str(item.value) for item in node.value]  # as written: [3, size, size]
            warning = channels_first_warning(found, node.location, f"{written}[{', '.join(sizes[1:] + sizes[:1])}]")
            self.warnings.append(warning)
        if len(self.memo.input_shapes) >= INPUT_MEMO_LIMIT:  # a sweep over the input size: start again
            self.memo.input_shapes.clear()
        self.memo.input_shapes[key] = (found, warning)  # (the spec holds the node: its id is not reused)
        return found

    def layers(self) -> None:
        """Add the nodes of the spec's layers. The nodes of a spec whose layers were built without a
        problem are kept, by the values of the parameters they may read: a sweep over the input size
        or the number of classes rebuilds only what changes."""
        key: tuple = tuple([self.values[name] for name in self._names_under(None)])
        if self.memo.block_shapes[None]:  # a layer reads its input's shape: what is built depends on the inputs
            key += tuple([_shape_key(self.memo.block_shapes[None], self.shapes.get(name)) for name in self.input_names])
        hit = self.memo.layers.get(key)
        if hit is not None and not self.broken:
            self.nodes.extend(hit[0])
            self.reused = hit[0]  # the graph shares the tuple (and what an analysis keeps for it)
            self.count = len(hit[0])
            self.used |= hit[1]
            self.instances = list(self.memo.instances[key])
            self.top_names, self.top_left_out = self.memo.tops[key]
            return
        outer_used = self.used
        self.used = set()
        top = _Scope(prefix="", input_name=self.input_names[0], values=self.values)
        if self.spec.named_inputs:  # layers read them by name; a layer of one of these names is E401
            top.names.update((name, name) for name in self.input_names)
            self.full_names.update(self.input_names)
        self.top_names, self.top_left_out = top.names, top.left_out
        try:
            self.expand(self.spec.layers, top, block_stack=())
        finally:
            used, self.used = self.used, outer_used
            outer_used |= used
        if not (self.problems or self.poisoned or self.broken or self.removed) and len(self.memo.layers) < MEMO_LIMIT:
            self.reused = tuple(self.nodes)
            self.memo.layers[key] = (self.reused, frozenset(used))
            self.memo.instances[key] = self.instances
            self.memo.tops[key] = (top.names, top.left_out)

    def outputs(self) -> tuple[str, ...]:
        """The nodes the spec's ``outputs:`` names, in order (() without ``outputs:``: the last layer
        is the output); problems are reported, as for ``inputs:``."""
        node = self.spec.outputs
        if node is None:
            return ()
        refs = node.value if node.is_sequence else [node]
        if not refs:
            self.problems.append(Problem("E204", "outputs must name one or more layers, got an empty list",
                                         node.location))
            return ()
        found: dict[str, Node] = {}  # each layer named -> the entry that first named it
        node_names = {layer.name for layer in self.nodes}
        for ref in refs:
            name = ref.value
            if not isinstance(name, str):
                self.problems.append(Problem("E204", f"outputs must be layer names, got {show(name)}", ref.location))
                continue
            full = self.top_names.get(name)
            if full is None and "/" in name:
                full = name if name in node_names else next(
                    (instance.output for made, instance in reversed(self.instances) if made == name), None)
            if full is not None and (full == POISON or full.startswith(REMOVED)):
                self.poisoned = True  # reported where it failed (or stands for no single layer: E400 below)
                if full.startswith(REMOVED):
                    self.problems.append(Problem("E400", f"outputs: '{name}' was removed by 'repeat: 0' and had "
                                                         "several inputs, so it stands for no single layer",
                                                 ref.location))
                continue
            if full is not None and full not in node_names:  # an input, or an item that stands for one
                self.problems.append(Problem("E204", f"outputs: '{name}' is the network's input, not a layer",
                                             ref.location, "name the layers whose outputs the network gives"))
            elif full is not None and full in found:  # one output given twice: nothing is dropped silently
                first = found[full]
                spelled = "" if first.value == name else f" as '{first.value}'"
                self.problems.append(Problem("E401", f"outputs: '{name}' is listed twice", ref.location,
                                             f"the first is at line {first.location.line}, column "
                                             f"{first.location.column}{spelled}: list each output once"))
            elif full is not None:
                found[full] = ref
            elif name in self.top_left_out:
                when = self.top_left_out[name]
                condition = clip(when.value)[1:-1] if isinstance(when.value, str) else show(when.value)
                self.problems.append(Problem("E211", f"outputs: '{name}' was left out by its 'when: {condition}' "
                                                     f"(line {when.location.line}), which is false here",
                                             ref.location, "name a layer that is included"))
            else:
                known = [key for key in self.top_names if key not in self.input_names] + sorted(node_names)
                self.problems.append(Problem("E400", f"outputs: no layer is named {clip(name)}", ref.location,
                                             did_you_mean(name, known) or "outputs name layers of the spec, "
                                                                          "by the names 'convcost report' shows"))
        return tuple(found)

    def expand(self, items: list[Node], scope: _Scope, block_stack: tuple[str, ...]) -> str:
        """Add the nodes of ``items``; return the name of the last one (the scope's output)."""
        previous = scope.input_name
        scope.items = items
        for index, item in enumerate(items):
            if ("item", id(item)) in self.broken:  # reported while loading
                self._poison(item, scope)
                previous = POISON
                continue
            try:
                previous = self._item(item, index, scope, previous, block_stack)
            except _Fatal:
                raise
            except SpecError as error:
                self.problems.extend(self._once_per_argument(error.problems, scope))
                self._poison(item, scope)
                previous = POISON
        return previous

    def _once_per_argument(self, problems: list[Problem], scope: _Scope) -> list[Problem]:
        """``problems`` without those already reported at the same block argument: one bad argument
        read by several layers of its block is one mistake."""
        if not scope.arguments:
            return problems
        kept = []
        for problem in problems:
            if problem.location is not None and any(problem.location == node.location
                                                    for node in scope.arguments.values()):
                key = (problem.code, problem.location)
                if key in self.argument_problems:
                    continue
                self.argument_problems.add(key)
            kept.append(problem)
        return kept

    def _poison(self, item: Node, scope: _Scope) -> None:
        """Layers that read ``item`` fail silently: its own problem is reported once."""
        self.poisoned = True
        if item.is_mapping and "name" in item.value:
            name = item.value["name"].value
            if isinstance(name, str) and name not in scope.names:
                scope.names[name] = POISON

    def _too_many(self, where: Location, message: str) -> _Fatal:
        return _Fatal(Problem("E406", f"{message}; a spec expands to at most {MAX_LAYERS:,} layers", where,
                              "check 'repeat' values and blocks that use blocks"))

    def _item(self, item: Node, index: int, scope: _Scope, previous: str, block_stack: tuple[str, ...]) -> str:
        kind, _ = item_kind(item)
        assert kind is not None  # an item without a kind is broken (reported while loading): expand skips it
        fields = item.value if item.is_mapping else {}
        if "when" in fields and not self._when(kind, fields, scope, previous, index):
            name = fields["name"].value if "name" in fields else None
            if isinstance(name, str) and name not in scope.names:
                scope.left_out.setdefault(name, fields["when"])
            return previous  # left out: the next item reads what this one would have read
        repeat = self._repeat(kind, fields, scope, previous, index) if "repeat" in fields else 1
        base_name = self._name(fields.get("name"), scope, index)
        inputs = self._inputs(fields["inputs"], scope, index) if "inputs" in fields else None
        if inputs is not None and repeat > 1:
            raise SpecError(Problem("E205", "a layer with 'inputs' cannot be repeated", fields["repeat"].location,
                                    "repeat a block whose first layer reads 'input' instead"))
        if kind in KINDS and self.count + repeat > MAX_LAYERS:
            raise self._too_many(fields["repeat"].location if "repeat" in fields else item.location,
                                 f"this layer would be layer {self.count + repeat:,}")
        reads = inputs if inputs is not None else (previous,)
        shares = self._shares(kind, fields["shares"], scope, index) if "shares" in fields else None
        if repeat == 0:  # removed: it stands for what it reads (docs/spec.md, 'repeat')
            previous = reads[0] if len(reads) == 1 or POISON in reads else self._removed(item, fields, kind,
                                                                                         base_name, scope)
            if base_name:
                scope.names[base_name] = previous
            return previous
        self._check_not_removed(reads, fields, item, kind, base_name)
        normalized = None
        # the repetitions of an item that reads its input's shape may each have another input shape
        per_repetition = kind in KINDS and repeat > 1 and not SHAPE_NAMES.isdisjoint(self._words(item, fields))
        for i in range(repeat):
            local = base_name if base_name and repeat == 1 else (
                f"{base_name}_{i + 1}" if base_name else scope.auto_name(kind))
            reads = inputs if inputs is not None else (previous,)
            if kind in KINDS:
                previous, normalized = self._layer(kind, item, fields, scope, local, reads,
                                                   None if per_repetition else normalized, shares)
            else:
                before, problems_before, poisoned_before = self.count, len(self.problems), self.poisoned
                self.poisoned = False
                previous = self._block(kind, item, fields, scope, local, reads, block_stack)
                self.instances.append((scope.prefix + local, Instance(
                    kind, fields["name"].location if "name" in fields else item.location, previous)))
                failed = self.poisoned or len(self.problems) > problems_before
                self.poisoned = self.poisoned or poisoned_before
                if failed:  # the other repetitions (same values) would fail the same way: report once
                    scope.names[local] = POISON
                    previous = POISON
                    break
                size = self.count - before
                if i == 0 and repeat > 1 and self.count + size * (repeat - 1) > MAX_LAYERS:
                    raise self._too_many(fields["repeat"].location,
                                         f"repeat: {repeat:,} of block '{kind}' ({size:,} layers each) makes "
                                         f"{size * repeat:,} layers")
                if size == 0:  # an empty expansion: the other repetitions are the same
                    scope.names[local] = previous
                    break
            scope.names[local] = previous
        if base_name:
            scope.names[base_name] = previous
        return previous

    def _repeat(self, kind: str, fields: dict[str, Node], scope: _Scope, previous: str, index: int) -> int:
        """The value of an item's ``repeat:``, which may read the parameters and, as a field, the
        shape of the item's (first repetition's) input."""
        label = fields["name"].value if "name" in fields and isinstance(fields["name"].value, str) else None
        read = names_read(fields["repeat"])
        self._read(read, scope)
        values = scope.values
        if not SHAPE_NAMES.isdisjoint(read):  # 'repeat: in_channels // 16'
            values = self._shaped_values(values, self._inputs(fields["inputs"], scope, index)[0]
                                         if "inputs" in fields else previous)
        repeat = whole(fields["repeat"], values, f"{kind} '{label}': repeat" if label else f"{kind}: repeat",
                       minimum=0)
        if repeat > MAX_LAYERS:
            raise self._too_many(fields["repeat"].location, f"repeat: {repeat:,} makes too many layers")
        return repeat

    def _when(self, kind: str, fields: dict[str, Node], scope: _Scope, previous: str, index: int) -> bool:
        """Whether an item with ``when:`` is included: the value of its condition, which may read
        the parameters and, as any field, the shape of the item's input (of its first input)."""
        node = fields["when"]
        words = names_read(node)
        self._read(words, scope)
        label = fields["name"].value if "name" in fields and isinstance(fields["name"].value, str) else None
        what = f"{kind} '{scope.prefix}{label}': when" if label else f"{kind}: when"
        values = scope.values
        if not SHAPE_NAMES.isdisjoint(words):
            reads = self._inputs(fields["inputs"], scope, index) if "inputs" in fields else (previous,)
            values = self._shaped_values(values, reads[0])
        return truth(node, values, what)

    def _shape_of(self, name: str) -> Shape:
        """The output shape of node ``name`` (or of the network's input), running the shape rules of
        the nodes made since the last call; silent SpecError if it is unknown because something
        failed (a shape problem found here is reported once, here)."""
        shapes = self.shapes
        if name not in shapes:
            nodes = self.nodes
            while self.shaped < len(nodes):
                node = nodes[self.shaped]
                self.shaped += 1
                if any(read not in shapes for read in node.inputs):
                    continue
                input_shapes = tuple([shapes[read] for read in node.inputs])
                try:
                    shapes[node.name] = KINDS[node.kind].output_shape(node.attrs, input_shapes)
                except ShapeError as error:
                    problem = shape_problem(node, error, input_shapes)
                    self.problems.append(problem)
                    self.shape_reported.append(problem)
        found = shapes.get(name)
        if found is None:  # it failed, and that was reported
            raise silent()
        return found

    def _shaped_values(self, values: Mapping[str, Value], read: str) -> dict[str, Value]:
        """``values`` with the shape names (in_channels, …) of the output of ``read``."""
        return {**values, **shape_values(self._shape_of(read), "its input")}

    def _removed(self, item: Node, fields: dict[str, Node], kind: str, name: str | None, scope: _Scope) -> str:
        """What an item removed by ``repeat: 0`` with several inputs stands for: a marker that
        :meth:`_check_not_removed` refuses to read."""
        marker = f"{REMOVED}{len(self.removed)}"
        label = f"'{scope.prefix}{name}'" if name else f"the {kind}" + (f" in '{scope.prefix[:-1]}'"
                                                                          if scope.prefix else "")
        refs = fields["inputs"].value if fields["inputs"].is_sequence else [fields["inputs"]]
        self.removed[marker] = (label, item, [str(ref.value) for ref in refs])
        return marker

    def _check_not_removed(self, reads: tuple[str, ...], fields: dict[str, Node], item: Node, kind: str,
                           name: str | None) -> None:
        """E400 when a layer reads an item that 'repeat: 0' removed and that had several inputs."""
        for position, read in enumerate(reads):
            if not read.startswith(REMOVED):
                continue
            label, removed, refs = self.removed[read]
            what = (f"{label} (line {removed.location.line}) was removed by 'repeat: 0' and had {len(refs)} inputs, "
                    "so it stands for no single layer")
            read_list = ", ".join(refs)
            if "inputs" in fields:
                node = fields["inputs"]
                where = (node.value[position] if node.is_sequence else node).location
                raise SpecError(Problem("E400", f"inputs: {what}", where,
                                        f"read one of its inputs ({read_list}) instead, or remove this layer "
                                        "with the same 'repeat'"))
            reader = f"{kind} '{name}'" if name else kind
            raise SpecError(Problem("E400", f"{reader} reads the item before it, but {what}", item.location,
                                    f"say which layer it reads with 'inputs:' (one of {read_list}), or remove it "
                                    "with the same 'repeat'"))

    def _name(self, node: Node | None, scope: _Scope, index: int) -> str | None:
        if node is None:
            return None
        name = node.value
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or name == INPUT:
            raise SpecError(Problem("E207", f"invalid layer name {show(name)}", node.location,
                                    "names start with a letter or _ and hold letters, digits, _ . -; "
                                    "'input' is reserved"))
        if name in scope.names:
            first = self._declared(scope.items).get(name)
            hint = (f"the first '{name}' is at line {scope.items[first].location.line}"
                    if first is not None and first < index else None)
            made = self.activations.get(scope.prefix + name)
            if not scope.prefix and name in self.spec.named_inputs_names() and hint is None:
                hint = f"'{name}' is the name of one of the network's inputs ('inputs:'); rename the layer"
            elif made is not None and hint is None:
                hint = (f"the 'activation:' at line {made.line} makes a layer of that name; rename this one, "
                        "or write that activation as a layer of its own")
            raise SpecError(Problem("E401", f"layer name '{name}' is used twice", node.location, hint))
        return name

    def _declared(self, items: list[Node]) -> dict[str, int]:
        """Names written in ``items`` -> the index of the first item that writes each."""
        key = id(items)
        if key not in self._declared_cache:
            declared: dict[str, int] = {}
            for index, item in enumerate(items):
                if item.is_mapping and "name" in item.value and isinstance(item.value["name"].value, str):
                    declared.setdefault(item.value["name"].value, index)
            self._declared_cache[key] = declared
        return self._declared_cache[key]

    def _inputs(self, node: Node, scope: _Scope, index: int) -> tuple[str, ...]:
        refs = node.value if node.is_sequence else [node]
        if not refs:
            raise SpecError(Problem("E204", "inputs must name one or more earlier layers, got an empty list",
                                    node.location))
        resolved, problems = [], []
        for ref in refs:
            name = ref.value
            if not isinstance(name, str):
                problems.append(Problem("E204", f"inputs must be layer names, got {show(name)}", ref.location))
            elif name == INPUT:
                resolved.append(scope.input_name)
            elif name in scope.names:
                resolved.append(scope.names[name])
            elif name in scope.left_out:
                when = scope.left_out[name]
                condition = clip(when.value)[1:-1] if isinstance(when.value, str) else show(when.value)
                problems.append(Problem("E211", f"inputs: '{name}' was left out by its 'when: {condition}' (line "
                                                f"{when.location.line}), which is false here", ref.location,
                                        "give this layer a 'when:' that leaves it out too, or read a layer "
                                        "that is included"))
            elif "/" in name and (inner := self._inner_layer(scope.prefix + name)) is not None:
                resolved.append(inner)
            else:
                problems.append(self._missing_input(name, ref, scope, index))
        if problems:
            raise SpecError(problems)
        return tuple(resolved)

    def _shares(self, kind: str, node: Node, scope: _Scope, index: int) -> str:
        """The full name of the earlier layer a ``shares:`` names (E204 for a block, a list, an input)."""
        if kind not in KINDS:
            raise SpecError(Problem("E204", f"shares: a block instance ('{kind}') cannot share weights; give "
                                            "'shares' to its layers", node.location))
        if not isinstance(node.value, str):
            raise SpecError(Problem("E204", f"shares must name one earlier layer, got {show(node.value)}",
                                    node.location))
        own = scope.prefix + node.value  # the layer itself, not the output of its fused activation
        try:
            (target,) = (own,) if own in self.full_names and own not in self.prefixes else \
                self._inputs(node, scope, index)
        except SpecError as error:  # worded for inputs: ('no earlier layer is named …')
            raise SpecError([p._replace(message="shares:" + p.message.removeprefix("inputs:"))
                             for p in error.problems]) from None
        if target in self.input_names:
            raise SpecError(Problem("E204", f"shares: '{node.value}' is a network input; shares names an earlier "
                                            "layer whose weights this one uses", node.location))
        return target

    def _check_shared(self, kind: str, attrs: Attrs, target: str, full: str, where: Node) -> None:
        """A layer that shares weights has the kind and the fields of the layer it shares them with
        (E430); a chain of shares ends at the layer that has them."""
        node = next(n for n in reversed(self.nodes) if n.name == target)
        if node.kind != kind or node.attrs != attrs:
            differs = (f"is a {node.kind}" if node.kind != kind else
                       "has other fields: " + ", ".join(f"{f} {getattr(node.attrs, f)!r} here {getattr(attrs, f)!r}"
                                                        for f in attrs._fields
                                                        if getattr(node.attrs, f) != getattr(attrs, f)))
            raise SpecError(Problem("E430", f"{kind} '{full}' shares the weights of '{target}', which {differs}; "
                                            "a layer that shares weights has the kind and fields of their owner",
                                    where.location))
        if node.shares is not None:
            raise SpecError(Problem("E430", f"{kind} '{full}' shares the weights of '{target}', which shares those "
                                            f"of '{node.shares}': name the owner, '{node.shares}'", where.location))

    def _inner_layer(self, full: str) -> str | None:
        """What ``instance/layer`` names from outside the instance (``full``: with the prefix of the
        scope that reads it): a layer of a block instance built above, or a block instance inside one
        (its output); None if nothing built so far has that name."""
        if full in self.full_names and full not in self.prefixes:
            return full
        for name, instance in reversed(self.instances):
            if name == full:
                return instance.output
        return None

    def _missing_input(self, name: str, ref: Node, scope: _Scope, index: int) -> Problem:
        items = scope.items
        declared = self._declared(items)
        later = declared.get(name)
        if later is not None and later == index:
            return Problem("E400", f"inputs: layer '{name}' reads itself, a cycle", ref.location,
                           "a layer can only read layers written above it (or 'input')")
        if later is not None and later > index:
            cycle = self._cycle(items, declared, start=later, target=index)
            if cycle:
                reads = ", ".join(f"{a} reads {b}" for a, b in zip(cycle, cycle[1:]))
                return Problem("E400", f"inputs: '{name}' is defined later (line {items[later].location.line}) "
                                       f"and reads this layer back, a cycle: {reads}", ref.location,
                               "a layer can only read layers written above it; break the cycle")
            return Problem("E400", f"inputs: '{name}' is defined later (line {items[later].location.line}); "
                                   "a layer can only read layers written above it", ref.location,
                           f"move this layer below '{name}'")
        known = list(scope.names) + [INPUT]
        if "/" in name:  # a layer inside a block instance: suggest among those built above
            cut = len(scope.prefix)
            inner = sorted(full[cut:] for full in self.full_names
                           if full.startswith(scope.prefix) and "/" in full[cut:])
            hint = did_you_mean(name, inner)
        else:
            hint = did_you_mean(name, known)
        if hint is None and "/" in name:
            instance = name.split("/", 1)[0]
            hint = (f"'{instance}' has no layer '{name.split('/', 1)[1]}' built above this one; "
                    "'convcost report' lists the layers by their full names" if instance in scope.names
                    else f"no block instance '{instance}' is written above this layer")
        elif hint is None and scope.prefix and name in self._declared(self.spec.layers):
            hint = "inside a block, inputs name the block's own layers, or 'input' for what the block reads"
        elif hint is None:
            hint = "earlier layers: " + names(known[-12:]) if known else None
        return Problem("E400", f"inputs: no earlier layer is named {clip(name)}", ref.location, hint)

    def _cycle(self, items: list[Node], declared: dict[str, int], start: int, target: int) -> list[str] | None:
        """The names along a path of reads from item ``start`` back to item ``target``, if any."""

        def reads(k: int) -> list[int]:  # explicit inputs only: a cycle the user wrote
            item = items[k]
            if item.is_mapping and "inputs" in item.value:
                node = item.value["inputs"]
                refs = node.value if node.is_sequence else [node]
                return [declared[r.value] for r in refs if isinstance(r.value, str) and r.value in declared]
            return []

        def label(k: int) -> str:
            item = items[k]
            if item.is_mapping and isinstance(item.value.get("name", Node(None, item.location)).value, str):
                return item.value["name"].value
            return f"the layer at line {item.location.line}"

        parent: dict[int, int | None] = {start: None}
        stack = [start]
        while stack:
            k = stack.pop()
            if k == target:
                path = []  # target, ..., start: each read by the next
                step: int | None = k
                while step is not None:
                    path.append(label(step))
                    step = parent[step]
                return [label(target)] + path[::-1]
            for j in reads(k):
                if j not in parent and j >= target:
                    parent[j] = k
                    stack.append(j)
        return None

    def _layer(self, kind: str, item: Node, fields: dict[str, Node], scope: _Scope, local: str,
               reads: tuple[str, ...], normalized: tuple[Attrs, str | None] | None, shares: str | None = None
               ) -> tuple[str, tuple[Attrs, str | None]]:
        """Add one layer (and the activation layer its ``activation:`` field asks for); return its
        output. ``normalized`` is (attributes, fused activation) of the previous repetition of the
        same item (the same fields with the same parameter values, so they are normalized once)."""
        self.count += 1
        if self.count > MAX_LAYERS:
            raise self._too_many(item.location, f"this layer would be layer {self.count:,}")
        layer = KINDS[kind]
        full = scope.prefix + local
        if full in self.full_names:
            where = fields["name"].location if "name" in fields else item.location
            raise SpecError(Problem("E401", f"layer name '{full}' is used twice", where))
        if len(reads) < layer.min_inputs or (layer.max_inputs is not None and len(reads) > layer.max_inputs):
            if layer.max_inputs is None:
                expected = f"at least {layer.min_inputs} inputs"
            else:
                expected = f"exactly {layer.min_inputs} input" + ("s" if layer.min_inputs != 1 else "")
            raise SpecError(Problem("E204", f"{kind} '{full}' takes {expected}, got {len(reads)}",
                                    fields["inputs"].location if "inputs" in fields else item.location,
                                    "list them with 'inputs: [a, b]'" if layer.min_inputs > 1 else None))
        if normalized is None:
            values = scope.values
            if not SHAPE_NAMES.isdisjoint(self._words(item, fields)):  # a field reads its input's shape
                values = self._shaped_values(values, reads[0])
            memo_key = self._memo_key(item, fields, scope, values)
            normalized = self.attrs_memo.get(memo_key)
            if normalized is None:
                normalized = _normalized(kind, fields, scope, full, values)
                if len(self.attrs_memo) >= MEMO_LIMIT:
                    self.attrs_memo.clear()
                self.attrs_memo[memo_key] = normalized
        attrs, activation = normalized
        self.full_names.add(full)
        if POISON in reads or ("shape", id(item)) in self.broken:
            # an input failed, or a field is unknown (reported): the fields were checked, the shapes
            # cannot be
            self.poisoned = True
            return POISON, normalized
        locations = self._locations.get(id(item))
        if locations is None:  # shared by the repetitions of one item
            locations = self._locations[id(item)] = {key: node.location for key, node in fields.items()}
        if shares is not None:
            self._check_shared(kind, attrs, shares, full, fields["shares"])
        self.nodes.append(LayerNode(full, kind, attrs, reads, item.location, locations, shares))
        if activation is not None:
            return self._activation(activation, kind, fields, scope, local, full), normalized
        return full, normalized

    def _activation(self, activation: str, kind: str, fields: dict[str, Node], scope: _Scope, local: str,
                    reads: str) -> str:
        """The layer of a fused ``activation: relu`` after layer ``reads``: ``<name>_relu``."""
        name = f"{local}_{activation}"
        full = scope.prefix + name
        where = fields["activation"].location
        if full in self.full_names or name in scope.names:
            first = self._declared(scope.items).get(name)
            raise SpecError(Problem("E401", f"{kind} '{reads}': activation: {activation} makes a layer named "
                                            f"'{full}', but that name is used"
                                            + (f" (line {scope.items[first].location.line})" if first is not None
                                               else ""), where,
                                    "rename that layer, or write the activation as a layer of its own"))
        self.count += 1
        if self.count > MAX_LAYERS:
            raise self._too_many(where, f"this layer would be layer {self.count:,}")
        self.full_names.add(full)
        scope.names[name] = full  # so that a later layer of that name is E401
        self.activations[full] = where
        self.nodes.append(LayerNode(full, activation, NO_ATTRS, (reads,), where))
        return full

    def _read(self, names: frozenset[str], scope: _Scope) -> None:
        """Note that what is being built reads ``names`` in ``scope`` (a block's own parameters
        hide the spec's parameters of the same names)."""
        if names:
            self.used.update(names - scope.own if scope.own else names)

    def _words(self, item: Node, fields: dict[str, Node]) -> tuple[str, ...]:
        """The names a layer item's fields read (not its item keys), sorted; found once per item."""
        words = self._names.get(id(item))
        if words is None:
            words = self._names[id(item)] = tuple(sorted(set().union(
                *(names_read(node) for key, node in fields.items() if key not in ITEM_KEYS))))
        return words

    def _memo_key(self, item: Node, fields: dict[str, Node], scope: _Scope, values: Mapping[str, Value]) -> tuple:
        """What a layer item's normalized fields depend on: the item and the values of the names its
        fields read (which are noted as read, as evaluating them would), shape names included."""
        words = self._words(item, fields)
        self._read(frozenset(words), scope)
        return (id(item),) + tuple(values[word] if word in values else None for word in words)

    def _block(self, kind: str, item: Node, fields: dict[str, Node], scope: _Scope, local: str,
               reads: tuple[str, ...], block_stack: tuple[str, ...]) -> str:
        block = self.spec.blocks[kind]
        if kind in block_stack:
            raise SpecError(Problem("E406", f"block '{kind}' instantiates itself "
                                            f"({' -> '.join(block_stack + (kind,))})",
                                    item.location, "a block cannot contain itself, directly or through other blocks"))
        if len(reads) != 1:
            raise SpecError(Problem("E204", f"block '{kind}' takes exactly 1 input, got {len(reads)}",
                                    fields["inputs"].location if "inputs" in fields else item.location))
        own: dict[str, Value] = {}
        # what the instance sees: its own parameters over the spec's (a default sees those above it)
        values = dict(self.values) if block.parameters else self.values
        full = scope.prefix + local
        problems = []
        for param, default in block.parameters:
            try:
                if param in fields:
                    read = names_read(fields[param])
                    self._read(read, scope)
                    given = scope.values if SHAPE_NAMES.isdisjoint(read) else self._shaped_values(scope.values,
                                                                                                  reads[0])
                    values[param] = own[param] = _argument(fields[param], given, f"block '{kind}' '{full}': {param}")
                elif default is not None:
                    read = names_read(default)
                    self.used.update(read - own.keys())
                    seen = values if SHAPE_NAMES.isdisjoint(read) else self._shaped_values(values, reads[0])
                    values[param] = own[param] = _argument(default, seen,
                                                           f"block '{kind}' '{full}': default of {param}")
            except SpecError as error:
                problems.extend(error.problems)
                values[param] = own[param] = POISONED
                self.poisoned = True
        self.problems.extend(problems)
        prefix = full + "/"
        if problems:
            return self.expand(block.layers, _Scope(prefix, reads[0], values, frozenset(own),
                                                    _arguments(block.parameters, fields, scope)),
                               block_stack + (kind,))
        key: tuple = (kind, tuple(own.items()), tuple([self.values[name] for name in self._names_under(kind)]))
        if self.memo.block_shapes[kind]:  # a layer of the block reads its input's shape
            key += (_shape_key(self.memo.block_shapes[kind], self._shape_of(reads[0])),)
        template = self.memo.templates.get(key)
        if template is not None and full not in self.prefixes and self.count + len(template.nodes) <= MAX_LAYERS:
            return self._instantiate(template, prefix, reads[0])
        fresh = full not in self.prefixes
        self.prefixes.add(full)
        start, problems_before, removed_before = len(self.nodes), len(self.problems), len(self.removed)
        instances_before = len(self.instances)
        outer_used = self.used
        self.used = set()
        try:
            output = self.expand(block.layers, _Scope(prefix, reads[0], values, frozenset(own),
                                                      _arguments(block.parameters, fields, scope)),
                                 block_stack + (kind,))
        finally:
            used, self.used = self.used, outer_used
            outer_used |= used
        if (fresh and template is None and not self.poisoned and len(self.problems) == problems_before
                and len(self.removed) == removed_before and len(self.memo.templates) < MEMO_LIMIT):
            template = _template(self.nodes[start:], prefix, reads[0], output, used, self.instances[instances_before:])
            if template is not None:
                self.memo.templates[key] = template
        return output

    def _instantiate(self, template: _Template, prefix: str, input_name: str) -> str:
        """Add the nodes of a block instance made from ``template``; return its output."""
        new, names = tuple.__new__, []  # (tuple.__new__: a LayerNode without the call of its __new__; every
        # field given, shares None: a block whose layers share weights has no template)
        for name, kind, attrs, inputs, location, locations in template.nodes:
            reads: tuple[str, ...]
            if len(inputs) == 1:
                reads = (input_name,) if inputs[0] is None else (prefix + inputs[0],)
            else:
                reads = tuple([input_name if read is None else prefix + read for read in inputs])
            name = prefix + name
            names.append(name)
            self.nodes.append(new(LayerNode, (name, kind, attrs, reads, location, locations, None)))
        self.full_names.update(names)
        self.count += len(names)
        self.prefixes.add(prefix[:-1])
        self.used |= template.used
        for name, kind, where, output in template.instances:
            inner_output = input_name if output is None else prefix + output
            self.instances.append((prefix + name, Instance(kind, where, inner_output)))
        return input_name if template.output is None else prefix + template.output

    def _names_under(self, kind: str | None) -> tuple[str, ...]:
        """The spec's parameters that an instance of block ``kind`` (None: the spec's layers) may read,
        in its fields, its defaults and the blocks it uses, whatever its own parameter values are."""
        found = self.memo.block_names.get(kind)
        if found is None:
            seen, stack, names, mixes = {kind}, [kind], set[str](), False
            while stack:
                current = stack.pop()
                block = self.spec.blocks[current] if current is not None else None
                for _, default in block.parameters if block else ():
                    if default is not None:
                        names |= names_read(default)
                for item in block.layers if block else self.spec.layers:
                    if item.is_mapping:  # its fields, repeat and block arguments; not its kind, name, inputs
                        for key, node in item.value.items():
                            if key not in ("kind", "name", "inputs"):
                                names |= names_read(node)
                    inner, _ = item_kind(item)
                    mixes = mixes or inner in _MIXING_KINDS
                    if inner in self.spec.blocks and inner not in seen:
                        seen.add(inner)
                        stack.append(inner)
            declared = set(self.spec.parameter_names)
            found = self.memo.block_names[kind] = tuple(sorted(names & declared))
            shape_names = SHAPE_NAMES & names
            self.memo.block_shapes[kind] = ("channels" if shape_names == {"in_channels"} and not mixes
                                            else bool(shape_names))
        return found


def _argument(node: Node, values: Mapping[str, Value], what: str) -> Value:
    """A block parameter's value, given at the use or by its default: as a spec parameter's, a
    number, an expression or a condition, and ``true``/``false`` written in YAML is 1 or 0."""
    if isinstance(node.value, bool):
        return int(node.value)
    return number(node, values, what, conditions=True)


# kinds whose output channels depend on the spatial sizes of their input
_MIXING_KINDS = frozenset(("flatten", "reshape"))


def _shape_key(reads: bool | str, shape: Shape | None) -> object:
    """What of an input's shape decides what a block (or the spec's layers) builds: its rank and
    channels when only in_channels is read ("channels": a sweep over the resolution then reuses the
    blocks), else the whole shape."""
    if reads == "channels" and shape:
        return (len(shape), shape[-1])
    return shape


def _template(nodes: list[LayerNode], prefix: str, input_name: str, output: str, used: set[str],
              instances: list[tuple[str, Instance]]) -> _Template | None:
    """The template of a block instance made of ``nodes`` under ``prefix``, or None if a node's name or
    input is not the instance's (which a block instance that built without a problem never has)."""
    cut = len(prefix)
    entries = []
    for node in nodes:
        if not node.name.startswith(prefix) or node.shares is not None:  # (shared weights: built each time)
            return None
        inputs: list[str | None] = []
        for read in node.inputs:
            if read == input_name:
                inputs.append(None)
            elif read.startswith(prefix):
                inputs.append(read[cut:])
            else:
                return None
        entries.append((node.name[cut:], node.kind, node.attrs, tuple(inputs), node.location, node.field_locations))
    if output == input_name:
        suffix = None
    elif output.startswith(prefix):
        suffix = output[cut:]
    else:
        return None
    inner: list[tuple[str, str, Location, str | None]] = []
    for name, (kind, where, inner_output) in instances:
        if inner_output == input_name:
            inner.append((name[cut:], kind, where, None))
        elif inner_output.startswith(prefix):
            inner.append((name[cut:], kind, where, inner_output[cut:]))
        else:  # pragma: no cover - an instance inside reads only what its block instance has
            return None
    return _Template(tuple(entries), suffix, frozenset(used), tuple(inner))


def _arguments(parameters, fields: dict[str, Node], scope: _Scope) -> dict[str, Node] | None:
    """The parameters of a block instance given at its use -> the value written there: where a
    problem in the block's layers that comes from those values alone is reported. A value that
    is itself one of the arguments of the block the use is in is followed to that block's use."""
    arguments = {}
    for param, _ in parameters:
        if param in fields:
            node = fields[param]
            outer = _argument_read(node, scope)
            arguments[param] = outer if outer is not None else node
    return arguments or None


def _argument_read(node: Node, scope: _Scope) -> Node | None:
    """The use-site value of the first block argument of ``scope`` that ``node`` reads, if what
    it reads are only the block's own parameters (a value that also reads a spec parameter is
    wrong, or not, in the block itself)."""
    if not scope.arguments:
        return None
    read = names_read(node)
    if not read or any(name in scope.values for name in read - scope.own):
        return None
    return next((given for param, given in scope.arguments.items() if param in read), None)


def _from_arguments(problems: list[Problem], node: Node, scope: _Scope) -> list[Problem]:
    """The problems of a field ``node`` of a layer in a block, placed at the block argument they
    come from when its value is computed from the block's arguments alone, and saying where in
    the block it is used; else as they are."""
    given = _argument_read(node, scope)
    if given is None:
        return problems
    moved = []
    for problem in problems:
        used = problem.location or node.location
        moved.append(Problem(problem.code, f"{problem.message}; it comes from the block argument written here, "
                                           f"used in the block at line {used.line}, column {used.column}",
                             given.location, problem.hint))
    return moved


def _normalized(kind: str, fields: dict[str, Node], scope: _Scope, full: str,
                values: Mapping[str, Value]) -> tuple[Attrs, str | None]:
    """A layer item's attributes and the activation its ``activation:`` field fuses (None if none), from
    its fields (or their defaults) and ``values`` (the parameter values of ``scope``, and the shape
    names when a field reads them); SpecError with every problem."""
    layer = KINDS[kind]
    attrs: dict = {}
    problems, failed = [], False
    for field_name, spec in layer.fields.items():
        if field_name in fields:
            try:
                attrs[field_name] = normalize(spec, fields[field_name], values, f"{kind} '{full}': {field_name}")
            except SpecError as error:  # (no problems: it read a broken parameter)
                problems.extend(_from_arguments(error.problems, fields[field_name], scope)
                                if scope.arguments else error.problems)
                failed = True
        else:
            attrs[field_name] = _default(spec)
    if failed:
        raise SpecError(problems)
    fused = [attrs.pop(name) for name, spec in layer.fields.items() if spec.type == "activation"]
    # where a layer item's attributes are made (an 'activation:' layer's are NO_ATTRS)
    return layer.make_attrs(attrs), (fused[0] if fused else None)


def _default(spec: Field):
    if spec.type == "size" and isinstance(spec.default, int):
        return (spec.default,) * spec.rank
    return spec.default
