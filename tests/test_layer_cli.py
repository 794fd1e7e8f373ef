"""`convcost layer` (issue #5): the one-layer calculator and the seeds' separable alternatives.

Seed 001 (standard vs depthwise separable 2-D convolution): a 7×7×3 input, 128 filters 3×3, no
padding: 128·3·3·3·5·5 = 86,400 multiplications; depthwise 3·3·3·1·5·5 = 675 plus pointwise
128·1·1·3·5·5 = 9,600, together 10,275. Seed 000 / 004: the ratio is 1/N + 1/f² (N filters, f×f
kernel). Seed 000 (spatially separable): on an n×n input with an f×f kernel, one channel and one
filter, (n − f + 1)·n·f + (n − f + 1)²·f multiplications against (n − f + 1)²·f², a ratio of
(2n − f + 1)/((n − f + 1)·f).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost.analysis import analyze
from convcost.cli import app
from convcost.single_layer import build_layer, depthwise_separable, spatially_separable

from cli_runner import runner


def layer(*args: str) -> str:
    result = runner.invoke(app, ["layer", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def layer_json(*args: str) -> dict:
    return json.loads(layer(*args, "--format", "json"))


def seed_spatial(n: int, f: int) -> tuple[int, int]:
    """Seed 000, one channel and one filter: (separable, regular) multiplications."""
    return (n - f + 1) * n * f + (n - f + 1) ** 2 * f, (n - f + 1) ** 2 * f ** 2


# --- seed 001: 86,400 against 10,275 -----------------------------------------------------------------

def test_the_seed_example_with_depthwise_separable_in_text():
    out = layer("conv2d", "--input", "7x7x3", "--filters", "128", "--kernel", "3", "--vs", "depthwise-separable")
    regular = 128 * 3 * 3 * 3 * 5 * 5
    depthwise, pointwise = 3 * 3 * 3 * 1 * 5 * 5, 128 * 1 * 1 * 3 * 5 * 5
    assert (regular, depthwise, pointwise) == (86_400, 675, 9_600)  # the seed's own numbers
    ratio = Fraction(depthwise + pointwise, regular)
    assert "output shape     5×5×128" in out
    assert f"mults            {regular:,}" in out
    assert f"depthwise 3×3   5×5×3        {depthwise}" in out
    assert f"pointwise 1×1   5×5×128    {pointwise:,}" in out
    assert f"mults ratio    {depthwise + pointwise:,} / {regular:,} = {ratio} = {float(ratio):.6g}" in out
    closed = Fraction(1, 128) + Fraction(1, 3 ** 2)
    assert f"1/N + 1/f² = 1/128 + 1/3² = {closed} = {float(closed):.6g}  (equal to the exact mults ratio)" in out


def test_the_seed_example_in_json():
    data = layer_json("conv2d", "--input", "7x7x3", "--filters", "128", "--kernel", "3", "--no-bias",
                      "--vs", "depthwise-separable")
    assert data["layer"]["output_shape"] == [5, 5, 128]
    assert data["layer"]["mults"] == 86_400
    assert data["layer"]["params"] == 3 * 3 * 3 * 128  # GUIDE.md section 4: 3,456
    vs = data["vs"]
    assert [s["mults"] for s in vs["steps"]] == [675, 9_600]
    assert vs["totals"]["mults"] == 10_275
    assert vs["totals"]["weights"] == 3 * 3 * 3 + 3 * 128  # GUIDE.md section 4: 411
    assert Fraction(vs["mults_ratio"]["numerator"], vs["mults_ratio"]["denominator"]) == Fraction(10_275, 86_400)
    assert vs["closed_form"]["formula"] == "1/N + 1/f²"
    closed_form = Fraction(vs["closed_form"]["numerator"], vs["closed_form"]["denominator"])
    assert closed_form == Fraction(1, 128) + Fraction(1, 9)
    assert vs["closed_form"]["equals_mults_ratio"] is True


# --- seed 000: spatially separable ---------------------------------------------------------------

def test_spatially_separable_one_channel_one_filter_is_the_seed_formula():
    n, f = 7, 3
    separable, regular = seed_spatial(n, f)
    data = layer_json("conv2d", "--input", f"{n}x{n}x1", "--filters", "1", "--kernel", str(f),
                      "--vs", "spatially-separable")
    assert data["layer"]["mults"] == regular
    assert data["vs"]["totals"]["mults"] == separable
    ratio = data["vs"]["mults_ratio"]
    assert Fraction(ratio["numerator"], ratio["denominator"]) == Fraction(2 * n - f + 1, (n - f + 1) * f)
    assert data["vs"]["closed_form"]["equals_mults_ratio"] is True


def test_spatially_separable_on_the_seed_input_scales_by_channel_filter_pairs():
    n, f, channels, filters = 7, 3, 3, 128
    separable, regular = seed_spatial(n, f)
    out = layer("conv2d", "--input", "7x7x3", "--filters", "128", "--kernel", "3", "--vs", "spatially-separable")
    pairs = channels * filters
    assert f"separable  (7 − 3 + 1)·7·3 + (7 − 3 + 1)²·3 = {(n - f + 1) * n * f} + {(n - f + 1) ** 2 * f} = " \
           f"{separable}" in out
    assert f"regular    (7 − 3 + 1)²·3² = 5²·3² = {regular}" in out
    assert f"× {pairs} channel-filter pairs: {separable * pairs:,} and {regular * pairs:,}" in out
    assert f"mults ratio    {separable * pairs:,} / {regular * pairs:,} = 4/5 = 0.8" in out
    assert "(2n − f + 1)/((n − f + 1)·f) = (2·7 − 3 + 1)/((7 − 3 + 1)·3) = 4/5 = 0.8  (equal" in out


def test_spatially_separable_closed_form_is_withheld_when_it_does_not_apply():
    out = layer("conv2d", "--input", "8x6x3", "--filters", "4", "--kernel", "3", "--padding", "same",
                "--vs", "spatially-separable")
    assert "seeds' closed form not shown" in out and "not square (8×6)" in out and "padding" in out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(3, 20), f=st.integers(1, 5), channels=st.integers(1, 6), filters=st.integers(1, 9),
       stride=st.integers(1, 3), padding=st.sampled_from(["valid", "same", 1]))
def test_depthwise_separable_ratio_is_exactly_one_over_n_plus_one_over_f_squared(n, f, channels, filters,
                                                                                 stride, padding):
    if f > n and padding == "valid":
        return
    original = analyze(build_layer("conv2d", (n, n, channels), {"filters": filters, "kernel": f,
                                                                 "stride": stride, "padding": padding}))
    alt = depthwise_separable(original)
    expected = Fraction(1, filters) + Fraction(1, f * f)
    assert alt.mults_ratio == expected == alt.closed_form.value
    assert alt.weights_ratio == expected
    assert alt.analysis.layers[-1].output_shape == original.layers[0].output_shape


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 20), f=st.integers(1, 6), channels=st.integers(1, 4), filters=st.integers(1, 5))
def test_spatially_separable_matches_the_seed_formula(n, f, channels, filters):
    if f > n:
        return
    original = analyze(build_layer("conv2d", (n, n, channels), {"filters": filters, "kernel": f}))
    alt = spatially_separable(original)
    separable, regular = seed_spatial(n, f)
    assert original.totals.mults == regular * channels * filters
    assert alt.analysis.totals.mults == separable * channels * filters
    assert alt.mults_ratio == Fraction(2 * n - f + 1, (n - f + 1) * f) == alt.closed_form.value
    assert alt.analysis.layers[-1].output_shape == original.layers[0].output_shape


# --- other kinds and options ----------------------------------------------------------------------

def test_other_kinds():
    # MobileNet's classifier (GUIDE.md): 1024·1000 MACs, 1,024,000 weights + 1,000 biases.
    fc = layer_json("dense", "--input", "1024", "--units", "1000")["layer"]
    assert (fc["macs"], fc["weights"], fc["biases"]) == (1024 * 1000, 1024 * 1000, 1000)
    # The seeds' Xception: max pooling 3×3, stride 2, padding 1 on 150×150×128 gives 75×75×128.
    pool = layer_json("max_pooling2d", "--input", "150x150x128", "--kernel", "3", "--stride", "2", "--padding", "1")
    assert pool["layer"]["output_shape"] == [75, 75, 128]
    assert pool["layer"]["comparisons"] == 75 * 75 * 128 * (9 - 1)
    # Seed 000: 3-D convolution, (W − f + 1)(H − f + 1)(D − f + 1)·f³ per channel and filter
    conv3d = layer_json("conv3d", "--input", "6x7x8x1", "--filters", "1", "--kernel", "3")["layer"]
    assert conv3d["mults"] == 4 * 5 * 6 * 3 ** 3
    # Seed 000: pointwise, W·H·D multiplications per filter
    pointwise = layer_json("conv2d", "--input", "7x7x3", "--filters", "1", "--kernel", "1")["layer"]
    assert pointwise["mults"] == 7 * 7 * 3
    # per-axis options: a 3×1 kernel with asymmetric padding pairs
    tall = layer_json("conv2d", "--input", "7x7x1", "--filters", "1", "--kernel", "3x1", "--padding", "1:0,0:0")
    assert tall["layer"]["output_shape"] == [6, 7, 1]
    # Keras' 'linear' activation is none: the same single layer
    assert layer_json("dense", "--input", "1024", "--units", "1000", "--activation", "linear")["layer"] == fc


@pytest.mark.parametrize("args, message", [
    (["conv2d", "--input", "7x7x3", "--filters", "8", "--kernel", "3", "--stride", "0"], "--stride: E205"),
    (["conv2d", "--input", "7x7x3", "--kernel", "3"], "--filters: E203 conv2d needs --filters"),
    (["conv2d", "--input", "7x7x3", "--filters", "8", "--kernel", "3", "--units", "4"],
     "--units: E202 conv2d has no option --units"),
    (["conv2d", "--input", "7x7x3", "--filters", "8", "--kernel", "9"], "--kernel: E403"),
    (["conv2d", "--input", "7x7x3", "--filters", "8", "--kernel", "3", "--groups", "2"], "--groups: E405"),
    (["conv2d", "--input", "7by7", "--filters", "8", "--kernel", "3"], "--input: E204"),
    (["conv3d", "--input", "7x7x3", "--filters", "8", "--kernel", "3"], "--input: E404"),
    (["max_pooling2d", "--input", "8x8x3", "--kernel", "3", "--padding", "2"],
     "--padding: E205 max_pooling2d 'max_pooling2d': padding must be at most 1 on each side"),
    (["conv2D", "--input", "7x7x3"], "did you mean 'conv2d'"),
    (["add", "--input", "7x7x3"], "two or more inputs"),
    (["conv2d", "--input", "7x7x3", "--filters", "8", "--kernel", "3", "--activation", "relu"],
     "--activation: E202 conv2d --activation relu adds a layer of its own"),
    (["dense", "--input", "64", "--units", "8", "--vs", "depthwise-separable"], "--vs: E204"),
    (["conv2d", "--input", "7x7x4", "--filters", "8", "--kernel", "3", "--groups", "2",
      "--vs", "spatially-separable"], "groups 1"),
])
def test_bad_options_exit_2_naming_the_option(args, message):
    result = runner.invoke(app, ["layer", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


# --- warnings ----------------------------------------------------------------------------------------

CHANNELS_FIRST = ["conv2d", "--input", "3x224x224", "--filters", "64", "--kernel", "7", "--stride", "2",
                  "--padding", "3"]


def test_a_channels_first_input_is_computed_as_given_with_a_warning():
    result = runner.invoke(app, ["layer", *CHANNELS_FIRST])
    assert result.exit_code == 0
    assert "output shape     2×112×64" in result.stdout  # what was asked: 3 rows of 224 pixels, 224 channels
    assert result.stderr.splitlines() == [
        "--input: W101 input 3×224×224 looks channels-first: convcost reads it as H×W×C, a 3×224 image with "
        "224 channels",
        "    hint: if 3 is the number of channels, put it last: --input 224x224x3"]
    assert "W101" not in result.stdout
    data = json.loads(runner.invoke(app, ["layer", *CHANNELS_FIRST, "--format", "json"]).stdout)  # stdout stays JSON
    assert data["layer"]["output_shape"] == [2, 112, 64]
    silent = runner.invoke(app, ["layer", *CHANNELS_FIRST, "--no-warn"])
    assert silent.exit_code == 0 and silent.stderr == "" and silent.stdout == result.stdout
    volume = runner.invoke(app, ["layer", "conv3d", "--input", "3x16x112x112", "--filters", "8", "--kernel", "3"])
    assert "hint: if 3 is the number of channels, put it last: --input 16x112x112x3" in volume.stderr


def test_channels_last_inputs_give_no_warning():
    for shape in ("224x224x3", "7x7x3", "4x4x3", "3x3x64", "1x1x1024"):
        result = runner.invoke(app, ["layer", "conv2d", "--input", shape, "--filters", "8", "--kernel", "1"])
        assert result.exit_code == 0 and result.stderr == "", shape
    assert build_layer("conv2d", "3x224x224", {"filters": 8, "kernel": 1}).warnings[0].code == "W101"  # the API
    assert analyze(build_layer("conv2d", "3x224x224", {"filters": 8, "kernel": 1})).warnings[0].code == "W101"


# --- --field: any field of any kind ---------------------------------------------------------------

def test_field_reaches_fields_without_an_option_of_their_own():
    # U-Net's 2× bilinear upsampling of 28×28×512 (docs/conventions.md: 3 mults and 6 adds per
    # output element, hand-derived): 56·56·512 = 1,605,632 outputs.
    up = layer_json("upsampling2d", "--input", "28x28x512", "--field", "size=2", "-F", "interpolation=bilinear")
    assert up["layer"]["output_shape"] == [56, 56, 512]
    assert (up["layer"]["mults"], up["layer"]["adds"]) == (4_816_896, 9_633_792)
    # a field with an option of its own may be given either way, with the same result
    assert layer_json("conv2d", "--input", "7x7x3", "-F", "filters=128", "--kernel", "3") == \
        layer_json("conv2d", "--input", "7x7x3", "--filters", "128", "--kernel", "3")


@pytest.mark.parametrize("args, message", [
    (["upsampling2d", "--input", "8x8x3", "--field", "interpolaton=bilinear"],
     "--field interpolaton: E202 upsampling2d has no option --field interpolaton\n"
     "    hint: did you mean --field interpolation?"),
    (["upsampling2d", "--input", "8x8x3", "--size", "2", "--field", "size=3"],
     "--field size: E202 field 'size' is given twice"),
    (["upsampling2d", "--input", "8x8x3", "--field", "size"],
     "--field size: E204 --field takes NAME=VALUE, got 'size'"),
    (["upsampling2d", "--input", "8x8x3", "--field", "interpolation=cubic"],
     "--field interpolation: E205 upsampling2d interpolation must be one of nearest, bilinear; got 'cubic'"),
    (["depth_to_space", "--input", "8x8x8", "--field", "block_size=3"], "--field block_size: E420"),
    (["depth_to_space", "--input", "8x8x8"], "--field block_size: E203 depth_to_space needs --field block_size"),
])
def test_bad_fields_exit_2_naming_the_field(args, message):
    result = runner.invoke(app, ["layer", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_own_options_are_the_commands_field_options():
    import typer.main

    from convcost.single_layer import OWN_OPTIONS, option_name

    command = typer.main.get_command(app).commands["layer"]  # type: ignore[attr-defined]
    spelled = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
    not_fields = {"--input", "--field", "--vs", "--format", "--no-warn", "--debug", "--help"}
    assert spelled - not_fields == {option_name(field) for field in OWN_OPTIONS}
