"""The ONNX importer's ops mapped to the kinds that came after it (issue 13 item 3): Clip of any
range (clip), Add/Sub/Mul of a scalar or per-channel constant (rescaling), Sub then Div of
per-channel constants (normalization), Slice of one axis with any step and Split into unequal
parts (slice), LayerNormalization (layer_norm), InstanceNormalization (instance_norm), Pad of NHWC
tensors and Keras' edge Pad before a MaxPool; and what stays an error. Each graph is checked as
tests/test_import_onnx.py checks its own: every layer's shape against strict shape inference (in
the layout the importer holds it: tests/onnx_checks.py), the parameters against the
initializers, and verify. Interop run only (needs onnx).
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.interop
onnx = pytest.importorskip("onnx")

from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402
from onnx_checks import held_shapes  # noqa: E402

from convcost.cli import app  # noqa: E402

from cli_runner import runner  # noqa: E402

RNG = np.random.default_rng(1)


def weight(name, *dims):
    return nh.from_array(RNG.standard_normal(dims).astype(np.float32), name)


def floats(name, values):
    return nh.from_array(np.array(values, np.float32), name)


def ints(name, values):
    return nh.from_array(np.array(values, np.int64), name)


def model(nodes, inits=(), shape=(1, 4, 8, 8), opset=18):
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, list(shape))],
                         [h.make_tensor_value_info(nodes[-1].output[0], T.FLOAT, None)], list(inits))
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])


def node(op, inputs, output, name, **attrs):
    return h.make_node(op, inputs, [output] if isinstance(output, str) else output, name=name, **attrs)


def check(tmp_path, onnx_model, params=None, not_params=(), verify=True):
    """held_shapes, then the parameters (the float initializers but ``not_params``, or ``params``)
    and verify. Returns (imported, analysis)."""
    path = tmp_path / "model.onnx"
    onnx.save(onnx_model, str(path))
    imported, analysis, _ = held_shapes(path, onnx_model)
    expected = params if params is not None else sum(
        int(np.prod(init.dims)) for init in onnx_model.graph.initializer
        if init.data_type == T.FLOAT and init.name not in not_params)
    assert analysis.totals.params == expected
    if verify:
        outcome = runner.invoke(app, ["verify", str(path)])
        assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    return imported, analysis


def fields(imported, index=0):
    return imported.layers[index].kind, imported.layers[index].fields


def bad(tmp_path, onnx_model, *needles):
    path = tmp_path / "bad.onnx"
    onnx.save(onnx_model, str(path))
    outcome = runner.invoke(app, ["report", str(path)])
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    for needle in ("bad.onnx", "E642", *needles):
        assert needle in outcome.stderr, outcome.stderr
    return outcome.stderr


# --- Clip: any range ----------------------------------------------------------------------------

@pytest.mark.parametrize("bounds,inits,kind,expected", [
    (["lo", "hi"], [floats("lo", -1.0), floats("hi", 1.0)], "clip", {"min": -1.0, "max": 1.0}),
    (["", "hi"], [floats("hi", 6.0)], "clip", {"min": None, "max": 6.0}),
    (["lo"], [floats("lo", 0.5)], "clip", {"min": 0.5, "max": None}),
    (["lo", "hi"], [floats("lo", 0.0), floats("hi", 6.0)], "relu6", {}),
    (["lo"], [floats("lo", 0.0)], "relu", {}),
], ids=["both", "max-only", "min-only", "relu6-kept", "relu-kept"])
def test_clip_of_any_range(tmp_path, bounds, inits, kind, expected):
    imported, analysis = check(tmp_path, model([node("Clip", ["x", *bounds], "y", "clip")], inits),
                               not_params={"lo", "hi"})
    assert fields(imported) == (kind, expected)
    # docs/conventions.md: one comparison per element per bound given (4·8·8 = 256 elements)
    bounds_given = sum(1 for name in bounds if name)
    assert analysis.totals.comparisons == 256 * bounds_given


def test_clip_with_min_above_max_is_an_error(tmp_path):
    bad(tmp_path, model([node("Clip", ["x", "lo", "hi"], "y", "clip_1")], [floats("lo", 2.0), floats("hi", 1.0)]),
        "node 'clip_1' (Clip)", "empty range")


# --- rescaling: Add, Sub, Mul of a scalar or per-channel constant ------------------------------

@pytest.mark.parametrize("op,const,expected", [
    ("Mul", floats("c", 0.5), {"scale": 0.5}),
    ("Add", floats("c", 3.0), {"offset": 3.0}),
    ("Sub", floats("c", 1.0), {"offset": -1.0}),
    ("Add", floats("c", [[[1.0]], [[2.0]], [[3.0]], [[4.0]]]), {"offset": [1.0, 2.0, 3.0, 4.0]}),
    ("Sub", floats("c", [[[1.0]], [[2.0]], [[3.0]], [[4.0]]]), {"offset": [-1.0, -2.0, -3.0, -4.0]}),
], ids=["mul-scalar", "add-scalar", "sub-scalar", "add-per-channel", "sub-per-channel"])
def test_arithmetic_with_a_constant_is_rescaling(tmp_path, op, const, expected):
    nodes = [node("Relu", ["x"], "r", "relu"), node(op, ["r", "c"], "y", "rescale")]
    imported, analysis = check(tmp_path, model(nodes, [const]), not_params={"c"})
    assert fields(imported, 1) == ("rescaling", expected)
    # 256 elements: one mult (scale) or one add (offset) each, docs/conventions.md
    assert (analysis.layer("rescale").mults, analysis.layer("rescale").adds) == \
        ((256, 0) if op == "Mul" else (0, 256))


def test_mul_then_add_of_scalars_is_one_rescaling(tmp_path):
    # Keras' Rescaling(1/255, offset=-1) as its torch export writes it: x · s, then + c
    nodes = [node("Mul", ["x", "s"], "m", "scale"), node("Add", ["m", "o"], "a", "shift"),
             node("Relu", ["a"], "y", "relu")]
    imported, analysis = check(tmp_path, model(nodes, [floats("s", 0.25), floats("o", -1.0)]), not_params={"s", "o"})
    assert fields(imported) == ("rescaling", {"scale": 0.25, "offset": -1.0})
    assert len(imported.layers) == 2
    assert (analysis.layer("scale").mults, analysis.layer("scale").adds) == (256, 256)


def test_a_mul_read_twice_is_not_joined_with_the_add_after_it(tmp_path):
    nodes = [node("Mul", ["x", "s"], "m", "scale"), node("Add", ["m", "o"], "a", "shift"),
             node("Relu", ["m"], "r", "relu"), node("Add", ["a", "r"], "y", "sum")]
    imported, _ = check(tmp_path, model(nodes, [floats("s", 0.25), floats("o", -1.0)]), not_params={"s", "o"})
    assert [fields(imported, index) for index in (0, 1)] == [("rescaling", {"scale": 0.25}),
                                                             ("rescaling", {"offset": -1.0})]


def test_a_constant_minus_a_tensor_is_an_error(tmp_path):
    bad(tmp_path, model([node("Sub", ["c", "x"], "y", "flip")], [floats("c", 1.0)]), "node 'flip' (Sub)",
        "a constant minus a tensor")


def test_a_division_by_a_constant_is_an_error(tmp_path):
    # a division: rescaling multiplies, and convcost does not count x / c as x · (1/c)
    err = bad(tmp_path, model([node("Div", ["x", "c"], "y", "halve")], [floats("c", 2.0)]), "node 'halve' (Div)",
              "division")
    assert "not written as x · (1/c)" in err


def test_a_constant_of_other_dims_is_an_error(tmp_path):
    bad(tmp_path, model([node("Add", ["x", "c"], "y", "plus")], [weight("c", 1, 4, 8, 8)]), "node 'plus' (Add)",
        "scalar or per-channel")


# --- normalization: Sub then Div of per-channel constants (Keras' Normalization) --------------

def test_sub_then_div_of_per_channel_constants_is_normalization(tmp_path):
    nodes = [node("Sub", ["x", "mean"], "d", "norm"), node("Div", ["d", "sd"], "y", "norm_div")]
    inits = [weight("mean", 1, 4, 1, 1), floats("sd", np.full((1, 4, 1, 1), 2.0))]
    imported, analysis = check(tmp_path, model(nodes, inits), params=0)
    assert fields(imported) == ("normalization", {"stored": False})
    assert len(imported.layers) == 1
    # 256 elements: one subtraction and one division each (docs/conventions.md)
    assert (analysis.totals.adds, analysis.totals.divisions) == (256, 256)


# --- slice: one axis, any step; Split into unequal parts -------------------------------------

@pytest.mark.parametrize("starts,ends,axes,steps,expected,shape", [
    ([1], [4], [1], [1], {"axis": -1, "start": 1, "stop": None}, (8, 8, 3)),
    ([0], [100], [1], [2], {"axis": -1, "start": 0, "stop": None, "step": 2}, (8, 8, 2)),
    ([-3], [-1], [1], [1], {"axis": -1, "start": 1, "stop": 3}, (8, 8, 2)),
    ([1], [8], [2], [3], {"axis": 0, "start": 1, "stop": None, "step": 3}, (3, 8, 4)),
], ids=["channels", "channels-step-2", "channels-negative", "height-step-3"])
def test_slice_of_one_axis(tmp_path, starts, ends, axes, steps, expected, shape):
    nodes = [node("Slice", ["x", "st", "en", "ax", "sp"], "y", "slice")]
    inits = [ints("st", starts), ints("en", ends), ints("ax", axes), ints("sp", steps)]
    imported, analysis = check(tmp_path, model(nodes, inits))
    assert fields(imported) == ("slice", expected)
    assert analysis.layers[0].output_shape == shape


def test_slice_of_two_axes_with_a_step_is_an_error(tmp_path):
    nodes = [node("Slice", ["x", "st", "en", "ax", "sp"], "y", "slice_2")]
    inits = [ints("st", [0, 0]), ints("en", [2, 8]), ints("ax", [1, 2]), ints("sp", [1, 2])]
    bad(tmp_path, model(nodes, inits), "node 'slice_2' (Slice)", "a slice of one axis")


def test_split_into_unequal_parts_is_one_slice_per_part(tmp_path):
    nodes = [node("Split", ["x", "sizes"], ["p0", "p1"], "split", axis=1), node("Relu", ["p0"], "r", "relu"),
             node("Concat", ["p1", "r"], "y", "concat", axis=1)]
    imported, analysis = check(tmp_path, model(nodes, [ints("sizes", [1, 3])]), not_params={"sizes"})
    assert [(layer.kind, layer.fields) for layer in imported.layers[:2]] == [
        ("slice", {"axis": -1, "start": 0, "stop": 1}), ("slice", {"axis": -1, "start": 1, "stop": 4})]
    assert analysis.layer("concat").output_shape == (8, 8, 4)


def test_split_num_outputs_not_dividing_the_axis(tmp_path):
    # opset 18: 5 channels in 2 outputs are ceil(5/2) = 3 and the remaining 2
    nodes = [node("Split", ["x"], ["p0", "p1"], "split", axis=1, num_outputs=2), node("Relu", ["p1"], "y", "relu")]
    imported, _ = check(tmp_path, model(nodes, shape=(1, 5, 4, 4)))
    assert [layer.fields["stop"] for layer in imported.layers[:2]] == [3, 5]


# --- layer_norm, instance_norm -----------------------------------------------------------------

def to_nhwc(x, out, name="to_nhwc"):
    return node("Transpose", [x], out, name, perm=[0, 2, 3, 1])


@pytest.mark.parametrize("with_bias", [True, False], ids=["center", "no-center"])
def test_layer_normalization_over_the_channels(tmp_path, with_bias):
    nodes = [to_nhwc("x", "t"),
             node("LayerNormalization", ["t", "g"] + (["b"] if with_bias else []), "n", "ln", axis=-1, epsilon=1e-6),
             node("Transpose", ["n"], "y", "to_nchw", perm=[0, 3, 1, 2])]
    inits = [weight("g", 4)] + ([weight("b", 4)] if with_bias else [])
    imported, analysis = check(tmp_path, model(nodes, inits, opset=17))
    assert fields(imported) == ("layer_norm", {} if with_bias else {"center": False})
    assert analysis.totals.params == (8 if with_bias else 4)


def test_layer_normalization_of_features(tmp_path):
    nodes = [node("Flatten", ["x"], "f", "flat"), node("LayerNormalization", ["f", "g", "b"], "y", "ln")]
    imported, _ = check(tmp_path, model(nodes, [weight("g", 16), weight("b", 16)], shape=(1, 16, 1, 1), opset=17))
    assert imported.layers[-1].kind == "layer_norm"


def test_layer_normalization_over_c_h_w_is_an_error(tmp_path):
    nodes = [node("LayerNormalization", ["x", "g", "b"], "y", "ln_chw", axis=1)]
    bad(tmp_path, model(nodes, [weight("g", 4, 8, 8), weight("b", 4, 8, 8)], opset=17),
        "node 'ln_chw' (LayerNormalization)", "channel axis alone")


def test_instance_normalization(tmp_path):
    nodes = [node("InstanceNormalization", ["x", "g", "b"], "y", "inorm", epsilon=1e-5)]
    imported, analysis = check(tmp_path, model(nodes, [weight("g", 4), weight("b", 4)]))
    assert imported.layers[0].kind == "instance_norm" and analysis.totals.params == 8


def test_reduce_mean_over_the_channels_is_an_error_that_says_why(tmp_path):
    nodes = [node("ReduceMean", ["x", "axes"], "y", "mean_c", keepdims=1)]
    bad(tmp_path, model(nodes, [ints("axes", [1])]), "node 'mean_c' (ReduceMean)", "over the channels",
        "no kind that reduces the channel axis")


# --- layouts: Pad of NHWC tensors, Keras' edge Pad before a MaxPool, an NHWC input ------------

def test_pad_of_an_nhwc_tensor(tmp_path):
    nodes = [to_nhwc("x", "t"), node("Pad", ["t", "pads"], "p", "pad"),
             node("Transpose", ["p"], "y", "to_nchw", perm=[0, 3, 1, 2])]
    imported, analysis = check(tmp_path, model(nodes, [ints("pads", [0, 0, 1, 0, 0, 1, 2, 0])]),
                               not_params={"pads"})
    assert fields(imported) == ("zero_padding2d", {"padding": [[0, 1], [1, 2]]})
    assert analysis.layers[0].output_shape == (9, 11, 4)


def test_an_edge_pad_before_a_max_pool_is_the_pools_padding(tmp_path):
    # Keras' torch backend pads a max pool's 'same' windows by repeating the edge: the maximum over
    # a window is the same as with the padding left out, so the pad is the pool's padding
    nodes = [node("Pad", ["x", "pads"], "p", "pad", mode="edge"),
             node("MaxPool", ["p"], "y", "pool", kernel_shape=[3, 3], strides=[2, 2])]
    imported, analysis = check(tmp_path, model(nodes, [ints("pads", [0, 0, 0, 0, 0, 0, 1, 1])]),
                               not_params={"pads"})
    assert [layer.kind for layer in imported.layers] == ["max_pooling2d"]
    assert imported.layers[0].fields["padding"] == [[0, 1], [0, 1]]
    assert analysis.layers[0].output_shape == (4, 4, 4)


def test_an_edge_pad_before_an_average_pool_is_an_error(tmp_path):
    nodes = [node("Pad", ["x", "pads"], "p", "pad_e", mode="edge"),
             node("AveragePool", ["p"], "y", "avg", kernel_shape=[3, 3], strides=[2, 2])]
    bad(tmp_path, model(nodes, [ints("pads", [0, 0, 0, 0, 0, 0, 1, 1])]), "node 'avg' (AveragePool)",
        "edge padding")


def test_an_edge_pad_read_by_something_else_is_an_error(tmp_path):
    nodes = [node("Pad", ["x", "pads"], "p", "pad_e", mode="edge"), node("Relu", ["p"], "y", "relu")]
    bad(tmp_path, model(nodes, [ints("pads", [0, 0, 0, 0, 0, 0, 1, 1])]), "node 'pad_e' (Pad)", "mode edge")


def test_an_input_rescaled_before_its_nhwc_transpose_is_nhwc(tmp_path):
    # Keras' exports: Rescaling (Mul) on the NHWC input, then the Transpose to NCHW before a conv
    nodes = [node("Mul", ["x", "s"], "m", "rescale"), node("Transpose", ["m"], "t", "to_nchw", perm=[0, 3, 1, 2]),
             node("Conv", ["t", "w"], "y", "conv", kernel_shape=[3, 3])]
    imported, analysis = check(tmp_path, model(nodes, [floats("s", 1 / 255), weight("w", 8, 3, 3, 3)],
                                               shape=(1, 16, 16, 3)), not_params={"s"})
    assert imported.inputs[0].shape == (16, 16, 3)
    assert analysis.layer("conv").output_shape == (14, 14, 8)
