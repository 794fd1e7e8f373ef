"""Read a YAML file into plain data that remembers where every value came from.

We compose YAML nodes (not Python objects) so that each mapping, list and scalar keeps its line and
column, like cfn-lint does. Only the YAML core schema is accepted: no language-specific tags, so
nothing in a spec can ever construct an object or run code. Numbers written with a decimal point are
read as exact fractions (``0.857`` is 857/1000, not the nearest binary float) so that counts derived
from them stay exact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import yaml

from convcost.errors import Location, Problem, SpecError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs")

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",  # an unquoted date: kept as the text it was written as
}

try:  # libyaml's composer is several times faster; fall back to pure Python.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_scalar_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its construct_yaml_* helpers


@dataclass
class Node:
    """A YAML value with its location.

    ``value`` is a ``dict[str, Node]`` for a mapping, a ``list[Node]`` for a sequence, or a scalar:
    ``int``, ``Fraction`` (any number written with a decimal point or exponent), ``bool``, ``None``
    or ``str``. For a mapping, ``key_locations`` gives where each key was written.
    """

    value: Any
    location: Location
    key_locations: dict[str, Location] = field(default_factory=dict)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value with every nested Node unwrapped (for error messages and tests)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _location(path: str, mark) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


def read_text(path: str) -> str:
    """The text of a spec file, or a SpecError (E100) that says why it cannot be read."""
    where = Location(path, 1, 1)
    if path == "-":
        import sys

        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        if not os.path.exists(path):
            raise SpecError(Problem("E100", f"no such file: '{path}'", where))
        if os.path.isdir(path):
            raise SpecError(Problem("E100", f"'{path}' is a directory, expected a YAML spec file", where))
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SpecError(Problem("E100", f"cannot read '{path}': {exc.strerror}", where)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(
            Problem("E100", f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; a spec is a small text file", where)
        )
    if b"\x00" in data:
        raise SpecError(Problem("E100", "file is binary (it contains NUL bytes), expected a YAML text file", where))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            Problem("E100", f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", Location(path, line, column),
                    "save the spec as UTF-8 text")
        ) from None


def parse_yaml(text: str, path: str = "<text>") -> Node:
    """Compose ``text`` into a :class:`Node` tree, rejecting anything but plain YAML data."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _location(path, mark) if mark else Location(path, 1, 1)
        message = exc.problem or str(exc)
        if exc.context:
            message = f"{exc.context}: {message}"
        raise SpecError(Problem("E101", f"YAML syntax error: {message}", where)) from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise SpecError(Problem("E101", f"YAML error: {exc}", Location(path, 1, 1))) from None
    except RecursionError:
        raise SpecError(Problem("E103", "YAML nesting is too deep", Location(path, 1, 1))) from None
    if root is None:
        raise SpecError(Problem("E104", "the spec is empty; expected a mapping with 'input' and 'layers'",
                                Location(path, 1, 1)))
    budget = [MAX_NODES]
    return _convert(root, path, budget, depth=0)


def _convert(node: yaml.Node, path: str, budget: list[int], depth: int) -> Node:
    budget[0] -= 1
    where = _location(path, node.start_mark)
    if budget[0] < 0:
        raise SpecError(Problem("E103", f"the document expands to more than {MAX_NODES:,} values "
                                         "(nested aliases?)", where))
    if depth > 100:
        raise SpecError(Problem("E103", "YAML nesting is deeper than 100 levels", where))
    if node.tag not in _STANDARD_TAGS:
        raise SpecError(Problem("E103", f"YAML tag '{node.tag}' is not allowed; a spec holds plain data only", where,
                                "remove the tag"))
    if isinstance(node, yaml.MappingNode):
        items: dict[str, Node] = {}
        keys: dict[str, Location] = {}
        for key_node, value_node in node.value:
            key_where = _location(path, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(Problem("E204", "mapping keys must be plain names", key_where))
            key = key_node.value
            if key in items:
                raise SpecError(Problem("E102", f"duplicate key '{key}' (first written at line {keys[key].line})",
                                        key_where, "remove one of them"))
            keys[key] = key_where
            items[key] = _convert(value_node, path, budget, depth + 1)
        return Node(items, where, keys)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path, budget, depth + 1) for item in node.value], where)
    return Node(_scalar(node, where), where)


def _scalar(node: yaml.ScalarNode, where: Location) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:int":
        return _scalar_constructor.construct_yaml_int(node)
    if tag == "tag:yaml.org,2002:float":
        try:
            return Fraction(text.replace("_", ""))
        except (ValueError, ZeroDivisionError):
            raise SpecError(Problem("E204", f"'{text}' is not a finite number", where)) from None
    if tag == "tag:yaml.org,2002:bool":
        return _scalar_constructor.construct_yaml_bool(node)
    if tag == "tag:yaml.org,2002:null":
        return None
    return text
