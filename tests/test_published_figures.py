"""Published figures that convcost must reproduce (GUIDE.md section 4).

Sources: Howard et al. 2017, "MobileNets" (Tables 1, 2, 4-7, 9); Keras' model.summary() of
keras.applications.MobileNet and .Xception; the seed notes' worked examples.
The paper's "Million Parameters" column counts conv/FC weights only (no biases, no batch norm):
that is convcost's `weights` total (docs/paper-figures.md).
"""

from fractions import Fraction

import pytest

import convcost


def millions(n: int, digits: int = 0) -> float:
    """Round half up, as the paper prints (569M, 4.2M)."""
    scale = Fraction(10) ** digits
    return float(int(Fraction(n, 10**6) * scale + Fraction(1, 2)) / scale)


def test_mobilenet_224_exact_counts(mobilenet_spec):
    # GUIDE.md section 4: exact conv+FC mult-adds and Keras' parameter counts for MobileNet 1.0-224.
    t = convcost.analyze(mobilenet_spec).totals
    assert t.macs == 568_740_352
    assert t.trainable_params == 4_231_976
    assert t.non_trainable_params == 21_888
    assert t.params == 4_253_864  # Keras "Total params"
    assert t.weights == 4_209_088


# (overrides, paper mult-adds in millions, paper params in millions with its digits)
PAPER_ROWS = [
    pytest.param({}, 569, (4.2, 1), id="Table 6: 1.0 MobileNet-224"),
    pytest.param({"alpha": "0.75"}, 325, (2.6, 1), id="Table 6: 0.75 MobileNet-224"),
    pytest.param({"alpha": "0.5"}, 149, (1.3, 1), id="Table 6: 0.5 MobileNet-224"),
    pytest.param({"alpha": "0.25"}, 41, (0.5, 1), id="Table 6: 0.25 MobileNet-224"),
    pytest.param({"rho": "0.857"}, 418, (4.2, 1), id="Table 7: 1.0 MobileNet-192"),
    pytest.param({"rho": "0.571"}, 186, (4.2, 1), id="Table 7: 1.0 MobileNet-128"),
]


@pytest.mark.parametrize("overrides, paper_macs, paper_params", PAPER_ROWS)
def test_mobilenet_paper_rows(mobilenet_spec, overrides, paper_macs, paper_params):
    t = convcost.analyze(mobilenet_spec, overrides).totals
    assert millions(t.macs) == paper_macs
    value, digits = paper_params
    assert millions(t.weights, digits) == value


def test_mobilenet_160_is_a_documented_exception(mobilenet_spec):
    # Table 7 prints 290M for 1.0 MobileNet-160 and Table 9 prints 76M / 1.32M for 0.50 MobileNet-160.
    # The paper scales the 224 count by rho² (FC included); the exact counts round to 291 and 77
    # (docs/paper-figures.md).
    t160 = convcost.analyze(mobilenet_spec, {"rho": "0.714"}).totals
    assert t160.macs == 290_675_200
    assert millions(t160.macs) == 291
    assert round(568_740_352 * Fraction(160, 224) ** 2 / 10**6) == 290  # the paper's own arithmetic
    half = convcost.analyze(mobilenet_spec, {"alpha": "0.5", "rho": "0.714"}).totals
    assert half.macs == 76_524_800
    assert millions(half.macs) == 77
    assert millions(half.weights, 2) == 1.32  # Table 9's 1.32M params hold exactly


def test_resolution_parameter_follows_rho(mobilenet_spec):
    graph = mobilenet_spec.build({"rho": "0.857"})
    assert graph.input_shape == (192, 192, 3)
    assert mobilenet_spec.build({"resolution": "160"}).input_shape == (160, 160, 3)


def test_table_2_breakdown(mobilenet_spec):
    # Howard et al. 2017, Table 2 (1.0 MobileNet-224): share of mult-adds / parameters per layer type.
    # The printed "Conv 3×3 1.19%" of mult-adds is 1.91% exactly (the printed shares sum to 99.29%).
    rows = {row["category"]: row for row in convcost.analyze(mobilenet_spec).breakdown()}
    expected = {"conv 1x1": (94.86, 74.59), "depthwise": (3.06, 1.06), "full conv": (1.91, 0.02),
                "dense": (0.18, 24.33)}
    assert set(rows) == set(expected)
    for category, (macs_pct, params_pct) in expected.items():
        assert round(100 * rows[category]["macs_share"], 2) == macs_pct, category
        assert round(100 * rows[category]["weights_share"], 2) == params_pct, category


def test_conv_mobilenet_table_4():
    # Table 4: Conv MobileNet 4866M mult-adds (exactly 4,867.29M: docs/paper-figures.md), 29.3M params.
    t = convcost.report("mobilenet_conv").totals
    assert t.macs == 4_867_293_184
    assert millions(t.weights, 1) == 29.3


def test_shallow_mobilenet_table_5():
    # Table 5: Shallow MobileNet 307M mult-adds, 2.9M params.
    t = convcost.report("mobilenet_shallow").totals
    assert millions(t.macs) == 307
    assert millions(t.weights, 1) == 2.9


def test_xception_keras_summary_and_spatial_sizes():
    # keras.applications.Xception(weights=None).summary(): 22,855,952 trainable, 54,528 non-trainable.
    result = convcost.report("xception")
    assert result.totals.trainable_params == 22_855_952
    assert result.totals.non_trainable_params == 54_528
    assert result.totals.params == 22_910_480
    sizes = [result.layer(name).output_shape[0] for name in
             ("block1_conv1", "block1_conv2", "block2/add", "block3/add", "block4/add", "block13_add")]
    assert sizes == [149, 147, 74, 37, 19, 10]
    assert all(result.layer(f"middle_{i}/add").output_shape == (19, 19, 728) for i in range(1, 9))


def test_seed_standard_versus_depthwise_separable():
    # Seed notes: 128 × 3 × 3 × 3 × 5 × 5 = 86,400 multiplications; 675 + 9,600 = 10,275.
    standard = convcost.report("seed_standard")
    separable = convcost.report("seed_separable")
    assert standard.totals.macs == 86_400 and standard.totals.params == 3_456
    assert separable.layer("depthwise").macs == 675
    assert separable.layer("pointwise").macs == 9_600
    assert separable.totals.macs == 10_275 and separable.totals.params == 411
    assert standard.layer("conv").output_shape == (5, 5, 128)
    # the seeds' ratio 1/N + 1/f² with N = 128, f = 3
    assert Fraction(separable.totals.macs, standard.totals.macs) == Fraction(1, 128) + Fraction(1, 9)


def test_seed_xception_walkthrough_shapes():
    # Seed notes: 299×299×3 → 150×150×32 → 150×150×64 → 150×150×128 → 75×75×128 → 75×75×256
    # → 38×38×256 → … → 19×19×728, with floor((299 − 3 + 2×1)/2) + 1 = 150.
    result = convcost.report("xception_walkthrough")
    walk = [("conv1", (150, 150, 32)), ("conv2", (150, 150, 64)), ("block1/sep1", (150, 150, 128)),
            ("block1/pool", (75, 75, 128)), ("block1/shortcut", (75, 75, 128)),
            ("block2/sep1", (75, 75, 256)), ("block2/add", (38, 38, 256)),
            ("block3/sep1", (38, 38, 728)), ("block3/add", (19, 19, 728))]
    for name, shape in walk:
        assert result.layer(name).output_shape == shape, name
    assert result.layers[-1].output_shape == (19, 19, 728)


def test_seed_spatially_separable():
    # Seed notes: (n − f + 1)·n·f + (n − f + 1)²·f against (n − f + 1)²·f², ratio (2n − f + 1)/((n − f + 1)·f).
    n, f = 7, 3
    separable = convcost.report("spatially_separable").totals.macs
    full = convcost.analyze(convcost.load("spatially_separable"), {"separable": 0}).totals.macs
    assert separable == (n - f + 1) * n * f + (n - f + 1) ** 2 * f == 180
    assert full == (n - f + 1) ** 2 * f**2 == 225
    assert Fraction(separable, full) == Fraction(2 * n - f + 1, (n - f + 1) * f)


def test_seed_3d_count():
    # Seed notes: a valid 3-D convolution costs (W − f + 1)(H − f + 1)(D − f + 1)·f³ per kernel and channel.
    spec = convcost.loads("input: [9, 10, 11, 1]\nlayers:\n  - {kind: conv3d, filters: 1, kernel: 3, bias: false}\n")
    W, H, D, f = 11, 10, 9, 3
    assert convcost.analyze(spec).totals.macs == (W - f + 1) * (H - f + 1) * (D - f + 1) * f**3
