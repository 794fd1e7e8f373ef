"""Keras' applications exported to ONNX and imported by convcost (issue 13 item 3: "plus the Keras
models above exported to ONNX: every shape equals onnx.shape_inference.infer_shapes(strict_mode=True)").

Each keras.applications model is built with weights=None at 96×96 (every one's minimum is below;
export takes 2-15 s a model whatever the size, so the size is for verify), called once, and
written by ``model.export(path, format="onnx")`` with a static batch of 1: Keras' default
signature has a symbolic batch, with which torch.onnx's TorchScript exporter fails on Xception
and ConvNeXtTiny ("Failed to export a node ... because it is not constant": the depthwise
kernel's reshape and the layer norm's axes are computed from the batch). Judged per model:
(a) every imported layer's output shape equals strict shape inference's for the ONNX tensor it
holds (tests/onnx_checks.py; Keras' pads are shape arithmetic that onnx's reference evaluator
folds first); (b) the parameters equal Keras' count_params(), but for what the exporter folds,
asserted exactly (``folded``); (c) the MACs equal the same model's Keras config imported
(model.to_json()); (d) verify agrees. The full-size exports are in the slow run.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.interop
pytest.importorskip("onnx")

from onnx_checks import held_shapes  # noqa: E402
from test_import_keras_apps import APPS  # noqa: E402  (the same twelve models, built the same way)
from test_import_keras_apps import build as build_keras  # noqa: E402

import convcost  # noqa: E402
from convcost.cli import app  # noqa: E402

from cli_runner import runner  # noqa: E402

SIZE = 96
# the slow run's sizes: Keras' defaults, but Xception's 299, at which torch.onnx fails to export it
# (SymbolicValueError, "not constant", in the separable convolutions; 96 and 224 export)
FULL_SIZE = {"Xception": 224, "InceptionV3": 299}
# the interop run's share (its budget is ~6 minutes on 2 CPUs, and an export takes 5-35 s there): one
# model of each family of ops — depthwise (MobileNet 0.5), hard-swish and squeeze-and-excitation
# (V3Small), Rescaling, Normalization and swish (EfficientNetB0), ZeroPadding2D and max pooling
# (ResNet50), separable convolutions and Keras' edge-padded 'same' max pools (Xception), layer norm,
# GELU and layer scale (ConvNeXtTiny). The others, whose ops these cover, are in the slow run.
FAST = ("MobileNet_alpha_0.5", "MobileNetV3Small", "EfficientNetB0", "ResNet50", "Xception", "ConvNeXtTiny")
NAMES = [name if name in FAST else pytest.param(name, marks=pytest.mark.slow) for name in APPS]


@pytest.fixture(scope="session")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras' ONNX export is checked with the torch backend")
    return keras


def build(keras, name: str, size: int = SIZE):
    return build_keras(keras, name, size)


def export(keras, name: str, size: int, folder: Path):
    """(the Keras model, its .onnx export, its config as .json)."""
    model = build(keras, name, size)
    model(np.zeros((1, size, size, 3), np.float32))
    onnx_path, json_path = folder / f"{name}_{size}.onnx", folder / f"{name}_{size}.json"
    model.export(str(onnx_path), format="onnx", verbose=False,
                 input_signature=[keras.InputSpec(shape=(1, size, size, 3), dtype="float32")])
    json_path.write_text(model.to_json())
    return model, onnx_path, json_path


class Exported(dict):
    """name -> export(name) at SIZE, each made when first asked for."""

    def __init__(self, keras, folder: Path):
        super().__init__()
        self.keras, self.folder = keras, folder

    def __missing__(self, name: str):
        self[name] = export(self.keras, name, SIZE, self.folder)
        return self[name]


@pytest.fixture(scope="module")
def exported(keras, tmp_path_factory):
    return Exported(keras, tmp_path_factory.mktemp("keras_onnx"))


def folded(model) -> int:
    """What convcost's count of the export differs from Keras' count_params() by, layer by layer:
    - a BatchNormalization with scale=False (InceptionV3's): the exporter writes
      (x − mean)·(1/sqrt(var + ε)) + beta, the Sub, Mul and Add of every batch norm, so convcost
      imports a batch norm with its gamma: + C;
    - a Normalization (EfficientNetB0's, adapted: mean, variance and count are weights): the
      exporter folds them into two constants, (x − mean) / max(sqrt(var), ε), Sub and Div of
      constants, which convcost imports as `normalization` with `stored: false`, no parameters:
      − its count_params() (2C + 1)."""
    difference = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            channels = int(layer.moving_mean.shape[0])
            difference += channels * ((not layer.scale) + (not layer.center))
        elif kind == "Normalization":
            difference -= layer.count_params()
    return difference


def check(model, onnx_path: Path, json_path: Path):
    """(a), (b), (c) of the module docstring."""
    _, analysis, _ = held_shapes(onnx_path)  # (a): asserts every layer's shape
    assert analysis.totals.params == model.count_params() + folded(model)  # (b)
    assert analysis.totals.macs == convcost.analyze(convcost.load(json_path)).totals.macs  # (c)
    return analysis


@pytest.mark.parametrize("name", NAMES)
def test_shapes_parameters_and_macs_of_the_export(exported, name):
    check(*exported[name])


@pytest.mark.parametrize("name", NAMES)
def test_verify_agrees_on_the_export(exported, name):
    _, onnx_path, _ = exported[name]
    outcome = runner.invoke(app, ["verify", str(onnx_path), "--quiet"])  # (d)
    assert outcome.exit_code == 0, outcome.stdout[-2000:] + outcome.stderr


def test_what_the_exporter_folds_is_seen_where_expected(keras):
    # (b)'s differences, by hand: InceptionV3's 94 batch norms have scale=False, their channels
    # summing to 17,216; EfficientNetB0's Normalization on RGB has 2·3 + 1 = 7 weights; the rest none
    inception = build(keras, "InceptionV3")
    assert folded(inception) == 17_216
    assert sum(type(layer).__name__ == "BatchNormalization" and not layer.scale for layer in inception.layers) == 94
    assert folded(build(keras, "EfficientNetB0")) == -7
    assert all(folded(build(keras, name)) == 0 for name in ("MobileNetV3Small", "ResNet50", "ConvNeXtTiny"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(APPS))
def test_the_full_size_export(keras, tmp_path, name):
    check(*export(keras, name, FULL_SIZE.get(name, 224), tmp_path))
