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

import onnx_graphs as graphs  # noqa: E402 - the graph builders, shared with tests/test_verify_runtime.py
from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402
from onnx_graphs import conv, floats, model, weight  # noqa: E402

import convcost  # noqa: E402
from convcost.cli import app  # noqa: E402
from convcost.importers.onnx import read  # noqa: E402
from convcost.importers.spec_text import spec_names, spec_text  # noqa: E402

from cli_runner import runner  # noqa: E402


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


# --- Conv: every padding mode, stride, groups, dilation ---------------------------------------

@pytest.mark.parametrize("attrs", list(graphs.CONV_PADDINGS.values()), ids=list(graphs.CONV_PADDINGS))
def test_conv_padding_modes(tmp_path, attrs):
    check(tmp_path, graphs.conv_padding(attrs))


def test_conv_same_lower_puts_the_extra_padding_first(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(graphs.conv_same_lower(), str(path))
    # 8 wide, kernel 4, stride 1: 3 in all, SAME_LOWER puts 2 before and 1 after (SAME_UPPER 1, 2)
    assert read(str(path)).layers[0].fields["padding"] == [[2, 1], [2, 1]]


def test_grouped_and_depthwise_conv(tmp_path):
    result = check(tmp_path, graphs.grouped_and_depthwise())
    assert result.layer("dw").output_shape == (4, 4, 8)


def test_conv1d(tmp_path):
    check(tmp_path, graphs.conv1d())


def test_conv_then_add_of_a_per_channel_constant_folds_as_the_bias(tmp_path):
    path = tmp_path / "m.onnx"
    result = check(tmp_path, graphs.conv_add_bias())
    onnx.save(graphs.conv_add_bias(), str(path))
    layer = read(str(path)).layers[0]
    assert layer.fields["bias"] is True and "folded" in layer.note
    assert len(result.layers) == 1


# --- ConvTranspose ------------------------------------------------------------------------------

@pytest.mark.parametrize("attrs", list(graphs.CONV_TRANSPOSES.values()), ids=list(graphs.CONV_TRANSPOSES))
def test_conv_transpose(tmp_path, attrs):
    check(tmp_path, graphs.conv_transpose(attrs))


# --- pooling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,attrs", list(graphs.POOLINGS.values()), ids=list(graphs.POOLINGS))
def test_pooling(tmp_path, op, attrs):
    check(tmp_path, graphs.pooling(op, attrs))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pooling(tmp_path, op):
    check(tmp_path, graphs.global_pooling(op))


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_mean_over_the_spatial_axes_is_global_average_pooling(tmp_path, keepdims):
    result = check(tmp_path, graphs.reduce_mean(keepdims))
    assert result.layers[0].kind == "global_average_pooling"


# --- activations, batch norm, LRN, softmax, dropout, identity ---------------------------------

@pytest.mark.parametrize("op,attrs,inputs,kind", list(graphs.ELEMENTWISE.values()), ids=list(graphs.ELEMENTWISE))
def test_elementwise_ops(tmp_path, op, attrs, inputs, kind):
    result = check(tmp_path, graphs.elementwise(op, attrs, inputs), not_params=graphs.NOT_PARAMS)
    assert result.layers[0].kind == kind


def test_batch_norm_lrn_softmax_identity(tmp_path):
    result = check(tmp_path, graphs.batch_norm_lrn_softmax_identity())
    assert [layer.kind for layer in result.layers] == ["batch_norm", "local_response_norm", "softmax"]


# --- dense: Gemm, MatMul ------------------------------------------------------------------------

@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm(tmp_path, trans_b):
    check(tmp_path, graphs.gemm(trans_b))


def test_matmul_then_add_is_one_dense_layer_with_a_bias(tmp_path):
    result = check(tmp_path, graphs.matmul_add())
    assert [layer.kind for layer in result.layers] == ["flatten", "dense"]


# --- merges: Mul/Add/Sub with broadcasting, Concat, Split --------------------------------------

def test_squeeze_excitation_mul_broadcasts_and_add_sub_merge(tmp_path):
    result = check(tmp_path, graphs.squeeze_excitation())
    assert result.layer("excite").kind == "multiply" and result.layer("minus").kind == "subtract"


def test_mul_by_a_per_channel_constant_is_scale(tmp_path):
    result = check(tmp_path, graphs.mul_scale())
    assert result.layers[0].kind == "scale"


def test_concat_and_split(tmp_path):
    result = check(tmp_path, graphs.concat_split())
    assert result.layer("concat").output_shape == (8, 8, 4)


def test_split_with_sizes_input(tmp_path):
    check(tmp_path, graphs.split_sizes())


# --- layout: Reshape, Flatten, Transpose; Slice, Pad, Resize -----------------------------------

def test_reshape_with_a_folded_shape_and_transposes_that_are_layout(tmp_path):
    result = check(tmp_path, graphs.reshape_folded())
    assert [layer.kind for layer in result.layers] == ["global_average_pooling", "flatten"]


def test_slice_of_the_spatial_axes_is_a_crop(tmp_path):
    result = check(tmp_path, graphs.slice_crop())
    assert result.layers[0].kind == "cropping2d" and result.layers[0].output_shape == (6, 6, 4)


def test_pad(tmp_path):
    check(tmp_path, graphs.pad())


@pytest.mark.parametrize("attrs,scales", list(graphs.RESIZES.values()), ids=list(graphs.RESIZES))
def test_resize(tmp_path, attrs, scales):
    result = check(tmp_path, graphs.resize(attrs, scales), not_params={"scales"})
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
