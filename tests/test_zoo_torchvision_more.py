"""torchvision's GoogLeNet and SqueezeNets (the ceil-mode pooling networks): the published
parameter counts and GFLOPS of torchvision's weights metadata (`num_params`, `_ops` in
torchvision/models/googlenet.py and squeezenet.py; the docs pages
pytorch.org/vision/stable/models/generated/torchvision.models.<name>.html print the GFLOPS to 2
decimals). torchvision's num_params counts batch norm's gamma and beta, not its running
statistics (buffers): convcost's trainable_params. Its GFLOPS are multiply-accumulates: macs."""

from __future__ import annotations

import json

import pytest

import convcost
from convcost.cli import app

from cli_runner import runner

PUBLISHED = [  # (spec, num_params, _ops GFLOPS, docs GFLOPS)
    ("googlenet", 6_624_904, 1.498, 1.50),
    ("squeezenet1_0", 1_248_424, 0.819, 0.82),
    ("squeezenet1_1", 1_235_496, 0.349, 0.35),
]


@pytest.mark.parametrize("name, params, ops, docs", PUBLISHED)
def test_torchvision_published_figures(name, params, ops, docs):
    totals = convcost.report(name).totals
    assert totals.trainable_params == params
    assert round(totals.macs / 1e9, 3) == ops
    assert round(totals.macs / 1e9, 2) == docs


def test_exact_macs():
    """Exact at 224×224; the published figures above are these, rounded."""
    assert convcost.report("googlenet").totals.macs == 1_498_376_192
    assert convcost.report("squeezenet1_0").totals.macs == 818_924_576
    assert convcost.report("squeezenet1_1").totals.macs == 349_151_936


def test_ceil_mode_pooling_sizes():
    """torchvision pools with ceil_mode=True: SqueezeNet 1.0's 109 → 54 → 27 → 13 (floor mode would
    give 54 → 26 → 12), GoogLeNet's 112 → 56 → 28 → 14 → 7."""
    squeezenet = convcost.report("squeezenet1_0")
    assert [layer.output_shape[0] for layer in squeezenet.layers if layer.kind == "max_pooling2d"] == [54, 27, 13]
    googlenet = convcost.report("googlenet")
    assert [googlenet.layer(f"maxpool{i}").output_shape[0] for i in range(1, 5)] == [56, 28, 14, 7]


@pytest.mark.parametrize("name", ["googlenet", "squeezenet1_0", "squeezenet1_1"])
def test_verify_agrees_at_reduced_resolution(name):
    result = runner.invoke(app, ["verify", name, "--set", "resolution=64", "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout)["agree"] is True
