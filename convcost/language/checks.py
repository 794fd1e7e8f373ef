"""What is legal in a spec but probably not what was meant: the warnings (W2xx, W4xx) of its
structure and of the graph it builds.

- W201 a spec parameter that nothing reads, W202 a block parameter that no layer of its block
  reads: giving it a value (``--set``, a block argument) changes nothing.
- W401 a layer whose output no layer reads and that is not the network's output (its last
  layer): it is counted in every total but feeds nothing, as when a layer written after the
  classifier reads an earlier layer and so becomes the output in the classifier's place.
- W402 a block that no layer uses; W403 a layer that lists the same input twice.
- W210 a ``when:`` that reads no parameter nor shape name: the same in every build.

The spec's warnings depend on the spec alone and are found once per spec (:func:`spec_warnings`);
the graph's on what was built (:func:`unread_layers`). Neither changes what is counted.
"""

from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import Iterable, Mapping, NamedTuple
from weakref import WeakKeyDictionary

from convcost.errors import Location, Problem, SpecError, clip, once
from convcost.graph import LayerNode
from convcost.language.expressions import names_read
from convcost.language.fields import show, truth
from convcost.language.source import Node
from convcost.language.spec import Spec, item_kind

_SPEC_WARNINGS: WeakKeyDictionary = WeakKeyDictionary()


class Instance(NamedTuple):
    """A block instance as built: its block, where its item names it, and its output."""

    block: str
    location: Location
    output: str


def spec_warnings(spec: Spec) -> tuple[Problem, ...]:
    """W201, W202, W402, W403 and W210 of ``spec`` (found once per spec)."""
    found = _SPEC_WARNINGS.get(spec)
    if found is None:
        found = _SPEC_WARNINGS[spec] = tuple(_unread_parameters(spec) + _unused_blocks(spec)
                                             + _unread_block_parameters(spec) + _repeated_inputs(spec)
                                             + _constant_whens(spec))
    return found


def _items(spec: Spec) -> Iterable[Node]:
    yield from spec.layers
    for block in spec.blocks.values():
        yield from block.layers


def _unread_parameters(spec: Spec) -> list[Problem]:
    """W201: a spec parameter whose name no expression of the spec reads (the input, a layer field,
    ``repeat``, a block argument or default, another parameter's default, the budget)."""
    if not spec.parameters:
        return []
    read: set[str] = set(names_read(spec.input)) if spec.input is not None else set()
    for _, node in spec.named_inputs:  # every input of 'inputs:' (spec.input is the first's)
        read |= names_read(node)
    for name, node in spec.parameters:
        read |= names_read(node) - {name}
    for item in _items(spec):
        read |= names_read(item)
    for block in spec.blocks.values():
        for _, default in block.parameters:
            if default is not None:
                read |= names_read(default)
    if spec.budget is not None:
        read |= names_read(spec.budget)
    where = _key_locations(spec.root, "parameters")
    return [Problem("W201", f"parameter '{name}' is read by nothing: no layer, input, block or other "
                            "parameter uses it, so setting it changes nothing", where.get(name, node.location),
                    "use it in a field (filters: round(32 * alpha)), or remove it")
            for name, node in spec.parameters if name not in read]


def _unused_blocks(spec: Spec) -> list[Problem]:
    """W402: a block that no layer item (outside the block itself) names as its kind."""
    used: set[str] = set()
    for owner, items in [(None, spec.layers)] + [(name, b.layers) for name, b in spec.blocks.items()]:
        for item in items:
            kind, _ = item_kind(item)
            if kind is not None and kind != owner:
                used.add(kind)
    return [Problem("W402", f"block '{name}' is defined but no layer uses it, so it is not counted", block.location,
                    f"add '- {{kind: {name}}}' where it belongs, or remove the block")
            for name, block in spec.blocks.items() if name not in used]


def _unread_block_parameters(spec: Spec) -> list[Problem]:
    """W202: a block parameter that no layer of its block, and no later default, reads."""
    problems = []
    blocks = _key_locations(spec.root, "blocks")
    for name, block in spec.blocks.items():
        read: set[str] = set()
        for item in block.layers:
            read |= names_read(item)
        for param, default in block.parameters:
            if default is not None:
                read |= names_read(default) - {param}
        section = spec.root.value["blocks"].value[name] if name in blocks and spec.root is not None else None
        where = _key_locations(section, "parameters")
        for param, _ in block.parameters:
            if param not in read:
                problems.append(Problem("W202", f"block '{name}': parameter '{param}' is read by no layer of the "
                                                "block, so its value changes nothing",
                                        where.get(param, block.location),
                                        f"use it in a field of the block's layers ({param}: …), or remove it"))
    return problems


def _constant_whens(spec: Spec) -> list[Problem]:
    """W210: a ``when:`` whose condition reads no name (``when: false``, ``when: 2 > 1``): it is
    the same in every build and every instance, so it is a switch written by hand."""
    problems = []
    for item in _items(spec):
        if not item.is_mapping or "when" not in item.value:
            continue
        node = item.value["when"]
        if names_read(node):
            continue
        try:
            included = truth(node, {}, "when")
        except SpecError:  # not a condition: the build reports it
            continue
        shown = node.value if isinstance(node.value, str) else show(node.value)
        kind, _ = item_kind(item)
        problems.append(Problem("W210", f"when: {clip(shown)[1:-1]} reads no parameter nor shape name, so the "
                                        f"{kind} is {'included' if included else 'left out'} in every build",
                                node.location, "remove the 'when:' (or the item), or make it read a parameter "
                                               "that can be set"))
    return problems


def _repeated_inputs(spec: Spec) -> list[Problem]:
    """W403: ``inputs: [a, a]``: an add of a layer with itself, a concat of its channels twice."""
    problems = []
    for item in _items(spec):
        if not item.is_mapping or "inputs" not in item.value or not item.value["inputs"].is_sequence:
            continue
        seen: set[str] = set()
        for ref in item.value["inputs"].value:
            if isinstance(ref.value, str) and ref.value in seen:
                problems.append(Problem("W403", f"inputs: {clip(ref.value)} is listed twice", ref.location,
                                        "an add then doubles it and a concat repeats its channels; list each "
                                        "input once, or read the layer you meant"))
            elif isinstance(ref.value, str):
                seen.add(ref.value)
    return problems


def _key_locations(node: Node | None, section: str) -> Mapping[str, Location]:
    """Where the keys of the mapping ``node[section]`` are written ({} if it is not a mapping)."""
    if node is None or not node.is_mapping or section not in node.value or not node.value[section].is_mapping:
        return {}
    return node.value[section].key_locations


def unread_layers(nodes: tuple[LayerNode, ...] | list[LayerNode], made: Iterable[tuple[str, Instance]],
                  outputs: tuple[str, ...] = ()) -> list[Problem]:
    """W401 for each layer that no layer reads and that is not an output of the network (the last
    layer, or those ``outputs`` names), once for each such dead end with the layers only it reads.
    A dead end that is the output of a block instance is reported at the instance; one inside a
    block, at its place in the block."""
    if len(nodes) < 2:
        return []
    read = set(chain.from_iterable(map(itemgetter(3), nodes)))  # (LayerNode.inputs; no attribute lookups)
    unread = set(map(itemgetter(0), nodes)) - read
    unread.difference_update(outputs or (nodes[-1].name,))
    if not unread:  # the common case, quickly: a sweep builds a large spec many times
        return []
    readers: dict[str, int] = {}
    for name in chain.from_iterable(map(itemgetter(3), nodes)):
        readers[name] = readers.get(name, 0) + 1
    by_name = {node.name: node for node in nodes}
    instances = dict(made)
    output = nodes[-1]
    # a dead layer inside a block is dead in each of its instances: reported once, at its place in the block
    return once(_unread(node, _stranded(node, by_name, readers), output, nodes, instances, outputs)
                for node in nodes if node.name in unread)


def _stranded(end: LayerNode, by_name: Mapping[str, LayerNode], readers: Mapping[str, int]) -> int:
    """How many layers before ``end`` feed only it: every reader of each is ``end`` or one of them.
    Only their own inputs are visited, so finding this for every dead end takes linear time."""
    waiting: dict[str, int] = {}  # a layer -> its readers not (yet) known to feed only ``end``
    stack, count = [end], 0
    while stack:
        for name in stack.pop().inputs:
            if name not in by_name:  # the network's input
                continue
            left = waiting.get(name, readers[name]) - 1
            waiting[name] = left
            if left == 0:
                count += 1
                stack.append(by_name[name])
    return count


def _unread(end: LayerNode, stranded: int, output: LayerNode, nodes, instances: Mapping[str, Instance],
            outputs: tuple[str, ...] = ()) -> Problem:
    counted = (f"; it and the {stranded} layer{'s' if stranded != 1 else ''} before it that only it reads are "
               "counted, but feed nothing" if stranded else "; it is counted, but feeds nothing")
    prefix, _, local = end.name.rpartition("/")
    if prefix in instances and instances[prefix].output != end.name:  # dead in every instance of the block
        block, last = instances[prefix].block, instances[prefix].output[len(prefix) + 1:]
        return Problem("W401", f"{end.kind} '{local}' in block '{block}' is read by no layer of the block and is "
                               f"not its output (a block's output is its last layer, here '{last}')" + counted,
                       end.where("name"), "read it from a later layer of the block, or remove it")
    where, label, name = end.where("name"), f"{end.kind} '{end.name}'", end.name
    while prefix in instances and instances[prefix].output == name:
        # the output of an instance (of an instance…): the user wrote the instance, not the layer
        where, label, name = instances[prefix].location, f"block '{instances[prefix].block}' '{prefix}'", prefix
        prefix = prefix.rpartition("/")[0]
    if outputs:
        return Problem("W401", f"{label} is read by no layer and is not one of the network's outputs ("
                               + ", ".join(f"'{name}'" for name in outputs[:6]) + (", …" if len(outputs) > 6 else "")
                               + ")" + counted, where, "read it from a later layer, add it to 'outputs:', or remove it")
    message = (f"{label} is read by no layer and is not the network's output, which is its last layer, "
               f"'{output.name}' (line {output.location.line})" + counted)
    if nodes[-2] is end:  # written just above the last layer, which reads something else
        shown = ", ".join(f"'{read}'" for read in output.inputs)
        hint = (f"'{output.name}' reads {shown}, not the layer above it, so it became the network's output; if "
                f"{label} is meant to be the output, move '{output.name}' above it, or remove it")
    else:
        hint = "read it from a later layer, or remove it"
    return Problem("W401", message, where, hint)
