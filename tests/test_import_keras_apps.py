"""Keras' own applications, built live and imported from their configs: every count and shape Keras'.

The interop run (README: the second test command) installs Keras and the CPU build of PyTorch
(Keras runs on it: KERAS_BACKEND=torch). Each keras.applications model is built with
weights=None; its config is written as model.to_json() (and, for the small ones, as .keras and .h5
files) and imported by convcost, which never imports Keras itself. Judged (issue 13): trainable and
non-trainable parameters equal Keras' count_params() and its own split, every layer's output shape
equals Keras', verify agrees, and Keras' MobileNet and Xception give exactly the totals of the
shipped specs.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import pytest

import convcost
from convcost.cli import app
from tests.cli_runner import runner

pytestmark = pytest.mark.interop

# keras.applications constructor, keyword arguments, and the input size verify runs at (small: the
# executor's run at 224 is in the slow run)
APPS = {
    "MobileNet": {},
    "MobileNet_alpha_0.5": {"alpha": 0.5},
    "MobileNetV2": {},
    "MobileNetV3Small": {},
    "MobileNetV3Large": {},
    "EfficientNetB0": {},
    "ResNet50": {},
    "Xception": {},
    "DenseNet121": {},
    "VGG16": {},
    "InceptionV3": {},
    "ConvNeXtTiny": {},
}
DEFAULT_SIZE = {"Xception": 299, "InceptionV3": 299}
VERIFY_SIZE = 96
# Published parameter counts the issue names (keras.io/api/applications; Keras' count_params()).
PUBLISHED = {"MobileNet": 4_253_864, "MobileNetV3Small": 2_554_968, "EfficientNetB0": 5_330_571,
             "DenseNet121": 8_062_504}


@pytest.fixture(scope="session")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def build(keras, name: str, size: int | None = None):
    constructor = getattr(keras.applications, name.split("_")[0])
    side = size or DEFAULT_SIZE.get(name, 224)
    return constructor(weights=None, input_shape=(side, side, 3), **APPS[name])


def keras_split(model) -> tuple[int, int]:
    count = lambda weights: sum(int(w.numpy().size) for w in weights)  # noqa: E731
    return count(model.trainable_weights), count(model.non_trainable_weights)


def keras_shapes(model) -> dict[str, tuple[int, ...]]:
    """Every layer's output shape without the batch, nested models' layers included."""
    shapes = {}
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested model: its layers are convcost's (the model itself is none)
            shapes.update(keras_shapes(layer))
            continue
        if type(layer).__name__ == "InputLayer":
            continue
        shapes[layer.name] = tuple(layer.output.shape[1:])
    return shapes


class Imported(dict):
    """name -> (the Keras model at its default size, convcost's analysis of its imported config,
    the config's path), each built when first asked for."""

    def __init__(self, keras, folder: Path):
        super().__init__()
        self.keras, self.folder = keras, folder

    def __missing__(self, name: str):
        model = build(self.keras, name)
        path = self.folder / f"{name}.json"
        path.write_text(model.to_json())
        self[name] = (model, convcost.analyze(convcost.load(path)), path)
        return self[name]


@pytest.fixture(scope="module")
def imported(keras, tmp_path_factory):
    return Imported(keras, tmp_path_factory.mktemp("keras_apps"))


@pytest.mark.parametrize("name", list(APPS))
def test_parameters_equal_keras_count_params_and_its_split(imported, name):
    model, analysis, _ = imported[name]
    trainable, non_trainable = keras_split(model)
    assert analysis.totals.params == model.count_params()
    assert (analysis.totals.trainable_params, analysis.totals.non_trainable_params) == (trainable, non_trainable)
    if name in PUBLISHED:
        assert model.count_params() == PUBLISHED[name]


@pytest.mark.parametrize("name", list(APPS))
def test_every_layer_output_shape_equals_keras(imported, name):
    model, analysis, _ = imported[name]
    ours = {record.name: tuple(record.output_shape) for record in analysis.layers}
    theirs = keras_shapes(model)
    assert set(theirs) <= set(ours), sorted(set(theirs) - set(ours))[:5]
    wrong = {layer: (ours[layer], shape) for layer, shape in theirs.items() if ours[layer] != shape}
    assert not wrong, list(wrong.items())[:5]


@pytest.mark.parametrize("name", list(APPS))
def test_verify_agrees_on_the_imported_model(keras, tmp_path, name):
    model = build(keras, name, VERIFY_SIZE)
    path = tmp_path / f"{name}.json"
    path.write_text(model.to_json())
    result = runner.invoke(app, ["verify", str(path), "--quiet"])
    assert result.exit_code == 0, result.stdout[-2000:] + result.stderr


# The counts of a network's arithmetic and parameters; what differs by layout is held apart below.
ARITHMETIC = ("macs", "mults", "adds", "divisions", "exponentials", "special_functions", "params",
              "trainable_params", "non_trainable_params", "weights", "biases", "bn_trainable", "bn_non_trainable",
              "affine", "weight_bytes")


@pytest.mark.parametrize("name, shipped, overrides", [
    ("MobileNet", "mobilenet", {}),
    ("MobileNet_alpha_0.5", "mobilenet", {"alpha": 0.5}),
    ("Xception", "xception", {}),
])
def test_keras_mobilenet_and_xception_give_the_shipped_specs_totals(imported, name, shipped, overrides):
    """Every arithmetic count and parameter equal. Xception is equal in every total. Keras'
    MobileNet differs from the shipped spec (the paper's Table 1) in stated ways only: its
    activation is ReLU6 (two comparisons an element; the paper's ReLU one); it pads the four
    stride-2 depthwise convolutions with ZeroPadding2D layers ((0, 1), (0, 1)) where the spec
    writes padding: same — the same windows, so the same MACs, but the padded tensors are layers
    (activation elements) and their zeros are inputs, not padding (padding_mults); and its head is
    dropout, a 1×1 convolution and a reshape where the spec has one dense layer (the same MACs)."""
    _, analysis, _ = imported[name]
    ours = analysis.to_dict()["totals"]
    shipped_analysis = convcost.analyze(convcost.load(shipped), overrides)
    expected = shipped_analysis.to_dict()["totals"]
    assert {key: ours[key] for key in ARITHMETIC} == {key: expected[key] for key in ARITHMETIC}
    if shipped == "xception":
        assert ours == expected
        return
    kinds, shipped_kinds = Counter(r.kind for r in analysis.layers), Counter(r.kind for r in shipped_analysis.layers)
    assert kinds - shipped_kinds == Counter(relu6=27, zero_padding2d=4, conv2d=1, dropout=1, reshape=1)
    assert shipped_kinds - kinds == Counter(relu=27, dense=1)
    extra = [r for r in analysis.layers if r.kind in ("zero_padding2d", "dropout", "reshape")]
    assert ours["activation_elements"] - expected["activation_elements"] == \
        sum(math.prod(r.output_shape) for r in extra)
    relu6 = [r for r in analysis.layers if r.kind == "relu6"]
    assert ours["comparisons"] - expected["comparisons"] == sum(math.prod(r.output_shape) for r in relu6)
    # the zeros the spec's padding multiplies are, in Keras' layout, elements of the padded inputs
    assert ours["padding_mults"] < expected["padding_mults"]
    assert ours["effective_mults"] + ours["padding_mults"] == expected["effective_mults"] + expected["padding_mults"]


@pytest.mark.parametrize("name", ["MobileNet", "MobileNetV3Small", "EfficientNetB0"])
def test_keras_and_h5_files_import_as_the_config(keras, imported, tmp_path, name):
    model, analysis, _ = imported[name]
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"{name}{suffix}"
        model.save(path)
        assert convcost.analyze(convcost.load(path)).to_dict()["totals"] == analysis.to_dict()["totals"]


def test_keras_is_never_imported_by_convcost(imported):
    """The import reads data: run in a fresh interpreter, importing a model loads neither Keras,
    TensorFlow nor PyTorch."""
    import subprocess
    import sys

    _, _, path = imported["MobileNetV3Small"]
    code = ("import sys, convcost; convcost.analyze(convcost.load(sys.argv[1])); "
            "print(json.dumps(sorted(m for m in ('keras', 'tensorflow', 'torch') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code, str(path)], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", list(APPS))
def test_verify_agrees_at_full_size(imported, name):
    _, _, path = imported[name]
    result = runner.invoke(app, ["verify", str(path), "--quiet"])
    assert result.exit_code == 0, result.stdout[-2000:] + result.stderr


def test_the_models_of_tests_data_are_what_make_models_writes(keras):
    """tests/data/models (committed, used by the default run) hold what make_models.py builds."""
    import importlib.util

    folder = Path(__file__).parent / "data" / "models"
    spec = importlib.util.spec_from_file_location("make_models", folder / "make_models.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, make in module.MODELS.items():
        built = make()
        imported = convcost.load(folder / f"{name}.keras", input_shapes=("16,16,3",) if name == "dynamic" else ())
        assert convcost.analyze(imported).totals.params == built.count_params()
