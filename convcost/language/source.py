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
import stat
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


class SpreadText(Node):
    """A text scalar whose characters are not where its line and column plus their offset say:
    one written over several lines (YAML folds the line breaks of a plain or quoted scalar into
    spaces and strips the indentation of a block scalar) or quoted with escapes. It keeps the span
    of the file it was written in, so that :func:`text_position` can find a character of its value."""

    __slots__ = ("source", "start", "end", "style")

    def __init__(self, value: str, location: Location, quoted: bool, source: str, start: int, end: int,
                 style: str):
        super().__init__(value, location, quoted=quoted)
        self.source, self.start, self.end, self.style = source, start, end, style


class Aliased(Node):
    """A value used through an alias (``*a``): the anchored value placed at the alias, the place
    it is used, naming its anchor and where the anchored value is written. What is inside it is
    shared with the anchored value (an alias is never expanded), so the parts of an aliased
    mapping or list stay where they are written (:func:`through_aliases`)."""

    __slots__ = ("anchor", "written")

    def __init__(self, original: Node, anchor: str, where: Location):
        super().__init__(original.value, where, original.key_locations)
        self.names = original.names
        self.anchor = anchor
        self.written: Location = original.written if isinstance(original, Aliased) else original.location


def through_aliases(problems: list[Problem], root: Node | None) -> list[Problem]:
    """``problems`` told where their value is written when it is reached through an alias
    (docs/errors.md, "Aliases"). A problem of an aliased value as a whole is at the alias and says
    where the value is written: ``…; the value of '*a' is written at line 3, column 14``. A problem
    of a part of an aliased mapping or list is where that part is written, in the anchored value,
    once, however many uses of the anchor share it: ``… (and 1 more like it through '*a')``; so is
    the same problem at the anchored value and at its uses."""
    if root is None or not problems:
        return problems
    uses, anchored = _alias_places(root)
    if not uses:
        return problems
    written = {use.written for use in uses.values()}
    first: dict[tuple, int] = {}
    kept: list[list] = []  # [problem, how many more like it, the use it is at (or None)]
    for problem in sorted(problems, key=lambda p: (0, 0) if p.location is None else
                          (p.location.line, p.location.column)):
        where = problem.location
        use = uses.get(where) if where is not None else None
        if use is not None:  # the same as at the anchored value itself, or at another use, is one problem
            key: tuple | None = (problem.code, problem.message, use.written)
        elif where in written:
            key = (problem.code, problem.message, where)
        else:  # a part of an aliased value: the same code at the same place is one problem
            key = (problem.code, where) if where in anchored else None
        if key is not None and key in first:
            kept[first[key]][1] += 1
            continue
        if key is not None:
            first[key] = len(kept)
        kept.append([problem, 0, use or (anchored.get(where) if where is not None else None)])
    return [_told(problem, more, use, uses) for problem, more, use in kept]


def _alias_places(root: Node) -> tuple[dict[Location, Aliased], dict[Location, Aliased]]:
    """The uses of aliases in the tree of ``root`` by their place, and the places of the aliased
    values and of each part of them, each with one of its uses. The tree is walked once, as
    written: what an alias stands for is walked once, not at each use."""
    uses: dict[Location, Aliased] = {}
    anchored: dict[Location, Aliased] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Aliased):
            uses.setdefault(node.location, node)
            if node.written not in anchored:
                anchored[node.written] = node
                parts = _parts(node)
                while parts:
                    part = parts.pop()
                    if part.location not in anchored:
                        anchored[part.location] = node
                        parts.extend(_parts(part))
            continue
        stack.extend(_parts(node))
    return uses, anchored


def _parts(node: Node) -> list[Node]:
    value = node.value
    return list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, list) else []


def _told(problem: Problem, more: int, use: Aliased | None, uses: dict[Location, Aliased]) -> Problem:
    """``problem`` saying where its aliased value is written, or how many more like it there are."""
    if use is None:
        return problem
    message = problem.message
    if problem.location in uses:
        message += f"; the value of '*{use.anchor}' is written at line {use.written.line}, column {use.written.column}"
    if more:
        message += f" (and {more} more like it through '*{use.anchor}')"
    return problem if message == problem.message else Problem(problem.code, message, problem.location, problem.hint)


_PROPERTIES = re.compile(r"(?:[&!]\S*[ \t]+)+")
_YAML_SPACE = frozenset(" \t\r\n\x85\u2028\u2029")  # what folding and indentation change; nothing else


def text_position(node: Node, offset: int) -> Location | None:
    """Where character ``offset`` of the text value of ``node`` is written in the file; None for a
    scalar written on one line without escapes, whose characters follow its first one.

    Folding and indentation change only white space, so the character is the file's non-space
    character of the same rank in the scalar's text (after the quote, or after the header line of
    a block scalar ``|``/``>``). A quoted scalar with escapes (``\\x41``, ``''``) changes other
    characters too: its characters are placed at its start (docs/errors.md)."""
    if isinstance(node, Aliased):  # written elsewhere: its characters are at the alias
        return node.location
    if not isinstance(node, SpreadText):
        return None
    value = node.value
    if not isinstance(value, str) or not 0 <= offset < len(value):
        return node.location
    start = node.start
    properties = _PROPERTIES.match(node.source, start, node.end)  # an anchor or a tag: '&k !!str 3 * x'
    if properties:
        start = properties.end()
    raw = node.source[start:node.end]
    if node.style in ("'", '"'):
        if (node.style == '"' and "\\" in raw) or (node.style == "'" and "''" in raw[1:-1]):
            return Location(node.location.path, node.location.line, node.location.column + 1)
        first = 1
    elif node.style in ("|", ">"):
        header = _LINE_BREAK.search(raw)
        first = header.end() if header else len(raw)
    else:
        first = 0
    rank = sum(1 for character in value[:offset] if character not in _YAML_SPACE)
    for index in range(first, len(raw)):
        if raw[index] not in _YAML_SPACE:
            if rank == 0:
                line, column = _line_column(node.source, start + index)
                return Location(node.location.path, line, column)
            rank -= 1
    return node.location


def _location(path: str, mark) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


# What YAML 1.1 counts as a line break, and so what both YAML readers count in their marks: LF, CR,
# CRLF (one break), NEL and the Unicode line and paragraph separators.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_column(data: bytes | str, index: int) -> tuple[int, int]:
    """The 1-based line and column of character ``index`` of ``data`` (of byte ``index`` for
    bytes, whose column still counts characters), counting lines as the YAML readers do."""
    if isinstance(data, bytes):  # the UTF-8 before the byte (a BOM is not a character of the line)
        text = data[:index].decode("utf-8", "replace")
        index = len(text)
        if text.startswith("\ufeff"):
            text, index = text[1:], index - 1
    else:
        text = data
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line, line_start = line + 1, match.end()
    return line, index - line_start + 1


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _not_regular(path: str, mode: int, where: Location, what: str) -> SpecError:
    kind = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
    return SpecError(Problem("E100", f"{clip(path)} is {kind}, expected {what}", where,
                             None if stat.S_ISDIR(mode) else
                             "convcost reads regular files only" + (", and '-' reads standard input"
                                                                    if "spec" in what else "")))


def _read_regular_file(path: str, where: Location, what: str) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of the regular file ``path`` (a symbolic link to one is
    fine). Anything else is refused before a byte is read: a FIFO would block until a writer came,
    a device such as /dev/zero never ends, a directory or a socket holds no text. The file is
    checked before it is opened (opening a FIFO to read waits for a writer) and again once open,
    non-blocking, in case it was replaced in between."""
    try:
        info = os.stat(path)
    except ValueError:  # an embedded NUL byte
        raise SpecError(Problem("E100", f"{clip(path)} is not a valid file name", where)) from None
    except FileNotFoundError:
        broken = os.path.lexists(path)
        raise SpecError(Problem("E100", f"{clip(path)} is a symbolic link to a missing file" if broken
                                else f"no such file: {clip(path)}", where)) from None
    except OSError as exc:
        raise SpecError(Problem("E100", f"cannot read {clip(path)}: {exc.strerror or exc}", where)) from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode, where, what)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SpecError(Problem("E100", f"cannot read {clip(path)}: {exc.strerror or exc}", where)) from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode, where, what)
        try:
            return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SpecError(Problem("E100", f"cannot read {clip(path)}: {exc.strerror or exc}", where)) from None


def read_text(path: str, what: str = "a YAML spec file") -> str:
    """The text of a spec file (``-`` reads standard input), or a SpecError (E100) that says why it
    cannot be read: missing, not a regular file (a directory, a FIFO, a device), too large, binary,
    not UTF-8. ``what`` names the file expected, in messages (budget files and baselines are read
    here too: this is the one door through which convcost reads a file)."""
    shown = STDIN if path == "-" else path
    where = Location(shown, 1, 1)
    if path == "-":
        import sys

        try:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError, AttributeError) as exc:
            raise SpecError(Problem("E100", f"cannot read standard input: {exc}", where)) from None
    else:
        data = _read_regular_file(path, where, what)
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(Problem("E100", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                                        f"{what} is a small text file", where,
                                "use 'repeat' and blocks to describe large networks" if "spec" in what else None))
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise SpecError(Problem("E100", f"the file is {encoding} text; convcost reads UTF-8", where,
                                    "save the spec as UTF-8"))
    if b"\x00" in data:
        line, column = _line_column(data, data.index(b"\x00"))
        raise SpecError(Problem("E100", f"the file is binary (it contains NUL bytes), expected {what}",
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
        self.text = text
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
        self._count(size, where, alias=True)  # (before the copy: a "billion laughs" stops here)
        if stack:
            self._add(stack, Aliased(node, name, where), size, event, counted=True)

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
        value = None
        text = event.value
        if event.implicit[0] and not quoted and (tag == _YAML + "bool" or ":" in text or "_" in text
                                                  or text.lstrip("+-")[:1] == "0"):
            value = _yaml_1_1_only(tag, text)  # None: both YAML versions read it alike
        if value is None:
            try:
                value = _scalar(tag, event.value, where)
            except SpecError as error:
                self.problems.extend(error.problems)
        start, end = event.start_mark, event.end_mark
        # an anchor, a tag, an escape or a line break: the characters are not where they would be
        if isinstance(value, str) and (start.line != end.line or end.index - start.index != len(value) + 2 * quoted):
            node: Node = SpreadText(value, where, quoted, self.text, start.index, end.index, event.style)
        else:
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


class Yaml11Text(str):
    """A plain scalar that YAML 1.1 (PyYAML's resolver) and YAML 1.2 read differently: ``010``
    (octal 8 in 1.1, 10 in 1.2), ``08`` (text in 1.1, 8 in 1.2), ``1:30`` (base-60 90 in 1.1,
    text in 1.2), ``yes``/``no``/``on``/``off`` (booleans in 1.1, text in 1.2), ``1__0``.

    It is kept as its text, as YAML 1.2 keeps the words and base-60 forms, so a name or a
    description may be written so; a field that needs a number or true/false refuses it (E208)
    with ``reading`` (what each YAML version makes of it) and ``fix`` (what to write instead)."""

    reading: str
    fix: str

    @classmethod
    def of(cls, text: str, reading: str, fix: str) -> "Yaml11Text":
        made = cls(text)
        made.reading, made.fix = reading, fix
        return made


_YAML_1_1_BOOLS = {"yes": True, "Yes": True, "YES": True, "on": True, "On": True, "ON": True,
                   "no": False, "No": False, "NO": False, "off": False, "Off": False, "OFF": False}
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_PYTHON_NUMBER = re.compile(r"[-+]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|0[xX](?:_?[0-9a-fA-F])+"
                            r"|0[bB](?:_?[01])+|\.[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9]+)?")


def _yaml_1_1_only(tag: str, text: str) -> Yaml11Text | None:
    """A :class:`Yaml11Text` when YAML 1.1 (PyYAML's resolver, which gave ``tag``) and YAML 1.2
    read the plain scalar ``text`` differently, else None. Forms that both read alike are kept:
    ``0x1F``, ``0b101`` and ``1_000`` also mean what they mean in a Python expression, and
    ``0o10`` (YAML 1.2's octal, text to YAML 1.1) is read by the expression language as 8."""
    if tag == _YAML + "bool":
        if text not in _YAML_1_1_BOOLS:
            return None
        word = "true" if _YAML_1_1_BOOLS[text] else "false"
        return Yaml11Text.of(text, f"{word} in YAML 1.1 but text in YAML 1.2, which convcost reads",
                             f"write {word}")
    if tag not in (_YAML + "int", _YAML + "float", _YAML + "str") or len(text) > MAX_NUMBER_CHARS:
        return None
    node = yaml.ScalarNode(tag, text)
    if ":" in text and tag != _YAML + "str":  # 1:30 is 90 in YAML 1.1
        try:
            old = (_scalar_constructor.construct_yaml_int(node) if tag == _YAML + "int"
                   else _scalar_constructor.construct_yaml_float(node))
        except (ValueError, OverflowError):  # pragma: no cover - the resolver's pattern admits no other
            return None
        shown = f"{old:g}" if isinstance(old, float) else str(old)
        return Yaml11Text.of(text, f"a base-60 number in YAML 1.1 ({shown}) but text in YAML 1.2, which convcost "
                                   "reads", f"write the number itself ({shown}), or quote the text")
    if _LEADING_ZERO.fullmatch(text):  # 010 is 8 in YAML 1.1, 10 in YAML 1.2
        sign, digits = text[:1] if text[:1] in "+-" else "", text.lstrip("+-")
        decimal = int(text.replace("_", ""))
        if tag == _YAML + "int":
            octal = _scalar_constructor.construct_yaml_int(node)
            reading = (f"the octal number {octal} in YAML 1.1 but {decimal} in YAML 1.2" if octal != decimal
                       else f"octal in YAML 1.1 but decimal in YAML 1.2 (both {decimal} here)")
            fix = f"write {decimal}" + (f", or {sign}0o{digits.lstrip('0_')} for octal {octal}" if octal != decimal
                                        else "")
        else:
            reading, fix = f"text in YAML 1.1 but {decimal} in YAML 1.2", f"write {decimal}"
        return Yaml11Text.of(text, f"written with a leading zero: {reading}", fix)
    if "_" in text and tag != _YAML + "str" and not _PYTHON_NUMBER.fullmatch(text):  # 1__0, 10_
        value = text.replace("_", "")
        return Yaml11Text.of(text, f"{value} in YAML 1.1 (which drops every '_') but text in YAML 1.2",
                             f"write {value}; a '_' may only stand between two digits")
    return None


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
