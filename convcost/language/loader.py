"""A spec file -> a validated :class:`Spec` -> a layer :class:`~convcost.graph.Graph`.

Loading (reading, YAML, structure: sections, kinds, field names, block definitions) happens once;
:meth:`Spec.build` then evaluates parameters with any overrides, expands blocks and ``repeat`` and
normalizes every field. A sweep builds one parsed spec many times without touching the file again.

Every problem is collected with its location, and a run reports every independent mistake in a
file at once: when loading finds structural problems, the spec is still built with its defaults
(skipping the broken parts) and the shapes of what could be built are checked, so that a wrong
field value or a shape mismatch elsewhere is reported in the same run. One mistake is reported
once: what fails only because of it (a layer reading a broken layer, an expression reading a
broken parameter) is skipped silently ("poisoned"), and the same problem in many block instances
is reported once with a count.
"""

from __future__ import annotations

import re
from collections import ChainMap
from fractions import Fraction
from pathlib import Path
from typing import Mapping, NamedTuple

from convcost.errors import Location, Problem, SpecError, clip, did_you_mean, finish, names
from convcost.graph import INPUT, Graph, LayerNode, channels_first_warning, looks_channels_first, shape_problems
from convcost.layers import KINDS, Attrs, Field
from convcost.language.expressions import POISONED, Number, check_magnitude, evaluate, parse_expression
from convcost.language.fields import _show, normalize, number, whole
from convcost.language.source import STDIN, Node, decimal_fraction, parse_yaml, read_text

MAX_LAYERS = 100_000
MEMO_LIMIT = 100_000  # entries of Spec.attrs_memo kept before it starts again
SECTIONS = ("name", "description", "parameters", "input", "blocks", "layers", "budget")
ITEM_KEYS = ("kind", "name", "inputs", "repeat")  # keys every layer item may have besides its fields
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
SHIPPED = Path(__file__).resolve().parent.parent / "zoo"  # the shipped networks: specs/ at the top level

_NO_ATTRS = Attrs({})  # an activation layer's
POISON = "\x00poisoned"  # the output of a layer that failed: no spec can write this name
REMOVED = "\x00removed "  # prefix of what an item removed by 'repeat: 0' with several inputs stands for
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class BlockDef(NamedTuple):
    name: str
    parameters: list[tuple[str, Node | None]]  # (name, default node or None when required)
    layers: list[Node]
    location: Location


class Spec:
    """A parsed and structurally checked spec; :meth:`build` turns it into a graph."""

    def __init__(self, path: str, name: str, description: str, parameters: list[tuple[str, Node]], input: Node,
                 blocks: dict[str, BlockDef], layers: list[Node], budget: Node | None = None,
                 root: Node | None = None, broken: frozenset = frozenset()):
        self.path, self.name, self.description = path, name, description
        self.parameters = parameters
        self.input = input
        self.blocks = blocks
        self.layers = layers
        self.budget = budget
        self.root = root
        # Parts already reported as broken while loading (only while collecting the problems of a
        # spec that failed to load): ("item", id(node)) cannot be built, ("shape", id(node)) has an
        # unknown field so its output shape is uncertain, ("block", name), ("parameter", name),
        # ("input",), ("layers",).
        self.broken = broken
        # Normalized attributes of layer items already built, by (item, values of the parameters
        # its fields read): a sweep rebuilds the same spec many times and most fields do not change.
        self.attrs_memo: dict = {}
        self.words_memo: dict[int, tuple[str, ...]] = {}  # id(item) -> the words its fields use

    def __repr__(self) -> str:
        return f"Spec({self.name!r}, {self.path!r})"

    def in_blocks(self, location: Location) -> bool:
        """Whether ``location`` lies in the ``blocks`` section: a problem there recurs in every
        instance of its block, and :func:`~convcost.errors.finish` reports it once, with a count."""
        root = self.root
        if root is None or not root.is_mapping or "blocks" not in root.value:
            return False
        start = root.key_locations["blocks"]
        after = [where for where in root.key_locations.values() if (where.line, where.column) > (start.line, start.column)]
        end = min(after, key=lambda where: (where.line, where.column), default=None)
        return (location.path == start.path and (location.line, location.column) >= (start.line, start.column)
                and (end is None or (location.line, location.column) < (end.line, end.column)))

    @property
    def parameter_names(self) -> list[str]:
        return [name for name, _ in self.parameters]

    def resolve_parameters(self, overrides: Mapping[str, object] | None = None) -> dict[str, Number]:
        """Parameter values in order, each default evaluated with the values before it; an override
        (a number, or an expression string as given to ``--set``) replaces a default."""
        values, problems = self._resolve(overrides)
        if problems:
            raise SpecError(finish(problems))
        return dict(values)

    def _resolve(self, overrides: Mapping[str, object] | None) -> tuple["_Reads", list[Problem]]:
        overrides = dict(overrides or {})
        known = self.parameter_names
        problems = [Problem("E304", f"--set {clip(name)[1:-1]}: this spec has no parameter {clip(name)}", None,
                            did_you_mean(name, known)
                            or ("parameters: " + names(known) if known else "this spec declares no parameters"))
                    for name in overrides if name not in known]
        values = _Reads()
        for name, node in self.parameters:
            if ("parameter", name) in self.broken:
                values[name] = POISONED
                continue
            try:
                if name in overrides:
                    values[name] = _override_value(name, overrides[name], values)
                else:
                    values[name] = _parameter_value(name, node, values, known)
            except SpecError as error:
                problems.extend(error.problems)
                values[name] = POISONED
        return values, problems

    def build(self, overrides: Mapping[str, object] | None = None) -> Graph:
        """The layer graph for these parameter values (SpecError with every problem found)."""
        values, problems = self._resolve(overrides)
        builder = _Builder(self, values)
        input_shape = builder.input_shape()
        try:
            builder.expand(self.layers, _Scope(prefix="", input_name=INPUT, values=values), block_stack=())
        except _Fatal as fatal:
            raise SpecError(finish(problems + builder.problems + fatal.problems, self.in_blocks)) from None
        problems += builder.problems
        if problems or builder.poisoned:
            if not problems and not self.broken:  # pragma: no cover - would be a bug in this module
                raise RuntimeError("a layer failed without a reported problem")
            if input_shape is not None:
                problems += shape_problems(builder.nodes, input_shape)
            raise SpecError(finish(problems, self.in_blocks))
        if not builder.nodes:
            if self.broken:  # the layers were reported while loading
                raise SpecError([])
            raise SpecError(Problem("E203", "the spec has no layers (every 'repeat' is 0?)", self.input.location))
        unused = self._unused(overrides, values)
        if unused:
            raise SpecError(unused)
        # for reports: a whole number as an int, any other as the nearest float (docs/json.md)
        shown = {k: (v if not isinstance(v, Fraction) else int(v) if v.denominator == 1 else float(v))
                 for k, v in values.items()}
        return Graph(self.name, input_shape, shown, tuple(builder.nodes), self.path, self.budget,
                     tuple(builder.warnings))

    def _unused(self, overrides: Mapping[str, object] | None, values: "_Reads") -> list[Problem]:
        """E305 for each overridden parameter that nothing read while building: setting it changes
        nothing, which is never what the user meant."""
        if not overrides:
            return []
        used = values.reads | _identifiers(self.budget)
        problems = []
        for name in overrides:
            if name in used or name not in values:
                continue
            readers = [p for p, node in self.parameters if p != name and p in overrides
                       and isinstance(node.value, str) and name in _IDENTIFIER.findall(node.value)]
            hint = (f"only the default of '{readers[0]}' uses it, and --set {readers[0]} replaces that default"
                    if readers else "no layer, block or other parameter of this spec reads it")
            problems.append(Problem("E305", f"--set {name}: parameter '{name}' is not used, so setting it "
                                            "changes nothing", None, hint))
        return problems


class _Reads(dict):
    """Parameter values that remember which names were read (for E305)."""

    def __init__(self):
        super().__init__()
        self.reads: set[str] = set()

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        self.reads.add(key)
        return value


def _identifiers(node: Node | None) -> set[str]:
    """Every word in the text values under ``node`` (a budget section may read parameters)."""
    found: set[str] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current.value, dict):
            stack.extend(current.value.values())
        elif isinstance(current.value, list):
            stack.extend(current.value)
        elif isinstance(current.value, str):
            found.update(_IDENTIFIER.findall(current.value))
    return found


def _parameter_value(name: str, node: Node, earlier: Mapping[str, Number], declared: list[str]) -> Number:
    what = f"parameter '{name}'"
    if isinstance(node.value, bool):
        return int(node.value)
    if isinstance(node.value, str):
        try:
            expression = parse_expression(node.value, node.location)
        except SpecError:
            expression = None  # number() reports it
        for used in sorted(expression.names) if expression else ():
            if used == name:
                raise SpecError(Problem("E301", f"{what} is defined in terms of itself", node.location,
                                        "a parameter can only use the parameters above it"))
            if used in declared and used not in earlier:
                raise SpecError(Problem("E301", f"{what} uses '{used}', which is defined below it", node.location,
                                        f"move '{used}' above '{name}' in 'parameters'"))
    return number(node, earlier, what)


def _override_value(name: str, value: object, earlier: Mapping[str, Number]) -> Number:
    where = Location(f"--set {name}", 1, 1)
    try:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, Fraction)):
            return check_magnitude(value, where, "the value")
        if isinstance(value, float):
            return check_magnitude(decimal_fraction(repr(value), where), where, "the value")
        text = str(value).strip()
        return evaluate(parse_expression(text, where), earlier, where)
    except SpecError as error:
        raise SpecError([Problem("E304", f"--set {name}={clip(value)[1:-1]}: {p.message}", None, p.hint)
                         for p in error.problems]) from None


# --- loading ------------------------------------------------------------------------------------

def load(source: str | Path, *, text: str | None = None) -> Spec:
    """Read and check a spec: ``source`` is a path, ``-`` for standard input, or the name of a
    shipped spec (``mobilenet``); with ``text``, ``source`` only names it in messages."""
    path = str(source)
    if text is None:
        path = resolve_path(path)
        try:
            text = read_text(path)
        except SpecError as error:
            raise _with_shipped_hint(error, path) from None
        if path == "-":
            path = STDIN
    return _parse(parse_yaml(text, path), path)


def loads(text: str, path: str = "<text>") -> Spec:
    """Check a spec given as YAML text."""
    return load(path, text=text)


def resolve_path(name: str) -> str:
    """A path as given, or the shipped spec of that name (``mobilenet`` -> specs/mobilenet.yaml)."""
    try:
        if name == "-" or Path(name).exists() or "/" in name or "\\" in name:
            return name
        for candidate in (SHIPPED / name, SHIPPED / f"{name}.yaml"):
            if candidate.is_file():
                return str(candidate)
    except (OSError, ValueError):  # a NUL byte or an over-long name: read_text reports it
        pass
    return name  # read_text reports that it does not exist


def display_name(path: str) -> str:
    """How outputs name the spec read from ``path``: a shipped spec's name for the path
    :func:`resolve_path` gives it (``…/convcost/zoo/mobilenet.yaml`` -> ``mobilenet``), else
    ``path`` as the user typed it (``specs/mobilenet.yaml`` stays as it is)."""
    shipped = Path(path)
    return shipped.stem if shipped.parent == SHIPPED and shipped.suffix == ".yaml" else path


def _with_shipped_hint(error: SpecError, path: str) -> SpecError:
    """A missing file whose name is close to a shipped spec's: suggest it."""
    problem = error.problems[0]
    if problem.hint or not problem.message.startswith("no such file") or "/" in path or "\\" in path:
        return error
    hint = did_you_mean(Path(path).stem, shipped_specs())
    hint = (hint[:-1] + " (a shipped spec)?") if hint else "shipped specs: " + ", ".join(shipped_specs())
    return SpecError([Problem(problem.code, problem.message, problem.location, hint)] + error.problems[1:])


def shipped_specs() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def _parse(root: Node, path: str) -> Spec:
    problems: list[Problem] = []
    broken: set = set()
    if not root.is_mapping:
        got = {list: "a list", str: "text", type(None): "nothing", bool: "a boolean"}.get(type(root.value), "a number")
        raise SpecError(Problem("E104", f"the top level of a spec must be a mapping with 'input' and 'layers', "
                                        f"got {got}", root.location,
                                "write 'input: [224, 224, 3]' and 'layers:' at the start of lines"))
    sections = root.value
    missing = [key for key in ("input", "layers") if key not in sections]
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
    if "input" not in sections:
        broken.add(("input",))
    name = _text(sections.get("name"), Path(path).stem if path not in (STDIN, "<text>") else "network",
                 "name", problems)
    description = _text(sections.get("description"), "", "description", problems)
    parameters = _parameters(sections.get("parameters"), problems, broken)
    blocks, bad_blocks = _blocks(sections.get("blocks"), problems)
    broken.update(("block", b) for b in bad_blocks)
    layers = _layer_list(sections.get("layers"), "layers", problems) if "layers" in sections else []
    if not layers:
        broken.add(("layers",))
    for block in blocks.values():
        _check_items(block.layers, blocks, bad_blocks, problems, broken)
    _check_items(layers, blocks, bad_blocks, problems, broken)
    spec = Spec(path, name, description, parameters, sections.get("input"), blocks, layers, sections.get("budget"),
                root)
    if problems:
        # Report what else is wrong in the same run: build what can be built, with the defaults.
        spec.broken = frozenset(broken)
        try:
            graph = spec.build()
        except SpecError as error:
            problems += error.problems
        else:  # everything could be built: check the shapes too
            problems += shape_problems(graph.nodes, graph.input_shape)
        raise SpecError(finish(problems, spec.in_blocks))
    return spec


def _text(node: Node | None, default: str, what: str, problems: list[Problem]) -> str:
    if node is None:
        return default
    if not isinstance(node.value, (str, int, Fraction)) or isinstance(node.value, bool):
        problems.append(Problem("E204", f"'{what}' must be text, got {_show(node.value)}", node.location))
        return default
    return str(node.value)


def _names_mapping(node: Node | None, what: str, problems: list[Problem],
                   invalid: list[str] | None = None, section: str = "") -> list[tuple[str, Node, Location]]:
    if node is None or node.value is None:
        return []
    if not node.is_mapping:
        problems.append(Problem("E204", f"'{section or what}' must be a mapping of names to values, got "
                                        f"{_show(node.value)}", node.location))
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
    result = []
    for name, value, where in _names_mapping(node, "parameter", problems, section="parameters"):
        if "." in name or "-" in name:
            problems.append(Problem("E207", f"parameter name '{name}' cannot be used in expressions", where,
                                    "use letters, digits and _"))
            continue
        if value.value is None or isinstance(value.value, (dict, list)):
            got = "nothing" if value.value is None else _show(value.value)
            problems.append(Problem("E204", f"parameter '{name}' needs a number or an expression as its default, "
                                            f"got {got}", value.location))
            broken.add(("parameter", name))
        result.append((name, value))
    return result


def _blocks(node: Node | None, problems: list[Problem]) -> tuple[dict[str, BlockDef], set[str]]:
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
                                            f"got {_show(value.value)}", value.location))
            bad.add(name)
            continue
        for key in value.value:
            if key not in ("parameters", "layers", "description"):
                problems.append(Problem("E202", f"block '{name}': unknown field {clip(key)}",
                                        value.key_locations[key],
                                        did_you_mean(key, ("parameters", "layers", "description"))
                                        or "a block has 'parameters', 'layers' and optionally 'description'"))
        invalid_params: list[str] = []
        params = []
        for p, v, p_where in _names_mapping(value.value.get("parameters"), "block parameter", problems,
                                            invalid_params, section=f"block '{name}' parameters"):
            if p in ITEM_KEYS:
                problems.append(Problem("E207", f"block '{name}': a parameter cannot be named '{p}'", p_where,
                                        "'kind', 'name', 'inputs' and 'repeat' are keys of every layer item"))
                invalid_params.append(p)
                continue
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


def _layer_list(node: Node, what: str, problems: list[Problem]) -> list[Node]:
    if not node.is_sequence or not node.value:
        got = "an empty list" if node.is_sequence else _show(node.value)
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


def _item_kind(item: Node) -> tuple[str | None, Location]:
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
        kind, where = _item_kind(item)
        if kind is None:
            broken.add(("item", id(item)))
            if item.is_mapping and "kind" not in item.value:
                hint = "write '- kind: conv2d' (or another layer kind or block name)"
                if len(item.value) == 1:  # "- Conv2D: {filters: 32}"
                    (key,) = item.value
                    guess = _kind_hint(key, blocks)
                    if guess.startswith("did you mean"):
                        hint = f"write the kind as a field: '- {{kind: {guess[14:-2]}, …}}'"
                problems.append(Problem("E203", "layer has no 'kind'", item.location, hint))
            elif item.is_mapping:
                problems.append(Problem("E204", f"'kind' must be the name of a layer kind or block, got "
                                                f"{_show(item.value['kind'].value)}", item.value["kind"].location,
                                        "see 'convcost kinds' for the layer kinds"))
            else:
                problems.append(Problem("E204", f"a layer must be a mapping with 'kind' (or just a kind name), got "
                                                f"{_show(item.value)}", item.location,
                                        "write each layer as '- kind: conv2d' with its fields"))
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


# --- building -----------------------------------------------------------------------------------

class _Fatal(SpecError):
    """A bound was exceeded: stop building at once."""


class _Scope:
    __slots__ = ("prefix", "input_name", "values", "names", "counters", "items")

    def __init__(self, prefix: str, input_name: str, values: Mapping[str, Number]):
        self.prefix = prefix  # "" at the top, "instance/" inside a block instance
        self.input_name = input_name  # what 'input' and the first layer read
        self.values = values  # parameters visible here
        self.names: dict[str, str] = {}  # local name -> full node name (or POISON)
        self.counters: dict[str, int] = {}
        self.items: list[Node] = []  # the item list being expanded

    def auto_name(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind}_{self.counters[kind]}"


class _Builder:
    def __init__(self, spec: Spec, values: Mapping[str, Number]):
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
        self._words: dict[int, tuple[str, ...]] = spec.words_memo
        # what an item removed by 'repeat: 0' with several inputs stands for -> (its name, the item, what
        # it read as written): reading it is an error, since it stands for no single layer
        self.removed: dict[str, tuple[str, Node, list[str]]] = {}
        self.activations: dict[str, Location] = {}  # layers made by 'activation:' fields -> where

    def input_shape(self) -> tuple[int, ...] | None:
        """The input shape, or None when it is missing or wrong (reported)."""
        node = self.spec.input
        if node is None or ("input",) in self.broken:
            self.poisoned = True
            return None
        if not node.is_sequence or not 1 <= len(node.value) <= 4:
            got = f"a list of {len(node.value)}" if node.is_sequence else _show(node.value)
            self.problems.append(Problem("E204", f"input must be a list of 1 to 4 sizes like [H, W, C] "
                                                 f"(or [D, H, W, C]), got {got}", node.location))
            return None
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
        if looks_channels_first(shape):
            written = [str(item.value) for item in node.value]  # as written: [3, size, size]
            self.warnings.append(channels_first_warning(
                tuple(shape), node.location, f"input: [{', '.join(written[1:] + written[:1])}]"))
        return tuple(shape)

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
                self.problems.extend(error.problems)
                self._poison(item, scope)
                previous = POISON
        return previous

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
        kind, _ = _item_kind(item)
        fields = item.value if item.is_mapping else {}
        repeat = 1
        if "repeat" in fields:
            label = fields["name"].value if "name" in fields and isinstance(fields["name"].value, str) else None
            repeat = whole(fields["repeat"], scope.values, f"{kind} '{label}': repeat" if label else f"{kind}: repeat",
                           minimum=0)
            if repeat > MAX_LAYERS:
                raise self._too_many(fields["repeat"].location, f"repeat: {repeat:,} makes too many layers")
        base_name = self._name(fields.get("name"), scope, index)
        inputs = self._inputs(fields["inputs"], scope, index) if "inputs" in fields else None
        if inputs is not None and repeat > 1:
            raise SpecError(Problem("E205", "a layer with 'inputs' cannot be repeated", fields["repeat"].location,
                                    "repeat a block whose first layer reads 'input' instead"))
        if kind in KINDS and self.count + repeat > MAX_LAYERS:
            raise self._too_many(fields["repeat"].location if "repeat" in fields else item.location,
                                 f"this layer would be layer {self.count + repeat:,}")
        reads = inputs if inputs is not None else (previous,)
        if repeat == 0:  # removed: it stands for what it reads (docs/spec.md, 'repeat')
            previous = reads[0] if len(reads) == 1 or POISON in reads else self._removed(item, fields, kind,
                                                                                         base_name, scope)
            if base_name:
                scope.names[base_name] = previous
            return previous
        self._check_not_removed(reads, fields, item, kind, base_name)
        normalized = None
        for i in range(repeat):
            local = base_name if base_name and repeat == 1 else (
                f"{base_name}_{i + 1}" if base_name else scope.auto_name(kind))
            reads = inputs if inputs is not None else (previous,)
            if kind in KINDS:
                previous, normalized = self._layer(kind, item, fields, scope, local, reads, normalized)
            else:
                before, problems_before, poisoned_before = self.count, len(self.problems), self.poisoned
                self.poisoned = False
                previous = self._block(kind, item, fields, scope, local, reads, block_stack)
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
            raise SpecError(Problem("E207", f"invalid layer name {_show(name)}", node.location,
                                    "names start with a letter or _ and hold letters, digits, _ . -; "
                                    "'input' is reserved"))
        if name in scope.names:
            first = self._declared(scope.items).get(name)
            hint = (f"the first '{name}' is at line {scope.items[first].location.line}"
                    if first is not None and first < index else None)
            made = self.activations.get(scope.prefix + name)
            if made is not None and hint is None:
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
                problems.append(Problem("E204", f"inputs must be layer names, got {_show(name)}", ref.location))
            elif name == INPUT:
                resolved.append(scope.input_name)
            elif name in scope.names:
                resolved.append(scope.names[name])
            else:
                problems.append(self._missing_input(name, ref, scope, index))
        if problems:
            raise SpecError(problems)
        return tuple(resolved)

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
        hint = did_you_mean(name, known)
        if hint is None and "/" in name:
            hint = "the layers inside a block instance cannot be read from outside; a block's output is its last layer"
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

        parent = {start: None}
        stack = [start]
        while stack:
            k = stack.pop()
            if k == target:
                path = []  # target, ..., start: each read by the next
                while k is not None:
                    path.append(label(k))
                    k = parent[k]
                return [label(target)] + path[::-1]
            for j in reads(k):
                if j not in parent and j >= target:
                    parent[j] = k
                    stack.append(j)
        return None

    def _layer(self, kind: str, item: Node, fields: dict[str, Node], scope: _Scope, local: str,
               reads: tuple[str, ...], normalized: tuple[Attrs, str | None] | None
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
        memo_key = None
        if normalized is None:
            memo_key = self._memo_key(item, fields, scope)
            normalized = self.spec.attrs_memo.get(memo_key)
        if normalized is None:
            values, problems, failed = {}, [], False
            for field_name, spec in layer.fields.items():
                if field_name in fields:
                    try:
                        values[field_name] = normalize(spec, fields[field_name], scope.values,
                                                       f"{kind} '{full}': {field_name}")
                    except SpecError as error:  # (no problems: it read a broken parameter)
                        problems.extend(error.problems)
                        failed = True
                else:
                    values[field_name] = _default(spec)
            if failed:
                raise SpecError(problems)
            fused = [values.pop(name) for name, spec in layer.fields.items() if spec.type == "activation"]
            normalized = Attrs(values), (fused[0] if fused else None)
            if len(self.spec.attrs_memo) >= MEMO_LIMIT:
                self.spec.attrs_memo.clear()
            self.spec.attrs_memo[memo_key] = normalized
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
        self.nodes.append(LayerNode(full, kind, attrs, reads, item.location, locations))
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
        self.nodes.append(LayerNode(full, activation, _NO_ATTRS, (reads,), where))
        return full

    def _memo_key(self, item: Node, fields: dict[str, Node], scope: _Scope) -> tuple:
        """What a layer item's normalized fields depend on: the item and the values of the words its
        expressions use (reading them marks those parameters used, as evaluating them would)."""
        words = self._words.get(id(item))
        if words is None:
            words = self._words[id(item)] = tuple(sorted(set().union(
                *(_identifiers(node) for key, node in fields.items() if key not in ITEM_KEYS))))
        values = scope.values
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
        own: dict[str, Number] = {}
        values = ChainMap(own, self.values)
        full = scope.prefix + local
        problems = []
        for param, default in block.parameters:
            try:
                if param in fields:
                    own[param] = number(fields[param], scope.values, f"block '{kind}' '{full}': {param}")
                elif default is not None:
                    own[param] = number(default, values, f"block '{kind}' '{full}': default of {param}")
            except SpecError as error:
                problems.extend(error.problems)
                own[param] = POISONED
                self.poisoned = True
        self.problems.extend(problems)
        inner = _Scope(prefix=full + "/", input_name=reads[0], values=values)
        return self.expand(block.layers, inner, block_stack + (kind,))


def _default(spec: Field):
    if spec.type == "size" and isinstance(spec.default, int):
        return (spec.default,) * spec.rank
    return spec.default
