"""torchvision's mobile classification models as zoo specs: MobileNetV2, MobileNetV3 (large, small)
and EfficientNet-B0, each reproducing torchvision's published figures.

Sources: the weights' metadata in torchvision/models/<file>.py (mobilenetv2.py, mobilenetv3.py,
efficientnet.py: ``num_params`` and ``_ops``, GFLOPS to 3 decimals) and the docs pages built from it,
pytorch.org/vision/stable/models/generated/torchvision.models.<name>.html ("num_params", "GFLOPS" to
2 decimals). torchvision's "GFLOPS" are multiply-accumulates of the convolutions (squeeze-and-
excitation's 1×1 convolutions included) and linear layers — convcost's ``macs`` — in units of 10^9.
Issue 12 gives MobileNetV2's exact count, 300,774,272 MACs.

``num_params`` is ``sum(p.numel() for p in model.parameters())``: batch norm's gamma and beta are
parameters, its running mean and variance are buffers. That is convcost's ``trainable_params``, not
``params`` (Keras' total, which also counts the running statistics: ``non_trainable_params``).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import convcost
from convcost.analysis import analyze
from convcost.language.expressions import make_divisible
from convcost.reference import ReferenceNetwork
from convcost.verify import compare


def giga(n: int, digits: int) -> Fraction:
    """``n / 10^9`` rounded half up to ``digits`` decimals, as torchvision prints its GFLOPS."""
    scale = 10**digits
    return Fraction(int(Fraction(n * scale, 10**9) + Fraction(1, 2)), scale)


# (spec, overrides, num_params, `_ops` (3 decimals), docs "GFLOPS" (2 decimals), exact MACs or None)
PUBLISHED = [
    # MobileNet_V2_Weights.IMAGENET1K_V1; issue 12 gives the exact MACs
    pytest.param("mobilenet_v2", {}, 3_504_872, "0.301", "0.30", 300_774_272, id="mobilenet_v2"),
]


@pytest.mark.parametrize("name, overrides, num_params, ops, gflops, exact_macs", PUBLISHED)
def test_torchvision_published_figures(name, overrides, num_params, ops, gflops, exact_macs):
    totals = convcost.analyze(name, overrides).totals
    assert totals.trainable_params == num_params  # torchvision's num_params: BN gamma/beta in, running stats out
    assert totals.params == num_params + totals.non_trainable_params
    assert giga(totals.macs, 3) == Fraction(ops)
    assert giga(totals.macs, 2) == Fraction(gflops)
    if exact_macs is not None:
        assert totals.macs == exact_macs


def test_mobilenet_v2_torchvision_names_and_sizes():
    result = convcost.report("mobilenet_v2")
    sizes = {name: result.layer(name).output_shape for name in
             ("features_0_0", "features_1/conv_0_0", "features_1/conv_2", "features_2/conv_0_0",
              "features_3/residual", "features_7/conv_1_0", "features_13/residual", "features_17/conv_3",
              "features_18_2", "avgpool", "classifier_1")}
    assert sizes == {"features_0_0": (112, 112, 32), "features_1/conv_0_0": (112, 112, 32),
                     "features_1/conv_2": (112, 112, 16), "features_2/conv_0_0": (112, 112, 96),
                     "features_3/residual": (56, 56, 24), "features_7/conv_1_0": (14, 14, 192),
                     "features_13/residual": (14, 14, 96), "features_17/conv_3": (7, 7, 320),
                     "features_18_2": (7, 7, 1280), "avgpool": (1280,), "classifier_1": (1000,)}
    shortcuts = [r.name for r in result.layers if r.kind == "add"]
    assert [name.split("/")[0] for name in shortcuts] == [f"features_{i}" for i in (3, 5, 6, 8, 9, 10, 12, 13, 15, 16)]


def shortcut_blocks(name: str, overrides: dict) -> set[str]:
    """The block instances of a report that end in a residual add."""
    return {r.name.split("/")[0] for r in convcost.analyze(name, overrides).layers if r.kind == "add"}


@pytest.mark.parametrize("alpha", ["0.1", "0.25", "0.3", "0.35", "0.5", "0.75", "1", "1.4"])
def test_mobilenet_v2_shortcuts_follow_torchvision_at_every_width(alpha):
    # torchvision's use_res_connect: stride 1 and inp == oup, after make_divisible(c · width_mult, 8)
    a = Fraction(alpha)
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
              (6, 320, 1, 1)]
    expected, inp, index = set(), make_divisible(32 * a), 1
    for _, c, n, s in stages:
        oup = make_divisible(c * a)
        for i in range(n):
            if (s if i == 0 else 1) == 1 and inp == oup:
                expected.add(f"features_{index}")
            inp, index = oup, index + 1
    got = {block.removesuffix("_shortcut") for block in shortcut_blocks("mobilenet_v2", {"alpha": alpha})}
    assert got == expected


def verify(name: str, overrides: dict) -> None:
    graph = convcost.load(name).build(overrides)
    result = compare(analyze(graph), ReferenceNetwork(graph, batch=1, dtype="float32", seed=0).forward())
    assert result.agree, result.mismatches[:3]


# (spec, a reduced resolution that keeps the executor run short)
REDUCED = [
    pytest.param("mobilenet_v2", {"resolution": 64}, id="mobilenet_v2-64"),
    pytest.param("mobilenet_v2", {"resolution": 64, "alpha": "0.25"}, id="mobilenet_v2-0.25-64"),
]


@pytest.mark.parametrize("name, overrides", REDUCED)
def test_verify_agrees_at_reduced_resolution(name, overrides):
    verify(name, overrides)


FULL_SIZE = ["mobilenet_v2"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FULL_SIZE)
def test_verify_agrees_at_full_size(name):
    verify(name, {})
