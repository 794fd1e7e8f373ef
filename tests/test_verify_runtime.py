"""`convcost verify MODEL.onnx --runtime onnxruntime`: the executor's outputs against onnxruntime's.

Every graph of tests/onnx_graphs.py (the importer's tests: every mapped op and padding mode), a
torch.onnx.export'ed CNN and Keras models exported to ONNX run through the command: the executor's
seeded weights are written into a copy of the model, onnxruntime runs it on the executor's input,
and every output must agree to max |a - b| <= 1e-4 · max |b| (docs/verify.md). A deliberately wrong
weight mapping must be caught, and the bad uses exit 2 with E680-E683. Interop-marked: the interop
run installs onnx, onnxruntime, torch and Keras (tests/conftest.py leaves the module out without them).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pytestmark = pytest.mark.interop
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx_graphs as graphs  # noqa: E402 - the graph builders, shared with tests/test_import_onnx.py
from onnx import helper as h  # noqa: E402

import convcost.runtime as runtime  # noqa: E402
from convcost.cli import app  # noqa: E402
from convcost.importers.model import WeightMap  # noqa: E402

from cli_runner import runner  # noqa: E402


def verify(path, *args):
    return runner.invoke(app, ["verify", str(path), "--runtime", "onnxruntime", *args])


def agreeing(path, *args) -> dict:
    """verify --runtime --format json on ``path``: exit 0, every count and every output agreeing."""
    outcome = verify(path, "--format", "json", *args)
    assert outcome.exit_code == 0, outcome.stdout[-3000:] + outcome.stderr[-3000:]
    report = json.loads(outcome.stdout)
    assert report["agree"] and report["disagreements"] == 0
    checked = report["runtime"]
    assert checked["runtime"] == "onnxruntime" and checked["agree"] and checked["relative_tolerance"] == 1e-4
    assert checked["outputs"]
    for output in checked["outputs"]:
        assert output["max_abs_diff"] <= 1e-4 * output["max_abs_runtime"], output
        assert output["max_abs_runtime"] > 0, output  # a zero output would prove nothing
    return report


def saved(tmp_path, onnx_model, name="model.onnx"):
    path = tmp_path / name
    onnx.save(onnx_model, str(path))
    return path


# --- every graph of the importer's tests ---------------------------------------------------------

@pytest.mark.parametrize("name", list(graphs.GRAPHS))
def test_every_importer_graph_agrees_with_onnxruntime(tmp_path, name):
    report = agreeing(saved(tmp_path, graphs.GRAPHS[name]()))
    assert report["dtype"] == "float64"  # --runtime runs the executor in float64 unless --dtype is given


def test_enough_graphs_cover_every_mapped_op():
    ops = {node.op_type for build in graphs.GRAPHS.values() for node in build().graph.node}
    assert len(graphs.GRAPHS) >= 30
    assert {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean",
            "BatchNormalization", "LRN", "Softmax", "Gemm", "MatMul", "Add", "Mul", "Sub", "Concat", "Split", "Slice",
            "Pad", "Resize", "Flatten", "Reshape", "Transpose", "Relu", "Sigmoid", "HardSigmoid", "HardSwish",
            "LeakyRelu", "Gelu", "Clip", "Dropout", "Identity"} <= ops


def test_a_flatten_of_a_spatial_map_permutes_the_dense_rows(tmp_path):
    # [N, 6, 4, 4] flattened channels first into a Gemm: the executor flattens [4, 4, 6] channels
    # last, so the 96 rows must be permuted; with batch 3 and float32 executor too
    nodes = [graphs.conv("c", "x", "w", "a", "b", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
             h.make_node("BatchNormalization", ["a", "s", "bb", "m", "v"], ["bn"], name="bn", epsilon=1e-3),
             h.make_node("Relu", ["bn"], ["r"], name="relu"),
             h.make_node("Flatten", ["r"], ["f"], name="flat"),
             h.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1)]
    inits = [graphs.weight("w", 6, 4, 3, 3), graphs.weight("b", 6), graphs.weight("s", 6), graphs.weight("bb", 6),
             graphs.weight("m", 6), graphs.floats("v", [1.0] * 6), graphs.weight("fw", 10, 96), graphs.weight("fb", 10)]
    path = saved(tmp_path, graphs.model(nodes, inits, shape=("N", 4, 8, 8)))
    agreeing(path, "--input-shape", "8,8,4")
    report = agreeing(path, "--input-shape", "8,8,4", "--batch", "3", "--dtype", "float32")
    assert report["dtype"] == "float32" and report["runtime"]["outputs"][0]["shape"] == [3, 10]


def test_onnx_row_order_example():
    # C=2, H=1, W=3: ONNX's rows are c0w0 c0w1 c0w2 c1w0 ..., the executor's w0c0 w0c1 w1c0 ...
    assert runtime.onnx_row_order(((2, 1, 3), (2, 3, 1))).tolist() == [0, 2, 4, 1, 3, 5]


def test_several_outputs_are_each_compared(tmp_path):
    nodes = [graphs.conv("c", "x", "w", "a", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             h.make_node("Relu", ["a"], ["r"], name="relu"),
             h.make_node("Transpose", ["a"], ["t"], name="nhwc", perm=[0, 2, 3, 1])]
    path = saved(tmp_path, graphs.model(nodes, [graphs.weight("w", 5, 4, 3, 3)], outputs=["r", "t"]))
    outputs = agreeing(path)["runtime"]["outputs"]
    assert [(item["name"], item["shape"]) for item in outputs] == [("r", [1, 8, 8, 5]), ("t", [1, 8, 8, 5])]


def test_the_table_shows_each_output(tmp_path):
    outcome = verify(saved(tmp_path, graphs.gemm(1)))
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert "Against onnxruntime" in outcome.stdout and "output(s) equal onnxruntime's" in outcome.stdout


# --- exported models -----------------------------------------------------------------------------

def test_torch_export(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8),
                              torch.nn.ReLU6(), torch.nn.MaxPool2d(3, 2, ceil_mode=True),
                              torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), torch.nn.Hardswish(),
                              torch.nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1),
                              torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(6 * 16 * 16, 10))
    for folding in (True, False):  # folded: BN into the conv; not folded: a BatchNormalization node
        path = tmp_path / f"net_{folding}.onnx"
        torch.onnx.export(net.eval(), (torch.zeros(1, 3, 64, 64),), str(path), dynamo=False,
                          do_constant_folding=folding)
        ops = {node.op_type for node in onnx.load(str(path)).graph.node}
        assert ("BatchNormalization" in ops) is not folding
        agreeing(path)


def keras_model(builder):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras' ONNX export is checked with the torch backend")
    keras.utils.set_random_seed(0)
    return keras, builder(keras)


def exported(tmp_path, net, name):
    net(np.zeros((1, *net.input_shape[1:]), np.float32))  # called once first, as Keras' export needs
    path = tmp_path / f"{name}.onnx"
    net.export(str(path), format="onnx")
    return path, ",".join(str(size) for size in net.input_shape[1:])


def small_resnet(keras):
    layers = keras.layers
    x = image = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 1)(x)
    x = layers.ZeroPadding2D(((1, 0), (0, 1)))(x)  # asymmetric, on a tensor Keras holds NHWC
    x = layers.Conv2D(16, 3, strides=2, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(epsilon=1e-5)(x))
    for filters in (16, 32):
        shortcut = x if filters == 16 else layers.Conv2D(filters, 1, strides=2)(x)
        y = layers.Conv2D(filters, 3, strides=1 if filters == 16 else 2, padding="same")(x)
        y = layers.Activation("relu")(layers.BatchNormalization()(y))
        y = layers.DepthwiseConv2D(3, padding="same")(y)
        x = layers.ReLU()(layers.Add()([shortcut, y]))
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(10)(x)
    return keras.Model(image, x)


@pytest.mark.parametrize("name", ["small_resnet", "mobilenet_0.25_96", "mobilenet_v2_0.35_96"])
def test_keras_export(tmp_path, name):
    builders = {
        "small_resnet": small_resnet,
        "mobilenet_0.25_96": lambda keras: keras.applications.MobileNet(alpha=0.25, input_shape=(96, 96, 3),
                                                                        weights=None),
        "mobilenet_v2_0.35_96": lambda keras: keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3),
                                                                             weights=None),
    }
    _, net = keras_model(builders[name])
    path, shape = exported(tmp_path, net, name)
    report = agreeing(path, "--input-shape", shape)
    assert report["totals"]["weights"]["measured"] + report["totals"]["biases"]["measured"] \
        + report["totals"]["bn_trainable"]["measured"] + report["totals"]["bn_non_trainable"]["measured"] \
        == net.count_params()


# --- the comparison can fail --------------------------------------------------------------------

def test_a_wrong_weight_mapping_is_caught(tmp_path, monkeypatch):
    path = saved(tmp_path, graphs.gemm(0))  # [N, 4, 2, 2] flattened into a dense layer
    agreeing(path)
    monkeypatch.setattr(runtime, "onnx_row_order", lambda rows: np.arange(int(np.prod(rows[0]))))  # rows unpermuted
    outcome = verify(path, "--format", "json")
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    report = json.loads(outcome.stdout)
    assert report["disagreements"] == 0 and not report["agree"]  # the counts agree; the outputs do not
    output = report["runtime"]["outputs"][0]
    assert not output["agree"] and output["max_abs_diff"] > output["tolerance"]


def test_a_wrongly_transposed_kernel_is_caught_in_the_table(tmp_path, monkeypatch):
    path = saved(tmp_path, graphs.conv_padding({"pads": [0, 1, 2, 1], "strides": [2, 2]}))
    original = runtime.onnx_array

    def flipped(item: WeightMap, arrays):
        value = original(item, arrays)
        return value[:, :, ::-1, :].copy() if item.rule == "kernel" else value  # the taps upside down

    monkeypatch.setattr(runtime, "onnx_array", flipped)
    outcome = verify(path)
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    assert "1 of 1 output(s) differ from onnxruntime: y" in outcome.stdout


# --- bad uses -------------------------------------------------------------------------------------

def bad(outcome, *needles):
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    for needle in needles:
        assert needle in outcome.stderr, outcome.stderr


def test_runtime_on_a_spec_that_is_not_onnx():
    bad(verify("specs/mobilenet.yaml"), "E680", "not an .onnx file")
    bad(verify("tests/data/models/small_cnn.keras"), "E680")


def test_runtime_without_onnxruntime(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    bad(verify(saved(tmp_path, graphs.pad())), "E681", "pip install 'convcost[runtime]'")


def test_a_fixed_batch_other_than_the_runs(tmp_path):
    bad(verify(saved(tmp_path, graphs.pad()), "--batch", "2"), "E683", "fixed batch of 1", "--batch 1")


def test_a_layer_without_a_weight_map(tmp_path, monkeypatch):
    path = saved(tmp_path, graphs.conv1d())
    real = runtime.read_model

    def unmapped(*args, **kwargs):
        model = real(*args, **kwargs)
        return model._replace(layers=tuple(layer._replace(weights=None) for layer in model.layers))

    monkeypatch.setattr(runtime, "read_model", unmapped)
    bad(verify(path), "E682", "the executor's kernel for layer 'c' (conv1d) map to no ONNX constant")


def test_docs_json_md_runtime_example_matches_the_real_output(tmp_path):
    import re
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "json.md").read_text(encoding="utf-8")
    section = doc.split("## `convcost verify MODEL.onnx --runtime onnxruntime --format json`\n", 1)[1]
    example = re.findall(r"```json\n(.*?)```", section, re.S)[0]
    kept = "\n".join(line for line in example.splitlines() if line.strip() != "...")  # the rest of verify's keys
    documented = json.loads(re.sub(r",\s*}\s*$", "}", kept))["runtime"]
    real = agreeing(saved(tmp_path, graphs.gemm(1)))["runtime"]
    assert list(documented) == list(real)
    assert list(documented["outputs"][0]) == list(real["outputs"][0])
    table = {key for line in section.splitlines() if line.startswith("| `")
             for key in re.findall(r"`([a-z_]+)`", line.split("|")[1])}
    assert table == set(real)
