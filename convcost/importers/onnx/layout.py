"""Where each ONNX tensor lives in convcost, and the constant folding of shape arithmetic.

An ONNX tensor is either a constant (an initializer, a ``Constant``, or folded shape arithmetic:
its dims, and its values when small) or a convcost tensor: the layer (or network input) that
holds it, its ONNX shape (batch first, always 1) and ``axes``, the ONNX axis held by each
convcost axis. An NCHW tensor is ``axes = (2, 3, 1)``: convcost's ``[H, W, C]`` holds ONNX axes
2, 3 and 1. A Transpose changes ``axes`` and nothing else, so it is no layer:

    transposed(Value("conv1", (1, 8, 4, 4), (2, 3, 1)), (0, 2, 3, 1))   # NHWC: axes (1, 2, 3)
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from convcost.importers.onnx.wire import Node, Tensor


class Value(NamedTuple):
    """One ONNX tensor as convcost holds it: ``source`` (a layer or input, by model name) for a
    graph tensor, ``const`` for a constant."""

    source: str | None
    shape: tuple[int, ...]  # the ONNX shape; for a graph tensor, batch first
    axes: tuple[int, ...] = ()  # per convcost axis, the ONNX axis it holds (graph tensors)
    const: Tensor | None = None

    @property
    def cc_shape(self) -> tuple[int, ...]:
        """The shape convcost gives this tensor: channels last, no batch."""
        return tuple(self.shape[axis] for axis in self.axes)


def channels_first(rank: int) -> tuple[int, ...]:
    """The axes of an ONNX [N, C, spatial...] tensor: convcost holds [spatial..., C]."""
    return tuple(range(2, rank)) + (1,) if rank >= 3 else tuple(range(1, rank))


def natural(rank: int) -> tuple[int, ...]:
    """The axes of a tensor convcost holds in ONNX's own order (NHWC, [N, F])."""
    return tuple(range(1, rank))


def transposed(value: Value, perm: Sequence[int]) -> Value:
    """``value`` after Transpose(perm): the same convcost tensor seen through other ONNX axes
    (output axis i is input axis perm[i])."""
    inverse = {axis: position for position, axis in enumerate(perm)}
    return Value(value.source, tuple(value.shape[axis] for axis in perm),
                 tuple(inverse[axis] for axis in value.axes))


def constant(name: str, dims: Sequence[int], values: Sequence[int] | Sequence[float] | None,
             data_type: int = 7) -> Value:
    return Value(None, tuple(dims), (), Tensor(name, tuple(dims), data_type, None if values is None
                                               else tuple(values)))


def count(dims: Sequence[int]) -> int:
    total = 1
    for size in dims:
        total *= size
    return total


FOLDED = {"Shape", "Gather", "Concat", "Constant", "Unsqueeze", "Squeeze", "Cast", "Slice", "Identity",
          "Mul", "Add", "Sub", "Div", "Reshape", "ConstantOfShape", "Transpose"}


def fold(node: Node, values: list[Value | None], opset: int) -> Value | None:  # noqa: C901 - one branch per op
    """The constant output of ``node`` when it is shape arithmetic on constants (or Shape of a
    graph tensor), else None: the op is then mapped to a layer."""
    name = node.outputs[0] if node.outputs else node.name
    op, attrs = node.op_type, node.attributes
    picked: Sequence[float | int]
    if op == "Constant":
        for key in ("value_int", "value_ints", "value_float", "value_floats"):
            if key in attrs:
                item = attrs[key]
                listed = list(item) if isinstance(item, tuple) else [item]
                return constant(name, () if not isinstance(item, tuple) else (len(listed),), listed,  # type: ignore[arg-type]
                                1 if "float" in key else 7)
        tensor = attrs.get("value")
        if isinstance(tensor, Tensor):
            return Value(None, tensor.dims, (), tensor._replace(name=name))
        return None
    if op == "Shape" and values and values[0] is not None:
        dims = values[0].shape
        start, end = int(attrs.get("start", 0)), int(attrs.get("end", len(dims)))  # type: ignore[call-overload]
        picked = dims[slice(start, end)]
        return constant(name, (len(picked),), picked)
    if not values or any(value is None or value.const is None for value in values if value is not None) \
            or values[0] is None:
        return None
    tensors = [value.const if value is not None else None for value in values]
    first = tensors[0]
    assert first is not None
    data = first.values
    if op in ("Identity", "Cast"):
        if op == "Cast" and data is not None and attrs.get("to") in (6, 7):
            data = tuple(int(item) for item in data)
        return Value(None, first.dims, (), first._replace(name=name, values=data,
                                                         data_type=int(attrs.get("to", first.data_type))))  # type: ignore[call-overload]
    if op in ("Unsqueeze", "Squeeze", "Reshape"):
        return _reshaped(name, op, first, tensors[1:], attrs)
    if data is None:
        return None
    if op == "Gather" and len(tensors) == 2 and tensors[1] is not None and tensors[1].values is not None:
        if len(first.dims) != 1 or int(attrs.get("axis", 0)) != 0:  # type: ignore[call-overload]
            return None
        indices = [int(index) for index in tensors[1].values]
        picked = [data[index] for index in indices]
        return constant(name, tensors[1].dims, picked, first.data_type)
    if op == "Concat":
        if any(tensor is None or tensor.values is None or len(tensor.dims) != 1 for tensor in tensors):
            return None
        joined = [item for tensor in tensors for item in tensor.values]  # type: ignore[union-attr]
        return constant(name, (len(joined),), joined, first.data_type)
    if op in ("Mul", "Add", "Sub", "Div") and len(tensors) == 2 and tensors[1] is not None \
            and tensors[1].values is not None:
        left, right = list(data), list(tensors[1].values)
        if len(left) != len(right) and 1 not in (len(left), len(right)):
            return None
        size = max(len(left), len(right))
        left, right = left * (size if len(left) == 1 else 1), right * (size if len(right) == 1 else 1)
        integer = first.data_type in (6, 7)
        if op == "Div" and (0 in right):
            return None
        result = [a * b if op == "Mul" else a + b if op == "Add" else a - b if op == "Sub"
                  else (int(a / b) if integer else a / b) for a, b in zip(left, right)]
        dims = first.dims if len(first.dims) >= len(tensors[1].dims) else tensors[1].dims
        return constant(name, dims, result, first.data_type)
    if op == "Transpose":
        perm = [int(axis) for axis in attrs.get("perm", tuple(reversed(range(len(first.dims)))))]  # type: ignore[attr-defined]
        dims = tuple(first.dims[axis] for axis in perm)
        picked = [data[_flat(first.dims, [index[perm.index(axis)] for axis in range(len(perm))])]
                  for index in _indices(dims)]
        return constant(name, dims, picked, first.data_type)
    if op == "Slice" and len(first.dims) > 1 and opset >= 10:
        bounds = [[int(item) for item in tensor.values] if tensor is not None and tensor.values is not None else None
                  for tensor in tensors[1:]]
        if len(bounds) < 2 or bounds[0] is None or bounds[1] is None:
            return None
        ranges = [list(range(size)) for size in first.dims]
        axes = bounds[2] if len(bounds) > 2 and bounds[2] is not None else list(range(len(bounds[0])))
        steps = bounds[3] if len(bounds) > 3 and bounds[3] is not None else [1] * len(axes)
        for start, end, axis, step in zip(bounds[0], bounds[1], axes, steps):
            size = first.dims[axis]
            ranges[axis] = list(range(size))[slice(max(min(start, size), -size - 1),
                                                   max(min(end, size), -size - 1), step)]
        dims = tuple(len(r) for r in ranges)
        picked = [data[_flat(first.dims, [ranges[axis][i] for axis, i in enumerate(index)])]
                  for index in _indices(dims)]
        return constant(name, dims, picked, first.data_type)
    if op == "Slice" and len(first.dims) == 1:
        edges: list[object] = [tensor.values if tensor is not None else None for tensor in tensors[1:]]
        if opset < 10:
            edges = [attrs.get("starts"), attrs.get("ends")]
        if len(edges) < 2 or not isinstance(edges[0], tuple) or not isinstance(edges[1], tuple):
            return None
        last = edges[3] if len(edges) > 3 else None
        step = int(last[0]) if isinstance(last, tuple) and last else 1
        start, end = int(edges[0][0]), int(edges[1][0])
        picked = list(data)[slice(start, min(end, len(data)) if end > 0 else end, step)]
        return constant(name, (len(picked),), picked, first.data_type)
    if op == "ConstantOfShape":
        fill = attrs.get("value")
        filler = fill.values[0] if isinstance(fill, Tensor) and fill.values else 0.0
        dims = tuple(int(size) for size in data)
        return constant(name, dims, [filler] * count(dims) if count(dims) <= 4096 else None,
                        fill.data_type if isinstance(fill, Tensor) else 1)
    return None


def _reshaped(name: str, op: str, first: Tensor, rest: list[Tensor | None], attrs: dict[str, object]) -> Value | None:
    dims = list(first.dims)
    if op == "Reshape":
        if not rest or rest[0] is None or rest[0].values is None:
            return None
        target = [int(size) for size in rest[0].values]
        shape = [dims[index] if size == 0 else size for index, size in enumerate(target)]
        if shape.count(-1) == 1:
            known = count([size for size in shape if size != -1])
            shape[shape.index(-1)] = count(dims) // known if known else 0
        new = shape
    else:
        axes_value: tuple[int, ...] = tuple(int(axis) for axis in attrs.get("axes", ()))  # type: ignore[attr-defined]
        if rest and rest[0] is not None and rest[0].values is not None:
            axes_value = tuple(int(axis) for axis in rest[0].values)
        if op == "Unsqueeze":
            axes = sorted(int(axis) % (len(dims) + len(axes_value)) for axis in axes_value)
            new = list(dims)
            for axis in axes:
                new.insert(axis, 1)
        else:
            squeezed = {int(axis) % len(dims) for axis in axes_value} if axes_value else \
                {axis for axis, size in enumerate(dims) if size == 1}
            new = [size for axis, size in enumerate(dims) if axis not in squeezed]
    return Value(None, tuple(new), (), first._replace(name=name, dims=tuple(new)))


def _indices(dims: Sequence[int]) -> list[list[int]]:
    """Every index of an array of ``dims``, in row-major order."""
    result: list[list[int]] = [[]]
    for size in dims:
        result = [index + [i] for index in result for i in range(size)]
    return result


def _flat(dims: Sequence[int], index: Sequence[int]) -> int:
    position = 0
    for size, i in zip(dims, index):
        position = position * size + i
    return position
