"""`convcost explain` (issue #5): one layer's formulas with its numbers substituted, as the seeds write them.

Seed 000 (the simplified Xception walk-through, padding 1 everywhere): a 299×299×3 image, conv 32
3×3, padding 1, stride 2: output size floor((299 − 3 + 2×1)/2 + 1) = 150, so 150×150×32; max pooling
3×3 stride 2 (padding 1) on 150 gives floor((150 − 3 + 2×1)/2 + 1) = 75, on 75 gives 38, and a
stride-2 step on 38 gives 19.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import convcost
from convcost.cli import app
from convcost.explain import explain, size_formula

from cli_runner import runner

ROOT = Path(__file__).resolve().parent.parent

SEED_XCEPTION = """\
name: seed Xception stem (padding 1 everywhere)
input: [299, 299, 3]
layers:
  - {kind: conv2d, name: conv1, filters: 32, kernel: 3, stride: 2, padding: 1, bias: false}
  - {kind: relu, name: relu1}
  - {kind: conv2d, name: conv2, filters: 64, kernel: 3, padding: 1, bias: false}
  - {kind: separable_conv2d, name: sep1, filters: 128, kernel: 3, padding: 1, bias: false}
  - {kind: max_pooling2d, name: pool1, kernel: 3, stride: 2, padding: 1}
  - {kind: separable_conv2d, name: sep2, filters: 256, kernel: 3, padding: 1, bias: false}
  - {kind: max_pooling2d, name: pool2, kernel: 3, stride: 2, padding: 1}
  - {kind: conv2d, name: conv3, filters: 728, kernel: 3, stride: 2, padding: 1, bias: false}
"""


@pytest.fixture()
def seed_spec(tmp_path) -> str:
    path = tmp_path / "seed_xception.yaml"
    path.write_text(SEED_XCEPTION)
    return str(path)


def explain_cli(*args: str) -> str:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_seeds_xception_stem(seed_spec):
    out = explain_cli(seed_spec, "conv1")
    # Seed 000: output size = floor((299 − 3 + 2×1)/2 + 1) = 150
    assert (299 - 3 + 2 * 1) // 2 + 1 == 150
    assert "H_out = W_out = floor((299 − 3 + 2·1)/2) + 1 = 150" in out
    assert "output 150×150×32" in out
    macs = 150 * 150 * 32 * 3 * 3 * 3
    assert f"150·150·32 · 3·3·3 = {macs:,}" in out
    assert f"weights = K_h·K_w·C_in·C_out = 3·3·3·32 = {3 * 3 * 3 * 32:,}" in out
    assert "no biases (bias: false)" in out


@pytest.mark.parametrize("layer, formula", [
    ("pool1", "floor((150 − 3 + 2·1)/2) + 1 = 75"),  # seed 000: 150 -> 75
    ("pool2", "floor((75 − 3 + 2·1)/2) + 1 = 38"),  # seed 000: 75 -> 38
    ("conv3", "floor((38 − 3 + 2·1)/2) + 1 = 19"),  # seed 000: 38 -> 19 (19×19×728)
])
def test_the_seeds_downsampling_steps(seed_spec, layer, formula):
    assert formula in explain_cli(seed_spec, layer)


def test_separable_steps_and_the_ratio(seed_spec):
    out = explain_cli(seed_spec, "sep1")
    depthwise = 150 * 150 * 64 * 3 * 3
    pointwise = 150 * 150 * 128 * 64
    assert f"150·150·64 · 3·3 = {depthwise:,}" in out
    assert f"150·150·128 · 64 = {pointwise:,}" in out
    assert f"depthwise + pointwise = {depthwise + pointwise:,}" in out
    assert f"1/N + 1/f² = 1/128 + 1/3² = {1 / 128 + 1 / 9:.6g}" in out


def test_same_padding_is_derived(mobilenet_spec):
    lines = explain(convcost.analyze(mobilenet_spec), "conv1")
    text = "\n".join(lines)
    # TensorFlow 'same' on 224 with k=3, s=2: out ceil(224/2) = 112, total padding 1, at the end
    assert "ceil(224/2) = 112" in text and "= 1 -> 0 before, 1 after" in text
    assert "H_out = W_out = floor((224 − 3 + 0 + 1)/2) + 1 = 112" in text


def test_depthwise_uses_mobilenets_symbols():
    out = explain_cli("mobilenet", "ds2/dw")
    assert "(MobileNet: D_G·D_G·M · D_K·D_K)" in out
    assert f"112·112·32 · 3·3 = {112 * 112 * 32 * 9:,}" in out


def test_overrides_change_the_numbers():
    out = explain_cli("mobilenet", "conv1", "--set", "alpha=0.5")
    assert "output 112×112×16" in out  # round(32·0.5)
    assert f"112·112·16 · 3·3·3 = {112 * 112 * 16 * 27:,}" in out


def test_size_formula_forms():
    assert size_formula(299, 3, 2, (1, 1)) == ("floor((299 − 3 + 2·1)/2) + 1", 150)
    assert size_formula(224, 3, 2, (0, 1)) == ("floor((224 − 3 + 0 + 1)/2) + 1", 112)
    assert size_formula(32, 3, 1, (0, 0), 2) == ("floor((32 − (2·(3 − 1) + 1) + 2·0)/1) + 1", 28)


@pytest.mark.parametrize("name", ["mobilenet", "mobilenet_conv", "mobilenet_shallow", "xception"])
def test_every_layer_of_the_shipped_specs_explains(name):
    # explain computes each value from its formula and checks it against the layer rule: a formula
    # that disagrees raises, so this walks every layer kind the shipped specs use.
    result = convcost.analyze(convcost.load(name))
    for record in result.layers:
        lines = explain(result, record.name)
        assert lines[0].startswith(f"layer '{record.name}'")


def test_unknown_layer_exits_2():
    result = runner.invoke(app, ["explain", "mobilenet", "ds2/dww"])
    assert result.exit_code == 2
    assert "no layer named 'ds2/dww'" in result.stderr and "did you mean 'ds2/dw'" in result.stderr


EVERY_KIND = """\
input: [6, 9, 10, 4]
layers:
  - {kind: conv3d, name: c3, filters: 6, kernel: [3, 3, 2], stride: [1, 2, 1], padding: same, groups: 2}
  - {kind: max_pooling3d, name: mp3, kernel: 2, padding: valid}
  - {kind: average_pooling3d, name: ap3, kernel: [1, 2, 2], stride: 1, padding: [[0, 0], [1, 0], [0, 1]]}
  - {kind: zero_padding3d, name: zp3, padding: 1}
  - {kind: global_max_pooling, name: gmp, keepdims: true}
  - {kind: flatten, name: flat}
  - {kind: dense, name: d1, units: 12}
  - {kind: dropout, name: drop, rate: 0.5}
  - {kind: tanh, name: th}
  - {kind: sigmoid, name: sg, inputs: d1}
  - {kind: add, name: plus, inputs: [th, sg, d1]}
  - {kind: concat, name: cat, inputs: [th, sg]}
  - {kind: relu6, name: r6}
  - {kind: softmax, name: sm}
"""

EVERY_2D_KIND = """\
input: [12, 10, 8]
layers:
  - {kind: zero_padding2d, name: zp, padding: [[1, 0], [0, 2]]}
  - {kind: depthwise_conv2d, name: dw, kernel: [3, 2], stride: 2, depth_multiplier: 3, padding: same, dilation: [1, 2]}
  - {kind: batch_norm, name: bn}
  - {kind: separable_conv2d, name: sep, filters: 6, kernel: 3, stride: 2, padding: [[1, 1], [0, 1]],
     order: pointwise_first, activation: tanh}
  - {kind: average_pooling2d, name: ap, kernel: 2, stride: 1, padding: same}
  - {kind: global_average_pooling, name: gap}
  - {kind: dense, name: fc, units: 3, bias: false}
"""


@pytest.mark.parametrize("text", [EVERY_KIND, EVERY_2D_KIND])
def test_every_kind_explains_consistently(text):
    result = convcost.analyze(convcost.loads(text))
    for record in result.layers:
        lines = explain(result, record.name)
        assert len(lines) > 3, record.name
