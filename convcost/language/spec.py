"""A spec as data: its sections, parameters, block definitions and layer items, structurally checked.

:func:`check` turns a composed YAML document (:mod:`convcost.language.source`) into a :class:`Spec`
and the problems of its structure: unknown or missing sections, names, block definitions, every
layer item's kind and field names. Nothing here evaluates a value: parameters are resolved by
:mod:`convcost.language.parameters` and the graph is built by :func:`convcost.language.build.build`,
which read a Spec and never change it.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, NamedTuple

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean, names
from convcost.graph import INPUT
from convcost.language.expressions import SHAPE_NAMES, parse_expression, unknown_names
from convcost.language.fields import show, text_location, yaml_1_1_error
from convcost.language.source import STDIN, DateText, Node, Yaml11Text
from convcost.layers import KINDS

if TYPE_CHECKING:
    from convcost.graph import Graph

SECTIONS = ("name", "description", "parameters", "input", "blocks", "layers", "budget", "inputs", "outputs")
ITEM_KEYS = ("kind", "name", "inputs", "repeat", "when", "shares")  # keys every layer item may have besides its fields
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
SHIPPED = Path(__file__).resolve().parent.parent / "zoo"  # the shipped networks: specs/ at the top level


class BlockDef(NamedTuple):
    name: str
    parameters: list[tuple[str, Node | None]]  # (name, default node or None when required)
    layers: list[Node]
    location: Location


class Spec:
    """A parsed and structurally checked spec: plain data, never changed once made. Build it into a
    graph with :func:`convcost.language.build.build` (or :meth:`build`)."""

    def __init__(self, path: str, name: str, description: str, parameters: list[tuple[str, Node]], input: Node,
                 blocks: dict[str, BlockDef], layers: list[Node], budget: Node | None = None,
                 root: Node | None = None, broken: frozenset = frozenset(),
                 named_inputs: tuple[tuple[str, Node], ...] = (), outputs: Node | None = None):
        self.path, self.name, self.description = path, name, description
        self.parameters = parameters
        self.input = input
        self.blocks = blocks
        self.layers = layers
        self.budget = budget
        self.root = root
        # Parts already reported as broken while loading (only in a spec that failed to load, while
        # collecting its other problems): ("item", id(node)) cannot be built, ("shape", id(node)) has
        # an unknown field so its output shape is uncertain, ("block", name), ("parameter", name),
        # ("input",), ("layers",).
        self.broken = broken
        # 'inputs: {image: [224, 224, 3], …}': the named inputs, in order (then ``input`` is the first's
        # shape node); () for a spec with one 'input:'
        self.named_inputs = named_inputs
        # the names layers read the network's inputs by: 'input', or those of 'inputs:'
        self.input_names: tuple[str, ...] = tuple(name for name, _ in named_inputs) or (INPUT,)
        self.outputs = outputs  # the 'outputs:' list as written (None: the last layer is the output)

    def __repr__(self) -> str:
        return f"Spec({self.name!r}, {self.path!r})"

    def named_inputs_names(self) -> tuple[str, ...]:
        """The names of 'inputs:' (() for a spec with one 'input:')."""
        return tuple(name for name, _ in self.named_inputs)

    @property
    def parameter_names(self) -> list[str]:
        return [name for name, _ in self.parameters]

    def build(self, overrides: Mapping[str, object] | None = None) -> "Graph":
        """``convcost.language.build.build(self, overrides)``: the layer graph for these parameter
        values. A convenience for the Python API; the building itself is that one function."""
        from convcost.language.build import build  # build reads Spec: the module is imported on use

        return build(self, overrides)

    def in_blocks(self, location: Location) -> bool:
        """Whether ``location`` lies in the ``blocks`` section: a problem there recurs in every
        instance of its block, and :func:`~convcost.errors.finish` reports it once, with a count."""
        root = self.root
        if root is None or not root.is_mapping or "blocks" not in root.value:
            return False
        start = root.key_locations["blocks"]
        after = [where for where in root.key_locations.values()
                 if (where.line, where.column) > (start.line, start.column)]
        end = min(after, key=lambda where: (where.line, where.column), default=None)
        return (location.path == start.path and (location.line, location.column) >= (start.line, start.column)
                and (end is None or (location.line, location.column) < (end.line, end.column)))


def check(root: Node, path: str) -> tuple[Spec, list[Problem]]:
    """The :class:`Spec` of a composed YAML document and the structural problems found in it: the
    sections, the block definitions, every layer item's kind and field names (field values are
    checked when the spec is built). With problems, ``Spec.broken`` says which parts cannot be
    built, so that building the rest with the defaults finds what else is wrong without reporting
    these again."""
    problems: list[Problem] = []
    broken: set = set()
    if not root.is_mapping:
        got = {list: "a list", str: "text", type(None): "nothing", bool: "a boolean"}.get(type(root.value), "a number")
        raise SpecError(Problem("E104", f"the top level of a spec must be a mapping with 'input' and 'layers', "
                                        f"got {got}", root.location,
                                "write 'input: [224, 224, 3]' and 'layers:' at the start of lines"))
    sections = root.value
    missing = [key for key in ("input", "layers")
               if key not in sections and not (key == "input" and "inputs" in sections)]
    unknown = []
    for key in sections:
        if key not in SECTIONS:
            hint = did_you_mean(key, SECTIONS)
            message = f"unknown section {clip(key)}"
            for wanted in missing:
                if hint is not None and hint == did_you_mean(key, [wanted]):  # a typo of a required section
                    missing.remove(wanted)
                    message += f" (and '{wanted}' is missing)"
                    break
            unknown.append((hint, Problem("E200", message, root.key_locations[key],
                                          hint or "sections: " + ", ".join(SECTIONS))))
    needs = "a spec needs 'input: [H, W, C]' and a 'layers:' list"
    if len(missing) == 2 and all(hint is None for hint, _ in unknown) and not set(sections) & set(SECTIONS):
        # no section of a spec, nor a misspelled one: another kind of YAML file, one message
        keys = ("its top-level keys are " + names(clip(key, 20)[1:-1] for key in sections) + "; " if sections
                else "")
        problems.append(Problem("E203", "missing sections 'input' and 'layers': this file does not look like a "
                                        "convcost spec", root.location,
                                f"{keys}{needs}, like the shipped {SHIPPED / 'seed_standard.yaml'}"))
    else:
        problems.extend(problem for _, problem in unknown)
        if missing:
            problems.append(Problem("E203", "missing section" + ("s " if len(missing) > 1 else " ")
                                    + " and ".join(f"'{key}'" for key in missing), root.location, needs))
    named_inputs = _named_inputs(root, problems, broken) if "inputs" in sections else ()
    if "input" not in sections and not named_inputs:
        broken.add(("input",))
    name = _text(sections.get("name"), Path(path).stem if path not in (STDIN, "<text>") else "network",
                 "name", problems)
    description = _text(sections.get("description"), "", "description", problems)
    parameters = _parameters(sections.get("parameters"), problems, broken)
    blocks, bad_blocks = _blocks(sections.get("blocks"), problems, [p for p, _ in parameters])
    bad_blocks |= _recursive_blocks(blocks, problems)
    broken.update(("block", b) for b in bad_blocks)
    layers = _layer_list(sections.get("layers"), "layers", problems) if "layers" in sections else []
    if not layers:
        broken.add(("layers",))
    for block in blocks.values():
        _check_items(block.layers, blocks, bad_blocks, problems, broken)
    _check_items(layers, blocks, bad_blocks, problems, broken)
    spec = Spec(path, name, description, parameters, named_inputs[0][1] if named_inputs else sections.get("input"),
                blocks, layers, sections.get("budget"), root, frozenset(broken) if problems else frozenset(),
                named_inputs, sections.get("outputs"))
    return spec, problems


def _named_inputs(root: Node, problems: list[Problem], broken: set) -> tuple[tuple[str, Node], ...]:
    """The ``inputs:`` section: names -> shapes (each checked as ``input`` is, when the spec is built)."""
    sections = root.value
    if "input" in sections:
        problems.append(Problem("E212", "a spec has 'input' (one input) or 'inputs' (named inputs), not both",
                                root.key_locations["inputs"], "keep one of them"))
        return ()
    found = tuple((name, value) for name, value, _ in _names_mapping(sections["inputs"], "input", problems,
                                                                     section="inputs"))
    if not found and sections["inputs"].is_mapping and not sections["inputs"].value:
        problems.append(Problem("E204", "'inputs' must name at least one input, as in inputs: {image: [224, 224, 3]}",
                                sections["inputs"].location))
    if not found:
        broken.add(("input",))
    return found


def _text(node: Node | None, default: str, what: str, problems: list[Problem]) -> str:
    if node is None:
        return default
    if not isinstance(node.value, (str, int, Fraction)) or isinstance(node.value, bool):
        problems.append(Problem("E204", f"'{what}' must be text, got {show(node.value)}", node.location))
        return default
    return str(node.value)


def _names_mapping(node: Node | None, what: str, problems: list[Problem],
                   invalid: list[str] | None = None, section: str = "") -> list[tuple[str, Node, Location]]:
    if node is None or node.value is None:
        return []
    if not node.is_mapping:
        problems.append(Problem("E204", f"'{section or what}' must be a mapping of names to values, got "
                                        f"{show(node.value)}", node.location))
        return []
    result = []
    for key, value in node.value.items():
        where = node.key_locations[key]
        if not NAME_PATTERN.match(key) or key == INPUT:
            problems.append(Problem("E207", f"{clip(key)} is not a valid {what} name", where,
                                    "names start with a letter or _ and hold letters, digits, _ . -; "
                                    "'input' is reserved"))
            if invalid is not None:
                invalid.append(key)
            continue
        result.append((key, value, where))
    return result


def _parameters(node: Node | None, problems: list[Problem], broken: set) -> list[tuple[str, Node]]:
    result: list[tuple[str, Node]] = []
    for name, value, where in _names_mapping(node, "parameter", problems, section="parameters"):
        if name in SHAPE_NAMES:
            problems.append(_shape_name_problem(f"parameter '{name}'", name, where))
            broken.add(("parameter", name))
            continue
        if "." in name or "-" in name:
            problems.append(Problem("E207", f"parameter name '{name}' cannot be used in expressions", where,
                                    "use letters, digits and _"))
            continue
        if value.value is None or isinstance(value.value, (dict, list)):
            got = "nothing" if value.value is None else show(value.value)
            problems.append(Problem("E204", f"parameter '{name}' needs a number or an expression as its default, "
                                            f"got {got}", value.location))
            broken.add(("parameter", name))
        else:
            declared = [p for p, _ in result]
            found = _default_problems(f"parameter '{name}'", value, declared, name, _declared_names(node))
            if found:
                problems.extend(found)
                broken.add(("parameter", name))
        result.append((name, value))
    return result


def _shape_name_problem(what: str, name: str, where: Location) -> Problem:
    """E210: a parameter named like a shape name, which a layer's fields read as its input's size."""
    return Problem("E210", f"{what} is named like a shape name: in a layer's fields and a block's defaults "
                           f"'{name}' is a size of the layer's input, so no parameter may have that name", where,
                   f"rename the parameter (for example 'block_{name}'); shape names: " + ", ".join(sorted(SHAPE_NAMES)))


def _declared_names(node: Node | None) -> set[str]:
    return set(node.value) if node is not None and node.is_mapping else set()


def _default_problems(what: str, node: Node, above: list[str], name: str | None = None,
                      declared: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    """The problems of a default that show without evaluating it: a YAML 1.1 form (E208), a date,
    an expression outside the whitelist (E300, E302), a name it cannot read (E301). Found at load,
    so that a default which ``--set`` (or every instance of a block) replaces, and which is then
    never evaluated, is still checked. ``above`` are the names it may read; ``name`` is the
    parameter's own (a spec parameter, which cannot use itself or one ``declared`` below it)."""
    value = node.value
    if isinstance(value, Yaml11Text):
        return yaml_1_1_error(node, what, "a number or an expression").problems
    if isinstance(value, DateText):
        return [Problem("E204", f"{what} must be a number or an expression, got the date {value}", node.location,
                        "quote it if you meant the expression")]
    if not isinstance(value, str):
        return []
    where = text_location(node)
    try:
        expression = parse_expression(value, where, node)
    except SpecError as error:
        return [Problem(p.code, f"{what}: {p.message}", p.location, p.hint) for p in error.problems]
    for used in sorted(expression.names):
        if used == name:
            return [Problem("E301", f"{what} is defined in terms of itself", node.location,
                            "a parameter can only use the parameters above it")]
        if used in declared and used not in above:
            return [Problem("E301", f"{what} uses '{used}', which is defined below it", node.location,
                            f"move '{used}' above '{name}' in 'parameters'")]
    return [Problem(p.code, f"{what}: {p.message}", p.location, p.hint)
            for p in unknown_names(expression, above, where, node)]


def _blocks(node: Node | None, problems: list[Problem], spec_parameters: list[str]
            ) -> tuple[dict[str, BlockDef], set[str]]:
    blocks: dict[str, BlockDef] = {}
    invalid: list[str] = []
    bad: set[str] = set()
    for name, value, where in _names_mapping(node, "block", problems, invalid, section="blocks"):
        if name in KINDS:
            problems.append(Problem("E207", f"block '{name}' has the name of a layer kind", where,
                                    "give the block another name"))
            continue
        if not value.is_mapping:
            problems.append(Problem("E204", f"block '{name}' must be a mapping with 'parameters' and 'layers', "
                                            f"got {show(value.value)}", value.location))
            bad.add(name)
            continue
        for key in value.value:
            if key not in ("parameters", "layers", "description"):
                problems.append(Problem("E202", f"block '{name}': unknown field {clip(key)}",
                                        value.key_locations[key],
                                        did_you_mean(key, ("parameters", "layers", "description"))
                                        or "a block has 'parameters', 'layers' and optionally 'description'"))
        invalid_params: list[str] = []
        params: list[tuple[str, Node | None]] = []
        for p, v, p_where in _names_mapping(value.value.get("parameters"), "block parameter", problems,
                                            invalid_params, section=f"block '{name}' parameters"):
            if p in ITEM_KEYS:
                problems.append(Problem("E207", f"block '{name}': a parameter cannot be named '{p}'", p_where,
                                        "'kind', 'name', 'inputs', 'repeat', 'when' and 'shares' are keys of every "
                                        "layer item"))
                invalid_params.append(p)
                continue
            if p in SHAPE_NAMES:
                problems.append(_shape_name_problem(f"block '{name}': parameter '{p}'", p, p_where))
                invalid_params.append(p)
                continue
            if v.value is not None:  # a default sees the spec's parameters, the block's above it, its input's shape
                above = spec_parameters + [q for q, _ in params] + sorted(SHAPE_NAMES)
                found = _default_problems(f"block '{name}': default of {p}", v, above)
                if found:
                    problems.extend(found)
                    invalid_params.append(p)
            params.append((p, v if v.value is not None else None))
        if "layers" not in value.value:
            problems.append(Problem("E203", f"block '{name}' has no 'layers'", value.location))
            bad.add(name)
            continue
        layers = _layer_list(value.value["layers"], f"block '{name}' layers", problems)
        if not layers or invalid_params:
            bad.add(name)
        blocks[name] = BlockDef(name, params, layers, where)
    bad.update(invalid)
    return blocks, bad


def _recursive_blocks(blocks: dict[str, BlockDef], problems: list[Problem]) -> set[str]:
    """E406 for each use of a block that closes a cycle of blocks using blocks, found before
    anything is built: a use with ``repeat: 0`` (or a ``repeat`` that a parameter makes 0) is
    one too, since another value would recurse for ever. Returns the blocks on a cycle."""
    state: dict[str, int] = {}  # 1 while its uses are being followed, 2 when done
    on_cycle: set[str] = set()
    for start in blocks:
        if start in state:
            continue
        path, stack = [start], [iter(blocks[start].layers)]
        state[start] = 1
        while stack:
            item = next(stack[-1], None)
            if item is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            kind, where = item_kind(item)
            if kind not in blocks:
                continue
            if state.get(kind) == 1:
                cycle = path[path.index(kind):] + [kind]
                on_cycle.update(cycle)
                problems.append(Problem("E406", f"block '{kind}' instantiates itself ({' -> '.join(cycle)})",
                                        item.location, "a block cannot contain itself, directly or through other "
                                                       "blocks, even with 'repeat: 0'"))
            elif kind not in state:
                state[kind] = 1
                path.append(kind)
                stack.append(iter(blocks[kind].layers))
    return on_cycle


def _layer_list(node: Node, what: str, problems: list[Problem]) -> list[Node]:
    if not node.is_sequence or not node.value:
        got = "an empty list" if node.is_sequence else show(node.value)
        problems.append(Problem("E204", f"'{what}' must be a non-empty list of layers, got {got}", node.location,
                                "write each layer as '- kind: conv2d' with its fields"))
        return []
    return node.value


# Names other tools use for convcost's kinds (compared in lower case, without '_' and '-').
_OTHER_NAMES = {
    "conv": "conv2d", "convolution2d": "conv2d", "convolution": "conv2d", "convolution3d": "conv3d",
    "depthwiseconv2d": "depthwise_conv2d", "separableconv2d": "separable_conv2d",
    "batchnormalization": "batch_norm", "batchnorm": "batch_norm", "batchnorm2d": "batch_norm",
    "batchnorm3d": "batch_norm", "bn": "batch_norm", "linear": "dense", "fc": "dense",
    "fullyconnected": "dense", "maxpool2d": "max_pooling2d", "maxpool": "max_pooling2d",
    "avgpool2d": "average_pooling2d", "averagepool2d": "average_pooling2d", "avgpool": "average_pooling2d",
    "maxpool3d": "max_pooling3d", "avgpool3d": "average_pooling3d",
    "globalaveragepooling2d": "global_average_pooling", "globalavgpool2d": "global_average_pooling",
    "adaptiveavgpool2d": "global_average_pooling", "globalmaxpooling2d": "global_max_pooling",
    "adaptivemaxpool2d": "global_max_pooling", "zeropadding2d": "zero_padding2d", "zeropad2d": "zero_padding2d",
    "zeropadding3d": "zero_padding3d", "concatenate": "concat", "cat": "concat", "sum": "add",
}


def _kind_hint(kind: str, blocks) -> str:
    """A did-you-mean for an unknown kind, knowing the names Keras and PyTorch use."""
    folded = kind.lower().replace("_", "").replace("-", "")
    for name in list(KINDS) + list(blocks):
        if name.lower().replace("_", "").replace("-", "") == folded:
            return f"did you mean '{name}'?"
    if folded in _OTHER_NAMES:
        return f"did you mean '{_OTHER_NAMES[folded]}'?"
    return did_you_mean(kind, list(KINDS) + list(blocks)) or "see 'convcost kinds' for the layer kinds"


def item_kind(item: Node) -> tuple[str | None, Location]:
    """The kind (or block) a layer item names and where, or (None, the item's location)."""
    if isinstance(item.value, str):
        return item.value, item.location
    if item.is_mapping and "kind" in item.value and isinstance(item.value["kind"].value, str):
        return item.value["kind"].value, item.value["kind"].location
    return None, item.location


def _check_items(items: list[Node], blocks: dict[str, BlockDef], bad_blocks: set[str], problems: list[Problem],
                 broken: set) -> None:
    """Kinds and field names of layer items (values are checked when the spec is built). Items
    that cannot be built are added to ``broken``."""
    for item in items:
        kind, where = item_kind(item)
        if kind is None:
            broken.add(("item", id(item)))
            problems.append(_kindless(item, blocks))
            continue
        if kind in bad_blocks:
            broken.add(("item", id(item)))  # the block's own problem is reported where it is defined
            continue
        if kind not in KINDS and kind not in blocks:
            broken.add(("item", id(item)))
            problems.append(Problem("E201", f"unknown layer kind {clip(kind)}", where, _kind_hint(kind, blocks)))
            continue
        fields = item.value if item.is_mapping else {}
        allowed = (set(KINDS[kind].fields) if kind in KINDS
                   else {p for p, _ in blocks[kind].parameters})
        missing = ([(f, spec.doc) for f, spec in KINDS[kind].fields.items() if spec.required and f not in fields]
                   if kind in KINDS else
                   [(p, None) for p, default in blocks[kind].parameters if default is None and p not in fields])
        misspelled = set()  # required fields written with a typo: one problem, not two
        fragments: set[str] = set()  # keys of an expression that a comma split, already reported
        for key in fields:
            if key in ITEM_KEYS or key in allowed or key in fragments:
                continue
            what = (f"{kind} has no field {clip(key)}" if kind in KINDS
                    else f"block '{kind}' has no parameter {clip(key)}")
            choices = sorted(allowed | set(ITEM_KEYS))
            split = _split_expression(fields, key)
            if split is not None:
                field_name, expression, keys = split
                fragments.update(keys)
                broken.add(("item", id(item)))  # the value of field_name is cut short
                problems.append(Problem("E202", what, item.key_locations[key],
                                        f"in {{…}} an unquoted comma ends a value, so YAML read {field_name}: "
                                        f"{clip(fields[field_name].value)} and then {names(map(clip, keys))} as "
                                        f"{'keys' if len(keys) > 1 else 'a key'}; quote the expression: "
                                        f'{field_name}: "{expression}"'))
                continue
            hint = did_you_mean(key, choices)
            if key == "activation" and hint is None and kind in KINDS:
                hint = "an activation is a layer of its own: add '- relu' (or softmax, …) after this one"
            for field_name, _ in missing:
                if hint == did_you_mean(key, [field_name]) and hint is not None:
                    misspelled.add(field_name)
                    broken.add(("item", id(item)))
                    what += f" (and '{field_name}' is missing)"
                    break
            problems.append(Problem("E202", what, item.key_locations[key],
                                    hint or ("fields: " + ", ".join(choices))))
            # Probably a misspelled optional field: the layer's shape is uncertain, so what reads it
            # is not shape-checked (a block instance is skipped: its default was used instead).
            broken.add(("shape" if kind in KINDS else "item", id(item)))
        for field_name, doc in missing:
            if field_name in misspelled:
                continue
            broken.add(("item", id(item)))
            owner = kind if kind in KINDS else f"block '{kind}'"
            problems.append(Problem("E203", f"{owner} needs '{field_name}'" + (f" ({doc})" if doc else ""),
                                    item.location,
                                    f"write it as {{kind: {kind}, {field_name}: …}}" if not item.is_mapping else None))


def _kindless(item: Node, blocks: dict[str, BlockDef]) -> Problem:
    """The problem of a layer item that names no kind: a mapping without 'kind', a 'kind' that is
    not a name, or neither a mapping nor a kind name."""
    if item.is_mapping and "kind" not in item.value:
        hint = "write '- kind: conv2d' (or another layer kind or block name)"
        if len(item.value) == 1:  # "- Conv2D: {filters: 32}"
            (key,) = item.value
            guess = _kind_hint(key, blocks)
            if guess.startswith("did you mean"):
                hint = f"write the kind as a field: '- {{kind: {guess[14:-2]}, …}}'"
        return Problem("E203", "layer has no 'kind'", item.location, hint)
    if item.is_mapping:
        return Problem("E204", f"'kind' must be the name of a layer kind or block, got "
                               f"{show(item.value['kind'].value)}", item.value["kind"].location,
                       "see 'convcost kinds' for the layer kinds")
    return Problem("E204", f"a layer must be a mapping with 'kind' (or just a kind name), got "
                           f"{show(item.value)}", item.location,
                   "write each layer as '- kind: conv2d' with its fields")


def _split_expression(fields: dict[str, Node], key: str) -> tuple[str, str, list[str]] | None:
    """An expression that an unquoted comma split in a flow mapping, if ``key`` is a piece of one:
    YAML reads ``{n: min(t - 1, 1)}`` as ``n: 'min(t - 1'`` and a key ``'1)'`` with no value.
    Returns (the field, the expression as meant, the keys that are its pieces): here
    ``('n', 'min(t - 1, 1)', ['1)'])``. A piece starts with a digit or ends with ')' or has
    unbalanced parentheses (a plain word may sit between the field and such a piece)."""
    keys = list(fields)
    start = keys.index(key) - 1
    while start >= 0 and fields[keys[start]].value is None:  # pieces before this one: keys without a value
        start -= 1
    opening = fields[keys[start]].value if start >= 0 else None
    if not isinstance(opening, str) or opening.count("(") <= opening.count(")"):
        return None
    expression, pieces = opening, []
    for piece in keys[start + 1:]:
        if fields[piece].value is not None:
            break
        expression += ", " + piece
        pieces.append(piece)
        if expression.count("(") <= expression.count(")"):  # closed
            break
    if key not in pieces or expression.count("(") != expression.count(")") or not any(
            p[:1].isdigit() or p.endswith(")") or p.count("(") != p.count(")") for p in pieces):
        return None
    return keys[start], expression, pieces

