"""The ONNX graphs of the importer's tests, built with onnx.helper: one builder per graph, shared by
tests/test_import_onnx.py (shapes, parameters, verify) and tests/test_verify_runtime.py (the
executor's outputs against onnxruntime's). ``GRAPHS`` names every one, parameters included.
Needs the onnx package (the interop run)."""

from __future__ import annotations

from typing import Callable

import numpy as np
from onnx import ModelProto
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

RNG = np.random.default_rng(0)


def weight(name, *dims, dtype=np.float32):
    return nh.from_array(RNG.standard_normal(dims).astype(dtype), name)


def ints(name, values):
    return nh.from_array(np.array(values, np.int64), name)


def floats(name, values):
    return nh.from_array(np.array(values, np.float32), name)


def model(nodes, inits=(), shape=(1, 4, 8, 8), opset=17, outputs=None):
    """A graph reading x (NCHW) whose output is the last node's first output (or ``outputs``)."""
    outs = outputs or [nodes[-1].output[0]]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, list(shape))],
                         [h.make_tensor_value_info(name, T.FLOAT, None) for name in outs], list(inits))
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])


def conv(name, x, w, out, b=None, **attrs):
    return h.make_node("Conv", [x, w] + ([b] if b else []), [out], name=name, **attrs)


# --- Conv: every padding mode, stride, groups, dilation ---------------------------------------

CONV_PADDINGS = {
    "pads": {"pads": [1, 1, 1, 1]},
    "asymmetric-pads": {"pads": [0, 1, 2, 1], "strides": [2, 2]},
    "same-upper": {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
    "same-lower": {"auto_pad": "SAME_LOWER", "strides": [2, 2]},
    "same-upper-stride3": {"auto_pad": "SAME_UPPER", "strides": [3, 3]},
    "valid": {"auto_pad": "VALID"},
    "notset": {"auto_pad": "NOTSET"},
    "dilated": {"dilations": [2, 2], "pads": [2, 2, 2, 2]},
}


def conv_padding(attrs):
    return model([conv("c", "x", "w", "y", "b", kernel_shape=[3, 3], **attrs)],
                 [weight("w", 6, 4, 3, 3), weight("b", 6)], shape=(1, 4, 9, 9))


def conv_same_lower():
    return model([conv("c", "x", "w", "y", kernel_shape=[4, 4], auto_pad="SAME_LOWER")], [weight("w", 2, 4, 4, 4)])


def grouped_and_depthwise():
    nodes = [conv("g", "x", "w1", "a", group=2, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             conv("dw", "a", "w2", "y", "b2", group=8, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])]
    return model(nodes, [weight("w1", 8, 2, 3, 3), weight("w2", 8, 1, 3, 3), weight("b2", 8)])


def conv1d():
    return model([conv("c", "x", "w", "y", kernel_shape=[5], strides=[2], pads=[2, 2])],
                 [weight("w", 8, 4, 5)], shape=(1, 4, 32))


def conv_add_bias():
    nodes = [conv("c", "x", "w", "a", kernel_shape=[1, 1]), h.make_node("Add", ["a", "b"], ["y"], name="bias")]
    return model(nodes, [weight("w", 6, 4, 1, 1), weight("b", 6, 1, 1)])


# --- ConvTranspose ------------------------------------------------------------------------------

CONV_TRANSPOSES = {
    "output-padding": {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
    "plain": {"strides": [2, 2]},
    "same-upper": {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
    "output-shape": {"strides": [2, 2], "output_shape": [15, 15]},
    "groups-dilation": {"group": 2, "dilations": [2, 2]},
}


def conv_transpose(attrs):
    node = h.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up", kernel_shape=[3, 3], **attrs)
    return model([node], [weight("w", 4, 3, 3, 3), weight("b", 3 * attrs.get("group", 1))])


# --- pooling ------------------------------------------------------------------------------------

POOLINGS = {
    "max-pads": ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    "max-ceil": ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    "max-same": ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    "avg-include-pad": ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                                        "count_include_pad": 1}),
    "avg-ceil": ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    "avg-same-lower": ("AveragePool", {"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER"}),
    "avg-valid": ("AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "VALID"}),
}


def pooling(op, attrs):
    return model([h.make_node(op, ["x"], ["y"], name="pool", **attrs)], shape=(1, 4, 9, 9))


def global_pooling(op):
    return model([h.make_node(op, ["x"], ["y"], name="gp")])


def reduce_mean(keepdims):
    nodes = [h.make_node("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=keepdims)]
    return model(nodes, [ints("axes", [2, 3])], opset=18)


# --- activations, batch norm, LRN, softmax, dropout, identity ---------------------------------

ELEMENTWISE = {
    "relu": ("Relu", {}, [], "relu"),
    "sigmoid": ("Sigmoid", {}, [], "sigmoid"),
    "hard-sigmoid": ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, [], "hard_sigmoid"),
    "hard-swish": ("HardSwish", {}, [], "hard_swish"),
    "leaky": ("LeakyRelu", {"alpha": 0.1}, [], "leaky_relu"),
    "gelu": ("Gelu", {}, [], "gelu"),
    "gelu-tanh": ("Gelu", {"approximate": "tanh"}, [], "gelu"),
    "clip6": ("Clip", {}, ["zero", "six"], "relu6"),
    "clip0": ("Clip", {}, ["zero"], "relu"),
    "dropout": ("Dropout", {}, [], "dropout"),
}
NOT_PARAMS = {"zero", "six"}  # the elementwise graphs' Clip bounds


def elementwise(op, attrs, inputs):
    inits = [floats("zero", 0.0), floats("six", 6.0)]
    return model([h.make_node(op, ["x", *inputs], ["y"], name="act", **attrs)], inits, opset=20)


def batch_norm_lrn_softmax_identity():
    nodes = [h.make_node("BatchNormalization", ["x", "s", "bb", "m", "v"], ["a"], name="bn"),
             h.make_node("LRN", ["a"], ["b"], name="lrn", size=3, alpha=2e-4, beta=0.75, bias=2.0),
             h.make_node("Identity", ["b"], ["c"], name="id"),
             h.make_node("Softmax", ["c"], ["y"], name="softmax", axis=1)]
    inits = [weight("s", 4), weight("bb", 4), weight("m", 4), floats("v", [1.0] * 4)]
    return model(nodes, inits, shape=(1, 4, 1, 1))


# --- dense: Gemm, MatMul ------------------------------------------------------------------------

def gemm(trans_b):
    dims = (10, 16) if trans_b else (16, 10)
    nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"),
             h.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=trans_b)]
    return model(nodes, [weight("w", *dims), weight("b", 10)], shape=(1, 4, 2, 2))


def matmul_add():
    nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"),
             h.make_node("MatMul", ["f", "w"], ["m"], name="fc"), h.make_node("Add", ["m", "b"], ["y"], name="bias")]
    return model(nodes, [weight("w", 4, 7), weight("b", 7)], shape=(1, 4, 1, 1))


# --- merges: Mul/Add/Sub with broadcasting, Concat, Split --------------------------------------

def squeeze_excitation():
    nodes = [conv("a", "x", "w", "ya", kernel_shape=[1, 1]),
             h.make_node("GlobalAveragePool", ["ya"], ["g"], name="squeeze"),
             h.make_node("Sigmoid", ["g"], ["s"], name="gate"),
             h.make_node("Mul", ["ya", "s"], ["m"], name="excite"),
             h.make_node("Sub", ["m", "s"], ["d"], name="minus"),
             h.make_node("Add", ["d", "ya"], ["y"], name="residual")]
    return model(nodes, [weight("w", 4, 4, 1, 1)])


def mul_scale():
    return model([h.make_node("Mul", ["x", "g"], ["y"], name="layer_scale")], [weight("g", 4, 1, 1)])


def concat_split():
    nodes = [h.make_node("Split", ["x"], ["p0", "p1"], name="split", axis=1, num_outputs=2),
             h.make_node("Relu", ["p1"], ["r"], name="relu"),
             h.make_node("Concat", ["r", "p0"], ["y"], name="concat", axis=1)]
    return model(nodes, opset=18)


def split_sizes():
    nodes = [h.make_node("Split", ["x", "sizes"], ["p0", "p1"], name="split", axis=1),
             h.make_node("Add", ["p0", "p1"], ["y"], name="sum")]
    return model(nodes, [ints("sizes", [2, 2])], opset=13)


# --- layout: Reshape, Flatten, Transpose; Slice, Pad, Resize -----------------------------------

def reshape_folded():
    nodes = [h.make_node("Transpose", ["x"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
             h.make_node("Transpose", ["t"], ["u"], name="to_nchw", perm=[0, 3, 1, 2]),
             h.make_node("GlobalAveragePool", ["u"], ["g"], name="gap"),
             h.make_node("Shape", ["g"], ["shape"], name="shape"),
             h.make_node("Gather", ["shape", "zero"], ["n"], name="batch"),
             h.make_node("Unsqueeze", ["n", "zero1"], ["n1"], name="unsq"),
             h.make_node("Concat", ["n1", "minus1"], ["target"], name="target", axis=0),
             h.make_node("Reshape", ["g", "target"], ["y"], name="reshape")]
    return model(nodes, [ints("zero", 0), ints("zero1", [0]), ints("minus1", [-1])])


def slice_crop():
    nodes = [h.make_node("Slice", ["x", "st", "en", "ax"], ["y"], name="crop")]
    return model(nodes, [ints("st", [1, 2]), ints("en", [-1, 100]), ints("ax", [2, 3])])


def pad():
    return model([h.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode="constant")],
                 [ints("pads", [0, 0, 1, 2, 0, 0, 3, 0])])


RESIZES = {
    "nearest": ({"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
                [1, 1, 2, 2]),
    "linear": ({"mode": "linear", "coordinate_transformation_mode": "half_pixel"}, [1, 1, 2, 2]),
    "linear-align-corners": ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 2, 3]),
}


def resize(attrs, scales):
    return model([h.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", **attrs)],
                 [floats("scales", scales)])


# --- every graph above, by name ------------------------------------------------------------------

def _bind(function, *args) -> Callable[[], ModelProto]:
    return lambda: function(*args)


GRAPHS: dict[str, Callable[[], ModelProto]] = {
    **{f"conv-{key}": _bind(conv_padding, attrs) for key, attrs in CONV_PADDINGS.items()},
    "conv-same-lower-4x4": conv_same_lower,
    "conv-grouped-depthwise": grouped_and_depthwise,
    "conv1d": conv1d,
    "conv-add-bias": conv_add_bias,
    **{f"conv-transpose-{key}": _bind(conv_transpose, attrs) for key, attrs in CONV_TRANSPOSES.items()},
    **{key: _bind(pooling, op, attrs) for key, (op, attrs) in POOLINGS.items()},
    "global-average-pool": _bind(global_pooling, "GlobalAveragePool"),
    "global-max-pool": _bind(global_pooling, "GlobalMaxPool"),
    "reduce-mean": _bind(reduce_mean, 0),
    "reduce-mean-keepdims": _bind(reduce_mean, 1),
    **{key: _bind(elementwise, op, attrs, inputs) for key, (op, attrs, inputs, _) in ELEMENTWISE.items()},
    "batch-norm-lrn-softmax-identity": batch_norm_lrn_softmax_identity,
    "gemm": _bind(gemm, 0),
    "gemm-trans-b": _bind(gemm, 1),
    "matmul-add": matmul_add,
    "squeeze-excitation": squeeze_excitation,
    "mul-scale": mul_scale,
    "concat-split": concat_split,
    "split-sizes": split_sizes,
    "reshape-folded": reshape_folded,
    "slice-crop": slice_crop,
    "pad": pad,
    **{f"resize-{key}": _bind(resize, attrs, scales) for key, (attrs, scales) in RESIZES.items()},
}
