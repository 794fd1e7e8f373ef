"""Resizing and structure kinds (issue 12): upsampling2d, depth_to_space, space_to_depth,
cropping2d/3d, reshape, channel_shuffle and split. Rules against worked examples, kernels against
nested-loop oracles (and PyTorch where it imports), verify on small U-Net and ShuffleNetV2 specs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import convcost
from convcost.cli import app
from convcost.layers import KINDS, Cost
from convcost.layers.resize import UpsamplingAttrs
from convcost.layers.structure import reshape_output
from convcost.reference import ReferenceNetwork
from convcost.reference.kernels.resize import linear_taps, nearest_index

from cli_runner import runner


def run_layer(layer: str, input_shape, *, batch: int = 2, before: str = ""):
    text = f"input: {list(input_shape)}\nlayers:\n{before}  - {layer}\n"
    net = ReferenceNetwork(convcost.loads(text).build(), batch=batch, dtype="float64", seed=0)
    return net, net.forward(keep=True)


def analyzed(text: str):
    return convcost.analyze(convcost.loads(text))


# --- rules: worked examples -----------------------------------------------------------------------

def test_bilinear_upsampling_counts_the_unet_decoder_example():
    """Hand-derived: 2× bilinear from 28×28×512 to 56×56×512 is 56·56·512 = 1,605,632 outputs, each
    3 lerps a + t·(b − a): 3 mults and 6 adds (docs/conventions.md)."""
    attrs = UpsamplingAttrs((2, 2), None, "bilinear", False)
    kind = KINDS["upsampling2d"]
    out = kind.output_shape(attrs, ((28, 28, 512),))
    assert out == (56, 56, 512)
    cost = kind.cost(attrs, ((28, 28, 512),), out)
    assert cost == Cost(mults=4_816_896, adds=9_633_792, effective_mults=4_816_896)
    assert cost.flops == 14_450_688 == 9 * 1_605_632
    nearest = attrs._replace(interpolation="nearest")
    assert kind.cost(nearest, ((28, 28, 512),), out) == Cost()
    assert kind.output_shape(UpsamplingAttrs(None, (30, 17), "bilinear", True), ((7, 5, 3),)) == (30, 17, 3)
    assert kind.output_shape(UpsamplingAttrs((2, 3), None, "nearest", False), ((7, 5, 3),)) == (14, 15, 3)


def test_unet_crop_and_concat_sizes():
    """U-Net (Ronneberger, Fischer, Brox 2015, Fig. 1): the 568×568×64 map of the first level is
    cropped to the 392×392 of the decoder (88 per side) and concatenated with its 64 channels."""
    result = analyzed("""
input: [568, 568, 64]
layers:
  - {kind: cropping2d, name: crop, cropping: 88}
  - {kind: conv2d, name: decoder, inputs: input, filters: 64, kernel: 177}
  - {kind: concat, name: joined, inputs: [crop, decoder]}
""")
    assert result.layer("crop").output_shape == (392, 392, 64)
    assert result.layer("joined").output_shape == (392, 392, 128)
    assert result.layer("crop").cost == Cost()
    crops = {"[[1, 2], [3, 0]]": (5, 5, 2), "[2, 1]": (4, 6, 2)}
    for cropping, shape in crops.items():
        assert analyzed(f"input: [8, 8, 2]\nlayers:\n  - {{kind: cropping2d, cropping: {cropping}}}\n"
                        ).layers[0].output_shape == shape
    assert analyzed("input: [4, 5, 6, 2]\nlayers:\n  - {kind: cropping3d, cropping: [[1, 0], [1, 1], [0, 2]]}\n"
                    ).layers[0].output_shape == (3, 3, 4, 2)


def test_shufflenet_v2_unit_shapes():
    """ShuffleNet V2 1× (Ma et al. 2018, Table 5): stage 2 has 116 channels; its basic unit splits
    them into two halves of 58 (x1, x2 = x.chunk(2)), transforms one, concatenates and shuffles
    with 2 groups."""
    result = analyzed(SHUFFLENET_V2_UNIT)
    assert result.layer("x1").output_shape == result.layer("x2").output_shape == (28, 28, 58)
    assert result.layer("shuffle").output_shape == (28, 28, 116)
    for name in ("x1", "x2", "joined", "shuffle"):
        assert result.layer(name).cost == Cost()


def test_reshape_and_block_rules():
    assert reshape_output((-1, 16), (7, 7, 16)) == (49, 16)
    assert reshape_output((8, 8), (4, 4, 4)) == (8, 8)
    assert reshape_output((2, -1, 1), (3, 4)) == (2, 6, 1)
    d2s, s2d = KINDS["depth_to_space"], KINDS["space_to_depth"]
    attrs = d2s.make_attrs({"block_size": 2})
    assert d2s.output_shape(attrs, ((7, 7, 64),)) == (14, 14, 16)
    assert s2d.output_shape(attrs, ((14, 14, 16),)) == (7, 7, 64)
    assert d2s.cost(attrs, ((7, 7, 64),), (14, 14, 16)) == Cost()


# --- kernels against oracles ----------------------------------------------------------------------

def oracle_resize(x, out_h, out_w, how, align_corners=False):
    """Nested loops: each output pixel from the source position, as PyTorch's upsample kernels
    write it (area_pixel_compute_source_index), bilinear as the 4-term weighted sum."""
    n, h, w, c = x.shape
    y = np.zeros((n, out_h, out_w, c))

    def source(o, n_in, n_out):
        if align_corners:
            return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((o + 0.5) * n_in / n_out - 0.5, 0.0)

    for b, i, j, k in itertools.product(range(n), range(out_h), range(out_w), range(c)):
        if how == "nearest":
            y[b, i, j, k] = x[b, min(int((i + 0.5) * h / out_h), h - 1), min(int((j + 0.5) * w / out_w), w - 1), k]
            continue
        sy, sx = source(i, h, out_h), source(j, w, out_w)
        y0, x0 = int(math.floor(sy)), int(math.floor(sx))
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = sy - y0, sx - x0
        y[b, i, j, k] = ((1 - ly) * (1 - lx) * x[b, y0, x0, k] + (1 - ly) * lx * x[b, y0, x1, k]
                         + ly * (1 - lx) * x[b, y1, x0, k] + ly * lx * x[b, y1, x1, k])
    return y


UPSAMPLINGS = [("size: 2", (3, 4, 2), (6, 8)), ("size: [3, 2]", (2, 3, 1), (6, 6)),
               ("target: [7, 5]", (3, 4, 2), (7, 5)), ("target: [2, 3]", (5, 7, 1), (2, 3)),
               ("target: [1, 4]", (3, 2, 1), (1, 4))]


@pytest.mark.parametrize("how", ["nearest", "bilinear", "bilinear_corners"])
@pytest.mark.parametrize("field, shape, out", UPSAMPLINGS)
def test_upsampling_against_loops(how, field, shape, out):
    corners = how == "bilinear_corners"
    interpolation = "nearest" if how == "nearest" else "bilinear"
    layer = (f"{{kind: upsampling2d, name: L, {field}, interpolation: {interpolation}, "
             f"align_corners: {str(corners).lower()}}}")
    net, run = run_layer(layer, shape)
    expected = oracle_resize(net.input, *out, interpolation, corners)
    np.testing.assert_allclose(run.outputs["L"], expected, rtol=1e-12, atol=1e-12)
    ops = run.layer("L").ops
    outputs = expected.size  # the whole batch
    if interpolation == "nearest":
        assert ops.flops == 0
    else:
        assert (ops.mults, ops.adds, ops.effective_mults, ops.flops) == (3 * outputs, 6 * outputs, 3 * outputs,
                                                                         9 * outputs)


def test_interpolation_taps_by_hand():
    """[1, 2] resized to 4 with half-pixel centres is [1, 1.25, 1.75, 2] (PyTorch's
    interpolate(mode='linear', align_corners=False) and tf.image.resize give the same)."""
    lower, upper, t = linear_taps(2, 4, False)
    assert list(lower) == [0, 0, 0, 1] and list(upper) == [1, 1, 1, 1] and list(t) == [0, 0.25, 0.75, 0.25]
    values = np.array([1.0, 2.0])
    assert list(values[lower] + t * (values[upper] - values[lower])) == [1, 1.25, 1.75, 2]
    assert list(nearest_index(2, 4)) == [0, 0, 1, 1] and list(nearest_index(3, 9)) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    lower, upper, t = linear_taps(3, 5, True)  # align_corners: 0, 0.5, 1, 1.5, 2
    assert list(lower) == [0, 0, 1, 1, 2] and list(t) == [0, 0.5, 0, 0.5, 0]


@pytest.mark.interop  # PyTorch: the interop run installs it (README)
@pytest.mark.parametrize("field, shape, out", UPSAMPLINGS)
@pytest.mark.parametrize("how", ["nearest", "bilinear", "bilinear_corners"])
def test_upsampling_against_pytorch(how, field, shape, out):
    torch = pytest.importorskip("torch")
    corners = how == "bilinear_corners"
    interpolation = "nearest" if how == "nearest" else "bilinear"
    net, run = run_layer(f"{{kind: upsampling2d, name: L, {field}, interpolation: {interpolation}, "
                         f"align_corners: {str(corners).lower()}}}", shape)
    x = torch.from_numpy(net.input.transpose(0, 3, 1, 2).copy())
    options = {"mode": "nearest-exact"} if how == "nearest" else {"mode": "bilinear", "align_corners": corners}
    expected = torch.nn.functional.interpolate(x, size=out, **options).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(run.outputs["L"], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("b, shape", [(2, (2, 3, 8)), (3, (1, 2, 18)), (2, (3, 1, 4))])
def test_depth_to_space_and_back_against_loops(b, shape):
    net, run = run_layer(f"{{kind: depth_to_space, name: L, block_size: {b}}}", shape)
    x, y = net.input, run.outputs["L"]
    n, h, w, c = x.shape
    c_out = c // (b * b)
    assert y.shape == (n, h * b, w * b, c_out)
    for bn, i, j, k in itertools.product(range(n), range(h * b), range(w * b), range(c_out)):
        # TensorFlow: out[h·b + i, w·b + j, c] = in[h, w, (i·b + j)·C_out + c]
        assert y[bn, i, j, k] == x[bn, i // b, j // b, ((i % b) * b + j % b) * c_out + k]
    assert run.layer("L").ops.flops == 0
    # PyTorch's pixel_shuffle reads in[c·b² + i·b + j] instead: the same output after permuting channels
    torch_order = [k * b * b + q for q in range(b * b) for k in range(c_out)]  # TF channel -> torch channel
    shuffled = np.zeros_like(y)
    xt = x[..., np.argsort(torch_order)]  # x in torch's channel order, read back as TF order
    for bn, i, j, k in itertools.product(range(n), range(h * b), range(w * b), range(c_out)):
        shuffled[bn, i, j, k] = xt[bn, i // b, j // b, k * b * b + (i % b) * b + j % b]  # pixel_shuffle
    np.testing.assert_array_equal(shuffled, y)

    back = f"  - {{kind: depth_to_space, name: up, block_size: {b}}}\n"
    net2, run2 = run_layer(f"{{kind: space_to_depth, name: L, block_size: {b}}}", shape, before=back)
    np.testing.assert_array_equal(run2.outputs["L"], net2.input)  # the exact inverse
    up = run2.outputs["up"]
    z = run2.outputs["L"]
    for bn, i, j, q in itertools.product(range(n), range(h), range(w), range(c)):
        block, k = divmod(q, c // (b * b))
        assert z[bn, i, j, q] == up[bn, i * b + block // b, j * b + block % b, k]


@pytest.mark.interop  # PyTorch: the interop run installs it (README)
def test_depth_to_space_against_pytorch_pixel_shuffle():
    torch = pytest.importorskip("torch")
    b, c_out = 2, 3
    net, run = run_layer(f"{{kind: depth_to_space, name: L, block_size: {b}}}", (2, 3, b * b * c_out))
    x = torch.from_numpy(net.input.transpose(0, 3, 1, 2).copy())
    # TF channel (i·b + j)·C_out + c is torch channel c·b² + i·b + j
    order = [k * b * b + q for q in range(b * b) for k in range(c_out)]
    torch_x = torch.empty_like(x)
    torch_x[:, order] = x
    expected = torch.nn.functional.pixel_shuffle(torch_x, b).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(run.outputs["L"], expected)


@pytest.mark.parametrize("kind, shape, cropping", [("cropping2d", (5, 6, 2), [[1, 2], [0, 3]]),
                                                    ("cropping2d", (4, 4, 1), 1),
                                                    ("cropping3d", (3, 4, 5, 2), [[1, 0], [0, 2], [1, 1]])])
def test_cropping_against_loops(kind, shape, cropping):
    net, run = run_layer(f"{{kind: {kind}, name: L, cropping: {cropping}}}", shape)
    x, y = net.input, run.outputs["L"]
    pairs = [(c, c) if isinstance(c, int) else tuple(c)
             for c in (cropping if isinstance(cropping, list) else [cropping] * (len(shape) - 1))]
    assert y.shape == (x.shape[0], *(n - b - e for n, (b, e) in zip(shape[:-1], pairs)), shape[-1])
    for idx in itertools.product(*map(range, y.shape)):
        source = (idx[0], *(i + b for i, (b, _) in zip(idx[1:-1], pairs)), idx[-1])
        assert y[idx] == x[source]
    assert run.layer("L").ops.flops == 0


def test_reshape_channel_shuffle_and_split_against_loops():
    net, run = run_layer("{kind: reshape, name: L, shape: [3, -1]}", (2, 3, 4))
    x, y = net.input, run.outputs["L"]
    assert y.shape == (2, 3, 8)
    flat = [x[(b, *idx)] for b in range(2) for idx in itertools.product(range(2), range(3), range(4))]
    assert list(y.reshape(-1)) == flat  # row-major, as np.reshape and Keras' Reshape

    g = 3
    net, run = run_layer(f"{{kind: channel_shuffle, name: L, groups: {g}}}", (2, 2, 12))
    x, y = net.input, run.outputs["L"]
    per = 12 // g
    for idx in itertools.product(range(2), range(2), range(2)):
        for i in range(g):
            for j in range(per):  # ShuffleNet: channel j of group i goes to position j·g + i
                assert y[(*idx, j * g + i)] == x[(*idx, i * per + j)]
    assert run.layer("L").ops.flops == 0

    for part in range(3):
        net, run = run_layer(f"{{kind: split, name: L, parts: 3, part: {part}, axis: 0}}", (6, 2, 4))
        x, y = net.input, run.outputs["L"]
        for b, i, j, k in itertools.product(range(2), range(2), range(2), range(4)):
            assert y[b, i, j, k] == x[b, part * 2 + i, j, k]
    net, run = run_layer("{kind: split, name: L, parts: 2, part: 1}", (2, 2, 6))
    np.testing.assert_array_equal(run.outputs["L"], net.input[..., 3:])


# --- verify, kinds, explain -------------------------------------------------------------------------

SHUFFLENET_V2_UNIT = """\
name: shufflenet v2 basic unit
input: [28, 28, 116]
layers:
  - {kind: split, name: x1, parts: 2, part: 0}
  - {kind: split, name: x2, inputs: input, parts: 2, part: 1}
  - {kind: conv2d, name: pw1, filters: 58, kernel: 1, bias: false}
  - {kind: depthwise_conv2d, name: dw, kernel: 3, padding: same, bias: false}
  - {kind: conv2d, name: pw2, filters: 58, kernel: 1, bias: false}
  - {kind: concat, name: joined, inputs: [x1, pw2]}
  - {kind: channel_shuffle, name: shuffle, groups: 2}
"""

UNET_DECODER = """\
name: u-net decoder step
input: [20, 20, 4]
layers:
  - {kind: conv2d, name: skip, filters: 8, kernel: 3}
  - {kind: max_pooling2d, name: down, kernel: 2}
  - {kind: conv2d, name: bottom, filters: 16, kernel: 3}
  - {kind: upsampling2d, name: up, size: 2, interpolation: bilinear}
  - {kind: cropping2d, name: crop, inputs: skip, cropping: [[2, 2], [3, 1]]}
  - {kind: concat, name: joined, inputs: [crop, up]}
  - {kind: space_to_depth, name: s2d, block_size: 2}
  - {kind: depth_to_space, name: d2s, block_size: 2}
  - {kind: upsampling2d, name: resize, target: [11, 13], interpolation: bilinear, align_corners: true}
  - {kind: upsampling2d, name: near, target: [15, 9]}
  - {kind: reshape, name: rows, shape: [-1, 24]}
"""


@pytest.mark.parametrize("text", [SHUFFLENET_V2_UNIT, UNET_DECODER], ids=["shufflenet_v2", "unet"])
def test_verify_agrees(tmp_path, text):
    path = tmp_path / "net.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["verify", str(path), "--batch", "2"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "✓ all" in result.stdout and "≠" not in result.stdout
    assert analyzed(text).layers[-1].output_shape == ((135, 24) if "u-net" in text else (28, 28, 116))
    bilinear = analyzed(UNET_DECODER)
    assert bilinear.layer("up").cost.mults == 3 * 14 * 14 * 16
    assert bilinear.layer("resize").cost.adds == 6 * 11 * 13 * 24


@pytest.mark.parametrize("kind", ["upsampling2d", "depth_to_space", "space_to_depth", "cropping2d", "cropping3d",
                                  "reshape", "channel_shuffle", "split"])
def test_kinds_text_lists_the_fields(kind):
    result = runner.invoke(app, ["kinds", kind])
    assert result.exit_code == 0
    for field in KINDS[kind].fields:
        assert f"  {field}: " in result.stdout
    assert kind in runner.invoke(app, ["kinds"]).stdout


def test_explain_bilinear_substitutes_the_counts(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(UNET_DECODER)
    result = runner.invoke(app, ["explain", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert "mults = 3·outputs = 3·14·14·16 = 9,408" in result.stdout
    assert "no arithmetic" in runner.invoke(app, ["explain", str(path), "near"]).stdout


@pytest.mark.parametrize("body, code", [
    ("{kind: reshape, shape: 16}", "E204"), ("{kind: reshape, shape: [0, -1]}", "E205"),
    ("{kind: reshape, shape: [1, 1, 1, 1, -1]}", "E204"), ("{kind: split, parts: 2, part: 2}", "E205"),
    ("{kind: split, parts: 2, part: 0, axis: 3}", "E205"),
    ("{kind: upsampling2d, size: 2, align_corners: true}", "E205"),
    ("{kind: depth_to_space, block_size: 1}", "E205"),
])
def test_other_bad_values_are_located(tmp_path, body, code):
    path = tmp_path / "net.yaml"
    path.write_text(f"input: [4, 4, 8]\nlayers:\n  - {body}\n")
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2
    assert "net.yaml:3:" in result.stderr and f" {code} " in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr
