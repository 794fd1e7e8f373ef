"""JSON text as ``json.dumps(value, indent=2)`` writes it, made fast and streamed.

With ``indent``, json switches to its pure-Python encoder, ten times slower than the C one; a
100,000-layer comparison or verification took 15-20 s to encode and held its whole text. Here
scalars go through the C encoder, the indented layout is written out directly, and a long list
(the layers) is written a chunk at a time as its items are made, so a renderer can encode what
repeats once and hold only a chunk. The text is byte for byte json's (tests/test_json_text.py).
"""

from __future__ import annotations

from typing import Callable, Iterable, TextIO

Encode = Callable[[object], str]
CHUNK = 1000  # items of the streamed list written at once


def indented(value: object, level: int, encode: Encode) -> str:
    """``value`` as ``json.dumps(value, indent=2)`` writes it at nesting ``level`` (dicts and
    lists one item per line, empty ones as ``{}`` and ``[]``, scalars by ``encode``)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        return ("{" + inner + ("," + inner).join(f"{encode(k)}: {indented(v, level + 1, encode)}"
                                               for k, v in value.items()) + "\n" + "  " * level + "}")
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        items = ("," + inner).join(indented(v, level + 1, encode) for v in value)
        return "[" + inner + items + "\n" + "  " * level + "]"
    return encode(value)


def write_indented(out: TextIO, header: dict, key: str, items: Iterable[str], encode: Encode) -> None:
    """``{**header, key: [...]}`` as ``json.dumps(..., indent=2)`` writes it, and a newline, to
    ``out``; ``items`` are the list's items already encoded at nesting level 2
    (``indented(item, 2, encode)``), written CHUNK at a time as they come."""
    out.write("{\n" + "".join(f"  {encode(k)}: {indented(v, 1, encode)},\n" for k, v in header.items()))
    opening = f"  {encode(key)}: [\n    "
    chunk: list[str] = []
    first = True
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            out.write((opening if first else ",\n    ") + ",\n    ".join(chunk))
            chunk, first = [], False
    if chunk:
        out.write((opening if first else ",\n    ") + ",\n    ".join(chunk))
        first = False
    out.write(f"  {encode(key)}: []\n}}\n" if first else "\n  ]\n}\n")
