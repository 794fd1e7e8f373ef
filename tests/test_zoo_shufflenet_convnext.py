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
