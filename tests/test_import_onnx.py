"""The ONNX importer (convcost.importers.onnx): graphs built with onnx.helper, each imported and
checked three ways — every layer's output shape against onnx.shape_inference.infer_shapes
(strict_mode=True), transposed to channels last; the parameters against the initializers'
element counts; `convcost verify` on the imported spec. Then torch.onnx.export and Keras exports,
and bad files through the CLI. Needs the onnx package: part of the interop run (the README's second test
command, the extra 'interop'), which CI runs; where onnx is not installed the module is not collected
(tests/conftest.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.interop  # the README's interop test command installs onnx (tests/conftest.py)
onnx = pytest.importorskip("onnx")

from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402

import convcost  # noqa: E402
from convcost.cli import app  # noqa: E402
from convcost.importers.onnx import read  # noqa: E402
from convcost.importers.spec_text import spec_names, spec_text  # noqa: E402

from cli_runner import runner  # noqa: E402

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


def channels_last(shape):
    return tuple(shape[2:]) + (shape[1],) if len(shape) >= 3 else tuple(shape[1:])


def check(tmp_path, onnx_model, not_params=(), verify=True):
    """Import, compare every layer's shape with ONNX shape inference, the parameters with the
    initializers, and verify. Returns the analysis."""
    path = tmp_path / "model.onnx"
    onnx.save(onnx_model, str(path))
    inferred = onnx.shape_inference.infer_shapes(onnx_model, strict_mode=True, data_prop=True)
    shapes = {info.name: tuple(d.dim_value for d in info.type.tensor_type.shape.dim)
              for info in list(inferred.graph.value_info) + list(inferred.graph.output)}
    imported = read(str(path))
    result = convcost.analyze(convcost.loads(spec_text(imported)))
    names = spec_names(imported)
    nodes = {node.name: node for node in onnx_model.graph.node}
    assert imported.layers
    for layer in imported.layers:
        node_name = re.match(r"node '(.*)' \(", layer.source).group(1)
        node = nodes[node_name]
        part = int(layer.name.rsplit("_", 1)[1]) if node.op_type == "Split" else 0
        assert result.layer(names[layer.name]).output_shape == channels_last(shapes[node.output[part]]), layer
    expected = sum(int(np.prod(init.dims)) for init in onnx_model.graph.initializer
                   if init.data_type == T.FLOAT and init.name not in not_params)
    assert result.totals.params == expected
    if verify:
        outcome = runner.invoke(app, ["verify", str(path)])
        assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    return result


def conv(name, x, w, out, b=None, **attrs):
    return h.make_node("Conv", [x, w] + ([b] if b else []), [out], name=name, **attrs)


# --- Conv: every padding mode, stride, groups, dilation ---------------------------------------

@pytest.mark.parametrize("attrs", [
    {"pads": [1, 1, 1, 1]},
    {"pads": [0, 1, 2, 1], "strides": [2, 2]},
    {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
    {"auto_pad": "SAME_LOWER", "strides": [2, 2]},
    {"auto_pad": "SAME_UPPER", "strides": [3, 3]},
    {"auto_pad": "VALID"},
    {"auto_pad": "NOTSET"},
    {"dilations": [2, 2], "pads": [2, 2, 2, 2]},
], ids=["pads", "asymmetric-pads", "same-upper", "same-lower", "same-upper-stride3", "valid", "notset", "dilated"])
def test_conv_padding_modes(tmp_path, attrs):
    check(tmp_path, model([conv("c", "x", "w", "y", "b", kernel_shape=[3, 3], **attrs)],
                          [weight("w", 6, 4, 3, 3), weight("b", 6)], shape=(1, 4, 9, 9)))


def test_conv_same_lower_puts_the_extra_padding_first(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(model([conv("c", "x", "w", "y", kernel_shape=[4, 4], auto_pad="SAME_LOWER")], [weight("w", 2, 4, 4, 4)]),
              str(path))
    # 8 wide, kernel 4, stride 1: 3 in all, SAME_LOWER puts 2 before and 1 after (SAME_UPPER 1, 2)
    assert read(str(path)).layers[0].fields["padding"] == [[2, 1], [2, 1]]


def test_grouped_and_depthwise_conv(tmp_path):
    nodes = [conv("g", "x", "w1", "a", group=2, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             conv("dw", "a", "w2", "y", "b2", group=8, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])]
    result = check(tmp_path, model(nodes, [weight("w1", 8, 2, 3, 3), weight("w2", 8, 1, 3, 3), weight("b2", 8)]))
    assert result.layer("dw").output_shape == (4, 4, 8)


def test_conv1d(tmp_path):
    check(tmp_path, model([conv("c", "x", "w", "y", kernel_shape=[5], strides=[2], pads=[2, 2])],
                          [weight("w", 8, 4, 5)], shape=(1, 4, 32)))


def test_conv_then_add_of_a_per_channel_constant_folds_as_the_bias(tmp_path):
    nodes = [conv("c", "x", "w", "a", kernel_shape=[1, 1]), h.make_node("Add", ["a", "b"], ["y"], name="bias")]
    path = tmp_path / "m.onnx"
    result = check(tmp_path, model(nodes, [weight("w", 6, 4, 1, 1), weight("b", 6, 1, 1)]))
    onnx.save(model(nodes, [weight("w", 6, 4, 1, 1), weight("b", 6, 1, 1)]), str(path))
    layer = read(str(path)).layers[0]
    assert layer.fields["bias"] is True and "folded" in layer.note
    assert len(result.layers) == 1


# --- ConvTranspose ------------------------------------------------------------------------------

@pytest.mark.parametrize("attrs", [
    {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
    {"strides": [2, 2]},
    {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
    {"strides": [2, 2], "output_shape": [15, 15]},
    {"group": 2, "dilations": [2, 2]},
], ids=["output-padding", "plain", "same-upper", "output-shape", "groups-dilation"])
def test_conv_transpose(tmp_path, attrs):
    node = h.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up", kernel_shape=[3, 3], **attrs)
    check(tmp_path, model([node], [weight("w", 4, 3, 3, 3), weight("b", 3 * attrs.get("group", 1))]))


# --- pooling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,attrs", [
    ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    ("AveragePool", {"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER"}),
    ("AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "VALID"}),
], ids=["max-pads", "max-ceil", "max-same", "avg-include-pad", "avg-ceil", "avg-same-lower", "avg-valid"])
def test_pooling(tmp_path, op, attrs):
    check(tmp_path, model([h.make_node(op, ["x"], ["y"], name="pool", **attrs)], shape=(1, 4, 9, 9)))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pooling(tmp_path, op):
    check(tmp_path, model([h.make_node(op, ["x"], ["y"], name="gp")]))


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_mean_over_the_spatial_axes_is_global_average_pooling(tmp_path, keepdims):
    nodes = [h.make_node("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=keepdims)]
    result = check(tmp_path, model(nodes, [ints("axes", [2, 3])], opset=18))
    assert result.layers[0].kind == "global_average_pooling"


# --- activations, batch norm, LRN, softmax, dropout, identity ---------------------------------

@pytest.mark.parametrize("op,attrs,inputs,kind", [
    ("Relu", {}, [], "relu"),
    ("Sigmoid", {}, [], "sigmoid"),
    ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, [], "hard_sigmoid"),
    ("HardSwish", {}, [], "hard_swish"),
    ("LeakyRelu", {"alpha": 0.1}, [], "leaky_relu"),
    ("Gelu", {}, [], "gelu"),
    ("Gelu", {"approximate": "tanh"}, [], "gelu"),
    ("Clip", {}, ["zero", "six"], "relu6"),
    ("Clip", {}, ["zero"], "relu"),
    ("Dropout", {}, [], "dropout"),
], ids=["relu", "sigmoid", "hard-sigmoid", "hard-swish", "leaky", "gelu", "gelu-tanh", "clip6", "clip0", "dropout"])
def test_elementwise_ops(tmp_path, op, attrs, inputs, kind):
    inits = [floats("zero", 0.0), floats("six", 6.0)]
    result = check(tmp_path, model([h.make_node(op, ["x", *inputs], ["y"], name="act", **attrs)], inits, opset=20),
                   not_params={"zero", "six"})
    assert result.layers[0].kind == kind


def test_batch_norm_lrn_softmax_identity(tmp_path):
    nodes = [h.make_node("BatchNormalization", ["x", "s", "bb", "m", "v"], ["a"], name="bn"),
             h.make_node("LRN", ["a"], ["b"], name="lrn", size=3, alpha=2e-4, beta=0.75, bias=2.0),
             h.make_node("Identity", ["b"], ["c"], name="id"),
             h.make_node("Softmax", ["c"], ["y"], name="softmax", axis=1)]
    inits = [weight("s", 4), weight("bb", 4), weight("m", 4), floats("v", [1.0] * 4)]
    result = check(tmp_path, model(nodes, inits, shape=(1, 4, 1, 1)))
    assert [layer.kind for layer in result.layers] == ["batch_norm", "local_response_norm", "softmax"]


# --- dense: Gemm, MatMul ------------------------------------------------------------------------

@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm(tmp_path, trans_b):
    dims = (10, 16) if trans_b else (16, 10)
    nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"),
             h.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=trans_b)]
    check(tmp_path, model(nodes, [weight("w", *dims), weight("b", 10)], shape=(1, 4, 2, 2)))


def test_matmul_then_add_is_one_dense_layer_with_a_bias(tmp_path):
    nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"),
             h.make_node("MatMul", ["f", "w"], ["m"], name="fc"), h.make_node("Add", ["m", "b"], ["y"], name="bias")]
    result = check(tmp_path, model(nodes, [weight("w", 4, 7), weight("b", 7)], shape=(1, 4, 1, 1)))
    assert [layer.kind for layer in result.layers] == ["flatten", "dense"]


# --- merges: Mul/Add/Sub with broadcasting, Concat, Split --------------------------------------

def test_squeeze_excitation_mul_broadcasts_and_add_sub_merge(tmp_path):
    nodes = [conv("a", "x", "w", "ya", kernel_shape=[1, 1]),
             h.make_node("GlobalAveragePool", ["ya"], ["g"], name="squeeze"),
             h.make_node("Sigmoid", ["g"], ["s"], name="gate"),
             h.make_node("Mul", ["ya", "s"], ["m"], name="excite"),
             h.make_node("Sub", ["m", "s"], ["d"], name="minus"),
             h.make_node("Add", ["d", "ya"], ["y"], name="residual")]
    result = check(tmp_path, model(nodes, [weight("w", 4, 4, 1, 1)]))
    assert result.layer("excite").kind == "multiply" and result.layer("minus").kind == "subtract"


def test_mul_by_a_per_channel_constant_is_scale(tmp_path):
    result = check(tmp_path, model([h.make_node("Mul", ["x", "g"], ["y"], name="layer_scale")], [weight("g", 4, 1, 1)]))
    assert result.layers[0].kind == "scale"


def test_concat_and_split(tmp_path):
    nodes = [h.make_node("Split", ["x"], ["p0", "p1"], name="split", axis=1, num_outputs=2),
             h.make_node("Relu", ["p1"], ["r"], name="relu"),
             h.make_node("Concat", ["r", "p0"], ["y"], name="concat", axis=1)]
    result = check(tmp_path, model(nodes, opset=18))
    assert result.layer("concat").output_shape == (8, 8, 4)


def test_split_with_sizes_input(tmp_path):
    nodes = [h.make_node("Split", ["x", "sizes"], ["p0", "p1"], name="split", axis=1),
             h.make_node("Add", ["p0", "p1"], ["y"], name="sum")]
    check(tmp_path, model(nodes, [ints("sizes", [2, 2])], opset=13))


# --- layout: Reshape, Flatten, Transpose; Slice, Pad, Resize -----------------------------------

def test_reshape_with_a_folded_shape_and_transposes_that_are_layout(tmp_path):
    nodes = [h.make_node("Transpose", ["x"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
             h.make_node("Transpose", ["t"], ["u"], name="to_nchw", perm=[0, 3, 1, 2]),
             h.make_node("GlobalAveragePool", ["u"], ["g"], name="gap"),
             h.make_node("Shape", ["g"], ["shape"], name="shape"),
             h.make_node("Gather", ["shape", "zero"], ["n"], name="batch"),
             h.make_node("Unsqueeze", ["n", "zero1"], ["n1"], name="unsq"),
             h.make_node("Concat", ["n1", "minus1"], ["target"], name="target", axis=0),
             h.make_node("Reshape", ["g", "target"], ["y"], name="reshape")]
    inits = [ints("zero", 0), ints("zero1", [0]), ints("minus1", [-1])]
    result = check(tmp_path, model(nodes, inits))
    assert [layer.kind for layer in result.layers] == ["global_average_pooling", "flatten"]


def test_slice_of_the_spatial_axes_is_a_crop(tmp_path):
    nodes = [h.make_node("Slice", ["x", "st", "en", "ax"], ["y"], name="crop")]
    result = check(tmp_path, model(nodes, [ints("st", [1, 2]), ints("en", [-1, 100]), ints("ax", [2, 3])]))
    assert result.layers[0].kind == "cropping2d" and result.layers[0].output_shape == (6, 6, 4)


def test_pad(tmp_path):
    nodes = [h.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode="constant")]
    check(tmp_path, model(nodes, [ints("pads", [0, 0, 1, 2, 0, 0, 3, 0])]))


@pytest.mark.parametrize("attrs,scales", [
    ({"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, [1, 1, 2, 2]),
    ({"mode": "linear", "coordinate_transformation_mode": "half_pixel"}, [1, 1, 2, 2]),
    ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 2, 3]),
], ids=["nearest", "linear", "linear-align-corners"])
def test_resize(tmp_path, attrs, scales):
    nodes = [h.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", **attrs)]
    result = check(tmp_path, model(nodes, [floats("scales", scales)]), not_params={"scales"})
    assert result.layers[0].kind == "upsampling2d"


# --- models from exporters ---------------------------------------------------------------------

def test_torch_export(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8),
                              torch.nn.ReLU6(), torch.nn.MaxPool2d(3, 2, ceil_mode=True),
                              torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), torch.nn.Hardswish(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10))
    path = tmp_path / "net.onnx"
    torch.onnx.export(net.eval(), (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    result = check(tmp_path, onnx.load(str(path)))
    # torch.onnx.export folds the batch norm into the conv before it: the graph holds a conv with a
    # bias and no BatchNormalization, and convcost reports what the graph holds — torch's count
    # without the batch norm's gamma and beta (8 + 8)
    assert "batch_norm" not in [layer.kind for layer in result.layers]
    assert result.totals.params == sum(p.numel() for p in net.parameters()) - 2 * 8


def test_keras_export(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras' ONNX export is checked with the torch backend")
    layers = keras.layers
    net = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, strides=2, padding="same"),
                            layers.BatchNormalization(), layers.ReLU(), layers.DepthwiseConv2D(3, padding="same"),
                            layers.GlobalAveragePooling2D(), layers.Dense(10)])
    net(np.zeros((1, 16, 16, 3), np.float32))
    path = tmp_path / "keras.onnx"
    net.export(str(path), format="onnx")
    imported = read(str(path))
    assert imported.inputs[0].shape[:3] in ((16, 16, 3), (None, None, 3))
    result = convcost.analyze(convcost.loads(spec_text(imported, {imported.inputs[0].name: (16, 16, 3)})))
    assert result.totals.params == net.count_params()
    assert result.layers[-1].output_shape == (10,)


# --- the docs' worked example runs as written ---------------------------------------------------

def test_docs_import_example(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    doc = (Path(__file__).parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    onnx_part = doc.split("## ONNX", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", onnx_part, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "docs/import.md", "exec"), namespace)  # the doc's own example, nothing else
    shell = re.findall(r"^\$ (convcost .*)$", onnx_part, re.M)
    assert len(shell) == 2
    for line in shell:
        args = line.split()[1:]
        outcome = runner.invoke(app, args)
        assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    result = convcost.report("tiny.onnx")
    assert (result.totals.macs, result.totals.params, len(result.layers)) == (737_600, 1_962, 8)  # docs/import.md


# --- bad input ----------------------------------------------------------------------------------

def cli(*args):
    return runner.invoke(app, ["report", *args])


def bad(outcome, *needles):
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    for needle in needles:
        assert needle in outcome.stderr, outcome.stderr
    return outcome.stderr


def good_file(tmp_path, name="ok.onnx"):
    path = tmp_path / name
    onnx.save(model([conv("conv_1", "x", "w", "y", "b", kernel_shape=[3, 3])], [weight("w", 8, 4, 3, 3),
                                                                                weight("b", 8)]), str(path))
    return path


def test_truncated_file(tmp_path):
    path = good_file(tmp_path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    bad(cli(str(truncated)), "truncated.onnx", "E640", "truncated")


def test_corrupt_file(tmp_path):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\xff\xff\xff\xff garbage, not protobuf at all" * 10)
    bad(cli(str(corrupt)), "corrupt.onnx", "E640")


def test_unknown_ops_are_listed_all_at_once(tmp_path):
    nodes = [h.make_node("Relu", ["x"], ["a"], name="relu"), h.make_node("Erf", ["a"], ["b"], name="erf_1"),
             h.make_node("Erf", ["b"], ["c"], name="erf_2"), h.make_node("Einsum", ["c"], ["y"], name="sum",
                                                                        equation="nchw->nchw")]
    path = tmp_path / "unknown.onnx"
    onnx.save(model(nodes), str(path))
    bad(cli(str(path)), "unknown.onnx", "E641", "Erf ×2 ('erf_1', 'erf_2')", "Einsum ×1 ('sum')")


def test_unmappable_attribute_names_the_node(tmp_path):
    path = tmp_path / "clip.onnx"
    onnx.save(model([h.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip_1")],
                    [floats("lo", 1.0), floats("hi", -1.0)]), str(path))  # min > max: an empty range
    bad(cli(str(path)), "clip.onnx", "E642", "node 'clip_1' (Clip)")


def test_dynamic_dimension_needs_input_shape(tmp_path):
    path = tmp_path / "dynamic.onnx"
    onnx.save(model([conv("conv_1", "x", "w", "y", kernel_shape=[3, 3])], [weight("w", 8, 4, 3, 3)],
                    shape=("N", 4, "H", "W")), str(path))
    bad(cli(str(path)), "dynamic.onnx", "E600", "graph input 'x'", "--input-shape")
    outcome = cli(str(path), "--input-shape", "16,16,4")
    assert outcome.exit_code == 0, outcome.stderr


def test_a_model_with_no_input(tmp_path):
    graph = h.make_graph([h.make_node("Relu", ["w"], ["y"], name="relu")], "noinput", [],
                         [h.make_tensor_value_info("y", T.FLOAT, None)], [weight("w", 4)])
    path = tmp_path / "noinput.onnx"
    onnx.save(h.make_model(graph), str(path))
    bad(cli(str(path)), "noinput.onnx", "E602", "'noinput'")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_the_weights_are_never_read(tmp_path):
    # a 40 MB initializer: the importer reads its dims, not its data (VmHWM: the peak of this
    # process's own memory; ru_maxrss would carry pytest's across exec)
    import subprocess
    import sys

    nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"), h.make_node("MatMul", ["f", "w"], ["y"], name="fc")]
    path = tmp_path / "big.onnx"
    onnx.save(model(nodes, [nh.from_array(np.zeros((256, 40000), np.float32), "w")], shape=(1, 4, 8, 8)), str(path))
    code = (f"import resource; from convcost.importers.onnx import read; m = read({str(path)!r}); "
            f"print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0])")
    peak_kb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert peak_kb < 35_000  # far below the 40 MB of weights
