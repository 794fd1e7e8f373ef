"""Each ONNX op -> convcost layers (or none: layout, identities, folded constants).

A handler takes the node and the :class:`Value` of each input and returns the values of its
outputs, adding layers through the :class:`Mapper`. What it cannot map exactly raises
:class:`Unmappable` with what is wrong; :func:`map_graph` turns it into E642 naming the node.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

from convcost.importers.model import (
    ImportedInput,
    ImportedLayer,
    ImportedModel,
    TensorLayout,
    WeightMap,
    model_error,
    model_errors,
)
from convcost.importers.onnx.layout import FOLDED, Value, channels_first, count, fold, natural, transposed
from convcost.importers.onnx.wire import TYPE_NAMES, Model, Node, Tensor

FLOAT_TYPES = {1, 10, 11, 16}


class Unmappable(Exception):
    """The node cannot be written exactly as convcost kinds: the message says why."""


class Mapper:
    """The layers built so far, the value of each ONNX tensor, and who reads each tensor."""

    def __init__(self, readers: dict[str, int]) -> None:
        self.layers: list[ImportedLayer] = []
        self.values: dict[str, Value] = {}
        self.readers = readers
        self.last_layer: dict[str, int] = {}  # layer name -> its index in layers
        self.opset = 0
        self.pending: dict[str, tuple[int, str]] = {}  # batch norms seen as Sub, Mul, Add: (ops seen, Sub)
        # flatten layers that reorder (NCHW flattened channels first): the ONNX dims and axes flattened
        self.flattened: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self.subtracted: dict[str, Tensor] = {}  # a pending batch norm's Sub constant (a rescaling if alone)
        self.single_use: set[str] = set()  # rescaling layers whose output has one reader
        self.edge_pads: dict[tuple[str | None, tuple[int, ...]], tuple[str, list[list[int]]]] = {}  # Pad(edge)

    def add(self, node: Node, kind: str, fields: dict[str, object], inputs: Sequence[Value], shape: tuple[int, ...],
            axes: tuple[int, ...], suffix: str = "", note: str | None = None,
            weights: tuple[WeightMap, ...] | None = None) -> Value:
        name = (node.name or f"{node.op_type}_{len(self.layers) + 1}") + suffix
        sources = []
        for value in inputs:
            if value.source is None:
                raise Unmappable("reads a constant where convcost needs a layer's output")
            sources.append(value.source)
        self.last_layer[name] = len(self.layers)
        self.layers.append(ImportedLayer(name, kind, fields, tuple(sources), f"node '{node.name}' ({node.op_type})",
                                         note, weights=weights))
        return Value(name, shape, axes)


Handler = Callable[[Mapper, Node, list], list]
HANDLERS: dict[str, Handler] = {}


def handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for op in ops:
            HANDLERS[op] = function
        return function
    return register


def _graph_value(value: Value | None, what: str = "its input") -> Value:
    if value is None or value.source is None:
        raise Unmappable(f"{what} is a constant; convcost maps ops on the network's tensors")
    return value


def _spatial(node: Node, value: Value, what: str = "its input") -> int:
    """The spatial rank of a channels-first input; an error when convcost does not hold it so."""
    rank = len(value.shape)
    if rank not in (3, 4, 5):
        raise Unmappable(f"{what} has rank {rank}; expected [N, C, L], [N, C, H, W] or [N, C, D, H, W]")
    if value.axes != channels_first(rank):
        raise Unmappable(f"{what} is not channels-first (NCHW) as convcost holds it: a Transpose before this "
                         f"node moves its axes in a way convcost cannot follow")
    return rank - 2


def _ints(node: Node, key: str, default: Sequence[int]) -> list[int]:
    value = node.attributes.get(key)
    return [int(item) for item in value] if isinstance(value, tuple) and value else list(default)


def _pads(node: Node, sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
          dilations: Sequence[int]) -> list[list[int]]:
    """Per spatial axis [begin, end] from pads or any auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID)."""
    auto = str(node.attributes.get("auto_pad", "NOTSET"))
    rank = len(sizes)
    if auto == "NOTSET":
        pads = _ints(node, "pads", [0] * 2 * rank)
        if len(pads) != 2 * rank or min(pads) < 0:
            raise Unmappable(f"pads {pads}: expected {2 * rank} values ≥ 0")
        return [[pads[axis], pads[axis + rank]] for axis in range(rank)]
    if auto == "VALID":
        return [[0, 0] for _ in range(rank)]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        result = []
        for size, k, s, d in zip(sizes, kernel, strides, dilations):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            result.append([small, large] if auto == "SAME_UPPER" else [large, small])
        return result
    raise Unmappable(f"auto_pad '{auto}': expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")


def _windowed(sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int],
              pads: Sequence[Sequence[int]], ceil: bool = False) -> list[int]:
    result = []
    for size, k, s, d, (begin, end) in zip(sizes, kernel, strides, dilations, pads):
        span = size + begin + end - ((k - 1) * d + 1)
        if span < 0:
            raise Unmappable(f"a window of {(k - 1) * d + 1} does not fit the padded input of {size + begin + end}")
        out = (-(-span // s) if ceil else span // s) + 1
        if ceil and (out - 1) * s >= size + begin:
            out -= 1  # the last window must start inside the input or its begin padding (ONNX, PyTorch)
        result.append(out)
    return result


def _weight(value: Value | None, what: str) -> Tensor:
    if value is None or value.const is None:
        raise Unmappable(f"its {what} is not an initializer or constant (convcost needs the {what}'s dims)")
    return value.const


def _kind(base: str, rank: int) -> str:
    return f"{base}{rank}d"


@handles("Conv")
def conv(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = _spatial(node, x)
    weight = _weight(inputs[1] if len(inputs) > 1 else None, "weight")
    filters, per_group, kernel = weight.dims[0], weight.dims[1], list(weight.dims[2:])
    groups = int(node.attributes.get("group", 1))  # type: ignore[call-overload]
    channels, sizes = x.shape[1], list(x.shape[2:])
    if per_group * groups != channels:
        raise Unmappable(f"weight {list(weight.dims)} with group {groups} does not match {channels} input channels")
    strides, dilations = _ints(node, "strides", [1] * rank), _ints(node, "dilations", [1] * rank)
    pads = _pads(node, sizes, kernel, strides, dilations)
    out = _windowed(sizes, kernel, strides, dilations, pads)
    bias = len(inputs) > 2 and inputs[2] is not None
    fields: dict[str, object] = {"filters": filters, "kernel": kernel, "stride": strides, "padding": pads}
    if any(d != 1 for d in dilations):
        fields["dilation"] = dilations
    if groups != 1:
        fields["groups"] = groups
    fields["bias"] = bias
    weights = (WeightMap(node.inputs[1], weight.dims, "kernel", ("kernel",)),) + _bias(node, inputs)
    return [mapper.add(node, _kind("conv", rank), fields, [x], (1, filters, *out), x.axes, weights=weights)]


def _bias(node: Node, inputs: list, index: int = 2) -> tuple[WeightMap, ...]:
    """The bias input's map, if the node has one."""
    if len(inputs) > index and inputs[index] is not None and inputs[index].const is not None:
        return (WeightMap(node.inputs[index], inputs[index].const.dims, "vector", ("bias",)),)
    return ()


@handles("ConvTranspose")
def conv_transpose(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = _spatial(node, x)
    if rank == 1:
        raise Unmappable("a 1-D ConvTranspose: convcost has conv2d_transpose and conv3d_transpose")
    weight = _weight(inputs[1] if len(inputs) > 1 else None, "weight")
    groups = int(node.attributes.get("group", 1))  # type: ignore[call-overload]
    filters, kernel = weight.dims[1] * groups, list(weight.dims[2:])
    sizes = list(x.shape[2:])
    strides, dilations = _ints(node, "strides", [1] * rank), _ints(node, "dilations", [1] * rank)
    extra = _ints(node, "output_padding", [0] * rank)
    full = [s * (n - 1) + e + (k - 1) * d + 1 for n, s, e, k, d in zip(sizes, strides, extra, kernel, dilations)]
    auto = str(node.attributes.get("auto_pad", "NOTSET"))
    wanted = _ints(node, "output_shape", [])
    if wanted or auto in ("SAME_UPPER", "SAME_LOWER"):
        targets = wanted[-rank:] if wanted else [n * s for n, s in zip(sizes, strides)]
        pads = []
        for have, want in zip(full, targets):
            total = have - want
            if total < 0:
                raise Unmappable(f"output_shape {targets} is larger than the full output {full}")
            small, large = total // 2, total - total // 2
            pads.append([small, large] if auto != "SAME_LOWER" else [large, small])
    elif auto == "VALID":
        pads = [[0, 0] for _ in range(rank)]
    else:
        pads = _pads(node, sizes, kernel, strides, dilations)
    out = [have - begin - end for have, (begin, end) in zip(full, pads)]
    fields: dict[str, object] = {"filters": filters, "kernel": kernel, "stride": strides, "padding": pads}
    if any(extra):
        fields["output_padding"] = extra
    if any(d != 1 for d in dilations):
        fields["dilation"] = dilations
    if groups != 1:
        fields["groups"] = groups
    fields["bias"] = len(inputs) > 2 and inputs[2] is not None
    weights = (WeightMap(node.inputs[1], weight.dims, "kernel_transpose", ("kernel",), groups),) + _bias(node, inputs)
    return [mapper.add(node, f"conv{rank}d_transpose", fields, [x], (1, filters, *out), x.axes, weights=weights)]


@handles("MaxPool", "AveragePool")
def pool(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = _spatial(node, x)
    if len(node.outputs) > 1 and node.outputs[1]:
        raise Unmappable("its Indices output is used; convcost's pooling gives the values only")
    kernel = _ints(node, "kernel_shape", [])
    strides, dilations = _ints(node, "strides", [1] * rank), _ints(node, "dilations", [1] * rank)
    if any(d != 1 for d in dilations):
        raise Unmappable(f"dilations {dilations}: convcost's pooling has no dilation")
    pads = _pads(node, list(x.shape[2:]), kernel, strides, dilations)
    edge = mapper.edge_pads.pop((x.source, x.cc_shape), None)
    if edge is not None:  # Pad(edge) then MaxPool: max over repeated edge values is max over the window inside
        if node.op_type != "MaxPool":
            raise Unmappable(f"an average over the edge padding of node '{edge[0]}' (Pad, mode edge): convcost's "
                             f"average pooling pads with zeros or excludes the padding")
        pads = [[begin + extra[0], end + extra[1]] for (begin, end), extra in zip(pads, edge[1])]
        sizes = [size - sum(extra) for size, extra in zip(x.shape[2:], edge[1])]
        x = x._replace(shape=(1, x.shape[1], *sizes))
    ceil = bool(node.attributes.get("ceil_mode", 0))
    out = _windowed(list(x.shape[2:]), kernel, strides, dilations, pads, ceil)
    fields: dict[str, object] = {"kernel": kernel, "stride": strides, "padding": pads}
    if ceil:
        fields["ceil_mode"] = True
    base = "max_pooling" if node.op_type == "MaxPool" else "average_pooling"
    if node.op_type == "AveragePool":
        fields["count_include_pad"] = bool(node.attributes.get("count_include_pad", 0))
    return [mapper.add(node, _kind(base, rank), fields, [x], (1, x.shape[1], *out), x.axes)]


@handles("GlobalAveragePool", "GlobalMaxPool")
def global_pool(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = _spatial(node, x)
    kind = "global_average_pooling" if node.op_type == "GlobalAveragePool" else "global_max_pooling"
    return [mapper.add(node, kind, {"keepdims": True}, [x], (1, x.shape[1]) + (1,) * rank, x.axes)]


@handles("ReduceMean", "ReduceMax")
def reduce(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    axes = _ints(node, "axes", [])
    if len(inputs) > 1 and inputs[1] is not None:
        axes = [int(axis) for axis in _weight(inputs[1], "axes").values or ()]
    spatial = sorted(x.axes[:-1])
    if rank >= 2 and [axis % rank for axis in axes] == [x.axes[-1]]:
        raise Unmappable(f"a {node.op_type} over the channels (axis {axes[0]}): convcost has no kind that reduces the "
                         f"channel axis to one value per position (a layer norm written out as ReduceMean, Sub, "
                         f"Pow, Sqrt and Div is not matched: export LayerNormalization, opset 17)")
    if rank < 3 or sorted(axis % rank for axis in axes) != spatial:
        raise Unmappable(f"axes {axes}: convcost maps a mean or max over the spatial axes {spatial} only")
    keep = bool(node.attributes.get("keepdims", 1))
    shape = tuple(1 if axis in spatial else size for axis, size in enumerate(x.shape))
    axes_out = x.axes if keep else (1,)
    if not keep:
        shape = (1, x.shape[x.axes[-1]])
    kind = "global_average_pooling" if node.op_type == "ReduceMean" else "global_max_pooling"
    return [mapper.add(node, kind, {"keepdims": keep}, [x], shape, axes_out)]


@handles("BatchNormalization")
def batch_norm(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    if len(x.shape) != 2:
        _spatial(node, x)
    if any(output for output in node.outputs[1:]):
        raise Unmappable("training mode (running mean and variance outputs); convcost maps inference")
    epsilon = float(node.attributes.get("epsilon", 1e-5))  # type: ignore[arg-type]
    weights = tuple(WeightMap(node.inputs[index], _weight(inputs[index], what).dims, rule, (array,), epsilon=epsilon)
                    for index, what, rule, array in ((1, "scale", "vector", "gamma"), (2, "bias", "vector", "beta"),
                                                     (3, "mean", "vector", "moving_mean"),
                                                     (4, "variance", "variance", "moving_variance")))
    return [mapper.add(node, "batch_norm", {}, [x], x.shape, x.axes, weights=weights)]


@handles("LayerNormalization")
def layer_norm(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    axis = int(node.attributes.get("axis", -1)) % rank  # type: ignore[call-overload]
    if any(output for output in node.outputs[1:]):
        raise Unmappable("its Mean or InvStdDev output is used; convcost maps the normalized output only")
    if axis != rank - 1 or x.axes[-1] != axis:
        raise Unmappable(f"axis {axis} of a tensor held as {list(x.shape)}: ONNX normalizes axes {axis} to "
                         f"{rank - 1} together; convcost's layer_norm normalizes the channel axis alone, the last "
                         f"ONNX axis of an [N, H, W, C] or [N, C] tensor")
    gamma = _weight(inputs[1] if len(inputs) > 1 else None, "scale")
    if count(gamma.dims) != x.shape[axis]:
        raise Unmappable(f"scale {list(gamma.dims)} for {x.shape[axis]} channels")
    center = len(inputs) > 2 and inputs[2] is not None
    fields: dict[str, object] = {} if center else {"center": False}
    return [mapper.add(node, "layer_norm", fields, [x], x.shape, x.axes)]


@handles("InstanceNormalization")
def instance_norm(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    _spatial(node, x)
    return [mapper.add(node, "instance_norm", {}, [x], x.shape, x.axes)]


@handles("LRN")
def lrn(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    _spatial(node, x)
    attrs = node.attributes
    fields = {"size": int(attrs["size"]), "alpha": float(attrs.get("alpha", 0.0001)),  # type: ignore[call-overload, arg-type]
              "beta": float(attrs.get("beta", 0.75)), "k": float(attrs.get("bias", 1.0))}  # type: ignore[arg-type]
    return [mapper.add(node, "local_response_norm", fields, [x], x.shape, x.axes)]


UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hard_swish", "Softplus": "softplus",
         "Mish": "mish", "Dropout": "dropout"}


@handles(*UNARY, "LeakyRelu", "Elu", "Gelu", "HardSigmoid", "Clip")
def unary(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    attrs, op = node.attributes, node.op_type
    fields: dict[str, object] = {}
    kind = UNARY.get(op, "")
    if op == "Dropout" and len(node.outputs) > 1 and node.outputs[1]:
        raise Unmappable("its mask output is used; convcost maps Dropout at inference, the identity")
    if op == "LeakyRelu":
        kind, fields = "leaky_relu", {"alpha": _short(float(attrs.get("alpha", 0.01)))}  # type: ignore[arg-type]
    elif op == "Elu":
        kind, fields = "elu", {"alpha": _short(float(attrs.get("alpha", 1.0)))}  # type: ignore[arg-type]
    elif op == "Gelu":
        approximate = str(attrs.get("approximate", "none"))
        kind, fields = "gelu", ({"approximate": "tanh"} if approximate == "tanh" else {})
    elif op == "HardSigmoid":
        alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))  # type: ignore[arg-type]
        if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
            raise Unmappable(f"alpha {alpha:g}, beta {beta:g}: convcost's hard_sigmoid is relu6(x + 3) / 6 "
                             f"(alpha 1/6, beta 0.5)")
        kind = "hard_sigmoid"
    elif op == "Clip":
        low: float | None = float(attrs["min"]) if "min" in attrs else None  # type: ignore[arg-type]
        high: float | None = float(attrs["max"]) if "max" in attrs else None  # type: ignore[arg-type]
        if len(inputs) > 1:
            low = _scalar(inputs[1], "min")
        if len(inputs) > 2:
            high = _scalar(inputs[2], "max")
        if low == 0 and high is None:
            kind = "relu"
        elif low == 0 and high == 6:
            kind = "relu6"
        else:  # any other range: clip, one comparison per element per bound given
            if low is not None and high is not None and low > high:
                raise Unmappable(f"min {low:g} > max {high:g}: an empty range")
            kind, fields = "clip", {"min": None if low is None else _short(low),
                                    "max": None if high is None else _short(high)}
    return [mapper.add(node, kind, fields, [x], x.shape, x.axes)]


def _short(value: float) -> float:
    """A float32 attribute as the shortest decimal that reads back as it (0.01, not 0.009999999776)."""
    for digits in range(1, 10):
        text = float(f"{value:.{digits}g}")
        if abs(text - value) <= abs(value) * 6e-8:
            return text
    return value


def _scalar(value: Value | None, what: str) -> float | None:
    if value is None:
        return None
    tensor = _weight(value, what)
    if tensor.values is None or len(tensor.values) != 1:
        raise Unmappable(f"its {what} is not a single known number")
    return float(tensor.values[0])


@handles("Identity", "Cast")
def identity(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    if node.op_type == "Cast" and int(node.attributes.get("to", 0)) not in FLOAT_TYPES:  # type: ignore[call-overload]
        to = TYPE_NAMES.get(int(node.attributes.get("to", 0)), "?")  # type: ignore[call-overload]
        raise Unmappable(f"a Cast to {to}: convcost maps a Cast between float types only (an identity)")
    return [x]


@handles("Transpose")
def transpose(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    perm = _ints(node, "perm", list(reversed(range(len(x.shape)))))
    if perm[0] != 0:
        raise Unmappable(f"perm {perm} moves the batch axis; convcost tensors have no batch axis")
    return [transposed(x, perm)]


@handles("Flatten", "Reshape", "Squeeze", "Unsqueeze")
def reshape(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    dims = list(x.shape)
    shape: tuple[int, ...]
    if node.op_type == "Flatten":
        axis = int(node.attributes.get("axis", 1)) % max(len(dims), 1)  # type: ignore[call-overload]
        if axis != 1:
            raise Unmappable(f"axis {axis}: convcost flattens everything but the batch (axis 1)")
        shape = (1, count(dims[1:]))
    else:
        folded = fold(node._replace(op_type=node.op_type), [Value(None, x.shape, (), Tensor("", x.shape, 1, None))]
                      + inputs[1:], 13)
        if folded is None:
            raise Unmappable("its target shape is not a constant convcost can work out")
        shape = tuple(folded.shape)
    shape = tuple(shape)
    if not shape or shape[0] != 1:
        raise Unmappable(f"shape {list(shape)} moves the batch; convcost tensors have no batch axis")
    if count(shape) != count(dims):
        raise Unmappable(f"shape {list(shape)} does not hold the input's {count(dims[1:])} elements")
    rank = len(shape)
    axes = channels_first(rank) if rank >= 3 and x.axes == channels_first(len(dims)) else natural(rank)
    if rank >= 3 and len(dims) == 2 and shape[-1] == dims[1] != 1 and count(shape[1:-1]) == 1:
        axes = natural(rank)  # [N, C] -> [N, 1, 1, C]: channels last (Keras' squeeze-and-excitation, NHWC)
    result = Value(x.source, tuple(shape), axes)
    if [size for size in x.cc_shape if size != 1] == [size for size in result.cc_shape if size != 1] \
            and _order_kept(x, result):
        if result.cc_shape == x.cc_shape:
            return [result._replace(source=x.source)]
        kind_fields: tuple[str, dict[str, object]] = ("flatten", {}) if rank == 2 else \
            ("reshape", {"shape": list(result.cc_shape)})
        return [mapper.add(node, *kind_fields, [x], result.shape, result.axes)]
    if rank == 2:
        note = ("ONNX flattens channels first; convcost flattens [H, W, C]: the same elements in another order "
                "(the next dense layer's rows permuted, the same counts)") if len(dims) > 2 else None
        flat = mapper.add(node, "flatten", {}, [x], result.shape, result.axes, note=note)
        if len(dims) > 2 and flat.source is not None:
            mapper.flattened[flat.source] = (tuple(x.shape[1:]), x.axes)
        return [flat]
    raise Unmappable(f"a reshape from {dims} to {list(shape)} that reorders the elements convcost holds "
                     f"channels last")


def _order_kept(before: Value, after: Value) -> bool:
    """The non-unit axes keep their ONNX order in convcost's order (the same row-major elements)."""
    first = [axis for axis in before.axes if before.shape[axis] != 1]
    second = [axis for axis in after.axes if after.shape[axis] != 1]
    return first == sorted(first) and second == sorted(second) or len(first) <= 1


@handles("Softmax")
def softmax(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    axis = int(node.attributes.get("axis", -1 if mapper.opset >= 13 else 1)) % rank  # type: ignore[call-overload]
    last = x.axes[-1]
    if axis != last or (mapper.opset < 13 and any(x.shape[a] != 1 for a in range(axis + 1, rank))):
        raise Unmappable(f"axis {axis}: convcost's softmax runs over the channels, ONNX axis {last} here")
    return [mapper.add(node, "softmax", {}, [x], x.shape, x.axes)]


@handles("Gemm", "MatMul")
def dense(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    weight = _weight(inputs[1], "weight (B)")
    attrs = node.attributes
    if node.op_type == "Gemm":
        if len(x.shape) != 2 or int(attrs.get("transA", 0)):  # type: ignore[call-overload]
            raise Unmappable("transA 1 or an input that is not [N, K]: convcost maps Gemm as a dense layer")
        if abs(float(attrs.get("alpha", 1.0)) - 1) > 1e-7:  # type: ignore[arg-type]
            raise Unmappable(f"alpha {attrs.get('alpha')}: convcost's dense layer has no output scale")
    if len(weight.dims) != 2:
        raise Unmappable(f"weight {list(weight.dims)}: expected a 2-D matrix")
    units = weight.dims[0] if int(attrs.get("transB", 0)) else weight.dims[1]  # type: ignore[call-overload]
    inner = weight.dims[1] if int(attrs.get("transB", 0)) else weight.dims[0]  # type: ignore[call-overload]
    if x.axes[-1] != len(x.shape) - 1 or x.shape[-1] != inner:
        raise Unmappable(f"input {list(x.shape)} times {list(weight.dims)}: convcost's dense layer reads the "
                         f"last axis of a channels-last tensor")
    bias = node.op_type == "Gemm" and len(inputs) > 2 and inputs[2] is not None
    rule = "matrix_t" if int(attrs.get("transB", 0)) else "matrix"  # type: ignore[call-overload]
    weights = (WeightMap(node.inputs[1], weight.dims, rule, ("kernel",), rows=_flattened(mapper, x)),) + \
        (_bias(node, inputs) if bias else ())
    return [mapper.add(node, "dense", {"units": units, "bias": bias}, [x], (*x.shape[:-1], units), x.axes,
                       weights=weights)]


ELEMENTWISE = {*UNARY.values(), "leaky_relu", "elu", "gelu", "hard_sigmoid", "relu6"}


def _flattened(mapper: Mapper, x: Value) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The ONNX dims and axes flattened into ``x`` in an order convcost does not keep (NCHW flattened
    channels first), looking back through elementwise layers; None when the order is convcost's."""
    source = x.source
    while source is not None and source not in mapper.flattened and source in mapper.last_layer:
        layer = mapper.layers[mapper.last_layer[source]]
        source = layer.inputs[0] if layer.kind in ELEMENTWISE and len(layer.inputs) == 1 else None
    return mapper.flattened.get(source) if source is not None else None


BINARY = {"Add": "add", "Mul": "multiply", "Sub": "subtract"}


@handles("Add", "Mul", "Sub", "Div")
def binary(mapper: Mapper, node: Node, inputs: list) -> list:  # noqa: C901 - one case per pattern
    first, second = inputs[0], inputs[1]
    if first is None or second is None:
        raise Unmappable("an input is missing")
    if first.source is not None and second.source is not None:
        rank = max(len(first.shape), len(second.shape))
        if len(first.shape) != len(second.shape) or first.axes != second.axes:
            raise Unmappable(f"inputs {list(first.shape)} and {list(second.shape)} held in different layouts")
        shape = tuple(max(a, b) for a, b in zip(first.shape, second.shape))
        if node.op_type == "Div":
            raise Unmappable("a Div of two tensors: convcost has no elementwise division of tensors")
        if node.op_type == "Add" and first.shape != second.shape:
            raise Unmappable(f"Add with broadcasting ({list(first.shape)} + {list(second.shape)}): convcost's add "
                             f"takes inputs of one shape (multiply and subtract broadcast)")
        assert rank == len(shape)
        return [mapper.add(node, BINARY[node.op_type], {}, [first, second], shape, first.axes)]
    x, const = (first, second) if first.source is not None else (second, first)
    if x.source is None:
        raise Unmappable("both inputs are constants that convcost cannot fold")
    assert const.const is not None
    channel = _per_channel(x, const.const.dims)
    if node.op_type == "Add" and channel is not None:
        index = mapper.last_layer.get(x.source)
        layer = mapper.layers[index] if index is not None else None
        sole_reader = mapper.readers.get(node.inputs[0 if x is first else 1]) == 1
        if index is not None and layer is not None and layer.fields.get("bias") is False and sole_reader:
            fields = dict(layer.fields, bias=True)
            bias = WeightMap(node.inputs[1 if x is first else 0], const.const.dims, "vector", ("bias",))
            mapper.layers[index] = layer._replace(fields=fields, note=f"bias from node '{node.name}' (Add), "
                                                                      f"folded: the same counts and parameters",
                                                  weights=(layer.weights or ()) + (bias,))
            return [x]
    sole = mapper.readers.get(node.inputs[0 if x is first else 1]) == 1
    stage = mapper.pending.get(x.source, (0, ""))[0]
    if channel is not None and x is first and sole and (node.op_type, stage) in (("Mul", 1), ("Add", 2)):
        mapper.pending[x.source] = (stage + 1, mapper.pending[x.source][1])  # Keras' batch norm, continued
        index = mapper.last_layer[x.source]
        layer = mapper.layers[index]
        part = WeightMap(node.inputs[1], const.const.dims, *(("bn_factor", ("gamma", "moving_variance"))
                                                             if node.op_type == "Mul" else ("vector", ("beta",))))
        mapper.layers[index] = layer._replace(weights=(layer.weights or ()) + (part,))
        return [x]
    if node.op_type == "Div" and channel is not None and x is first and sole and stage == 1:
        index = mapper.last_layer[x.source]
        mapper.layers[index] = mapper.layers[index]._replace(
            kind="normalization", fields={"stored": False},
            note="Keras' Normalization, (x - mean) / max(sqrt(variance), eps): Sub and Div of per-channel "
                 "constants; the graph holds them as constants, so no parameters (Keras counts an adapted "
                 "layer's mean, variance and count, 2C + 1)")
        mapper.pending[x.source] = (3, mapper.pending[x.source][1])
        return [x]
    if node.op_type == "Sub" and channel is not None and x is first:
        value = mapper.add(node, "batch_norm", {}, [x], x.shape, x.axes,
                           note="Keras' batch norm, (x - mean) * factor + beta: Sub, Mul and Add of per-channel "
                                "constants", weights=(WeightMap(node.inputs[1], const.const.dims, "vector",
                                                                ("moving_mean",)),))
        mapper.pending[value.source or ""] = (1, node.name)
        mapper.subtracted[value.source or ""] = const.const
        return [value]
    if node.op_type == "Mul" and channel is not None:
        return [mapper.add(node, "scale", {}, [x], x.shape, x.axes, note="the per-channel constant as scale's gamma",
                           weights=(WeightMap(node.inputs[1 if x is first else 0], const.const.dims, "vector",
                                              ("gamma",)),))]
    scalar = count(const.const.dims) == 1 and len(const.const.dims) <= len(x.shape)
    if node.op_type == "Div":
        raise Unmappable(f"a division by a constant {list(const.const.dims)}: ONNX divides, and convcost counts a "
                         f"division as a division; its rescaling multiplies (x · scale), so x / c is not written "
                         f"as x · (1/c). Only Keras' Normalization, Sub then Div of per-channel constants, maps")
    if node.op_type == "Sub" and x is not first:
        raise Unmappable(f"a constant minus a tensor {list(x.shape)}: one subtraction an element, which "
                         f"rescaling (x · -1 + c) would count as a multiplication and an addition")
    index = mapper.last_layer.get(x.source)
    before = mapper.layers[index] if index is not None else None
    if node.op_type in ("Add", "Sub") and (scalar or channel is not None) and before is not None and sole and \
            before.kind == "rescaling" and list(before.fields) == ["scale"] and x.source in mapper.single_use \
            and (x is first or node.op_type == "Add"):
        fields = dict(before.fields, **_rescaling_fields(node.op_type, const.const))  # x · s + c: Keras' Rescaling
        mapper.layers[index] = before._replace(fields=fields, note="x · a constant + a constant")  # type: ignore[index]
        return [x]
    if scalar or channel is not None:
        value = mapper.add(node, "rescaling", _rescaling_fields(node.op_type, const.const), [x], x.shape, x.axes,
                           note=f"x {SIGNS[node.op_type]} a constant")
        if mapper.readers.get(node.outputs[0]) == 1:
            mapper.single_use.add(value.source or "")  # an Add after it may join it (x · s + c)
        return [value]
    raise Unmappable(f"{node.op_type} of a tensor {list(x.shape)} and a constant {list(const.const.dims)}: "
                     f"convcost maps a scalar or per-channel constant (rescaling, a conv's bias, a batch norm, "
                     f"scale), not a constant of other dims")


SIGNS = {"Mul": "·", "Add": "+", "Sub": "-"}


def _rescaling_fields(op: str, const: Tensor) -> dict[str, object]:
    """rescaling's scale (Mul) or offset (Add; Sub negated) from a scalar or per-channel constant."""
    if const.values is None:
        raise Unmappable(f"the values of the constant {list(const.dims)} are not in the file (too large, or "
                         f"external): rescaling needs them")
    values = [_short(float(value)) for value in const.values]
    if op == "Sub":
        values = [-value for value in values]
    field = "scale" if op == "Mul" else "offset"
    return {field: values[0] if len(values) == 1 else values}


def _per_channel(x: Value, dims: Sequence[int]) -> int | None:
    """The channel count when a constant of ``dims`` broadcasts along x's channel axis only."""
    rank = len(x.shape)
    aligned = (1,) * (rank - len(dims)) + tuple(dims)
    if len(aligned) != rank:
        return None
    channel_axis = x.axes[-1]
    if all(size == 1 for axis, size in enumerate(aligned) if axis != channel_axis) \
            and aligned[channel_axis] == x.shape[channel_axis]:
        return aligned[channel_axis]
    return None


@handles("Concat")
def concat(mapper: Mapper, node: Node, inputs: list) -> list:
    values = [_graph_value(value, "an input") for value in inputs]
    rank = len(values[0].shape)
    axis = int(node.attributes.get("axis", 1)) % rank  # type: ignore[call-overload]
    if axis == 0 or any(value.axes != values[0].axes for value in values):
        raise Unmappable("inputs held in different layouts, or a join along the batch")
    shape = list(values[0].shape)
    shape[axis] = sum(value.shape[axis] for value in values)
    position = values[0].axes.index(axis)
    where = -1 if position == rank - 2 else position
    return [mapper.add(node, "concat", {"axis": where}, values, tuple(shape), values[0].axes)]


@handles("Split")
def split(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    axis = int(node.attributes.get("axis", 0)) % rank  # type: ignore[call-overload]
    parts = len(node.outputs)
    sizes = _ints(node, "split", [])
    if len(inputs) > 1 and inputs[1] is not None:
        sizes = [int(size) for size in _weight(inputs[1], "split").values or ()]
    if axis == 0:
        raise Unmappable("a split of axis 0: convcost tensors have no batch axis")
    position = x.axes.index(axis)
    where = -1 if position == rank - 2 else position
    if not sizes and x.shape[axis] % parts:  # opset 18 num_outputs: parts of ceil(n / parts), the last smaller
        whole = -(-x.shape[axis] // parts)
        sizes = [min(whole, x.shape[axis] - whole * part) for part in range(parts)]
    if sizes and len(set(sizes)) != 1:  # unequal parts: one slice per part
        if len(sizes) != parts or sum(sizes) != x.shape[axis] or min(sizes) < 1:
            raise Unmappable(f"split {sizes} of an axis of {x.shape[axis]} into {parts} outputs")
        starts = [sum(sizes[:part]) for part in range(parts)]
        return [mapper.add(node, "slice", {"axis": where, "start": start, "stop": start + size},
                           [x], tuple(size if index == axis else dim for index, dim in enumerate(x.shape)), x.axes,
                           suffix=f"_{part}") for part, (start, size) in enumerate(zip(starts, sizes))]
    shape = tuple(size // parts if index == axis else size for index, size in enumerate(x.shape))
    return [mapper.add(node, "split", {"parts": parts, "part": part, "axis": where}, [x], shape, x.axes,
                       suffix=f"_{part}" if parts > 1 else "") for part in range(parts)]


@handles("Slice")
def slice_(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    lists = [[int(item) for item in (_weight(value, "bounds").values or ())] if value is not None else None
             for value in inputs[1:5]]
    starts, ends = lists[0] or [], lists[1] or []
    axes = lists[2] if len(lists) > 2 and lists[2] is not None else list(range(len(starts)))
    steps = lists[3] if len(lists) > 3 and lists[3] is not None else [1] * len(starts)
    crops = {axis: [0, 0] for axis in range(rank)}
    stepped: dict[int, int] = {}
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis %= rank
        size = x.shape[axis]
        begin = min(max(start + size if start < 0 else start, 0), size)
        stop = min(max(end + size if end < 0 else end, 0), size)
        if step < 1 or stop <= begin:
            raise Unmappable(f"step {step} or an empty slice: convcost maps steps ≥ 1 that keep something")
        crops[axis] = [begin, size - stop]
        if step != 1:
            stepped[axis] = step
    cut = [axis for axis, (a, b) in crops.items() if a or b or axis in stepped]
    if not cut:
        return [x]
    if 0 in cut:
        raise Unmappable("a slice of the batch axis: convcost tensors have no batch axis")
    spatial = list(x.axes[:-1])
    shape = tuple(len(range(crops[axis][0], size - crops[axis][1], stepped.get(axis, 1)))
                  for axis, size in enumerate(x.shape))
    if rank == 4 and not stepped and all(axis in spatial for axis in cut):
        cropping = [crops[axis] for axis in spatial]
        return [mapper.add(node, "cropping2d", {"cropping": cropping}, [x], shape, x.axes)]
    if len(cut) == 1:  # one axis, any step: a slice (the channels: -1)
        axis = cut[0]
        position = x.axes.index(axis)
        begin, end = crops[axis][0], x.shape[axis] - crops[axis][1]
        fields: dict[str, object] = {"axis": -1 if position == rank - 2 else position, "start": begin,
                                     "stop": None if end == x.shape[axis] else end}
        if axis in stepped:
            fields["step"] = stepped[axis]
        return [mapper.add(node, "slice", fields, [x], shape, x.axes)]
    raise Unmappable(f"a slice of axes {cut}: convcost maps a crop of H and W (cropping2d) or a slice of one axis")


@handles("Pad")
def pad(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    rank = len(x.shape)
    mode = str(node.attributes.get("mode", "constant"))
    pads = _ints(node, "pads", [])
    if len(inputs) > 1 and inputs[1] is not None:
        pads = [int(item) for item in _weight(inputs[1], "pads").values or ()]
    value = _scalar(inputs[2], "constant value") if len(inputs) > 2 and inputs[2] is not None else \
        float(node.attributes.get("value", 0.0))  # type: ignore[arg-type]
    if len(inputs) > 3 and inputs[3] is not None:
        raise Unmappable("an axes input: convcost maps Pad with pads for every axis")
    edge = mode == "edge" and mapper.readers.get(node.outputs[0]) == 1
    if (mode != "constant" or value != 0) and not edge:
        raise Unmappable(f"mode '{mode}' value {value}: convcost pads with zeros (zero_padding2d), or folds an "
                         f"edge Pad into the MaxPool reading it")
    spatial = x.axes[:-1]  # the ONNX axes convcost holds as H and W (NCHW: 2, 3; Keras' NHWC: 1, 2)
    if rank != 4 or len(pads) != 8 or min(pads) < 0 or \
            any(pads[axis] or pads[axis + rank] for axis in range(rank) if axis not in spatial):
        raise Unmappable(f"pads {pads}: convcost pads H and W of an [N, C, H, W] or [N, H, W, C] tensor with zeros "
                         f"≥ 0")
    shape = tuple(size + pads[axis] + pads[axis + rank] for axis, size in enumerate(x.shape))
    padding = [[pads[axis], pads[axis + rank]] for axis in spatial]
    if edge:  # Keras' torch backend pads a max pool's 'same' windows by repeating the edge: the max is the same
        padded = Value(x.source, shape, x.axes)
        mapper.edge_pads[(x.source, padded.cc_shape)] = (node.name, padding)
        return [padded]
    return [mapper.add(node, "zero_padding2d", {"padding": padding}, [x], shape, x.axes)]


@handles("Resize", "Upsample")
def resize(mapper: Mapper, node: Node, inputs: list) -> list:
    x = _graph_value(inputs[0])
    if len(x.shape) != 4 or x.axes != channels_first(4):
        raise Unmappable("convcost resizes H and W of an NCHW tensor (upsampling2d)")
    attrs = node.attributes
    mode = str(attrs.get("mode", "nearest"))
    scales: list[float] = []
    sizes: list[int] = []
    scale_input = inputs[2] if node.op_type == "Resize" and len(inputs) > 2 else inputs[1] if len(inputs) > 1 else None
    if scale_input is not None and scale_input.const is not None and scale_input.const.dims != (0,):
        scales = [float(item) for item in (scale_input.const.values or ())]
    if node.op_type == "Resize" and len(inputs) > 3 and inputs[3] is not None:
        sizes = [int(item) for item in (_weight(inputs[3], "sizes").values or ())]
    if not scales and not sizes:
        raise Unmappable("no constant scales or sizes")
    if sizes:
        out = sizes[2:]
        if sizes[:2] != list(x.shape[:2]) or len(sizes) != 4:
            raise Unmappable(f"sizes {sizes}: convcost resizes H and W only")
    else:
        if scales[:2] != [1.0, 1.0] or len(scales) != 4:
            raise Unmappable(f"scales {scales}: convcost resizes H and W only")
        out = [math.floor(size * scale) for size, scale in zip(x.shape[2:], scales[2:])]
    transform = str(attrs.get("coordinate_transformation_mode", "half_pixel" if node.op_type == "Resize"
                              else "asymmetric"))
    nearest = str(attrs.get("nearest_mode", "round_prefer_floor"))
    if int(attrs.get("antialias", 0)) or str(attrs.get("keep_aspect_ratio_policy", "stretch")) != "stretch":  # type: ignore[call-overload]
        raise Unmappable("antialias or keep_aspect_ratio_policy: convcost resizes without either")
    factors = [o // i if o % i == 0 else 0 for o, i in zip(out, x.shape[2:])]
    fields: dict[str, object]
    if mode == "nearest":
        if not all(factors):
            raise Unmappable(f"nearest to {out} from {list(x.shape[2:])}: convcost maps integer factors")
        exact = transform == "asymmetric" and nearest == "floor" or \
            transform in ("half_pixel", "pytorch_half_pixel") and nearest.startswith("round_prefer")
        if not exact:
            raise Unmappable(f"coordinate_transformation_mode '{transform}' with nearest_mode '{nearest}': "
                             f"convcost's nearest copies each pixel factor times (asymmetric floor)")
        fields = {"size": factors}
    elif mode in ("linear", "bilinear"):
        if transform not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            raise Unmappable(f"coordinate_transformation_mode '{transform}': convcost's bilinear is half_pixel "
                             f"or align_corners")
        fields = {"size": factors} if all(factors) else {"target": out}
        fields["interpolation"] = "bilinear"
        if transform == "align_corners":
            fields["align_corners"] = True
    else:
        raise Unmappable(f"mode '{mode}': convcost maps nearest and linear")
    return [mapper.add(node, "upsampling2d", fields, [x], (1, x.shape[1], *out), x.axes)]


def _consumers(nodes: Sequence[Node], name: str, constants: frozenset[str] = frozenset()) -> list[Node]:
    """The nodes reading tensor ``name``, looking through Cast and Identity (Keras' exports cast the
    input to its own type before the Transpose that makes it NCHW) and through Add, Sub, Mul, Div and
    Pad by constants (``constants``: Keras' Rescaling, Normalization and ZeroPadding2D come before it)."""
    found: list[Node] = []
    for node in nodes:
        if name in node.inputs:
            through = node.op_type in ("Cast", "Identity") or node.op_type in ("Add", "Sub", "Mul", "Div", "Pad") and \
                all(item in constants for item in node.inputs if item and item != name)
            found += _consumers(nodes, node.outputs[0], constants) if through and node.outputs else [node]
    return found


def map_graph(path: str, model: Model, input_shapes: Sequence[str],  # noqa: C901 - the passes, in order
              overrides: Mapping[str, object]) -> ImportedModel:
    """The ImportedModel of a read ONNX model: every unsupported op at once (E641), then each
    node in order; a node that cannot be mapped exactly is E642 naming it."""
    from convcost.importers.spec_text import filled_input_shapes, parse_input_shapes

    graph = model.graph
    opset = model.opsets.get("", 0)
    unsupported: dict[str, list[str]] = {}
    for index, node in enumerate(graph.nodes):
        op = node.op_type if not node.domain else f"{node.domain}.{node.op_type}"
        if node.domain or (node.op_type not in HANDLERS and node.op_type not in FOLDED):
            unsupported.setdefault(op, []).append(node.name or f"#{index + 1}")
    if unsupported:
        listed = "; ".join(f"{op} ×{len(names)} ({', '.join(repr(n) for n in names[:3])}"
                           f"{', …' if len(names) > 3 else ''})" for op, names in sorted(unsupported.items()))
        raise model_errors([("E641", f"{sum(map(len, unsupported.values()))} node(s) with ops convcost cannot map: "
                                     f"{listed}", "docs/import.md lists the ONNX ops convcost maps")], path)
    inputs = [info for info in graph.inputs if info.name not in graph.initializers]
    readers: dict[str, int] = {}
    for node in graph.nodes:
        for name in node.inputs:
            readers[name] = readers.get(name, 0) + 1
    for info in graph.outputs:
        readers[info.name] = readers.get(info.name, 0) + 1
    known = set(graph.initializers)  # the tensors computed from constants alone (folded below)
    for node in graph.nodes:
        if node.op_type == "Shape" or node.op_type in FOLDED and all(item in known for item in node.inputs if item):
            known.update(node.outputs)
    constants = frozenset(known)
    imported: list[ImportedInput] = []
    layouts: dict[str, tuple[int, ...]] = {}
    for info in inputs:
        if info.shape is None or len(info.shape) < 2:
            lacks = "no shape" if info.shape is None else "no batch axis"
            raise model_error("E642", path, f"graph input '{info.name}' has {lacks}: convcost needs [N, C, ...] "
                                            f"or [N, features]")
        rank = len(info.shape)
        consumers = _consumers(graph.nodes, info.name, constants)
        last = (0, rank - 1) + tuple(range(1, rank - 1))
        keeps = rank >= 3 and consumers and all(node.op_type == "Transpose" and
                                                tuple(_ints(node, "perm", [])) == last for node in consumers)
        axes = natural(rank) if keeps or rank < 3 else channels_first(rank)
        layouts[info.name] = axes
        dims = tuple(size if isinstance(size, int) and size > 0 else None for size in info.shape)
        imported.append(ImportedInput(info.name, tuple(dims[axis] for axis in axes),
                                      f"graph input '{info.name}'"))
    if not imported:
        raise model_error("E602", path, f"the ONNX graph '{graph.name}' has no input (every graph input is an "
                                        f"initializer, or there is none)", "a network needs an input")
    probe = ImportedModel(path, "ONNX", "", graph.name, tuple(imported), (), (), ())
    shapes = filled_input_shapes(probe, parse_input_shapes(input_shapes, probe), overrides)
    mapper = Mapper(readers)
    mapper.opset = opset
    for name, tensor in graph.initializers.items():
        mapper.values[name] = Value(None, tensor.dims, (), tensor)
    for item in imported:
        axes = layouts[item.name]
        shape = [1] * (len(axes) + 1)
        for position, axis in enumerate(axes):
            shape[axis] = shapes[item.name][position]
        mapper.values[item.name] = Value(item.name, tuple(shape), axes)
    for node in graph.nodes:
        values = [mapper.values.get(name) if name else None for name in node.inputs]
        missing = [name for name, value in zip(node.inputs, values) if name and value is None]
        where = f"node '{node.name}' ({node.op_type})"
        if missing:
            raise model_error("E642", path, f"{where}: reads '{missing[0]}', which no earlier node produces "
                                            f"(the nodes are not in order, or the graph is incomplete)")
        folded = fold(node, values, opset) if node.op_type in FOLDED else None
        if folded is not None:
            outputs = [folded]
        else:
            try:
                outputs = HANDLERS[node.op_type](mapper, node, values) if node.op_type in HANDLERS else []
            except Unmappable as error:
                raise model_error("E642", path, f"{where}: {error}", "docs/import.md says what convcost maps") \
                    from None
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as error:
                raise model_error("E642", path, f"{where}: an attribute or input convcost cannot read "
                                                f"({type(error).__name__}: {error})") from None
            if not outputs:
                raise model_error("E642", path, f"{where}: not a constant convcost can fold")
        for name, value in zip(node.outputs, outputs):
            if name:
                mapper.values[name] = value
    for name, _ in mapper.edge_pads.values():
        raise model_error("E642", path, f"node '{name}' (Pad): mode edge, not read by a MaxPool alone; convcost pads "
                                        f"with zeros, and folds an edge Pad into the MaxPool reading it")
    for source, (stage, sub) in mapper.pending.items():
        if stage == 1:  # a Sub of a per-channel constant and nothing after it: x + (-c)
            index = mapper.last_layer[source]
            try:
                fields = _rescaling_fields("Sub", mapper.subtracted[source])
            except Unmappable as error:
                raise model_error("E642", path, f"node '{sub}' (Sub): {error}") from None
            mapper.layers[index] = mapper.layers[index]._replace(kind="rescaling", fields=fields, note="x - a constant")
        elif stage < 3:
            raise model_error("E642", path, f"node '{sub}' (Sub): a per-channel constant subtracted and multiplied, "
                                            f"not followed by the Add of a batch norm; convcost maps Sub, Mul and "
                                            f"Add of per-channel constants as Keras' batch norm")
    outputs_named = []
    tensor_layouts = [TensorLayout(item.name, item.name, mapper.values[item.name].shape,
                                   mapper.values[item.name].axes, False) for item in imported]
    for info in graph.outputs:
        output = mapper.values.get(info.name)
        if output is None or output.source is None or output.source not in mapper.last_layer:
            raise model_error("E642", path, f"graph output '{info.name}' is not computed by a layer convcost "
                                            f"maps (a constant, an input, or missing)")
        outputs_named.append(output.source)
        tensor_layouts.append(TensorLayout(info.name, output.source, output.shape, output.axes, True))
    notes = [f"ONNX [N, C, H, W] tensors are channels last here, without the batch; opset {opset}."]
    if any(size is None for item in imported for size in item.shape):
        notes.append("imported for the input size given: paddings and shapes were worked out for it")
    kind = f"graph, opset {opset}" + (f", from {model.producer}" if model.producer else "")
    return ImportedModel(path, "ONNX", kind, graph.name or "onnx", tuple(imported), tuple(mapper.layers),
                         tuple(dict.fromkeys(outputs_named)), tuple(notes), tuple(tensor_layouts))
