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
