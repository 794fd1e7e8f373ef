"""Issue 13 groundwork: the kinds and fields the Keras and ONNX importers need — batch_norm's and
layer_norm's ``center`` and ``scale``, rescaling, normalization, clip and slice.

Rules against hand-derived examples (derivations in docs/conventions.md, "Imported Keras and ONNX
models"; parameter figures as Keras 3's ``count_params()`` gives them for the same layers),
kernels against nested-loop oracles written here with ``math``, verify agreeing on a spec that
uses every one of them, and what the new fields change (and do not change) in existing reports.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

import convcost
from convcost.cli import app
from convcost.layers import KINDS
from convcost.layers.slicing import slice_length
from convcost.reference import ReferenceNetwork

from cli_runner import runner


def cost(kind: str, shape, fields: str = ""):
    """The rule's Cost of one layer on ``shape``, its fields written as in a spec."""
    text = f"input: {list(shape)}\nlayers:\n  - {{kind: {kind}{', ' + fields if fields else ''}}}\n"
    node = convcost.loads(text).build().nodes[0]
    layer = KINDS[kind]
    out = layer.output_shape(node.attrs, (tuple(shape),))
    return layer.cost(node.attrs, (tuple(shape),), out)


# --- rules against worked examples ------------------------------------------------------------

def test_batch_norm_without_gamma_inception_v3():
    # InceptionV3's first batch norm: conv 3×3 stride 2 valid on 299 -> 149×149×32, scale=False.
    # Hand-derived: 149·149·32 = 710,432 elements, 1 mult and 1 add each (the folded factor
    # 1/sqrt(var + eps) and shift −mean·factor are still not 1 and 0); beta 32 trainable, moving
    # mean and variance 64 non-trainable: 96 in all, Keras 3's count_params() of
    # BatchNormalization(scale=False) on 32 channels.
    c = cost("batch_norm", (149, 149, 32), "scale: false")
    assert (c.mults, c.adds, c.effective_mults) == (710_432, 710_432, 710_432)
    assert (c.trainable_params, c.non_trainable_params, c.params) == (32, 64, 96)
    assert cost("batch_norm", (149, 149, 32), "center: false").bn_trainable == 32  # gamma only
    neither = cost("batch_norm", (149, 149, 32), "center: false, scale: false")
    assert (neither.mults, neither.adds, neither.trainable_params, neither.params) == (710_432, 710_432, 0, 64)


def test_batch_norm_defaults_are_unchanged():
    default = cost("batch_norm", (7, 7, 64))
    assert default == cost("batch_norm", (7, 7, 64), "center: true, scale: true")
    assert (default.mults, default.adds, default.bn_trainable, default.bn_non_trainable) == (3136, 3136, 128, 128)


def test_layer_norm_center_and_scale():
    # 7×7×512, 49 groups of n = 512 (docs/conventions.md): 2n mults, 4n − 1 adds per group with
    # gamma and beta; no gamma drops n mults, no beta n adds, and n parameters each. Keras 3's
    # LayerNormalization(scale=False) on 512 channels: 512 parameters.
    full = cost("layer_norm", (7, 7, 512))
    assert (full.mults, full.adds, full.affine) == (50_176, 100_303, 1024)
    no_gamma = cost("layer_norm", (7, 7, 512), "scale: false")
    assert (no_gamma.mults, no_gamma.adds, no_gamma.affine) == (25_088, 100_303, 512)
    no_beta = cost("layer_norm", (7, 7, 512), "center: false")
    assert (no_beta.mults, no_beta.adds, no_beta.affine) == (50_176, 75_215, 512)
    neither = cost("layer_norm", (7, 7, 512), "center: false, scale: false")
    assert (neither.mults, neither.adds, neither.affine, neither.params) == (25_088, 75_215, 0, 0)
    assert neither.divisions == full.divisions == 25_186 and neither.special_functions == 49


def test_rescaling_counts_only_what_is_not_the_identity():
    # EfficientNetB0's Rescaling(1/255) on 224×224×3: 150,528 mults, no adds.
    c = cost("rescaling", (224, 224, 3), "scale: 1/255")
    assert (c.mults, c.effective_mults, c.adds, c.params) == (150_528, 150_528, 0, 0)
    # MobileNetV3's hard sigmoid x + 3 (keras.ops Add with a constant) on 112×112×16: 200,704 adds.
    assert (cost("rescaling", (112, 112, 16), "offset: 3").adds, cost("rescaling", (112, 112, 16), "offset: 3").mults) \
        == (200_704, 0)
    both = cost("rescaling", (4, 4, 3), "scale: [1, 2, 1], offset: [0, 0, 0.5]")
    assert (both.mults, both.adds) == (48, 48)  # one channel not 1, one offset not 0: every element
    assert cost("rescaling", (4, 4, 3), "scale: [1, 1, 1], offset: [0, 0, 0]").flops == 0
    assert cost("rescaling", (4, 4, 3), "scale: 1.0, offset: 0.0").flops == 0  # exactly 1 and 0
    assert cost("rescaling", (4, 4, 3), "scale: 1.0000001").mults == 48


def test_normalization_efficientnet():
    # EfficientNetB0's Normalization(axis=-1) on 224×224×3: (x − mean) / max(sqrt(var), eps) is
    # 1 add and 1 division per element, the per-channel denominator prepared once (not counted);
    # mean 3 + variance 3 + count 1 = 7 non-trainable parameters, Keras 3's count_params() for a
    # Normalization built without mean= and variance= (EfficientNetB0's 5,330,571 includes them).
    c = cost("normalization", (224, 224, 3))
    assert (c.adds, c.divisions, c.mults, c.special_functions, c.comparisons) == (150_528, 150_528, 0, 0, 0)
    assert (c.params, c.non_trainable_params, c.trainable_params) == (7, 7, 0)
    # Normalization(mean=..., variance=...): Keras keeps the constants, no weights (count_params() 0)
    assert cost("normalization", (224, 224, 3), "stored: false").params == 0
    assert cost("normalization", (5, 7, 3), "axis: 1").params == 2 * 7 + 1


def test_clip_one_comparison_per_bound():
    e = 112 * 112 * 32  # 401,408
    assert cost("clip", (112, 112, 32), "min: 0, max: 6").comparisons == 2 * e == \
        cost("relu6", (112, 112, 32)).comparisons
    assert cost("clip", (112, 112, 32), "max: 6").comparisons == e
    assert cost("clip", (112, 112, 32), "min: -1, max: null").comparisons == e
    assert cost("clip", (112, 112, 32)).flops == 0


@pytest.mark.parametrize("n, start, stop, step, length", [
    (64, 0, 16, 1, 16), (64, 16, None, 1, 48),  # ONNX Split(split=[16, 48]) on 64 channels
    (10, -3, None, 1, 3), (10, 1, 100, 3, 3), (10, -100, 2, 1, 2), (10, 0, -1, 4, 3), (10, 5, 5, 1, 0),
])
def test_slice_length_is_pythons(n, start, stop, step, length):
    assert slice_length(n, start, stop, step) == length == len(list(range(n))[start:stop:step])


def test_slice_shape_and_counts():
    c = cost("slice", (8, 8, 64), "start: 16")
    assert c.flops == 0 and c.params == 0
    graph = convcost.loads("input: [8, 6, 64]\nlayers:\n  - {kind: slice, axis: 0, start: -5, step: 2}\n").build()
    assert convcost.analyze(graph).layers[0].output_shape == (3, 6, 64)


def test_kinds_text_lists_the_new_fields():
    for kind, fields in (("batch_norm", ("center", "scale")), ("layer_norm", ("center", "scale")),
                         ("rescaling", ("scale", "offset")), ("normalization", ("axis", "stored")),
                         ("clip", ("min", "max")), ("slice", ("axis", "start", "stop", "step"))):
        result = runner.invoke(app, ["kinds", kind])
        assert result.exit_code == 0
        for field in fields:
            assert f"  {field}: " in result.stdout, (kind, field)
    listed = runner.invoke(app, ["kinds"]).stdout
    assert all(f"\n{kind} " in listed for kind in ("rescaling", "normalization", "clip", "slice"))


# --- the new fields leave existing reports as they were -------------------------------------------

def test_existing_batch_norm_json_is_unchanged():
    # A spec without the new fields and one writing their defaults give the same report, byte for byte.
    plain = "name: n\ninput: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 3}\n  - batch_norm\n" \
            "  - layer_norm\n"
    written = plain.replace("  - batch_norm\n", "  - {kind: batch_norm, center: true, scale: true}\n") \
                   .replace("  - layer_norm\n", "  - {kind: layer_norm, center: true, scale: true}\n")
    reports = [convcost.analyze(convcost.loads(text).build()).to_dict() for text in (plain, written)]
    assert json.dumps(reports[0]) == json.dumps(reports[1])
    layer = reports[0]["layers"][1]
    assert layer["description"] == "" and layer["params"] == 4 * 4  # 4 channels: gamma, beta, mean, variance


# --- kernels against nested-loop oracles ------------------------------------------------------

def run_layer(layer: str, shape, seed: int = 3):
    text = f"input: {list(shape)}\nlayers:\n  - {layer}\n"
    net = ReferenceNetwork(convcost.loads(text).build(), batch=2, dtype="float64", seed=seed)
    return net, net.forward(keep=True)


def each(x):
    return itertools.product(*[range(m) for m in x.shape])


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def agrees(net, run, name: str = "L"):
    analytic = convcost.analyze(net.graph, batch=2).layer(name).cost
    ops = run.layer(name).ops
    for field in ("mults", "adds", "comparisons", "divisions", "exponentials", "special_functions",
                  "effective_mults"):
        assert getattr(ops, field) == getattr(analytic, field), field
    params = run.layer(name).params
    assert params["bn_trainable"] == analytic.bn_trainable and params["affine"] == analytic.affine
    assert params["bn_non_trainable"] == analytic.bn_non_trainable


@pytest.mark.parametrize("fields", ["center: false", "scale: false", "center: false, scale: false"])
def test_batch_norm_without_gamma_or_beta_against_the_unfolded_formula(fields):
    net, run = run_layer(f"{{kind: batch_norm, name: L, {fields}}}", (3, 4, 5))
    p, x = net.parameters["L"], net.input
    assert ("gamma" in p) == ("scale: false" not in fields) and ("beta" in p) == ("center: false" not in fields)
    expected = np.zeros_like(x)
    for idx in each(x):
        c = idx[-1]
        z = (x[idx] - p["moving_mean"][c]) / math.sqrt(p["moving_variance"][c] + 1e-3)
        expected[idx] = z * (p["gamma"][c] if "gamma" in p else 1.0) + (p["beta"][c] if "beta" in p else 0.0)
    close(run.outputs["L"], expected)
    assert run.layer("L").ops.mults == run.layer("L").ops.adds == x.size  # the fold is computed all the same
    agrees(net, run)


@pytest.mark.parametrize("fields", ["center: false", "scale: false", "center: false, scale: false",
                                    "axis: 0, scale: false"])
def test_layer_norm_center_scale_against_loops(fields):
    net, run = run_layer(f"{{kind: layer_norm, name: L, {fields}}}", (3, 4, 5))
    p, x = net.parameters["L"], net.input
    along = 1 if "axis: 0" in fields else -1  # the array axis normalized (after the batch)
    groups: dict = {}
    for idx in each(x):
        key = idx[:1] + idx[2:] if along == 1 else idx[:-1]
        groups.setdefault(key, []).append(float(x[idx]))
    expected = np.zeros_like(x)
    for idx in each(x):
        values = groups[idx[:1] + idx[2:] if along == 1 else idx[:-1]]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        z = (x[idx] - mean) / math.sqrt(var + 1e-5)
        c = idx[along]
        expected[idx] = z * (p["gamma"][c] if "gamma" in p else 1.0) + (p["beta"][c] if "beta" in p else 0.0)
    close(run.outputs["L"], expected)
    agrees(net, run)


@pytest.mark.parametrize("fields, scale, offset", [
    ("scale: 1/255", [1 / 255] * 3, [0.0] * 3),
    ("offset: 3", [1.0] * 3, [3.0] * 3),
    ("scale: [0.5, 2, -1], offset: [1, 0, -0.25]", [0.5, 2.0, -1.0], [1.0, 0.0, -0.25]),
    ("scale: [1, 1, 1], offset: 0", [1.0] * 3, [0.0] * 3),
])
def test_rescaling_against_loops(fields, scale, offset):
    net, run = run_layer(f"{{kind: rescaling, name: L, {fields}}}", (3, 4, 3))
    x = net.input
    expected = np.zeros_like(x)
    for idx in each(x):
        expected[idx] = x[idx] * scale[idx[-1]] + offset[idx[-1]]
    close(run.outputs["L"], expected)
    ops = run.layer("L").ops
    assert ops.mults == (x.size if any(s != 1 for s in scale) else 0)
    assert ops.adds == (x.size if any(o != 0 for o in offset) else 0)
    assert run.outputs["L"] is not x or ops.flops == 0  # the input is never overwritten
    agrees(net, run)


@pytest.mark.parametrize("fields, along", [("", -1), ("axis: 1", 2)])
def test_normalization_against_loops(fields, along):
    net, run = run_layer("{kind: normalization, name: L" + (f", {fields}" if fields else "") + "}", (3, 4, 5))
    p, x = net.parameters["L"], net.input
    assert p["count"].shape == () and p["mean"].shape == p["variance"].shape == (x.shape[along],)
    expected = np.zeros_like(x)
    for idx in each(x):
        c = idx[along]
        expected[idx] = (x[idx] - p["mean"][c]) / max(math.sqrt(p["variance"][c]), 1e-7)
    close(run.outputs["L"], expected)
    assert run.layer("L").params["bn_non_trainable"] == 2 * x.shape[along] + 1
    agrees(net, run)


def test_normalization_with_constants_has_no_parameters():
    net, run = run_layer("{kind: normalization, name: L, stored: false}", (3, 4, 5))
    assert net.parameters.get("L", {}) == {} and sum(run.layer("L").params.values()) == 0
    agrees(net, run)


@pytest.mark.parametrize("fields, low, high", [
    ("min: 0, max: 0.5", 0.0, 0.5), ("max: 0.25", None, 0.25), ("min: -0.5", -0.5, None), ("", None, None),
])
def test_clip_against_loops(fields, low, high):
    net, run = run_layer("{kind: clip, name: L" + (f", {fields}" if fields else "") + "}", (3, 4, 5))
    x = net.input
    expected = np.zeros_like(x)
    for idx in each(x):
        v = float(x[idx])
        v = v if low is None else max(v, low)
        expected[idx] = v if high is None else min(v, high)
    close(run.outputs["L"], expected)
    assert run.layer("L").ops.comparisons == x.size * ((low is not None) + (high is not None))
    agrees(net, run)


@pytest.mark.parametrize("fields, axis, start, stop, step", [
    ("start: 1, stop: 4", -1, 1, 4, 1),
    ("axis: 0, start: -2", 0, -2, None, 1),
    ("axis: 1, start: 0, stop: 100, step: 3", 1, 0, 100, 3),
    ("start: -100, stop: -1, step: 2", -1, -100, -1, 2),
])
def test_slice_against_python_lists(fields, axis, start, stop, step):
    net, run = run_layer(f"{{kind: slice, name: L, {fields}}}", (3, 4, 5))
    x = net.input
    array_axis = axis % 3 + 1
    kept = list(range(x.shape[array_axis]))[start:stop:step]
    out = run.outputs["L"]
    assert out.shape[array_axis] == len(kept)
    for idx in each(out):
        source = list(idx)
        source[array_axis] = kept[idx[array_axis]]
        assert out[idx] == x[tuple(source)]
    assert run.layer("L").ops.flops == 0
    agrees(net, run)


# --- verify and the command line ----------------------------------------------------------------

EVERY_FIELD = """\
name: issue13
input: [6, 5, 3]
layers:
  - {kind: rescaling, name: r1, scale: 1/255}
  - {kind: normalization, name: nz}
  - {kind: rescaling, name: r2, scale: [2.0897, 2.1129, 2.1082]}
  - {kind: conv2d, name: c, filters: 4, kernel: 3, padding: same, bias: false}
  - {kind: batch_norm, name: bn, scale: false}
  - {kind: rescaling, name: hs_add, offset: 3}
  - {kind: clip, name: hs_clip, min: 0, max: 6}
  - {kind: rescaling, name: hs_div, scale: 1/6}
  - {kind: slice, name: left, start: 0, stop: 1}
  - {kind: slice, name: right, inputs: hs_div, start: 1}
  - {kind: layer_norm, name: ln, inputs: right, center: false}
  - {kind: normalization, name: nz2, inputs: left, stored: false}
"""


def test_verify_agrees_on_every_new_kind_and_field(tmp_path):
    spec = tmp_path / "issue13.yaml"
    spec.write_text(EVERY_FIELD)
    result = runner.invoke(app, ["verify", str(spec), "--format", "json", "--batch", "2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"]
    totals = data["totals"]
    # normalization 2·3 + 1, batch norm's moving mean and variance 2·4 (no gamma: beta 4 trainable)
    assert totals["bn_non_trainable"]["analytic"] == totals["bn_non_trainable"]["measured"] == 7 + 8
    assert totals["bn_trainable"]["measured"] == 4 and totals["affine"]["measured"] == 3  # ln: gamma of 3


def test_report_describes_the_new_kinds(tmp_path):
    spec = tmp_path / "issue13.yaml"
    spec.write_text(EVERY_FIELD)
    result = runner.invoke(app, ["report", str(spec), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    described = {layer["name"]: layer["description"] for layer in json.loads(result.stdout)["layers"]}
    assert described["bn"] == "no gamma" and described["ln"] == "no beta"
    assert described["hs_clip"] == "[0, 6]" and described["right"] == "[1:]"
    assert described["hs_add"] == "+ 3" and described["r1"] == "× 0.00392157"


def test_explain_shows_what_the_new_kinds_compute(tmp_path):
    from convcost.explain import explain

    analysis = convcost.analyze(convcost.loads(EVERY_FIELD).build())
    assert "  mults = 90 = 1 per element" in explain(analysis, "r1")  # 6·5·3 elements
    normalization = explain(analysis, "nz")
    assert "  divisions = 90 = 1 per element" in normalization
    assert "parameters: 7 non-trainable (mean and variance per channel, and a count)" in normalization
    assert "  comparisons = 240 = 2 per element" in explain(analysis, "hs_clip")  # 6·5·4 elements
    assert explain(analysis, "bn")[-1].startswith("parameters: beta (trainable) and moving mean, variance")


def test_layer_calculator_takes_the_new_fields():
    result = runner.invoke(app, ["layer", "clip", "--input", "8x8x3", "--field", "min=null", "--field", "max=6",
                                 "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["layer"]["comparisons"] == 192
    result = runner.invoke(app, ["layer", "rescaling", "--input", "8x8x3", "--field", "scale=0.5,1,2",
                                 "--format", "json"])
    assert result.exit_code == 0, result.stderr
    layer = json.loads(result.stdout)["layer"]
    assert (layer["mults"], layer["adds"]) == (192, 0)
