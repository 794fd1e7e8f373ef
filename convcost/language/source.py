"""Read a YAML file into plain data that remembers where every value came from.

We build our own tree of :class:`Node` from the YAML *event* stream (like ``yaml.compose``, which
cfn-lint uses, but without recursion) so that each mapping, list and scalar keeps its line and
column. Only plain YAML data is accepted: no language-specific tags, so nothing in a spec can ever
construct an object or run code. Numbers written with a decimal point are read as exact fractions
(``0.857`` is 857/1000, not the nearest binary float) so that counts derived from them stay exact.

Resource bounds (docs/errors.md): the file size (:data:`MAX_FILE_BYTES`), the nesting depth
(:data:`MAX_DEPTH`), the number of values after alias expansion (:data:`MAX_NODES`, which stops
"billion laughs" documents before they are expanded) and the length of a number
(:data:`MAX_NUMBER_CHARS`, :data:`MAX_EXPONENT`). The composer is iterative: a deeply nested
document cannot overflow the stack.
"""

from __future__ import annotations

import codecs
import os
import re
from fractions import Fraction
from typing import Any

import yaml

from convcost.errors import Location, Problem, SpecError, clip, finish, shorten
from convcost.units import MAX_EXPONENT, MAX_NUMBER_CHARS  # the bounds of every number convcost reads

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 50_000  # values in the document after alias expansion ("billion laughs"); Xception has 431
MAX_DEPTH = 100  # nested mappings and lists

STDIN = "<stdin>"  # how standard input ('-') is named in messages

_YAML = "tag:yaml.org,2002:"
_STANDARD_TAGS = {
    _YAML + "str",
    _YAML + "int",
    _YAML + "float",
    _YAML + "bool",
    _YAML + "null",
    _YAML + "map",
    _YAML + "seq",
    _YAML + "timestamp",  # an unquoted date: kept as the text it was written as
    _YAML + "value",  # a plain '=': kept as text
}

try:  # libyaml's parser is several times faster; fall back to pure Python.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_scalar_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its construct_yaml_* helpers

# Characters YAML does not allow in a stream (PyYAML's Reader.NON_PRINTABLE).
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]")
_EXPONENT = re.compile(r"[eE]([-+]?[0-9_]+)")


class Node:
    """A YAML value with its location.

    ``value`` is a ``dict[str, Node]`` for a mapping, a ``list[Node]`` for a sequence, or a scalar:
    ``int``, ``Fraction`` (any number written with a decimal point or exponent), ``bool``, ``None``
    or ``str``. For a mapping, ``key_locations`` gives where each key was written. ``quoted`` is
    true for a quoted scalar (its text starts one column after ``location``). ``names`` caches
    the parameter names the expressions in the value read (see
    :func:`convcost.language.expressions.names_read`), None until asked.
    """

    __slots__ = ("value", "location", "key_locations", "quoted", "names")

    def __init__(self, value: Any, location: Location, key_locations: dict[str, Location] | None = None,
                 quoted: bool = False):
        self.value = value
        self.location = location
        self.key_locations = {} if key_locations is None else key_locations
        self.quoted = quoted
        self.names = None

    def __repr__(self) -> str:
        return f"Node({self.value!r}, {self.location})"

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


def _line_column(data: bytes | str, index: int) -> tuple[int, int]:
    if isinstance(data, bytes):
        newlines, last_newline = data.count(b"\n", 0, index), data.rfind(b"\n", 0, index)
    else:
        newlines, last_newline = data.count("\n", 0, index), data.rfind("\n", 0, index)
    return newlines + 1, index - (last_newline + 1) + 1


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def read_text(path: str) -> str:
    """The text of a spec file (``-`` reads standard input), or a SpecError (E100) that says why it
    cannot be read: missing, a directory, too large, binary, not UTF-8."""
    shown = STDIN if path == "-" else path
    where = Location(shown, 1, 1)
    if path == "-":
        import sys

        try:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError, AttributeError) as exc:
            raise SpecError(Problem("E100", f"cannot read standard input: {exc}", where)) from None
    else:
        try:
            exists = os.path.exists(path)
        except ValueError:  # an embedded NUL byte
            raise SpecError(Problem("E100", f"{clip(path)} is not a valid file name", where)) from None
        if not exists:
            raise SpecError(Problem("E100", f"no such file: {clip(path)}", where))
        if os.path.isdir(path):
            raise SpecError(Problem("E100", f"{clip(path)} is a directory, expected a YAML spec file", where))
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SpecError(Problem("E100", f"cannot read {clip(path)}: {exc.strerror or exc}", where)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(Problem("E100", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                                        "a spec is a small text file", where,
                                "use 'repeat' and blocks to describe large networks"))
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise SpecError(Problem("E100", f"the file is {encoding} text; convcost reads UTF-8", where,
                                    "save the spec as UTF-8"))
    if b"\x00" in data:
        line, column = _line_column(data, data.index(b"\x00"))
        raise SpecError(Problem("E100", "the file is binary (it contains NUL bytes), expected a YAML text file",
                                Location(shown, line, column)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column(data, exc.start)
        raise SpecError(
            Problem("E100", f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                    Location(shown, line, column), "save the spec as UTF-8 text")
        ) from None


def parse_yaml(text: str, path: str = "<text>") -> Node:
    """Compose ``text`` into a :class:`Node` tree, rejecting anything but plain YAML data.

    Raises SpecError with every problem found (E101 syntax, E102 duplicate keys, E103 tags, merge
    keys, nesting, alias expansion; E104 an empty document)."""
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, column = _line_column(text, bad.start())
        raise SpecError(Problem("E101", f"YAML syntax error: control character U+{ord(bad.group()):04X} is not "
                                        "allowed in YAML text", Location(path, line, column),
                                "remove it, or write it as an escape inside a double-quoted string"))
    too_deep = _flow_too_deep(text, path)
    if too_deep is not None:
        raise SpecError(too_deep)
    composer = _Composer(text, path)
    try:
        root = composer.compose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _location(path, mark) if mark else Location(path, 1, 1)
        if any(_LIBYAML_TOO_DEEP in (text or "") for text in (exc.problem, exc.context)):
            # libyaml 0.2.6 (PyYAML 6.0.4 wheels) stops at 1000 levels while scanning ahead, before
            # the composer sees the levels it would refuse: the same problem, so the same message.
            composer.problems.append(_too_deep(where))
            raise SpecError(finish(composer.problems)) from None
        message = exc.problem or str(exc)
        if exc.context:
            context = exc.context
            if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
                context += f" (started at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
            message = f"{context}: {message}"
        at = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
        composer.problems.append(Problem("E101", f"YAML syntax error: {shorten(message, 200)}", where,
                                         _syntax_hint(message, at)))
        raise SpecError(finish(composer.problems)) from None
    except yaml.YAMLError as exc:  # any other error of the YAML reader
        composer.problems.append(Problem("E101", f"YAML error: {shorten(str(exc), 200)}", Location(path, 1, 1)))
        raise SpecError(finish(composer.problems)) from None
    except _Stop:
        raise SpecError(finish(composer.problems)) from None
    if composer.problems:
        raise SpecError(finish(composer.problems))
    if root is None:
        raise SpecError(Problem("E104", "the spec is empty; expected a mapping with 'input' and 'layers'",
                                Location(path, 1, 1), "start from a shipped spec: convcost report mobilenet"))
    return root


_LIBYAML_TOO_DEEP = "nesting depth"  # libyaml: "exceeded maximum nesting depth"


def _too_deep(where: Location) -> Problem:
    return Problem("E103", f"YAML nesting is deeper than {MAX_DEPTH} levels", where, "a spec needs only a few levels")


_FLOW_SCAN_DEPTH = 4 * MAX_DEPTH
_FLOW_BRACKET = re.compile(r"[\[\]{}]|(?:^|(?<=\s))#[^\n]*", re.MULTILINE)


def _flow_too_deep(text: str, path: str) -> Problem | None:
    """The nesting problem of a document whose brackets open more than MAX_DEPTH flow levels.

    Both YAML scanners read a flow collection's tokens ahead of the events the composer bounds,
    the pure-Python one in time quadratic in the depth: a linear look at the brackets first keeps
    deep nesting fast to refuse with either. Comments are skipped; a bracket inside a quoted string
    is counted, which can only matter for hundreds of unbalanced ones. Its bound is looser than the
    composer's, which sees block levels too and so points at the exact level that is too deep."""
    if text.count("[") + text.count("{") <= _FLOW_SCAN_DEPTH:
        return None
    depth = 0
    for match in _FLOW_BRACKET.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > _FLOW_SCAN_DEPTH:
                line, column = _line_column(text, match.start())
                return _too_deep(Location(path, line, column))
        elif bracket in "]}":
            depth = max(depth - 1, 0)
    return None


def _syntax_hint(message: str, at: str) -> str | None:
    if at == "\t" or "tab" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "put a space after ':' and quote text that contains ': '"
    if "expected ',' or '}'" in message or "expected ',' or ']'" in message:
        return "check the brackets and commas of this flow mapping or list"
    return None


class _Stop(Exception):
    """A problem after which the rest of the document cannot be read meaningfully."""


class _Frame:
    __slots__ = ("node", "anchor", "size", "key", "key_where", "skip_key")

    def __init__(self, node: Node, anchor: str | None):
        self.node, self.anchor, self.size = node, anchor, 1
        self.key: str | None = None  # a mapping's pending key
        self.key_where: Location | None = None
        self.skip_key = False  # the pending key is a problem already reported


class _Composer:
    """YAML events -> Node tree, iteratively, with every bound checked as the events arrive."""

    def __init__(self, text: str, path: str):
        self.loader = _Loader(text)
        self.path = path
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Node, int]] = {}  # anchor -> (node, values it expands to)
        self.open_anchors: set[str] = set()
        self.total = 0  # values so far, aliases expanded
        self.aliased = False  # an alias was expanded
        self.resolved: dict[tuple, str] = {}  # (text, implicit) -> tag: specs repeat the same words

    def compose(self) -> Node | None:
        loader = self.loader
        try:
            stack: list[_Frame] = []
            root: Node | None = None
            documents = 0
            while loader.check_event():
                event = loader.get_event()
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    node = self._scalar(event)
                    if stack:
                        self._add(stack, node, 1, event)
                    else:  # a document that is a single scalar
                        root = node
                elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                    where = _location(self.path, event.start_mark)
                    if len(stack) >= MAX_DEPTH:
                        self.problems.append(_too_deep(where))
                        raise _Stop
                    self._tag(event, "map" if kind is yaml.MappingStartEvent else "seq", where)
                    node = Node({} if kind is yaml.MappingStartEvent else [], where)
                    if event.anchor is not None:
                        self.open_anchors.add(event.anchor)
                    self._count(1, where)
                    stack.append(_Frame(node, event.anchor))
                elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    frame = stack.pop()
                    if frame.anchor is not None:
                        self.open_anchors.discard(frame.anchor)
                        self.anchors[frame.anchor] = (frame.node, frame.size)
                    if stack:
                        self._add(stack, frame.node, frame.size, event, counted=True)
                    else:
                        root = frame.node
                elif kind is yaml.AliasEvent:
                    self._alias(stack, event)
                elif kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        self.problems.append(Problem("E101", "the file holds more than one YAML document ('---'); "
                                                             "a spec is one document",
                                                     _location(self.path, event.start_mark),
                                                     "remove the second '---' and what follows, or split the file"))
                        raise _Stop
            return root
        finally:
            loader.dispose()

    # -- values ------------------------------------------------------------------------------

    def _count(self, size: int, where: Location, alias: bool = False) -> None:
        self.total += size
        if alias:
            self.aliased = True
        if self.total > MAX_NODES:
            if self.aliased:
                self.problems.append(Problem("E103", f"the document expands to more than {MAX_NODES:,} values "
                                                     "through its aliases (a 'billion laughs' document?)",
                                             where, "write the spec without aliases of aliases"))
            else:
                self.problems.append(Problem("E103", f"the document holds more than {MAX_NODES:,} values; a spec "
                                                     "is far smaller", where,
                                             "describe repeated layers with 'repeat' and blocks"))
            raise _Stop

    def _add(self, stack: list[_Frame], node: Node, size: int, event, counted: bool = False) -> None:
        """Put a finished value into the mapping or list being built."""
        if not counted:
            self._count(size, node.location)
        frame = stack[-1]
        frame.size += size
        parent = frame.node
        if isinstance(parent.value, list):
            parent.value.append(node)
            return
        if frame.key is None and not frame.skip_key:  # this value is a key
            if node.is_mapping or node.is_sequence:
                self.problems.append(Problem("E103", "a mapping key must be a plain name, not a mapping or list",
                                             node.location))
                frame.skip_key = True
            elif isinstance(event, yaml.AliasEvent):
                self.problems.append(Problem("E103", "an alias cannot be used as a mapping key", node.location))
                frame.skip_key = True
            else:
                key = event.value
                if event.tag is None and event.implicit[0] and key == "<<":
                    self.problems.append(Problem("E103", "YAML merge keys ('<<') are not supported", node.location,
                                                 "write the fields out in each mapping"))
                    frame.skip_key = True
                elif key in parent.value or key in parent.key_locations:
                    first = parent.key_locations[key]
                    self.problems.append(Problem("E102", f"duplicate key {clip(key)} (first written at line "
                                                         f"{first.line}, column {first.column})",
                                                 node.location, "remove one of them"))
                    frame.skip_key = True
                else:
                    frame.key, frame.key_where = key, node.location
            return
        if frame.skip_key:
            frame.skip_key = False
            return
        key, where = frame.key, frame.key_where
        assert key is not None and where is not None  # set together above, when the key arrived
        parent.value[key] = node
        parent.key_locations[key] = where
        frame.key = None

    def _alias(self, stack: list[_Frame], event) -> None:
        where = _location(self.path, event.start_mark)
        name = event.anchor
        if name in self.open_anchors:
            self.problems.append(Problem("E103", f"alias '*{clip(name)[1:-1]}' is used inside the value it names "
                                                 "(a recursive alias)", where))
            raise _Stop
        if name not in self.anchors:
            self.problems.append(Problem("E101", f"YAML syntax error: alias '*{clip(name)[1:-1]}' names no anchor "
                                                 "above it",
                                         where, f"define '&{clip(name, 40)}' before using '*{clip(name, 40)}'"))
            raise _Stop
        node, size = self.anchors[name]
        self._count(size, where, alias=True)
        if stack:
            self._add(stack, node, size, event, counted=True)

    def _tag(self, event, default: str, where: Location) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            return _YAML + default
        if tag not in _STANDARD_TAGS or (default in ("map", "seq") and tag != _YAML + default):
            shown = "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag
            self.problems.append(Problem("E103", f"YAML tag {clip(shown)} is not allowed; a spec holds plain data "
                                                 "only", where, "remove the tag"))
            return ""
        return tag

    def _scalar(self, event) -> Node:
        where = _location(self.path, event.start_mark)
        quoted = event.style in ("'", '"')
        if event.tag is None or event.tag == "!":
            key = (event.value, event.implicit)
            tag = self.resolved.get(key)
            if tag is None:
                tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                if len(self.resolved) < 10_000:
                    self.resolved[key] = tag
        else:
            tag = self._tag(event, "str", where)
        try:
            value = _scalar(tag, event.value, where)
        except SpecError as error:
            self.problems.extend(error.problems)
            value = None
        node = Node(value, where, quoted=quoted)
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, 1)
        return node


def _scalar(tag: str, text: str, where: Location) -> Any:
    if tag == _YAML + "int":
        if text.isdigit() and len(text) < 19:  # the common case, quickly
            return int(text) if text[0] != "0" or text == "0" else _scalar_constructor.construct_yaml_int(
                yaml.ScalarNode(tag, text))
        if len(text) > MAX_NUMBER_CHARS:
            raise SpecError(Problem("E205", f"number has more than {MAX_NUMBER_CHARS} characters", where))
        try:
            return _scalar_constructor.construct_yaml_int(yaml.ScalarNode(tag, text))
        except (ValueError, TypeError, IndexError):  # e.g. '!!int abc'
            raise SpecError(Problem("E204", f"{clip(text)} is not a whole number", where)) from None
    if tag == _YAML + "float":
        return decimal_fraction(text, where)
    if tag == _YAML + "bool":
        try:
            return _scalar_constructor.construct_yaml_bool(yaml.ScalarNode(tag, text))
        except KeyError:  # '!!bool maybe'
            raise SpecError(Problem("E204", f"{clip(text)} is not true or false", where)) from None
    if tag == _YAML + "null":
        return None
    if tag == _YAML + "timestamp":
        return DateText(text)
    return text


class DateText(str):
    """An unquoted date (``2001-12-14``): text where text is wanted, never read as arithmetic."""


def decimal_fraction(text: str, where: Location) -> Fraction:
    """The exact value of a decimal number such as ``0.857`` or ``1.5e-3``; SpecError (E205) for a
    number too long or with too large an exponent, E204 for inf and nan."""
    if len(text) > MAX_NUMBER_CHARS:
        raise SpecError(Problem("E205", f"number has more than {MAX_NUMBER_CHARS} characters", where))
    exponent = _EXPONENT.search(text)
    if exponent and abs(int(exponent.group(1).replace("_", ""))) > MAX_EXPONENT:
        raise SpecError(Problem("E205", f"number {clip(text)} has an exponent beyond ±{MAX_EXPONENT}", where))
    try:
        return Fraction(text.replace("_", ""))
    except (ValueError, ZeroDivisionError):
        raise SpecError(Problem("E204", f"{clip(text)} is not a finite number", where,
                                "write numbers like 224, 0.75 or 1.5e-3")) from None
