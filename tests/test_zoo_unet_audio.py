"""U-Net (Ronneberger et al. 2015, Figure 1) and a 1-D network, M5 (Dai et al. 2017, in the
torchaudio speech-command tutorial's layout)."""

from __future__ import annotations

import json

import convcost
from convcost.cli import app

from cli_runner import runner

# Ronneberger et al. 2015, Figure 1: every map's size and channels, as the figure prints them.
UNET_FIGURE_1 = {
    "down1/conv1": (570, 570, 64), "down1/relu2": (568, 568, 64), "pool1": (284, 284, 64),
    "down2/conv1": (282, 282, 128), "down2/relu2": (280, 280, 128), "pool2": (140, 140, 128),
    "down3/conv1": (138, 138, 256), "down3/relu2": (136, 136, 256), "pool3": (68, 68, 256),
    "down4/conv1": (66, 66, 512), "down4/relu2": (64, 64, 512), "pool4": (32, 32, 512),
    "bottom/conv1": (30, 30, 1024), "bottom/relu2": (28, 28, 1024),
    "up4_upconv": (56, 56, 512), "up4_concat": (56, 56, 1024), "up4/conv1": (54, 54, 512), "up4/relu2": (52, 52, 512),
    "up3_upconv": (104, 104, 256), "up3_concat": (104, 104, 512), "up3/conv1": (102, 102, 256),
    "up3/relu2": (100, 100, 256),
    "up2_upconv": (200, 200, 128), "up2_concat": (200, 200, 256), "up2/conv1": (198, 198, 128),
    "up2/relu2": (196, 196, 128),
    "up1_upconv": (392, 392, 64), "up1_concat": (392, 392, 128), "up1/conv1": (390, 390, 64),
    "up1/relu2": (388, 388, 64), "output": (388, 388, 2),
}


def test_unet_every_stage_as_in_figure_1():
    result = convcost.report("unet")
    assert result.graph.input_shape == (572, 572, 1)
    assert {name: result.layer(name).output_shape for name in UNET_FIGURE_1} == UNET_FIGURE_1
    # the crops: 64 → 56, 136 → 104, 280 → 200, 568 → 392 (4, 16, 40 and 88 a side)
    assert [result.layer(f"up{i}_crop").output_shape[0] for i in (4, 3, 2, 1)] == [56, 104, 200, 392]


def test_unet_parameters_layer_by_layer():
    """Each 3×3 convolution k²·C_in·C_out + C_out, each 2×2 up-convolution 2²·C_in·C_out + C_out
    (C_out = C_in / 2), the 1×1 output 64·2 + 2: summed independently of convcost's rules."""
    def conv(c_in, c_out, k):
        return k * k * c_in * c_out + c_out
    widths = [64, 128, 256, 512, 1024]
    down = sum(conv(c_in, c, 3) + conv(c, c, 3) for c_in, c in zip([1] + widths[:-1], widths))
    up = sum(conv(2 * c, c, 2) + conv(2 * c, c, 3) + conv(c, c, 3) for c in widths[:-1])
    expected = down + up + conv(64, 2, 1)
    assert expected == 31_030_658
    assert convcost.report("unet").totals.params == expected


def test_unet_a_tile_size_that_does_not_fit_is_a_located_error():
    result = runner.invoke(app, ["report", "unet", "--set", "resolution=580"])
    assert result.exit_code == 2
    # 580: the 65×65 map of down4 pools to 32, so the decoder's 56×56 meets a 57×57 crop
    assert "unet.yaml:" in result.stderr and "E402 concat 'up4_concat'" in result.stderr
    assert "57×57×512, 56×56×512" in result.stderr


def test_unet_verifies_at_the_smallest_tile():
    result = runner.invoke(app, ["verify", "unet", "--set", "resolution=188", "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"] is True and data["layers"][-1]["values"]["output_shape"] == [4, 4, 2]


def test_m5_audio_tutorial_parameters_and_lengths():
    """The torchaudio speech-command tutorial prints "Number of parameters: 26915" for
    M5(n_input=1, n_output=35, stride=16, n_channel=32): 2,592 + 3,104 + 6,208 + 12,352 conv,
    64 + 64 + 128 + 128 batch-norm gamma and beta, 2,275 linear (its running statistics are buffers)."""
    result = convcost.report("m5_audio")
    assert result.totals.trainable_params == 26_915
    lengths = [(layer.name, layer.output_shape[0]) for layer in result.layers
               if layer.kind in ("conv1d", "max_pooling1d")]
    assert lengths == [("conv1", 496), ("pool1", 124), ("conv2", 122), ("pool2", 30), ("conv3", 28), ("pool3", 7),
                       ("conv4", 5), ("pool4", 1)]
    assert result.layer("fc1").output_shape == (35,)


def test_m5_audio_verifies():
    result = runner.invoke(app, ["verify", "m5_audio", "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout)["agree"] is True
