"""The layer rules as small pure functions, each checked on an example worked by hand."""

import itertools
from fractions import Fraction

import pytest

import convcost
from convcost.language.expressions import make_divisible
from convcost.layers import conv_output_size, same_padding, taps_inside
from convcost.layers.conv import conv_cost


def test_conv_output_size_examples():
    assert conv_output_size(224, kernel=3, stride=2, padding=(0, 1)) == 112  # GUIDE.md section 5
    assert conv_output_size(299, 3, 2, (1, 1)) == 150  # seed notes: floor((299 − 3 + 2·1)/2) + 1
    assert conv_output_size(150, 1, 2) == 75  # seed notes: floor((150 − 1)/2) + 1
    assert conv_output_size(75, 3, 2, (1, 1)) == 38
    assert conv_output_size(7, 3) == 5  # seeds: W − f + 1
    assert conv_output_size(10, 3, 1, (0, 0), dilation=2) == 6  # span 5


def test_same_padding_follows_tensorflow():
    assert same_padding(224, 3, 2) == (0, 1)  # even input, stride 2: all the padding at the end
    assert same_padding(7, 3, 1) == (1, 1)
    assert same_padding(147, 3, 2) == (1, 1)  # Xception block 2 pool: 147 → 74
    assert same_padding(5, 1, 2) == (0, 0)
    for n, k, s in itertools.product(range(1, 12), range(1, 6), range(1, 4)):
        begin, end = same_padding(n, k, s)
        assert conv_output_size(n, k, s, (begin, end)) == -(-n // s)
        assert 0 <= end - begin <= 1


def test_taps_inside_against_enumeration():
    for n, k, s, d, pb, pe in itertools.product(range(1, 8), range(1, 4), range(1, 3), range(1, 3), range(3), range(3)):
        n_out = conv_output_size(n, k, s, (pb, pe), d)
        if n_out < 1:
            continue
        brute = sum(1 for o in range(n_out) for t in range(k) if 0 <= o * s + t * d - pb < n)
        assert taps_inside(n, n_out, k, s, d, pb) == brute, (n, k, s, d, pb, pe)


def test_conv_cost_seed_example():
    cost = conv_cost((7, 7, 3), (5, 5, 128), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1, False)
    assert cost.macs == 86_400 and cost.weights == 3_456 and cost.biases == 0
    assert cost.adds == 5 * 5 * 128 * (27 - 1)  # reduction length − 1 per output
    assert cost.effective_mults == cost.macs  # no padding
    with_bias = conv_cost((7, 7, 3), (5, 5, 128), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1, True)
    assert with_bias.adds == cost.adds + 5 * 5 * 128 and with_bias.biases == 128


def analyze_one(layer: str, input_shape="[8, 8, 4]"):
    return convcost.analyze(convcost.loads(f"input: {input_shape}\nlayers:\n  - {layer}\n")).layers[0]


def test_grouped_and_dilated_conv():
    r = analyze_one("{kind: conv2d, filters: 6, kernel: 3, groups: 2, dilation: 2, bias: false}", "[9, 9, 4]")
    assert r.output_shape == (5, 5, 6)
    assert r.macs == 5 * 5 * 6 * 3 * 3 * (4 // 2)
    assert r.weights == 3 * 3 * 2 * 6


def test_rectangular_kernel_and_asymmetric_padding():
    r = analyze_one("{kind: conv2d, filters: 2, kernel: [3, 1], padding: [[0, 1], [2, 0]], stride: [1, 2]}",
                    "[6, 5, 3]")
    assert r.output_shape == ((6 + 1 - 3) // 1 + 1, (5 + 2 - 1) // 2 + 1, 2)  # (5, 4, 2)
    assert r.params == 3 * 1 * 3 * 2 + 2


def test_effective_mults_same_padding():
    # 3×3 same conv on 4×4: per axis the edge outputs lose one tap each: 4·3 − 2 = 10 real taps.
    r = analyze_one("{kind: conv2d, filters: 5, kernel: 3, padding: same, bias: false}", "[4, 4, 2]")
    assert r.macs == 4 * 4 * 5 * 9 * 2
    assert r.effective_mults == 10 * 10 * 5 * 2


def test_depthwise_multiplier():
    r = analyze_one("{kind: depthwise_conv2d, kernel: 3, depth_multiplier: 2, bias: false}", "[5, 5, 3]")
    assert r.output_shape == (3, 3, 6)
    assert r.macs == 3 * 3 * 6 * 9 and r.weights == 9 * 6


def test_separable_orders():
    dw_first = analyze_one("{kind: separable_conv2d, filters: 8, kernel: 3, bias: false}", "[5, 5, 3]")
    assert dw_first.output_shape == (3, 3, 8)
    assert dw_first.macs == 3 * 3 * 3 * 9 + 3 * 3 * 3 * 8
    pw_first = analyze_one("{kind: separable_conv2d, filters: 8, kernel: 3, order: pointwise_first, bias: false}",
                           "[5, 5, 3]")
    assert pw_first.output_shape == (3, 3, 8)
    assert pw_first.macs == 5 * 5 * 3 * 8 + 3 * 3 * 8 * 9
    relu_between = analyze_one("{kind: separable_conv2d, filters: 8, kernel: 3, activation: relu}", "[5, 5, 3]")
    assert relu_between.comparisons == 3 * 3 * 3  # ReLU on the depthwise output
    assert relu_between.biases == 8


def test_conv3d():
    r = analyze_one("{kind: conv3d, filters: 4, kernel: [1, 3, 3], stride: [1, 2, 2], padding: same}", "[4, 8, 8, 2]")
    assert r.output_shape == (4, 4, 4, 4)
    assert r.macs == 4 * 4 * 4 * 4 * (1 * 3 * 3 * 2)


def test_pooling_counts():
    mx = analyze_one("{kind: max_pooling2d, kernel: 2}", "[6, 6, 3]")
    assert mx.output_shape == (3, 3, 3) and mx.comparisons == 27 * 3
    avg = analyze_one("{kind: average_pooling2d, kernel: 3, stride: 2, padding: same}", "[7, 7, 2]")
    assert avg.output_shape == (4, 4, 2) and avg.adds == 32 * 8 and avg.divisions == 32
    gap = analyze_one("{kind: global_average_pooling}", "[7, 7, 1024]")
    assert gap.output_shape == (1024,) and gap.adds == 1024 * 48 and gap.divisions == 1024
    keep = analyze_one("{kind: global_max_pooling, keepdims: true}", "[2, 3, 4, 5]")
    assert keep.output_shape == (1, 1, 1, 5) and keep.comparisons == 5 * 23
    p3 = analyze_one("{kind: max_pooling3d, kernel: [1, 2, 2]}", "[4, 6, 6, 2]")
    assert p3.output_shape == (4, 3, 3, 2)


def test_dense_batch_norm_activations():
    dense = analyze_one("{kind: dense, units: 10}", "[4, 6]")
    assert dense.output_shape == (4, 10) and dense.macs == 4 * 6 * 10 and dense.params == 70
    assert dense.adds == 40 * 5 + 40
    bn = analyze_one("{kind: batch_norm}", "[3, 3, 8]")
    assert (bn.mults, bn.adds, bn.bn_trainable, bn.bn_non_trainable) == (72, 72, 16, 16)
    assert analyze_one("relu", "[3, 3, 8]").comparisons == 72
    assert analyze_one("relu6", "[3, 3, 8]").comparisons == 144
    sig = analyze_one("sigmoid", "[10]")
    assert (sig.exponentials, sig.adds, sig.divisions) == (10, 10, 10)
    soft = analyze_one("softmax", "[2, 5]")
    assert (soft.comparisons, soft.exponentials, soft.divisions, soft.adds) == (8, 10, 10, 10 + 8)
    tanh = analyze_one("tanh", "[4]")
    assert tanh.flops == 4 * 5


def test_shape_only_layers():
    assert analyze_one("flatten", "[3, 4, 5]").output_shape == (60,)
    assert analyze_one("{kind: dropout, rate: 0.5}", "[3, 4, 5]").output_shape == (3, 4, 5)
    zp = analyze_one("{kind: zero_padding2d, padding: [[0, 1], [2, 3]]}", "[3, 4, 5]")
    assert zp.output_shape == (4, 9, 5) and zp.flops == 0
    assert analyze_one("{kind: zero_padding3d, padding: 1}", "[2, 3, 4, 5]").output_shape == (4, 5, 6, 5)


def test_make_divisible_matches_mobilenet_v2_reference():
    # The channel rounding of the MobileNet v2 reference code (tensorflow/models, _make_divisible).
    assert make_divisible(32 * Fraction(3, 4)) == 24
    assert make_divisible(20) == 24  # nearest multiple of 8 is 16, but 16 < 0.9 · 20
    assert make_divisible(96 * Fraction(35, 100), 8) == 32
    assert make_divisible(3, 8) == 8  # never below the divisor


def test_docstring_examples():
    import doctest

    import convcost.render.text

    assert doctest.testmod(convcost.render.text).failed == 0


@pytest.mark.parametrize("layer, shape, axis, got, allowed", [
    ("{kind: max_pooling2d, kernel: 3, padding: 2}", "[8, 8, 2]", "height", "2 and 2", "1"),
    ("{kind: average_pooling2d, kernel: [2, 5], padding: [[1, 0], [0, 3]]}", "[8, 8, 2]", "width", "0 and 3", "2"),
    ("{kind: max_pooling3d, kernel: [1, 2, 2], padding: [[1, 1], [0, 0], [0, 0]]}", "[4, 8, 8, 2]", "depth",
     "1 and 1", "0"),
])
def test_pooling_padding_is_at_most_half_the_window(layer, shape, axis, got, allowed):
    # PyTorch refuses it too: a window lying wholly in padding has no maximum and no average
    with pytest.raises(convcost.SpecError) as caught:
        analyze_one(layer, shape)
    (problem,) = caught.value.problems
    assert problem.code == "E205" and problem.location.line == 3 and problem.location.column > 30  # the padding
    assert f"along the {axis}" in problem.message and got in problem.message
    assert f"at most {allowed} on each side" in problem.message


def test_pooling_padding_of_half_the_window_is_fine():
    assert analyze_one("{kind: max_pooling2d, kernel: 3, stride: 2, padding: 1}", "[150, 150, 2]").output_shape \
        == (75, 75, 2)  # the seeds' Xception pool
    assert analyze_one("{kind: average_pooling2d, kernel: 2, padding: [[1, 1], [0, 1]]}", "[4, 4, 1]").output_shape \
        == (3, 2, 1)


@pytest.mark.parametrize("layer, description", [
    ("{kind: max_pooling2d, kernel: 3, stride: 2, padding: 1}", "3×3/2 pad 1,1"),
    ("{kind: average_pooling2d, kernel: 2, padding: [[0, 1], [1, 1]]}", "2×2/2 pad 0:1,1"),
    ("{kind: max_pooling2d, kernel: 3, stride: 2, padding: same}", "3×3/2 same"),
    ("{kind: max_pooling2d, kernel: 2}", "2×2/2 valid"),
    ("{kind: conv2d, filters: 4, kernel: 7, padding: 3}", "4 7×7 pad 3,3"),
])
def test_descriptions_show_explicit_padding(layer, description):
    assert analyze_one(layer, "[16, 16, 2]").description == description
