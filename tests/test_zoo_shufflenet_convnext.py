"""torchvision's ShuffleNetV2 and ConvNeXt-T as shipped specs (issue 12, item 4).

Sources of the published figures: the weights metadata of torchvision's model files,
torchvision/models/shufflenetv2.py (ShuffleNet_V2_X*_Weights.IMAGENET1K_V1) and
torchvision/models/convnext.py (ConvNeXt_Tiny_Weights.IMAGENET1K_V1): "num_params" and "_ops",
the figure torchvision's docs print as "GFLOPS" (conv and linear multiply-accumulates, in 10⁹).

"num_params" is ``sum(p.numel() for p in model.parameters())``: batch norm's gamma and beta count,
its running mean and variance are buffers and do not. That is convcost's ``trainable_params``
(Keras' total ``params`` also counts the running statistics).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import convcost
from convcost.cli import app

from cli_runner import runner


def giga(macs: int, digits: int) -> float:
    """MACs in 10⁹ rounded half up to ``digits`` decimals, as torchvision prints "_ops"."""
    scale = 10**digits
    return int(Fraction(macs, 10**9) * scale + Fraction(1, 2)) / scale


def verify(name: str, *overrides: str) -> dict:
    args = ["verify", name, "--format", "json"]
    for override in overrides:
        args += ["--set", override]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"] is True, [layer for layer in data["layers"] if not layer["agree"]][:3]
    return data


# --- ShuffleNetV2 ------------------------------------------------------------------------------

# (width, torchvision's num_params, its "_ops" with the digits it prints, convcost's exact MACs)
SHUFFLENET_WIDTHS = [
    pytest.param("0.5", 1_366_792, (0.04, 2), 40_476_448, id="shufflenet_v2_x0_5"),
    pytest.param("1.0", 2_278_604, (0.145, 3), 144_907_992, id="shufflenet_v2_x1_0"),
    pytest.param("1.5", 3_503_624, (0.296, 3), 295_759_392, id="shufflenet_v2_x1_5"),
    pytest.param("2.0", 7_393_996, (0.583, 3), 583_253_464, id="shufflenet_v2_x2_0"),
]


@pytest.mark.parametrize("width, num_params, ops, macs", SHUFFLENET_WIDTHS)
def test_shufflenet_v2_published_figures(width, num_params, ops, macs):
    t = convcost.analyze(convcost.load("shufflenet_v2_x1_0"), {"width": width}).totals
    assert t.trainable_params == num_params  # torchvision's num_params: BN running stats are buffers
    value, digits = ops
    assert giga(t.macs, digits) == value  # torchvision's "_ops" ("GFLOPS" in its docs)
    assert t.macs == macs


def test_shufflenet_v2_x1_0_layout():
    spec = convcost.load("shufflenet_v2_x1_0")
    result = convcost.analyze(spec)
    assert result.graph.input_shape == (224, 224, 3)
    # torchvision module names: conv1.0, stage2.0.branch1.0, stage4.3.branch2.5, conv5.0, fc
    assert result.layer("maxpool").output_shape == (56, 56, 24)
    assert result.layer("stage2_0/branch1_0").output_shape == (28, 28, 24)
    assert result.layer("stage2_0/channel_shuffle").output_shape == (28, 28, 116)
    assert result.layer("stage3_7/x2").output_shape == (14, 14, 116)
    assert result.layer("stage4_3/branch2_5").output_shape == (7, 7, 232)
    assert result.layer("conv5_0").output_shape == (7, 7, 1024)
    assert result.layer("fc").output_shape == (1000,)
    assert spec.build({"resolution": "160"}).input_shape == (160, 160, 3)


def test_shufflenet_v2_verify_reduced_resolution():
    data = verify("shufflenet_v2_x1_0", "resolution=64")
    assert data["input_shape"] == [64, 64, 3]


@pytest.mark.slow
def test_shufflenet_v2_verify_full_size():
    data = verify("shufflenet_v2_x1_0")
    assert data["totals"]["macs"]["measured"] == 144_907_992


# --- ConvNeXt-T --------------------------------------------------------------------------------


def test_convnext_tiny_published_figures():
    t = convcost.analyze(convcost.load("convnext_tiny")).totals
    # torchvision's num_params: LayerNorm gamma/beta and layer scale are parameters (convcost: affine)
    assert t.trainable_params == 28_589_128
    assert t.params == t.trainable_params  # no batch norm, so no running statistics
    assert giga(t.macs, 3) == 4.456  # "_ops" 4.456 in convnext.py's ConvNeXt_Tiny_Weights
    assert giga(t.macs, 1) == 4.5  # the same field as some torchvision versions print it
    assert t.macs == 4_455_531_264


def test_convnext_tiny_layout():
    result = convcost.analyze(convcost.load("convnext_tiny"))
    # torchvision module names: features.0.0 (stem), features.1.0.block.3, features.2.1, classifier.2
    assert result.layer("features_0_0").output_shape == (56, 56, 96)
    assert result.layer("features_1_0/block_0").output_shape == (56, 56, 96)
    assert result.layer("features_1_0/block_3").output_shape == (56, 56, 384)  # Linear on the channels
    assert result.layer("features_1_0/block_3").cost.macs == 56 * 56 * 96 * 384
    assert result.layer("features_2_1").output_shape == (28, 28, 192)
    assert result.layer("features_5_8/add").output_shape == (14, 14, 384)
    assert result.layer("features_7_2/layer_scale").output_shape == (7, 7, 768)
    assert result.layer("avgpool").output_shape == (1, 1, 768)
    assert result.layer("classifier_2").output_shape == (1000,)
    blocks = {record.name.split("/")[0] for record in result.layers if "/" in record.name}
    assert len(blocks) == 3 + 3 + 9 + 3


def test_convnext_tiny_verify_reduced_resolution():
    data = verify("convnext_tiny", "resolution=32")
    assert data["input_shape"] == [32, 32, 3]


@pytest.mark.slow
def test_convnext_tiny_verify_full_size():
    data = verify("convnext_tiny")
    assert data["totals"]["macs"]["measured"] == 4_455_531_264
