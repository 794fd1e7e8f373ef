"""A spec file -> a validated :class:`Spec` -> a layer :class:`~convcost.graph.Graph`.

Loading (reading, YAML, structure: sections, kinds, field names, block definitions) happens once;
:meth:`Spec.build` then evaluates parameters with any overrides, expands blocks and ``repeat`` and
normalizes every field. A sweep builds one parsed spec many times without touching the file again.

Every problem is collected with its location; a phase that found any raises one SpecError with all
of them, so a user sees every independent mistake in one run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Mapping

from convcost.errors import Location, Problem, SpecError, did_you_mean
from convcost.graph import INPUT, Graph, LayerNode
from convcost.layers import KINDS, Attrs, Field
from convcost.spec.expressions import Number, evaluate, parse_expression
from convcost.spec.fields import normalize, number, whole
from convcost.spec.source import Node, parse_yaml, read_text

MAX_LAYERS = 100_000
SECTIONS = ("name", "description", "parameters", "input", "blocks", "layers", "budget")
ITEM_KEYS = ("kind", "name", "inputs", "repeat")  # keys every layer item may have besides its fields
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
SHIPPED = Path(__file__).resolve().parent.parent / "specs"


@dataclass
class BlockDef:
    name: str
    parameters: list[tuple[str, Node | None]]  # (name, default node or None when required)
    layers: list[Node]
    location: Location


@dataclass
class Spec:
    """A parsed and structurally checked spec; :meth:`build` turns it into a graph."""

    path: str
    name: str
    description: str
    parameters: list[tuple[str, Node]]
    input: Node
    blocks: dict[str, BlockDef]
    layers: list[Node]
    budget: Node | None = None
    root: Node | None = field(default=None, repr=False)

    @property
    def parameter_names(self) -> list[str]:
        return [name for name, _ in self.parameters]

    def resolve_parameters(self, overrides: Mapping[str, object] | None = None) -> dict[str, Number]:
        """Parameter values in order, each default evaluated with the values before it; an override
        (a number, or an expression string as given to ``--set``) replaces a default."""
        overrides = dict(overrides or {})
        unknown = [name for name in overrides if name not in self.parameter_names]
        problems = [Problem("E304", f"--set {name}: this spec has no parameter '{name}'", None,
                            did_you_mean(name, self.parameter_names)
                            or ("parameters: " + ", ".join(self.parameter_names) if self.parameters
                                else "this spec declares no parameters"))
                    for name in unknown]
        if problems:
            raise SpecError(problems)
        values: dict[str, Number] = {}
        for name, node in self.parameters:
            if name in overrides:
                values[name] = _override_value(name, overrides[name], values)
            else:
                values[name] = _parameter_value(name, node, values)
        return values

    def build(self, overrides: Mapping[str, object] | None = None) -> Graph:
        """The layer graph for these parameter values (SpecError with every problem found)."""
        values = self.resolve_parameters(overrides)
        builder = _Builder(self, values)
        input_shape = builder.input_shape()
        builder.expand(self.layers, _Scope(prefix="", input_name=INPUT, values=values), block_stack=())
        if builder.problems:
            raise SpecError(builder.problems)
        if not builder.nodes:
            raise SpecError(Problem("E203", "the spec has no layers", self.input.location))
        shown = {k: (float(v) if isinstance(v, Fraction) else v) for k, v in values.items()}
        return Graph(self.name, input_shape, shown, tuple(builder.nodes), self.path, self.budget)


def _parameter_value(name: str, node: Node, earlier: dict[str, Number]) -> Number:
    if isinstance(node.value, bool):
        return int(node.value)
    return number(node, earlier, f"parameter '{name}'")


def _override_value(name: str, value: object, earlier: dict[str, Number]) -> Number:
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Fraction(str(value))
    text = str(value).strip()
    where = Location(f"--set {name}", 1, 1)
    try:
        return evaluate(parse_expression(text, where), earlier, where)
    except SpecError as error:
        raise SpecError([Problem("E304", f"--set {name}={text}: {p.message}", None, p.hint)
                         for p in error.problems]) from None


# --- loading ------------------------------------------------------------------------------------

def load(source: str | Path, *, text: str | None = None) -> Spec:
    """Read and check a spec: ``source`` is a path, ``-`` for standard input, or the name of a
    shipped spec (``mobilenet``); with ``text``, ``source`` only names it in messages."""
    path = str(source)
    if text is None:
        path = resolve_path(path)
        text = read_text(path)
    return _parse(parse_yaml(text, path), path)


def loads(text: str, path: str = "<text>") -> Spec:
    """Check a spec given as YAML text."""
    return load(path, text=text)


def resolve_path(name: str) -> str:
    """A path as given, or the shipped spec of that name (``mobilenet`` -> specs/mobilenet.yaml)."""
    if name == "-" or Path(name).exists() or "/" in name or "\\" in name:
        return name
    for candidate in (SHIPPED / name, SHIPPED / f"{name}.yaml"):
        if candidate.is_file():
            return str(candidate)
    return name  # read_text reports that it does not exist


def shipped_specs() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def _parse(root: Node, path: str) -> Spec:
    problems: list[Problem] = []
    if not root.is_mapping:
        raise SpecError(Problem("E104", f"the top level of a spec must be a mapping with 'input' and 'layers', "
                                        f"got {type(root.value).__name__ if root.value is not None else 'nothing'}",
                                root.location))
    sections = root.value
    for key in sections:
        if key not in SECTIONS:
            problems.append(Problem("E200", f"unknown section '{key}'", root.key_locations[key],
                                    did_you_mean(key, SECTIONS) or "sections: " + ", ".join(SECTIONS)))
    for key in ("input", "layers"):
        if key not in sections:
            problems.append(Problem("E203", f"missing section '{key}'", root.location,
                                    "a spec needs 'input: [H, W, C]' and a 'layers:' list"))
    name = _text(sections.get("name"), Path(path).stem if path not in ("-", "<text>") else "network",
                 "name", problems)
    description = _text(sections.get("description"), "", "description", problems)
    parameters = _parameters(sections.get("parameters"), problems)
    blocks = _blocks(sections.get("blocks"), problems)
    layers = _layer_list(sections.get("layers"), "layers", problems) if "layers" in sections else []
    for block in blocks.values():
        _check_items(block.layers, blocks, problems)
    _check_items(layers, blocks, problems)
    if problems:
        raise SpecError(problems)
    return Spec(path, name, description, parameters, sections["input"], blocks, layers, sections.get("budget"), root)


def _text(node: Node | None, default: str, what: str, problems: list[Problem]) -> str:
    if node is None:
        return default
    if not isinstance(node.value, (str, int, Fraction)) or isinstance(node.value, bool):
        problems.append(Problem("E204", f"'{what}' must be text", node.location))
        return default
    return str(node.value)


def _names_mapping(node: Node | None, what: str, problems: list[Problem]) -> list[tuple[str, Node, Location]]:
    if node is None or node.value is None:
        return []
    if not node.is_mapping:
        problems.append(Problem("E204", f"'{what}' must be a mapping of names to values", node.location))
        return []
    result = []
    for key, value in node.value.items():
        where = node.key_locations[key]
        if not NAME_PATTERN.match(key) or key == INPUT:
            problems.append(Problem("E207", f"'{key}' is not a valid {what} name", where,
                                    "names start with a letter or _ and hold letters, digits, _ . -; "
                                    "'input' is reserved"))
            continue
        result.append((key, value, where))
    return result


def _parameters(node: Node | None, problems: list[Problem]) -> list[tuple[str, Node]]:
    result = []
    for name, value, where in _names_mapping(node, "parameters", problems):
        if "." in name or "-" in name:
            problems.append(Problem("E207", f"parameter name '{name}' cannot be used in expressions", where,
                                    "use letters, digits and _"))
            continue
        if value.value is None or isinstance(value.value, (dict, list)):
            problems.append(Problem("E204", f"parameter '{name}' needs a number or an expression as its default",
                                    value.location))
            continue
        result.append((name, value))
    return result


def _blocks(node: Node | None, problems: list[Problem]) -> dict[str, BlockDef]:
    blocks: dict[str, BlockDef] = {}
    for name, value, where in _names_mapping(node, "block", problems):
        if name in KINDS:
            problems.append(Problem("E207", f"block '{name}' has the name of a layer kind", where,
                                    "give the block another name"))
            continue
        if not value.is_mapping:
            problems.append(Problem("E204", f"block '{name}' must be a mapping with 'parameters' and 'layers'",
                                    value.location))
            continue
        for key in value.value:
            if key not in ("parameters", "layers", "description"):
                problems.append(Problem("E202", f"block '{name}': unknown field '{key}'", value.key_locations[key],
                                        did_you_mean(key, ("parameters", "layers", "description"))
                                        or "a block has 'parameters', 'layers' and optionally 'description'"))
        params = [(p, v if v.value is not None else None)
                  for p, v, _ in _names_mapping(value.value.get("parameters"), "block parameter", problems)]
        if "layers" not in value.value:
            problems.append(Problem("E203", f"block '{name}' has no 'layers'", value.location))
            continue
        layers = _layer_list(value.value["layers"], f"block '{name}' layers", problems)
        blocks[name] = BlockDef(name, params, layers, where)
    return blocks


def _layer_list(node: Node, what: str, problems: list[Problem]) -> list[Node]:
    if not node.is_sequence or not node.value:
        problems.append(Problem("E204", f"'{what}' must be a non-empty list of layers", node.location,
                                "write each layer as '- kind: conv2d' with its fields"))
        return []
    return node.value


def _item_kind(item: Node) -> tuple[str | None, Location]:
    if isinstance(item.value, str):
        return item.value, item.location
    if item.is_mapping and "kind" in item.value and isinstance(item.value["kind"].value, str):
        return item.value["kind"].value, item.value["kind"].location
    return None, item.location


def _check_items(items: list[Node], blocks: dict[str, BlockDef], problems: list[Problem]) -> None:
    """Kinds and field names of layer items (values are checked when the spec is built)."""
    for item in items:
        kind, where = _item_kind(item)
        if kind is None:
            if item.is_mapping and "kind" not in item.value:
                problems.append(Problem("E203", "layer has no 'kind'", item.location,
                                        "write '- kind: conv2d' (or another layer kind or block name)"))
            else:
                problems.append(Problem("E204", "a layer must be a mapping with 'kind' (or just a kind name)",
                                        item.location))
            continue
        if kind not in KINDS and kind not in blocks:
            problems.append(Problem("E201", f"unknown layer kind '{kind}'", where,
                                    did_you_mean(kind, list(KINDS) + list(blocks))
                                    or "see 'convcost kinds' for the layer kinds"))
            continue
        if not item.is_mapping:
            continue
        allowed = (set(KINDS[kind].fields) if kind in KINDS
                   else {p for p, _ in blocks[kind].parameters})
        for key in item.value:
            if key in ITEM_KEYS or key in allowed:
                continue
            what = f"{kind} has no field '{key}'" if kind in KINDS else f"block '{kind}' has no parameter '{key}'"
            problems.append(Problem("E202", what, item.key_locations[key],
                                    did_you_mean(key, allowed | set(ITEM_KEYS))
                                    or ("fields: " + ", ".join(sorted(allowed | set(ITEM_KEYS))))))
        if kind in KINDS:
            for field_name, spec in KINDS[kind].fields.items():
                if spec.required and field_name not in item.value:
                    problems.append(Problem("E203", f"{kind} needs '{field_name}' ({spec.doc})", item.location))
        else:
            for param, default in blocks[kind].parameters:
                if default is None and param not in item.value:
                    problems.append(Problem("E203", f"block '{kind}' needs '{param}'", item.location))


# --- building -----------------------------------------------------------------------------------

@dataclass
class _Scope:
    prefix: str  # "" at the top, "instance/" inside a block instance
    input_name: str  # what 'input' and the first layer read
    values: dict[str, Number]  # parameters visible here
    names: dict[str, str] = field(default_factory=dict)  # local name -> full node name
    counters: dict[str, int] = field(default_factory=dict)

    def auto_name(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind}_{self.counters[kind]}"


class _Builder:
    def __init__(self, spec: Spec, values: dict[str, Number]):
        self.spec = spec
        self.values = values
        self.nodes: list[LayerNode] = []
        self.full_names: set[str] = {INPUT}
        self.problems: list[Problem] = []

    def input_shape(self) -> tuple[int, ...]:
        node = self.spec.input
        if not node.is_sequence or not 1 <= len(node.value) <= 4:
            self.problems.append(Problem("E204", "input must be a list like [H, W, C] (or [D, H, W, C])",
                                         node.location))
            return (1,)
        shape = []
        for item in node.value:
            try:
                shape.append(whole(item, self.values, "input size", minimum=1))
            except SpecError as error:
                self.problems.extend(error.problems)
                shape.append(1)
        return tuple(shape)

    def expand(self, items: list[Node], scope: _Scope, block_stack: tuple[str, ...]) -> str:
        """Add the nodes of ``items``; return the name of the last one (the scope's output)."""
        previous = scope.input_name
        for item in items:
            if len(self.nodes) > MAX_LAYERS:
                self.problems.append(Problem("E406", f"the spec expands to more than {MAX_LAYERS:,} layers",
                                             item.location, "check 'repeat' values and nested blocks"))
                raise SpecError(self.problems)
            try:
                previous = self._item(item, scope, previous, block_stack)
            except SpecError as error:
                self.problems.extend(error.problems)
        return previous

    def _item(self, item: Node, scope: _Scope, previous: str, block_stack: tuple[str, ...]) -> str:
        kind, _ = _item_kind(item)
        fields = item.value if item.is_mapping else {}
        repeat = whole(fields["repeat"], scope.values, "repeat", minimum=0) if "repeat" in fields else 1
        base_name = self._name(fields.get("name"), scope, kind)
        inputs = self._inputs(fields.get("inputs"), scope) if "inputs" in fields else None
        if inputs is not None and repeat > 1:
            raise SpecError(Problem("E205", "a layer with 'inputs' cannot be repeated", fields["repeat"].location,
                                    "repeat a block whose first layer reads 'input' instead"))
        for index in range(repeat):
            local = base_name if base_name and repeat == 1 else (
                f"{base_name}_{index + 1}" if base_name else scope.auto_name(kind))
            reads = inputs if inputs is not None else (previous,)
            if kind in KINDS:
                previous = self._layer(kind, item, fields, scope, local, reads)
            else:
                previous = self._block(kind, item, fields, scope, local, reads, block_stack)
            scope.names[local] = previous
        if base_name:
            scope.names[base_name] = previous
        return previous

    def _name(self, node: Node | None, scope: _Scope, kind: str) -> str | None:
        if node is None:
            return None
        name = node.value
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or name == INPUT:
            raise SpecError(Problem("E207", f"invalid layer name {name!r}", node.location,
                                    "names start with a letter or _ and hold letters, digits, _ . -; "
                                    "'input' is reserved"))
        if name in scope.names:
            raise SpecError(Problem("E401", f"layer name '{name}' is used twice", node.location))
        return name

    def _inputs(self, node: Node, scope: _Scope) -> tuple[str, ...]:
        refs = node.value if node.is_sequence else [node]
        if not refs:
            raise SpecError(Problem("E204", "inputs must name one or more earlier layers", node.location))
        resolved = []
        for ref in refs:
            name = ref.value
            if not isinstance(name, str):
                raise SpecError(Problem("E204", f"inputs must be layer names, got {name!r}", ref.location))
            if name == INPUT:
                resolved.append(scope.input_name)
            elif name in scope.names:
                resolved.append(scope.names[name])
            else:
                known = list(scope.names) + [INPUT]
                later = any(_declares(item, name) for item in self._all_items())
                message = (f"inputs: '{name}' is defined later; a layer can only read earlier layers" if later
                           else f"inputs: no earlier layer is named '{name}'")
                raise SpecError(Problem("E400", message, ref.location, did_you_mean(name, known)))
        return tuple(resolved)

    def _all_items(self):
        yield from self.spec.layers
        for block in self.spec.blocks.values():
            yield from block.layers

    def _layer(self, kind: str, item: Node, fields: dict[str, Node], scope: _Scope, local: str,
               reads: tuple[str, ...]) -> str:
        layer = KINDS[kind]
        full = scope.prefix + local
        if full in self.full_names:
            raise SpecError(Problem("E401", f"layer name '{full}' is used twice", item.location))
        if len(reads) < layer.min_inputs or (layer.max_inputs is not None and len(reads) > layer.max_inputs):
            expected = (f"{layer.min_inputs} or more" if layer.max_inputs is None
                        else str(layer.min_inputs))
            raise SpecError(Problem("E204", f"{kind} takes {expected} input(s), got {len(reads)}",
                                    fields["inputs"].location if "inputs" in fields else item.location,
                                    "list them with 'inputs: [a, b]'" if layer.min_inputs > 1 else None))
        attrs, problems = {}, []
        for field_name, spec in layer.fields.items():
            if field_name in fields:
                try:
                    attrs[field_name] = normalize(spec, fields[field_name], scope.values,
                                                  f"{kind} '{full}': {field_name}")
                except SpecError as error:
                    problems.extend(error.problems)
            else:
                attrs[field_name] = _default(spec)
        if problems:
            raise SpecError(problems)
        locations = {key: node.location for key, node in fields.items()}
        self.nodes.append(LayerNode(full, kind, Attrs(attrs), reads, item.location, locations))
        self.full_names.add(full)
        return full

    def _block(self, kind: str, item: Node, fields: dict[str, Node], scope: _Scope, local: str,
               reads: tuple[str, ...], block_stack: tuple[str, ...]) -> str:
        block = self.spec.blocks[kind]
        if kind in block_stack:
            raise SpecError(Problem("E406", f"block '{kind}' instantiates itself ({' -> '.join(block_stack + (kind,))})",
                                    item.location, "a block cannot contain itself"))
        if len(reads) != 1:
            raise SpecError(Problem("E204", f"block '{kind}' takes one input, got {len(reads)}", item.location))
        values = dict(self.values)
        for param, default in block.parameters:
            if param in fields:
                values[param] = number(fields[param], scope.values, f"block '{kind}': {param}")
            elif default is not None:
                values[param] = number(default, values, f"block '{kind}': default of {param}")
        inner = _Scope(prefix=scope.prefix + local + "/", input_name=reads[0], values=values)
        return self.expand(block.layers, inner, block_stack + (kind,))


def _declares(item: Node, name: str) -> bool:
    return item.is_mapping and "name" in item.value and item.value["name"].value == name


def _default(spec: Field):
    if spec.type == "size" and isinstance(spec.default, int):
        return (spec.default,) * spec.rank
    return spec.default
