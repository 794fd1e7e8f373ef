"""The original papers' layouts behind the MobileNet paper's Tables 8 and 9 (Howard et al. 2017),
each held to the exact count convcost derives and to the figure the papers print, at the papers'
rounding (docs/paper-figures.md says where they differ and why)."""

from __future__ import annotations

import json

import convcost
from convcost.cli import app

from cli_runner import runner


def verify(name: str, *sets: str) -> dict:
    result = runner.invoke(app, ["verify", name, *[a for s in sets for a in ("--set", s)], "--format", "json"])
    assert result.exit_code in (0, 1), result.output + result.stderr
    return json.loads(result.stdout)


# --- AlexNet (Krizhevsky, Sutskever and Hinton 2012) ----------------------------------------------

def test_alexnet_original_counts():
    """Hand-derived, layer by layer (227×227 input; groups 2 on conv2, conv4, conv5):
    conv1 55²·96·(11²·3) = 105,415,200; conv2 27²·256·(5²·48) = 223,948,800; conv3 13²·384·(3²·256)
    = 149,520,384; conv4 13²·384·(3²·192) = 112,140,288; conv5 13²·256·(3²·192) = 74,760,192; fc6
    9216·4096, fc7 4096², fc8 4096·1000 = 58,621,952: 724,406,816 mult-adds. Parameters: 34,944 +
    307,456 + 885,120 + 663,936 + 442,624 + 37,752,832 + 16,781,312 + 4,097,000 = 60,965,224."""
    result = convcost.report("alexnet_original")
    assert result.totals.macs == 724_406_816
    assert result.totals.params == result.totals.trainable_params == 60_965_224
    shapes = {name: result.layer(name).output_shape for name in ("conv1", "pool1", "pool2", "pool5")}
    assert shapes == {"conv1": (55, 55, 96), "pool1": (27, 27, 96), "pool2": (13, 13, 256), "pool5": (6, 6, 256)}
    # Howard et al. 2017, Table 9: "AlexNet 720M mult-adds, 60M parameters". 724.4M is 720M to the
    # table's two significant figures; 60M is the AlexNet paper's own "60 million" (60.97M, cut, not
    # rounded: docs/paper-figures.md).
    assert float(f"{result.totals.macs:.2g}") == 720e6
    assert result.totals.params // 10**6 == 60


def test_alexnet_original_lrn_counts():
    """Local response normalization on 55×55×96, size 5 (docs/conventions.md): per element the
    square, the window's 4 adds, the scale and the constant: 2 mults and 5 adds, a pow and a division."""
    norm1 = convcost.report("alexnet_original").layer("norm1").cost
    elements = 55 * 55 * 96
    assert (norm1.mults, norm1.adds, norm1.special_functions, norm1.divisions) == \
        (2 * elements, 5 * elements, elements, elements)


def test_alexnet_original_verifies_at_a_small_resolution():
    data = verify("alexnet_original", "resolution=67")
    assert data["agree"] is True, [layer for layer in data["layers"] if not layer["agree"]][:3]
    assert data["input_shape"] == [67, 67, 3]


# --- GoogLeNet (Szegedy et al. 2014), Caffe's bvlc_googlenet ----------------------------------------

def test_googlenet_original_counts_and_the_papers_table_1():
    """Exact: 1,582,671,872 mult-adds, 6,990,272 weights + 8,280 biases = 6,998,552 parameters.
    Szegedy et al. 2014, Table 1 prints per row params in K of 1024 and ops in M of 10^6; the rows
    match the exact weights and mult-adds (conv2: 114,688 weights = 112K, 359.7M ops = 360M;
    inception (3a): 163,328 = 159.5K, 128.0M = 128M) except conv1, printed 2.7K / 34M where a
    7×7 convolution from 3 to 64 channels has 9,408 weights and 118.0M mult-adds at 112×112."""
    result = convcost.report("googlenet_original")
    assert result.totals.macs == 1_582_671_872
    assert (result.totals.weights, result.totals.biases, result.totals.params) == (6_990_272, 8_280, 6_998_552)

    def block(prefix: str) -> tuple[int, int]:
        layers = [layer for layer in result.layers if layer.name.startswith(prefix)]
        return sum(layer.cost.weights for layer in layers), sum(layer.cost.macs for layer in layers)

    conv2 = block("conv2_")
    assert (round(conv2[0] / 1024), round(conv2[1] / 1e6)) == (112, 360)
    inception_3a = block("inception_3a/")
    assert (round(inception_3a[0] / 1024), round(inception_3a[1] / 1e6)) == (160, 128)  # 159.5K: the table's 159K
    assert block("conv1_") == (9_408, 118_013_952)
    # Caffe's ceil-mode pooling: 112 → 56 → 28 → 14 → 7
    sizes = [result.layer(name).output_shape[0] for name in
             ("conv1_7x7_s2", "pool1_3x3_s2", "pool2_3x3_s2", "pool3_3x3_s2", "pool4_3x3_s2")]
    assert sizes == [112, 56, 28, 14, 7]


def test_googlenet_original_verifies_at_a_small_resolution():
    data = verify("googlenet_original", "resolution=64")
    assert data["agree"] is True, [layer for layer in data["layers"] if not layer["agree"]][:3]


# --- the MobileNet paper's Tables 8 and 9 (Howard et al. 2017) ----------------------------------

def test_mobilenet_tables_8_and_9_rows():
    """Each row next to the convention that reproduces it (docs/paper-figures.md):
    GoogleNet 1550M / 6.8M: 1,582.7M exact (2.1% more); 6.8M is the weights in the GoogLeNet
    paper's units (6,990,272 / 1024² = 6.67, as its Table 1 sums K of 1024 to 6,798K = "6.8M").
    VGG 16 15300M / 138M: the convolutions alone, 15,346.6M, to three figures (15,470.3M with the
    FC layers); 138,357,544 parameters.
    SqueezeNet 1700M / 1.25M: twice the mult-adds (mults + adds, 1,665.5M) at Caffe's 227×227, to
    two figures; 1,248,424 parameters.
    AlexNet 720M / 60M: test_alexnet_original_counts."""
    googlenet = convcost.report("googlenet_original").totals
    assert round(googlenet.macs / 1e6) == 1583 and googlenet.weights // 1024 // 1024 == 6
    assert round(googlenet.weights / 1024 ** 2, 1) == 6.7
    vgg = convcost.report("vgg16")
    conv_macs = sum(layer.cost.macs for layer in vgg.layers if layer.kind == "conv2d")
    assert conv_macs == 15_346_630_656 and float(f"{conv_macs:.3g}") == 15300e6
    assert round(vgg.totals.trainable_params / 1e6) == 138
    squeezenet = convcost.analyze(convcost.load("squeezenet1_0").build({"resolution": 227})).totals
    assert squeezenet.mults + squeezenet.adds == 1_665_503_872
    assert float(f"{squeezenet.mults + squeezenet.adds:.2g}") == 1700e6
    assert round(squeezenet.params / 1e4) / 100 == 1.25
