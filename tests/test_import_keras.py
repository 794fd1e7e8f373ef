"""Keras models imported from their config, without Keras: the three files, the mapping, the errors.

The models are tests/data/models/*.keras (and small_cnn's .json and .h5), written by Keras 3 with
tests/data/models/make_models.py; tests/test_import_keras_apps.py builds Keras' own applications
live (the interop run) and holds every imported count and shape to Keras'.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

import convcost
from convcost.cli import app
from convcost.importers import model_format, read_model
from convcost.importers.spec_text import spec_names, spec_text
from tests.cli_runner import runner

MODELS = Path(__file__).parent / "data" / "models"
SMALL = MODELS / "small_cnn.keras"
# Keras' count_params() of each model (make_models.py prints them; the interop run checks them live)
KERAS_PARAMS = {"small_cnn": 1254, "sequential": 13610, "nested": 876, "dynamic": 242, "siamese": 858}


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def totals(path: Path | str, *args: str) -> dict:
    result = run("report", path, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", ["small_cnn.keras", "small_cnn.json", "small_cnn.h5"])
def test_the_three_files_of_one_model_import_alike(name):
    assert model_format(str(MODELS / name)) == "keras"
    report = totals(MODELS / name)
    assert report["totals"]["params"] == KERAS_PARAMS["small_cnn"]
    assert [layer["name"] for layer in report["layers"]] == [layer["name"] for layer in totals(SMALL)["layers"]]


@pytest.mark.parametrize("model", sorted(KERAS_PARAMS))
def test_parameters_equal_keras_count_params(model):
    args = ("--input-shape", "16,16,3") if model == "dynamic" else ()
    assert totals(MODELS / f"{model}.keras", *args)["totals"]["params"] == KERAS_PARAMS[model]


def test_a_spec_json_file_is_still_a_spec(tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"input": [8, 8, 3], "layers": [{"kind": "conv2d", "filters": 4, "kernel": 3}]}))
    assert model_format(str(spec)) is None
    assert totals(spec)["totals"]["macs"] == 6 * 6 * 4 * 27


def test_layers_keep_their_keras_names_and_fused_activations_are_layers_of_their_own():
    model = read_model(str(SMALL))
    by_name = {layer.name: layer for layer in model.layers}
    assert by_name["stem"].kind == "conv2d"
    assert by_name["stem"].fields == {"filters": 16, "kernel": 3, "stride": 2, "padding": "same",
                                      "activation": "relu"}
    assert by_name["stem_relu6"].kind == "relu6"
    assert by_name["residual"].inputs == ("stem_relu6", "dw_bn")
    assert by_name["se_scale"].kind == "multiply"
    names = [layer["name"] for layer in totals(SMALL)["layers"]]
    assert names[:3] == ["stem", "stem_relu", "stem_bn"]  # conv2d's activation field: <name>_<activation>
    assert "se_expand_sigmoid" in names


def test_the_spec_keeps_the_resolution_as_parameters_and_sweeps_it():
    text = spec_text(read_model(str(SMALL)))
    assert "parameters:\n  height: 32\n  width: 32\n  classes: 10\ninput: [height, width, 3]" in text
    assert totals(SMALL, "--set", "height=64", "--set", "width=64")["input_shape"] == [64, 64, 3]


def test_the_classifier_width_is_the_parameter_classes():
    text = spec_text(read_model(str(SMALL)))
    assert "  classes: 10\n" in text and "kind: dense, units: classes" in text
    report = totals(SMALL, "--set", "classes=3")
    assert report["layers"][-2]["output_shape"] == [3]
    assert report["totals"]["params"] == KERAS_PARAMS["small_cnn"] - 7 * 25  # 24 inputs: (24 + 1) · (10 − 3)
    assert "classes" not in spec_text(read_model(str(MODELS / "dynamic.keras")), {"image": (8, 8, 3)})  # no dense head


def test_imported_spec_written_by_import_reports_the_same(tmp_path):
    out = tmp_path / "small.yaml"
    result = run("import", SMALL, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}: " in result.stderr and "1,254 parameters" in result.stderr
    assert out.read_text().startswith("# Imported by convcost from ")
    assert totals(out)["totals"] == totals(SMALL)["totals"]
    printed = run("import", SMALL)
    assert printed.exit_code == 0 and printed.stdout == out.read_text()


def test_verify_and_compare_take_a_model_file():
    result = run("verify", SMALL, "--quiet")
    assert result.exit_code == 0, result.stdout + result.stderr
    compared = run("compare", SMALL, MODELS / "small_cnn.json", "--format", "json")
    assert compared.exit_code == 0, compared.stderr
    assert json.loads(compared.stdout)["layers"] == []  # the same model in two files: no layer differs


def test_nested_models_are_inlined_and_sequential_models_read():
    nested = read_model(str(MODELS / "nested.keras"))
    assert [layer.name for layer in nested.layers] == ["stem_conv", "stem_bn", "block_conv", "block_add", "pool",
                                                       "head"]
    assert nested.layers[3].inputs == ("stem_bn", "block_conv")  # the block's input is what the caller passed
    sequential = read_model(str(MODELS / "sequential.keras"))
    assert [layer.kind for layer in sequential.layers] == ["conv2d", "max_pooling2d", "flatten", "dense"]
    assert sequential.inputs[0].shape == (28, 28, 1)


def test_a_shared_layer_is_one_layer_per_call_with_its_weights_counted_once():
    """siamese.keras: one Conv2D, BatchNormalization and nested Sequential block called on two
    inputs. Each call is a layer; the second uses the first's weights (shares:), as Keras counts."""
    model = read_model(str(MODELS / "siamese.keras"))
    shared = {layer.name: layer.shares for layer in model.layers if layer.shares}
    assert shared == {"tower_call2": "tower", "tower_bn_call2": "tower_bn", "inner_2": "inner"}
    report = totals(MODELS / "siamese.keras")
    by_name = {layer["name"]: layer for layer in report["layers"]}
    assert by_name["tower_call2"]["macs"] == by_name["tower"]["macs"] and by_name["tower_call2"]["params"] == 0
    assert report["totals"]["params"] == KERAS_PARAMS["siamese"]
    assert "shares: tower" in spec_text(model)
    assert run("verify", MODELS / "siamese.keras", "--quiet").exit_code == 0


def test_an_open_input_size_needs_input_shape():
    result = run("report", MODELS / "dynamic.keras")
    assert result.exit_code == 2
    assert "dynamic.keras: E600 input layer 'image' has a dynamic height and width" in result.stderr
    assert "--input-shape" in result.stderr and "Traceback" not in result.stderr
    assert totals(MODELS / "dynamic.keras", "--input-shape", "64,48,3")["input_shape"] == [64, 48, 3]
    assert totals(MODELS / "dynamic.keras", "--set", "height=20", "--set", "width=30")["input_shape"] == [20, 30, 3]


@pytest.mark.parametrize("given, message", [
    ("64,48", "input 'image' is [?, ?, 3] (channels last, without the batch): give 3 sizes"),
    ("64,x,3", "expected whole numbers"),
    ("mask=64,48,3", "the model has no input named 'mask'"),
])
def test_a_wrong_input_shape_is_an_error(given, message):
    result = run("report", MODELS / "dynamic.keras", "--input-shape", given)
    assert result.exit_code == 2 and "E601" in result.stderr and message in result.stderr, result.stderr


def test_input_shape_replaces_a_fixed_size():
    assert totals(SMALL, "--input-shape", "64,48,3")["input_shape"] == [64, 48, 3]
    assert totals(SMALL, "--input-shape", "64,48,1")["layers"][0]["params"] == 16 * 9 * 1 + 16


def test_input_shape_on_a_spec_is_an_error():
    result = run("report", "mobilenet", "--input-shape", "160,160,3")
    assert result.exit_code == 2 and "E601 --input-shape is for a model file" in result.stderr


def _rewritten(tmp_path: Path, edit) -> Path:
    """small_cnn.keras with its config.json changed by ``edit`` (a function of the config dict)."""
    with zipfile.ZipFile(SMALL) as archive:
        config = json.loads(archive.read("config.json"))
    edit(config)
    out = tmp_path / "edited.keras"
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    return out


def _layer(config: dict, name: str) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["name"] == name)


def test_unknown_classes_are_each_named_with_the_layer_and_the_model(tmp_path):
    def edit(config):
        _layer(config, "dw")["class_name"] = "FancyConv"
        _layer(config, "se_pool")["class_name"] = "Lambda"
    result = run("report", _rewritten(tmp_path, edit))
    assert result.exit_code == 2, result.stderr
    assert "E614 layer 'dw' (FancyConv, layers[4] of model 'small_cnn'): unknown layer class 'FancyConv'" \
        in result.stderr
    assert "unknown layer class 'Lambda'" in result.stderr and "never runs code" in result.stderr
    assert "2 problems found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("edit, message", [
    (lambda c: _layer(c, "stem")["config"].update(activation="selu"), "activation 'selu' has no convcost kind"),
    (lambda c: _layer(c, "stem")["config"].update(data_format="channels_first"), "data_format 'channels_first'"),
    (lambda c: _layer(c, "stem")["config"].update(padding="causal"), "padding 'causal'"),
    (lambda c: _layer(c, "stem_relu6")["config"].update(threshold=0.5), "threshold 0.5"),
    (lambda c: _layer(c, "joined")["config"].update(axis=0), "axis 0"),
])
def test_a_field_with_no_convcost_meaning_is_an_error(tmp_path, edit, message):
    result = run("report", _rewritten(tmp_path, edit))
    assert result.exit_code == 2 and "E615" in result.stderr and message in result.stderr, result.stderr


def test_bad_files_are_errors_naming_the_file(tmp_path):
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(SMALL.read_bytes()[:200])
    corrupt_json = tmp_path / "corrupt.json"
    corrupt_json.write_text('{"class_name": "Functional", "config": {"layers": [')
    no_config = tmp_path / "weights_only.keras"
    with zipfile.ZipFile(no_config, "w") as archive:
        archive.writestr("model.weights.h5", b"")
    not_a_model = _rewritten(tmp_path, lambda c: c.update(class_name="Conv2D"))
    truncated_h5 = tmp_path / "truncated.h5"
    truncated_h5.write_bytes((MODELS / "small_cnn.h5").read_bytes()[:300])
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    cases = {truncated: "E610 cannot read the .keras file", corrupt_json: "E611 the file is not valid JSON",
             no_config: "E610 the .keras file holds no config.json", not_a_model: "E613 the file holds a Keras "
             "'Conv2D', not a model", truncated_h5: "E610 cannot read the .h5 file", empty: "E603 the file is empty",
             tmp_path / "missing.keras": "E603 no such file", tmp_path: None}
    for path, message in cases.items():
        result = run("report", path)
        assert result.exit_code == 2, (path, result.stderr)
        assert "Traceback" not in result.stderr and str(path) in result.stderr
        assert message is None or message in result.stderr, result.stderr


def test_a_model_without_an_input_is_an_error(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "empty_seq", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 3}}]}}
    path = tmp_path / "no_input.json"
    path.write_text(json.dumps(config))
    result = run("report", path)
    assert result.exit_code == 2 and "E602 the Sequential model 'empty_seq' has no input shape" in result.stderr


def test_keras_ops_with_a_constant_are_rescaling_layers(tmp_path):
    """MobileNetV3's hard sigmoid is written relu6(x + 3) * (1/6) with keras.ops: the constant
    arithmetic is a rescaling layer (offset 3, then scale 1/6), a tensor by a tensor a merge."""
    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["image", 0, 0]}}
    layers = [{"class_name": "InputLayer", "name": "image", "config": {"batch_shape": [None, 4, 4, 2]},
               "inbound_nodes": []},
              {"module": "keras.src.ops.numpy", "class_name": "Add", "name": "add", "config": {},
               "inbound_nodes": [{"args": [tensor, 3.0], "kwargs": {}}]},
              {"module": "keras.src.ops.numpy", "class_name": "Multiply", "name": "mul", "config": {},
               "inbound_nodes": [{"args": [{**tensor, "config": {"keras_history": ["add", 0, 0]}},
                                           0.16666666666666666], "kwargs": {}}]},
              {"module": "keras.src.ops.numpy", "class_name": "Add", "name": "sum", "config": {},
               "inbound_nodes": [{"args": [tensor, {**tensor, "config": {"keras_history": ["mul", 0, 0]}}],
                                  "kwargs": {}}]}]
    path = tmp_path / "ops.json"
    path.write_text(json.dumps({"class_name": "Functional", "config": {
        "name": "ops", "layers": layers, "input_layers": [["image", 0, 0]], "output_layers": [["sum", 0, 0]]}}))
    model = read_model(str(path))
    assert [(layer.kind, layer.fields) for layer in model.layers] == [
        ("rescaling", {"offset": 3.0}), ("rescaling", {"scale": 0.16666666666666666}), ("add", {})]


def test_keras_2_inbound_nodes_are_read(tmp_path):
    layers = [{"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [None, 8, 8, 3]},
               "inbound_nodes": []},
              {"class_name": "Conv2D", "name": "c", "config": {"filters": 4, "kernel_size": [3, 3],
                                                               "strides": [1, 1], "padding": "valid"},
               "inbound_nodes": [[["x", 0, 0, {}]]]}]
    path = tmp_path / "keras2.json"
    path.write_text(json.dumps({"class_name": "Model", "keras_version": "2.15.0", "config": {
        "name": "k2", "layers": layers, "input_layers": [["x", 0, 0]], "output_layers": [["c", 0, 0]]}}))
    assert convcost.analyze(convcost.load(path)).totals.macs == 6 * 6 * 4 * 27


def test_model_names_become_spec_names():
    from convcost.importers.model import ImportedInput, ImportedLayer, ImportedModel

    model = ImportedModel("m.onnx", "ONNX", "graph", "g", (ImportedInput("input", (4, 4, 3), "input"),),
                          (ImportedLayer("/features/0/Conv", "relu", {}, ("input",), "node"),
                           ImportedLayer("features_0_Conv", "relu", {}, ("/features/0/Conv",), "node"),
                           ImportedLayer("9", "relu", {}, ("features_0_Conv",), "node")), ("9",))
    assert spec_names(model) == {"input": "input_", "/features/0/Conv": "features_0_Conv",
                                 "features_0_Conv": "features_0_Conv_2", "9": "_9"}
    text = spec_text(model)
    assert "# '/features/0/Conv' in the model" in text
    assert convcost.analyze(convcost.loads(text)).layer("_9").output_shape == (4, 4, 3)


def test_the_model_file_is_never_changed(tmp_path):
    copy = tmp_path / "small.keras"
    shutil.copy(SMALL, copy)
    before = copy.read_bytes()
    assert run("report", copy).exit_code == 0
    assert copy.read_bytes() == before


def test_the_commands_of_docs_import_md_run_as_written(tmp_path):
    """Each `convcost …` line of docs/import.md's shell examples, in order, from the repository root
    (what one writes, a later one reads from the same folder)."""
    import re

    from tests.test_docs import ROOT, run_documented

    text = (ROOT / "docs" / "import.md").read_text()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()
             if line.startswith("convcost ")]
    assert len(lines) >= 5
    for line in lines:
        result = run_documented(line, cwd=ROOT, out_dir=tmp_path)
        assert result.exit_code == 0, (line, result.output)


def test_an_h5_file_without_h5py_says_which_extra_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "h5py", None)  # as if it were not installed: import raises ImportError
    result = run("report", MODELS / "small_cnn.h5")
    assert result.exit_code == 2
    assert "E612 reading a Keras .h5 file needs the h5py package" in result.stderr
    assert "pip install 'convcost[h5]'" in result.stderr


def test_check_takes_model_files_and_their_input_shape():
    met = run("check", SMALL, "--max-macs", "1M")
    assert met.exit_code == 0, met.stdout + met.stderr
    assert run("check", SMALL, "--max-macs", "100K").exit_code == 1
    assert run("check", MODELS / "dynamic.keras", "--max-macs", "1M").exit_code == 2
    # the shape applies to the model files; a shipped spec checked in the same run is read as it is
    both = run("check", MODELS / "dynamic.keras", "mobilenet", "--input-shape", "32,32,3", "--max-params", "5M")
    assert both.exit_code == 0, both.stdout + both.stderr


def test_layers_frozen_in_keras_are_named_in_the_spec(tmp_path):
    """convcost has no frozen layers yet: a layer Keras does not train is not silently counted as
    Keras counts it; the imported spec's header says which layers and how the split differs."""
    path = _rewritten(tmp_path, lambda c: (_layer(c, "stem")["config"].update(trainable=False),
                                           _layer(c, "dw")["config"].update(trainable=False)))
    text = spec_text(read_model(str(path)))
    assert "# frozen in the model (trainable: false): stem, dw; Keras counts their weights as non-trainable" in text
    assert "frozen" not in spec_text(read_model(str(SMALL)))


def test_fields_are_written_as_a_person_writes_them():
    from convcost.importers.spec_text import tidy

    assert tidy("conv2d", {"filters": 8, "kernel": [3, 3], "stride": [1, 1], "padding": [[1, 1], [1, 1]],
                           "dilation": [1, 1], "groups": 1, "bias": True}) == {"filters": 8, "kernel": 3, "padding": 1}
    assert tidy("conv2d", {"filters": 8, "kernel": [3, 1], "padding": [[0, 1], [0, 1]], "bias": False}) == \
        {"filters": 8, "kernel": [3, 1], "padding": [[0, 1], [0, 1]], "bias": False}
    assert tidy("max_pooling2d", {"kernel": [2, 2], "stride": [2, 2], "padding": [[0, 0], [0, 0]]}) == {"kernel": 2}
    assert tidy("max_pooling2d", {"kernel": 3, "stride": 1}) == {"kernel": 3, "stride": 1}  # stride's default: kernel
    assert tidy("dense", {"units": 10, "bias": True}) == {"units": 10}
