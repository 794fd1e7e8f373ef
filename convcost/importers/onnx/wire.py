"""An ONNX file read as protobuf wire format: the graph's structure, never its weight data.

``onnx.load`` parses every weight into memory (a 100 MB ResNet50 file: 0.42 s and 233 MB peak),
and ``import onnx`` alone takes 1.4 s (its ml_dtypes extension); convcost needs the nodes, the
value infos and each initializer's name, type and dims. So this module reads the wire format
itself (https://protobuf.dev/programming-guides/encoding/, the field numbers of onnx.proto):
a large message (the model, the graph, a big tensor) is walked in the file by seeking from one
field header to the next; a small one is read into memory and decoded there; a tensor's data
fields are skipped unless the tensor is small enough to be shape arithmetic (at most
:data:`MAX_VALUES` elements), which is then decoded. Nothing here needs the onnx package.

    model = read_model_file("resnet50.onnx")     # a Model: opsets, graph (nodes, initializers, io)
    model.graph.initializers["fc.weight"].dims   # (1000, 2048), its data never read
"""

from __future__ import annotations

import struct
from typing import IO, Iterator, NamedTuple, Union

MAX_VALUES = 4096  # a tensor with at most this many elements has its values decoded (shape arithmetic)
IN_MEMORY = 1 << 22  # a message of at most 4 MiB is read whole and decoded in memory

# TensorProto.DataType -> (struct code, bytes per element); FLOAT16 and others: no values decoded
DATA_TYPES = {1: ("f", 4), 2: ("B", 1), 3: ("b", 1), 4: ("H", 2), 5: ("h", 2), 6: ("i", 4), 7: ("q", 8),
              9: ("?", 1), 11: ("d", 8), 12: ("I", 4), 13: ("Q", 8)}
TYPE_NAMES = {1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
              9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 16: "bfloat16"}


class Corrupt(Exception):
    """The bytes are not a well-formed ONNX protobuf: ``where`` says what was being read."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


class Tensor(NamedTuple):
    """An initializer or a constant: name, dims, element type (TensorProto.DataType), and its
    values flattened when it is small (None otherwise, or when stored outside the file)."""

    name: str
    dims: tuple[int, ...]
    data_type: int
    values: tuple[float, ...] | tuple[int, ...] | None


class Node(NamedTuple):
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: dict[str, object]  # int, float, str, Tensor, tuples of them; a graph is the string "<graph>"


class ValueInfo(NamedTuple):
    """A graph input, output or value_info: its element type and shape (an int, a ``dim_param``
    name or None per axis; None for the whole shape when it is not given)."""

    name: str
    elem_type: int
    shape: tuple[int | str | None, ...] | None


class Graph(NamedTuple):
    name: str
    nodes: tuple[Node, ...]
    initializers: dict[str, Tensor]
    inputs: tuple[ValueInfo, ...]
    outputs: tuple[ValueInfo, ...]
    value_info: dict[str, ValueInfo]


class Model(NamedTuple):
    ir_version: int
    opsets: dict[str, int]  # domain ("" for the default ai.onnx) -> version
    producer: str
    graph: Graph


class _Region(NamedTuple):
    """A message still in the file: bytes [start, end) of ``handle``."""

    handle: IO[bytes]
    start: int
    end: int


_Bytes = Union[memoryview, _Region]


def read_model_file(path: str) -> Model:
    """The model in the ONNX file at ``path``; :class:`Corrupt` when the bytes are not one."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        return _model(_Region(handle, 0, size))


def _varint(data: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise Corrupt("the file ends inside a number (truncated?)")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise Corrupt("a number longer than 10 bytes (corrupt data)")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _load(data: _Bytes) -> memoryview:
    if isinstance(data, memoryview):
        return data
    handle, start, end = data
    handle.seek(start)
    blob = handle.read(end - start)
    if len(blob) != end - start:
        raise Corrupt("the file ends before the message it announces (truncated?)")
    return memoryview(blob)


def _fields(data: _Bytes) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of each field: an int for varint and fixed types, the
    bytes (a memoryview, or a _Region still in the file when large) for length-delimited ones."""
    if isinstance(data, _Region) and data.end - data.start <= IN_MEMORY:
        data = _load(data)
    if isinstance(data, memoryview):
        pos, end = 0, len(data)
        while pos < end:
            key, pos = _varint(data, pos, end)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = _varint(data, pos, end)
                yield field, wire, value
            elif wire == 2:
                length, pos = _varint(data, pos, end)
                if pos + length > end:
                    raise Corrupt("a field runs past the end of its message (truncated?)")
                yield field, wire, data[pos:pos + length]
                pos += length
            elif wire in (1, 5):
                width = 8 if wire == 1 else 4
                if pos + width > end:
                    raise Corrupt("the file ends inside a number (truncated?)")
                yield field, wire, int.from_bytes(data[pos:pos + width], "little")
                pos += width
            else:
                raise Corrupt(f"wire type {wire} in field {field} (not protobuf, or corrupt)")
        return
    handle, pos, end = data
    while pos < end:
        handle.seek(pos)
        head = memoryview(handle.read(min(20, end - pos)))
        key, used = _varint(head, 0, len(head))
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, used = _varint(head, used, len(head))
            yield field, wire, value
            pos += used
        elif wire == 2:
            length, used = _varint(head, used, len(head))
            start = pos + used
            if start + length > end:
                raise Corrupt("a field runs past the end of the file (truncated?)")
            yield field, wire, _Region(handle, start, start + length)
            pos = start + length
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if used + width > len(head):
                raise Corrupt("the file ends inside a number (truncated?)")
            yield field, wire, int.from_bytes(head[used:used + width], "little")
            pos += used + width
        else:
            raise Corrupt(f"wire type {wire} in field {field} (not protobuf, or corrupt)")


def _text(value: object) -> str:
    try:
        return bytes(_load(value)).decode("utf-8")  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise Corrupt("a name that is not UTF-8 text (corrupt data)") from None


def _ints(wire: int, value: object, into: list[int]) -> None:
    """A repeated int64 field, packed or not."""
    if wire == 0:
        into.append(_signed(value))  # type: ignore[arg-type]
        return
    data = _load(value)  # type: ignore[arg-type]
    pos = 0
    while pos < len(data):
        number, pos = _varint(data, pos, len(data))
        into.append(_signed(number))


def _floats(wire: int, value: object, into: list[float]) -> None:
    if wire == 5:
        into.append(struct.unpack("<f", int(value).to_bytes(4, "little"))[0])  # type: ignore[call-overload]
        return
    data = bytes(_load(value))  # type: ignore[arg-type]
    into.extend(struct.unpack(f"<{len(data) // 4}f", data[:len(data) // 4 * 4]))


def _model(data: _Bytes) -> Model:
    ir_version, opsets, producer, graph = 0, {}, "", None
    for field, wire, value in _fields(data):
        if field == 1 and wire == 0:
            ir_version = int(value)  # type: ignore[call-overload]
        elif field == 2 and wire == 2:
            producer = _text(value)
        elif field == 8 and wire == 2:
            domain, version = "", 0
            for sub, sub_wire, item in _fields(value):  # type: ignore[arg-type]
                if sub == 1 and sub_wire == 2:
                    domain = _text(item)
                elif sub == 2 and sub_wire == 0:
                    version = int(item)  # type: ignore[call-overload]
            opsets["" if domain == "ai.onnx" else domain] = version
        elif field == 7 and wire == 2:
            graph = _graph(value)  # type: ignore[arg-type]
    if graph is None or ir_version <= 0:
        raise Corrupt("no ONNX graph in the file (not an ONNX model, or corrupt)")
    return Model(ir_version, opsets, producer, graph)


def _graph(data: _Bytes) -> Graph:
    nodes: list[Node] = []
    initializers: dict[str, Tensor] = {}
    inputs: list[ValueInfo] = []
    outputs: list[ValueInfo] = []
    value_info: dict[str, ValueInfo] = {}
    name = ""
    for field, wire, value in _fields(data):
        if wire != 2:
            continue
        if field == 1:
            try:
                nodes.append(_node(value))  # type: ignore[arg-type]
            except Corrupt as error:
                raise Corrupt(str(error), f"node {len(nodes) + 1} of the graph") from None
        elif field == 2:
            name = _text(value)
        elif field == 5:
            tensor = _tensor(value)  # type: ignore[arg-type]
            initializers[tensor.name] = tensor
        elif field == 15:
            raise Corrupt("a sparse initializer (convcost reads dense ONNX graphs)")
        elif field in (11, 12, 13):
            info = _value_info(value)  # type: ignore[arg-type]
            if field == 11:
                inputs.append(info)
            elif field == 12:
                outputs.append(info)
            else:
                value_info[info.name] = info
    return Graph(name, tuple(nodes), initializers, tuple(inputs), tuple(outputs), value_info)


def _node(data: _Bytes) -> Node:
    inputs: list[str] = []
    outputs: list[str] = []
    attributes: dict[str, object] = {}
    name = op_type = domain = ""
    for field, wire, value in _fields(data):
        if wire != 2:
            continue
        if field == 1:
            inputs.append(_text(value))
        elif field == 2:
            outputs.append(_text(value))
        elif field == 3:
            name = _text(value)
        elif field == 4:
            op_type = _text(value)
        elif field == 7:
            domain = _text(value)
        elif field == 5:
            key, item = _attribute(value)  # type: ignore[arg-type]
            attributes[key] = item
    return Node(name, op_type, "" if domain == "ai.onnx" else domain, tuple(inputs), tuple(outputs), attributes)


def _attribute(data: _Bytes) -> tuple[str, object]:
    name, kind = "", 0
    found: dict[int, object] = {}
    ints: list[int] = []
    floats: list[float] = []
    strings: list[str] = []
    tensors: list[Tensor] = []
    for field, wire, value in _fields(data):
        if field == 1 and wire == 2:
            name = _text(value)
        elif field == 20 and wire == 0:
            kind = int(value)  # type: ignore[call-overload]
        elif field == 2 and wire == 5:
            found[1] = struct.unpack("<f", int(value).to_bytes(4, "little"))[0]  # type: ignore[call-overload]
        elif field == 3 and wire == 0:
            found[2] = _signed(value)  # type: ignore[arg-type]
        elif field == 4 and wire == 2:
            found[3] = _text(value)
        elif field == 5 and wire == 2:
            found[4] = _tensor(value)  # type: ignore[arg-type]
        elif field in (6, 11, 22, 23):
            found[5] = "<graph>"
        elif field == 7:
            _floats(wire, value, floats)
            found[6] = None
        elif field == 8:
            _ints(wire, value, ints)
            found[7] = None
        elif field == 9 and wire == 2:
            strings.append(_text(value))
            found[8] = None
        elif field == 10 and wire == 2:
            tensors.append(_tensor(value))  # type: ignore[arg-type]
            found[9] = None
    if kind == 0 and found:
        kind = min(found)
    lists: dict[int, object] = {6: tuple(floats), 7: tuple(ints), 8: tuple(strings), 9: tuple(tensors)}
    return name, lists[kind] if kind in lists else found.get(kind, "<graph>" if kind in (5, 10, 11, 12) else None)


def _tensor(data: _Bytes) -> Tensor:  # noqa: C901 - one branch per TensorProto field
    dims: list[int] = []
    name, data_type, external = "", 0, False
    raw: _Bytes | None = None
    ints: list[int] = []
    floats: list[float] = []
    stored: list[tuple[int, int, object]] = []
    for field, wire, value in _fields(data):
        if field == 1:
            _ints(wire, value, dims)
        elif field == 2 and wire == 0:
            data_type = int(value)  # type: ignore[call-overload]
        elif field == 8 and wire == 2:
            name = _text(value)
        elif field == 9 and wire == 2:
            raw = value  # type: ignore[assignment]
        elif field == 14 and wire == 0:
            external = value == 1
        elif field in (4, 5, 7, 10, 11):
            stored.append((field, wire, value))
    count = 1
    for size in dims:
        count *= size
    values: tuple[float, ...] | tuple[int, ...] | None = None
    if not external and count <= MAX_VALUES and data_type in DATA_TYPES:
        code, width = DATA_TYPES[data_type]
        if raw is not None:
            blob = bytes(_load(raw))
            if len(blob) == count * width:
                values = struct.unpack(f"<{count}{code}", blob)
        else:
            for field, wire, value in stored:
                if field == 4:
                    _floats(wire, value, floats)
                elif field == 10:
                    blob = bytes(_load(value)) if wire == 2 else int(value).to_bytes(8, "little")  # type: ignore[arg-type, call-overload]
                    floats.extend(struct.unpack(f"<{len(blob) // 8}d", blob))
                else:
                    _ints(wire, value, ints)
            decoded = floats or ints
            if len(decoded) == count:
                values = tuple(decoded)
    return Tensor(name, tuple(dims), data_type, values)


def _value_info(data: _Bytes) -> ValueInfo:
    name, elem_type = "", 0
    shape: tuple[int | str | None, ...] | None = None
    for field, wire, value in _fields(data):
        if field == 1 and wire == 2:
            name = _text(value)
        elif field == 2 and wire == 2:
            for sub, sub_wire, tensor_type in _fields(value):  # type: ignore[arg-type]
                if sub != 1 or sub_wire != 2:
                    continue  # a sequence, map or optional: no tensor shape
                for item, item_wire, item_value in _fields(tensor_type):  # type: ignore[arg-type]
                    if item == 1 and item_wire == 0:
                        elem_type = int(item_value)  # type: ignore[call-overload]
                    elif item == 2 and item_wire == 2:
                        shape = tuple(_dimension(dim) for number, dim_wire, dim in _fields(item_value)  # type: ignore[arg-type]
                                      if number == 1 and dim_wire == 2)
    return ValueInfo(name, elem_type, shape)


def _dimension(data: object) -> int | str | None:
    for field, wire, value in _fields(data):  # type: ignore[arg-type]
        if field == 1 and wire == 0:
            return _signed(value)  # type: ignore[arg-type]
        if field == 2 and wire == 2:
            return _text(value) or None
    return None
