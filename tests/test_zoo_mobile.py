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

import json
import re
import shlex
from fractions import Fraction
from pathlib import Path

import pytest

import convcost
from convcost.analysis import analyze
from convcost.cli import app
from convcost.language.expressions import make_divisible
from convcost.reference import ReferenceNetwork
from convcost.verify import compare

from cli_runner import runner
from zoo_figures import check_published

ROOT = Path(__file__).resolve().parent.parent


# (spec, overrides, num_params, `_ops` (3 decimals), docs "GFLOPS" (2 decimals), exact MACs or None)
PUBLISHED = [
    # MobileNet_V2_Weights.IMAGENET1K_V1; issue 12 gives the exact MACs
    pytest.param("mobilenet_v2", {}, 3_504_872, "0.301", "0.30", 300_774_272, id="mobilenet_v2"),
    # MobileNet_V3_Large_Weights.IMAGENET1K_V1 (exactly 216,589,760 MACs)
    pytest.param("mobilenet_v3_large", {}, 5_483_032, "0.217", "0.22", None, id="mobilenet_v3_large"),
    # MobileNet_V3_Small_Weights.IMAGENET1K_V1 (exactly 56,510,400 MACs)
    pytest.param("mobilenet_v3_small", {}, 2_542_856, "0.057", "0.06", None, id="mobilenet_v3_small"),
    # EfficientNet_B0_Weights.IMAGENET1K_V1 (exactly 385,814,752 MACs)
    pytest.param("efficientnet_b0", {}, 5_288_548, "0.386", "0.39", None, id="efficientnet_b0"),
]


@pytest.mark.parametrize("name, overrides, num_params, ops, gflops, exact_macs", PUBLISHED)
def test_torchvision_published_figures(name, overrides, num_params, ops, gflops, exact_macs):
    check_published(name, overrides, num_params, ops, gflops, exact_macs)


def test_mobilenet_v2_torchvision_names_and_sizes():
    result = convcost.report("mobilenet_v2")
    sizes = {name: result.layer(name).output_shape for name in
             ("features_0_0", "features_1/conv_1_0", "features_1/conv_3", "features_2/conv_0_0",
              "features_3/residual", "features_7/conv_1_0", "features_13/residual", "features_17/conv_3",
              "features_18_2", "avgpool", "classifier_1")}
    assert sizes == {"features_0_0": (112, 112, 32), "features_1/conv_1_0": (112, 112, 32),
                     "features_1/conv_3": (112, 112, 16), "features_2/conv_0_0": (112, 112, 96),
                     "features_3/residual": (56, 56, 24), "features_7/conv_1_0": (14, 14, 192),
                     "features_13/residual": (14, 14, 96), "features_17/conv_3": (7, 7, 320),
                     "features_18_2": (7, 7, 1280), "avgpool": (1280,), "classifier_1": (1000,)}
    shortcuts = [r.name for r in result.layers if r.kind == "add"]
    assert [name.split("/")[0] for name in shortcuts] == [f"features_{i}" for i in (3, 5, 6, 8, 9, 10, 12, 13, 15, 16)]


def shortcut_blocks(name: str, overrides: dict) -> set[str]:
    """The block instances of a report that end in a residual add."""
    return {r.name.split("/")[0] for r in convcost.analyze(name, overrides).layers if r.kind == "add"}


@pytest.mark.parametrize("alpha", ["0.02", "0.1", "0.25", "0.3", "0.35", "0.5", "0.75", "1", "1.4"])
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


# torchvision's bneck_conf rows (mobilenetv3.py): input, kernel, expanded, output, SE, activation, stride
V3_ROWS = {
    "mobilenet_v3_large": [
        (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
        (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
        (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
        (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
        (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1), (160, 5, 960, 160, True, "HS", 1),
    ],
    "mobilenet_v3_small": [
        (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2), (24, 3, 88, 24, False, "RE", 1),
        (24, 5, 96, 40, True, "HS", 2), (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
        (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1), (48, 5, 288, 96, True, "HS", 2),
        (96, 5, 576, 96, True, "HS", 1), (96, 5, 576, 96, True, "HS", 1),
    ],
}


@pytest.mark.parametrize("name", sorted(V3_ROWS))
@pytest.mark.parametrize("alpha", ["0.05", "0.1", "0.2", "0.35", "0.5", "0.75", "1", "1.25"])
def test_mobilenet_v3_blocks_follow_torchvision_at_every_width(name, alpha):
    # torchvision: an expansion layer when the adjusted expanded width differs from the input's; a
    # shortcut when the stride is 1 and the adjusted input and output widths are equal; SE and the
    # activation as the row says
    a = Fraction(alpha)
    result = convcost.analyze(name, {"alpha": alpha})
    kinds = {record.name: record.kind for record in result.layers}
    blocks = {record.name.split("/")[0] for record in result.layers if "/" in record.name}
    for index, (inp, kernel, expanded, out, se, activation, stride) in enumerate(V3_ROWS[name], start=1):
        shortcut = stride == 1 and make_divisible(inp * a) == make_divisible(out * a)
        block = f"features_{index}" + ("_shortcut" if shortcut and f"features_{index}" not in blocks else "")
        assert block in blocks, block
        assert (f"{block}/residual" in kinds) == shortcut, block
        # the names are torchvision's where there is an expansion: where there is none (features_1,
        # and blocks a narrow width leaves without one) the layers after it keep those names (the
        # depthwise convolution stays block_1)
        dw_index = 1
        expands = make_divisible(expanded * a) != make_divisible(inp * a)
        assert (dw_index == 1 and f"{block}/block_0_0" in kinds) == expands, block
        dw = f"{block}/block_{dw_index}_0"
        assert kinds[dw] == "depthwise_conv2d" and result.layer(dw).output_shape[-1] == make_divisible(expanded * a)
        assert result.layer(dw).attrs.kernel == (kernel, kernel)
        assert kinds[f"{block}/block_{dw_index}_2"] == {"RE": "relu", "HS": "hard_swish"}[activation]
        assert (f"{block}/block_{dw_index + 1}/fc1" in kinds) == se, block
        if se:
            squeeze = make_divisible(make_divisible(expanded * a) // 4)
            assert result.layer(f"{block}/block_{dw_index + 1}/fc1").output_shape == (1, 1, squeeze)


def test_mobilenet_v3_large_torchvision_names_and_sizes():
    result = convcost.report("mobilenet_v3_large")
    sizes = {name: result.layer(name).output_shape for name in
             ("features_0_0", "features_1/residual", "features_4/block_1_0", "features_4/block_2/fc1",
              "features_4/block_2/scale", "features_11/block_3_1", "features_15/residual", "features_16_2",
              "avgpool", "classifier_0", "classifier_3")}
    assert sizes == {"features_0_0": (112, 112, 16), "features_1/residual": (112, 112, 16),
                     "features_4/block_1_0": (28, 28, 72), "features_4/block_2/fc1": (1, 1, 24),
                     "features_4/block_2/scale": (28, 28, 72), "features_11/block_3_1": (14, 14, 112),
                     "features_15/residual": (7, 7, 160), "features_16_2": (7, 7, 960), "avgpool": (960,),
                     "classifier_0": (1280,), "classifier_3": (1000,)}


def test_mobilenet_v3_small_torchvision_names_and_sizes():
    result = convcost.report("mobilenet_v3_small")
    sizes = {name: result.layer(name).output_shape for name in
             ("features_0_0", "features_1/block_1_0", "features_1/block_2/fc1", "features_1/block_3_1",
              "features_7/block_3_1", "features_11/residual", "features_12_2", "avgpool", "classifier_0",
              "classifier_3")}
    assert sizes == {"features_0_0": (112, 112, 16), "features_1/block_1_0": (56, 56, 16),
                     "features_1/block_2/fc1": (1, 1, 8), "features_1/block_3_1": (56, 56, 16),
                     "features_7/block_3_1": (14, 14, 48), "features_11/residual": (7, 7, 96),
                     "features_12_2": (7, 7, 576), "avgpool": (576,), "classifier_0": (1024,),
                     "classifier_3": (1000,)}
    # torchvision's width_mult=0.5 rounds 40 and 48 both to 24: features_7 gets its shortcut
    half = convcost.report("mobilenet_v3_small", alpha="0.5")
    assert half.layer("features_7/residual").output_shape == (14, 14, 24)


# torchvision's bneck_conf rows for efficientnet_b* (efficientnet.py): expand ratio, kernel, stride, in, out, layers
B0_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
             (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]


@pytest.mark.parametrize("width", ["0.05", "0.1", "0.25", "0.5", "0.75", "1", "1.1", "2"])
def test_efficientnet_b0_blocks_follow_torchvision_at_every_width(width):
    w = Fraction(width)
    result = convcost.analyze("efficientnet_b0", {"width": width})
    kinds = {record.name: record.kind for record in result.layers}
    blocks = {record.name.split("/")[0] for record in result.layers if "/" in record.name}
    assert len(blocks) == sum(n for *_, n in B0_STAGES)
    for stage, (ratio, kernel, stride, inp, out, n) in enumerate(B0_STAGES, start=1):
        for i in range(n):
            cin, cout = make_divisible((inp if i == 0 else out) * w), make_divisible(out * w)
            shortcut = (stride if i == 0 else 1) == 1 and cin == cout
            block = f"features_{stage}_{i}"
            assert (f"{block}/residual" in kinds) == shortcut, block
            expanded = make_divisible(cin * ratio)
            first = 1  # the expansion layer, when there is one, is block_0; the names after it stay
            assert kinds.get(f"{block}/block_0_0") == ("conv2d" if expanded != cin else None)
            dw = result.layer(f"{block}/block_{first}_0")
            assert dw.output_shape[-1] == expanded and dw.attrs.kernel == (kernel, kernel)
            assert result.layer(f"{block}/block_{first + 1}/fc1").output_shape == (1, 1, max(1, cin // 4))
            assert result.layer(f"{block}/block_{first + 2}_1").output_shape[-1] == cout


def test_efficientnet_b0_torchvision_names_and_sizes():
    result = convcost.report("efficientnet_b0")
    sizes = {name: result.layer(name).output_shape for name in
             ("features_0_0", "features_1_0/block_2/fc1", "features_1_0/block_3_1", "features_2_1/residual",
              "features_3_0/block_1_0", "features_6_3/block_2/scale", "features_7_0/block_3_1", "features_8_2",
              "avgpool", "classifier_1")}
    assert sizes == {"features_0_0": (112, 112, 32), "features_1_0/block_2/fc1": (1, 1, 8),
                     "features_1_0/block_3_1": (112, 112, 16), "features_2_1/residual": (56, 56, 24),
                     "features_3_0/block_1_0": (28, 28, 144), "features_6_3/block_2/scale": (7, 7, 1152),
                     "features_7_0/block_3_1": (7, 7, 320), "features_8_2": (7, 7, 1280), "avgpool": (1280,),
                     "classifier_1": (1000,)}


def verify(name: str, overrides: dict) -> None:
    graph = convcost.load(name).build(overrides)
    result = compare(analyze(graph), ReferenceNetwork(graph, batch=1, dtype="float32", seed=0).forward())
    assert result.agree, result.mismatches[:3]


# (spec, a reduced resolution that keeps the executor run short)
REDUCED = [
    pytest.param("mobilenet_v2", {"resolution": 64}, id="mobilenet_v2-64"),
    pytest.param("mobilenet_v2", {"resolution": 64, "alpha": "0.25"}, id="mobilenet_v2-0.25-64"),
    pytest.param("mobilenet_v3_large", {"resolution": 64}, id="mobilenet_v3_large-64"),
    pytest.param("mobilenet_v3_large", {"resolution": 64, "alpha": "0.1"}, id="mobilenet_v3_large-0.1-64"),
    pytest.param("mobilenet_v3_small", {"resolution": 64}, id="mobilenet_v3_small-64"),
    pytest.param("mobilenet_v3_small", {"resolution": 64, "alpha": "0.5"}, id="mobilenet_v3_small-0.5-64"),
    pytest.param("efficientnet_b0", {"resolution": 64}, id="efficientnet_b0-64"),
    pytest.param("efficientnet_b0", {"resolution": 64, "width": "0.25"}, id="efficientnet_b0-0.25-64"),
]


@pytest.mark.parametrize("name, overrides", REDUCED)
def test_verify_agrees_at_reduced_resolution(name, overrides):
    verify(name, overrides)


FULL_SIZE = ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FULL_SIZE)
def test_verify_agrees_at_full_size(name):
    verify(name, {})


# --- width and resolution sweeps (docs/zoo.md) ------------------------------------------------------

@pytest.mark.parametrize("name, sets", [
    ("mobilenet_v3_large", ["alpha=1,0.75,0.5,0.35", "resolution=224,160"]),
    ("mobilenet_v3_large", ["resolution=224,192,160,128"]),
    ("mobilenet_v3_small", ["alpha=1,0.75,0.5,0.35", "resolution=224,160"]),
    ("mobilenet_v2", ["alpha=1.4,1,0.25", "resolution=224,96"]),
    ("efficientnet_b0", ["width=1,0.5", "resolution=224,160"]),
])
def test_sweep_rows_are_the_reports_of_the_same_settings(name, sets):
    result = runner.invoke(app, ["sweep", name, *[a for s in sets for a in ("--set", s)], "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    count = 1
    for axis in sets:
        count *= len(axis.split(","))
    assert len(rows) == count
    for row in rows:
        report = convcost.analyze(name, {key: str(value) for key, value in row["config"].items()})
        assert row["totals"] == report.to_dict()["totals"], row["label"]
        assert tuple(row["input_shape"]) == report.layers[0].input_shapes[0]


def _zoo_doc_examples():
    text = (ROOT / "docs" / "zoo.md").read_text()
    section = text[text.index("## Mobile networks"):]
    end = section.find("\n## ")
    for block in re.findall(r"```\n(\$ convcost .*?)```", section if end < 0 else section[:end], re.S):
        command, _, output = block.partition("\n")
        yield command[2:], output


@pytest.mark.parametrize("command, output", list(_zoo_doc_examples()), ids=lambda v: v[:70] if "\n" not in v else "")
def test_the_sweeps_in_docs_zoo_md_are_what_the_commands_print(command, output):
    result = runner.invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert [line.rstrip() for line in result.stdout.splitlines()] == [line.rstrip() for line in output.splitlines()]
