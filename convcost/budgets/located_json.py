"""Read JSON text into a tree of :class:`Value` that remembers where every value was written,
within bounds, so that a baseline can be checked as strictly as a spec.

Python's ``json`` module recurses once per nesting level (a line of 100,000 ``[`` is a
RecursionError), converts a 5,001-digit integer only to fail on the interpreter's digit limit,
accepts ``NaN`` and ``Infinity``, keeps the last of two duplicate keys, and tells nothing of where
a value was written. This reader is one loop over regular-expression tokens with an explicit
stack: strict RFC 8259 JSON only, at most :data:`~convcost.language.source.MAX_DEPTH` levels,
numbers of at most :data:`~convcost.language.source.MAX_NUMBER_CHARS` characters, duplicate keys
refused, and every value and key located (by its offset; :meth:`Document.where` gives the line
and column).

Problems are E508 (not JSON: the first syntax error, as JSON cannot be read past it), E551 (a
bound: nesting, number length) and E552 (duplicate keys, every one). Pure: no printing.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from convcost.errors import Location, Problem, SpecError, clip
from convcost.language.source import MAX_DEPTH, MAX_NUMBER_CHARS

# One token and the white space before it. Possessive quantifiers keep a megabyte-long string from
# piling up backtracking state; ``bad`` is the first character that starts no token.
_TOKEN = re.compile(r"""[ \t\n\r]*+(?:
    (?P<open>[{\[])
  | (?P<close>[}\]])
  | (?P<comma>,)
  | (?P<colon>:)
  | (?P<string>"(?:[^"\\\x00-\x1f]++|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+")
  | (?P<number>-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][-+]?+[0-9]++)?+)
  | (?P<word>true|false|null)
  | (?P<bad>.)
  | (?P<end>\Z)
)""", re.VERBOSE | re.DOTALL)
_NOT_JSON_WORD = re.compile(r"-?(?:NaN|Infinity|inf|nan|True|False|None|undefined)\b")
_LITERALS = {"true": True, "false": False, "null": None}
_SAVE_HINT = "save one with: convcost report SPEC --format json > baseline.json"


class Value:
    """A JSON value and the offset where it starts. ``value`` is a ``dict[str, Value]`` for an
    object (``key_offsets``: where each key was written), a ``list[Value]`` for an array, an ``int``
    (a number written without fraction or exponent), a ``float``, a ``str`` (``quoted``: so that
    ``"3"`` and ``3`` stay apart), ``True``, ``False`` or ``None``."""

    __slots__ = ("value", "offset", "key_offsets", "quoted")

    def __init__(self, value: Any, offset: int, quoted: bool = False):
        self.value = value
        self.offset = offset
        self.key_offsets: dict[str, int] = {}
        self.quoted = quoted

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_array(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value with every nested Value unwrapped (what ``json.loads`` gives)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class Document:
    """A parsed JSON text: its root :class:`Value`, and line and column of any offset."""

    def __init__(self, text: str, path: str):
        self.path = path
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.root: Value | None = None

    def where(self, offset: int) -> Location:
        line = bisect.bisect_left(self.newlines, offset)
        start = self.newlines[line - 1] + 1 if line else 0
        return Location(self.path, line + 1, offset - start + 1)


def parse_json(text: str, path: str) -> Document:
    """The :class:`Document` of ``text``; SpecError E508 for the first syntax error, E551 for a
    bound, E552 for duplicate keys (all of them: the rest of the document is still read)."""
    return _Parser(text, path).run()


class _Parser:
    """One pass over the tokens; ``expect`` is what may come next: a value, a key, a colon, or
    ``next`` (a comma or the end of the open container)."""

    def __init__(self, text: str, path: str):
        self.text = text
        self.document = Document(text, path)
        self.duplicates: list[Problem] = []
        self.stack: list[Value] = []  # the open objects and arrays
        self.pending: list[str | None] = []  # per open object: the key whose value comes next (None: dropped)
        self.expect = "value"
        self.root: Value | None = None

    def fail(self, offset: int, message: str, hint: str | None = None, code: str = "E508") -> SpecError:
        if code == "E508":
            message = "baseline is not valid JSON: " + message
        return SpecError(self.duplicates + [Problem(code, message, self.document.where(offset), hint)])

    def run(self) -> Document:
        states = {"value": self.value, "key": self.key, "colon": self.colon, "next": self.next}
        first = False  # just after '{' or '[': the container may end here
        for match in _TOKEN.finditer(self.text):
            kind = match.lastgroup or ""
            start = match.start(kind)
            if kind == "end":
                break
            token = match.group(kind)
            if self.root is not None and not self.stack:
                raise self.fail(start, f"{clip(token)} after the end of the document")
            if kind == "bad":
                raise _stray(self.text, start, self.fail)
            if first and kind == "close":
                self.close(token, start)
                first = False
                continue
            first = states[self.expect](kind, token, start)
        if self.root is None or self.stack:
            raise self.fail(len(self.text), "the baseline is empty" if self.root is None and not self.stack
                            else "the text ends too early", _SAVE_HINT)
        if self.duplicates:
            raise SpecError(self.duplicates)
        self.document.root = self.root
        return self.document

    def value(self, kind: str, token: str, start: int) -> bool:
        if kind == "open":
            if len(self.stack) >= MAX_DEPTH:
                raise self.fail(start, f"JSON nesting is deeper than {MAX_DEPTH} levels", code="E551",
                                hint="a convcost report nests a few levels")
            node = Value({} if token == "{" else [], start)
            self.attach(node)
            self.stack.append(node)
            self.pending.append(None)
            self.expect = "key" if token == "{" else "value"
            return True
        if kind == "string":
            node = Value(token[1:-1] if "\\" not in token else json.loads(token), start, quoted=True)
        elif kind == "word":
            node = Value(_LITERALS[token], start)
        elif kind == "number":
            if len(token) > MAX_NUMBER_CHARS:
                raise self.fail(start, f"number has more than {MAX_NUMBER_CHARS} characters", code="E551",
                                hint="a count in a convcost report has at most a few dozen digits")
            node = Value(float(token) if "." in token or "e" in token or "E" in token else int(token), start)
        else:
            raise self.fail(start, f"expected a value, got {clip(token)}")
        self.attach(node)
        if not self.stack:
            self.root = node
        self.expect = "next"
        return False

    def key(self, kind: str, token: str, start: int) -> bool:
        if kind != "string":
            raise self.fail(start, f"expected a key in double quotes, got {clip(token)}",
                            "JSON writes keys as \"macs\"; a trailing comma is not allowed" if token == "}" else None)
        key = token[1:-1] if "\\" not in token else json.loads(token)
        parent = self.stack[-1]
        if key in parent.key_offsets:
            line, column = self.document.where(parent.key_offsets[key])[1:]
            self.duplicates.append(Problem("E552", f"duplicate key {clip(key)} (first written at line {line}, "
                                                   f"column {column}); JSON readers keep either one",
                                           self.document.where(start), "remove one of them"))
            self.pending[-1] = None  # its value is read and dropped: the first one stays
        else:
            parent.key_offsets[key] = start
            self.pending[-1] = key
        self.expect = "colon"
        return False

    def colon(self, kind: str, token: str, start: int) -> bool:
        if kind != "colon":
            raise self.fail(start, f"expected ':' after the key, got {clip(token)}")
        self.expect = "value"
        return False

    def next(self, kind: str, token: str, start: int) -> bool:
        closing = "}" if self.stack[-1].is_object else "]"
        if kind == "comma":
            self.expect = "key" if closing == "}" else "value"
        elif token == closing:
            self.close(token, start)
        else:
            raise self.fail(start, f"expected ',' or {closing!r}, got {clip(token)}")
        return False

    def attach(self, node: Value) -> None:
        if not self.stack:
            return
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(node)
        elif self.pending[-1] is not None:
            parent.value[self.pending[-1]] = node

    def close(self, token: str, start: int) -> None:
        """Close the innermost container; it is the root when nothing stays open."""
        node = self.stack[-1]
        if (token == "}") != node.is_object:
            raise self.fail(start, f"{clip(token)} does not close the {'{' if node.is_object else '['} "
                                   f"opened at line {self.document.where(node.offset).line}")
        self.stack.pop()
        self.pending.pop()
        if not self.stack:
            self.root = node
        self.expect = "next"


def _stray(text: str, start: int, fail) -> SpecError:
    word = _NOT_JSON_WORD.match(text, start)
    if word:
        return fail(start, f"{word.group()} is not a JSON value", "a baseline holds whole numbers; " + _SAVE_HINT)
    char = text[start]
    if char == '"':
        return fail(start, "a string with a control character, a bad escape or no closing quote")
    if char in "-.0123456789":
        return fail(start, "a malformed number (JSON writes 0.5, 12, 1e6; no leading zeros)")
    if char == "\ufeff":
        return fail(start, "the text starts with a byte order mark", "save the baseline as UTF-8 without a BOM")
    return fail(start, f"unexpected {clip(char)}")
