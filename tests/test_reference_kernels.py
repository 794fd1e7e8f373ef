"""The reference executor's kernels against plain nested-loop oracles (which live only here).

Every oracle is the textbook definition written as loops over outputs, taps and channels, with
padding handled by an index test instead of a padded array, so it shares no code and no method
with the executor. The convolution oracles also count their own multiplications, which the
executor's tallies must equal. Sizes are tiny; everything runs in float64.
"""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import convcost
from convcost.reference import KERNELS, Counter, ReferenceNetwork, execute
from convcost.reference.geometry import real_pairs, same_pads
from convcost.units import parse_memory_size as parse_bytes

RTOL = 1e-10
ATOL = 1e-12


# --- running one layer --------------------------------------------------------------------------

def run_layer(layer: str, input_shape, *, batch: int = 2, seed: int = 0, before: str = ""):
    """Build a spec whose layers are ``before`` then ``layer`` (named L), run it forward in float64
    keeping every output; return (net, run)."""
    text = f"input: {list(input_shape)}\nlayers:\n{before}  - {layer}\n"
    net = ReferenceNetwork(convcost.loads(text).build(), batch=batch, dtype="float64", seed=seed)
    return net, net.forward(keep=True)


def tf_same(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow 'same' padding, written out again for the oracles."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, spatial, kernel, stride, dilation):
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "same":
        return [tf_same(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation)]
    return padding


def out_size(n, k, s, d, pads):
    return (n + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


# --- oracles ------------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.mults = 0
        self.effective = 0


def oracle_conv(x, w, b, stride, dilation, pads, groups=1, tally=None):
    """x (N, *S, C), w (*K, C/G, F), pads [(begin, end)] per axis -> (N, *O, F), by loops."""
    n_batch, spatial, channels = x.shape[0], x.shape[1:-1], x.shape[-1]
    kernel, filters = w.shape[:-2], w.shape[-1]
    rank = len(spatial)
    outs = [out_size(spatial[a], kernel[a], stride[a], dilation[a], pads[a]) for a in range(rank)]
    cg, fg = channels // groups, filters // groups
    y = np.zeros((n_batch, *outs, filters))
    for n in range(n_batch):
        for o in itertools.product(*[range(m) for m in outs]):
            for f in range(filters):
                g = f // fg
                acc = 0.0
                for t in itertools.product(*[range(k) for k in kernel]):
                    idx = [o[a] * stride[a] + t[a] * dilation[a] - pads[a][0] for a in range(rank)]
                    inside = all(0 <= idx[a] < spatial[a] for a in range(rank))
                    for c in range(cg):
                        value = x[(n, *idx, g * cg + c)] if inside else 0.0
                        acc += value * w[(*t, c, f)]
                        if tally is not None:
                            tally.mults += 1
                            tally.effective += inside
                y[(n, *o, f)] = acc + (b[f] if b is not None else 0.0)
    return y


def oracle_depthwise(x, w, b, stride, dilation, pads, tally=None):
    """x (N, H, W, C), w (kh, kw, C, M) -> (N, Ho, Wo, C·M), channel c·M + m, by loops."""
    n_batch, spatial, channels = x.shape[0], x.shape[1:-1], x.shape[-1]
    kernel, multiplier = w.shape[:-2], w.shape[-1]
    rank = len(spatial)
    outs = [out_size(spatial[a], kernel[a], stride[a], dilation[a], pads[a]) for a in range(rank)]
    y = np.zeros((n_batch, *outs, channels * multiplier))
    for n in range(n_batch):
        for o in itertools.product(*[range(m) for m in outs]):
            for c in range(channels):
                for m in range(multiplier):
                    acc = 0.0
                    for t in itertools.product(*[range(k) for k in kernel]):
                        idx = [o[a] * stride[a] + t[a] * dilation[a] - pads[a][0] for a in range(rank)]
                        inside = all(0 <= idx[a] < spatial[a] for a in range(rank))
                        acc += (x[(n, *idx, c)] if inside else 0.0) * w[(*t, c, m)]
                        if tally is not None:
                            tally.mults += 1
                            tally.effective += inside
                    y[(n, *o, c * multiplier + m)] = acc + (b[c * multiplier + m] if b is not None else 0.0)
    return y


def oracle_pool(x, kernel, stride, pads, how):
    """Max (padding ignored; -inf if a window is all padding) or average over the real positions."""
    n_batch, spatial, channels = x.shape[0], x.shape[1:-1], x.shape[-1]
    rank = len(spatial)
    outs = [out_size(spatial[a], kernel[a], stride[a], 1, pads[a]) for a in range(rank)]
    y = np.zeros((n_batch, *outs, channels))
    for n in range(n_batch):
        for o in itertools.product(*[range(m) for m in outs]):
            for c in range(channels):
                values = []
                for t in itertools.product(*[range(k) for k in kernel]):
                    idx = [o[a] * stride[a] + t[a] - pads[a][0] for a in range(rank)]
                    if all(0 <= idx[a] < spatial[a] for a in range(rank)):
                        values.append(x[(n, *idx, c)])
                if how == "max":
                    y[(n, *o, c)] = max(values) if values else -math.inf
                else:
                    y[(n, *o, c)] = sum(values) / len(values) if values else 0.0
    return y


def oracle_activation(name, x):
    flat = x.reshape(-1)
    functions = {"relu": lambda v: max(v, 0.0), "relu6": lambda v: min(max(v, 0.0), 6.0),
                 "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)), "tanh": math.tanh}
    return np.array([functions[name](float(v)) for v in flat]).reshape(x.shape)


def oracle_softmax(x):
    rows = x.reshape(-1, x.shape[-1])
    out = np.zeros_like(rows)
    for r, row in enumerate(rows):
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        total = sum(exps)
        for i, e in enumerate(exps):
            out[r, i] = e / total
    return out.reshape(x.shape)


def oracle_dense(x, w, b):
    lead = x.shape[:-1]
    y = np.zeros((*lead, w.shape[1]))
    for idx in itertools.product(*[range(m) for m in lead]):
        for u in range(w.shape[1]):
            y[(*idx, u)] = sum(x[(*idx, c)] * w[c, u] for c in range(w.shape[0])) + (b[u] if b is not None else 0.0)
    return y


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


# --- convolutions -------------------------------------------------------------------------------

CONV2D_CASES = [
    # (fields, input shape)
    ("filters: 5, kernel: 3", (6, 5, 3)),                                              # valid
    ("filters: 4, kernel: 3, padding: same", (5, 6, 2)),                               # same, symmetric
    ("filters: 4, kernel: 3, stride: 2, padding: same", (6, 6, 2)),                    # same, asymmetric (0, 1)
    ("filters: 3, kernel: 2, padding: same", (5, 4, 2)),                               # even kernel: (0, 1)
    ("filters: 3, kernel: 3, padding: 1", (4, 5, 2)),                                  # explicit
    ("filters: 3, kernel: 3, padding: [[0, 2], [1, 0]]", (5, 5, 2)),                   # explicit asymmetric
    ("filters: 3, kernel: [3, 1], stride: [2, 1]", (7, 4, 2)),                         # rectangular, rectangular stride
    ("filters: 3, kernel: [1, 3], padding: same", (4, 6, 2)),
    ("filters: 2, kernel: [2, 3], stride: [1, 2], padding: [[1, 0], [0, 1]]", (5, 6, 3)),
    ("filters: 3, kernel: 3, dilation: 2", (7, 7, 2)),                                 # dilation
    ("filters: 3, kernel: 3, dilation: [2, 1], padding: same, stride: 2", (7, 6, 2)),  # dilation + same + stride
    ("filters: 6, kernel: 3, groups: 2, padding: same", (5, 5, 4)),                    # groups
    ("filters: 4, kernel: 3, groups: 4, stride: 2", (6, 5, 4)),                        # groups = channels
    ("filters: 6, kernel: 1, groups: 3", (3, 4, 6)),                                   # grouped pointwise
    ("filters: 4, kernel: [3, 2], groups: 2, dilation: [2, 3], stride: [1, 2], padding: same", (7, 8, 4)),
    ("filters: 4, kernel: 1, stride: 2", (5, 5, 3)),                                   # strided pointwise
    ("filters: 3, kernel: 3, bias: false, padding: same", (4, 4, 2)),
]


@pytest.mark.parametrize("fields, shape", CONV2D_CASES)
def test_conv2d_against_loops(fields, shape):
    net, run = run_layer(f"{{kind: conv2d, name: L, {fields}}}", shape)
    node = net.graph.nodes[0]
    a = node.attrs
    pads = explicit_pads(a.padding, shape[:-1], a.kernel, a.stride, a.dilation)
    weights = net.parameters["L"]
    tally = Tally()
    expected = oracle_conv(net.input, weights["kernel"], weights.get("bias"), a.stride, a.dilation, pads, a.groups,
                           tally)
    close(run.outputs["L"], expected)
    measured = run.layer("L").ops
    assert measured.mults == measured.macs == tally.mults
    assert measured.effective_mults == tally.effective


CONV3D_CASES = [
    ("filters: 3, kernel: 2", (3, 4, 3, 2)),
    ("filters: 2, kernel: [3, 1, 2], padding: same, stride: [1, 2, 2]", (4, 5, 3, 2)),
    ("filters: 4, kernel: 3, groups: 2, padding: [[1, 0], [0, 1], [1, 1]]", (3, 4, 3, 2)),
    ("filters: 2, kernel: 2, dilation: [1, 2, 1], bias: false", (3, 5, 3, 2)),
]


@pytest.mark.parametrize("fields, shape", CONV3D_CASES)
def test_conv3d_against_loops(fields, shape):
    net, run = run_layer(f"{{kind: conv3d, name: L, {fields}}}", shape, batch=1)
    a = net.graph.nodes[0].attrs
    pads = explicit_pads(a.padding, shape[:-1], a.kernel, a.stride, a.dilation)
    weights = net.parameters["L"]
    tally = Tally()
    expected = oracle_conv(net.input, weights["kernel"], weights.get("bias"), a.stride, a.dilation, pads, a.groups,
                           tally)
    close(run.outputs["L"], expected)
    assert run.layer("L").ops.mults == tally.mults
    assert run.layer("L").ops.effective_mults == tally.effective


DEPTHWISE_CASES = [
    ("kernel: 3", (5, 5, 3)),
    ("kernel: 3, padding: same, stride: 2", (6, 5, 2)),
    ("kernel: 3, depth_multiplier: 2, padding: same", (4, 4, 3)),
    ("kernel: [3, 2], dilation: [1, 2], padding: [[2, 0], [0, 1]], bias: false", (5, 6, 2)),
    ("kernel: 2, depth_multiplier: 3, stride: [2, 1]", (5, 4, 2)),
    # strides, dilations and multipliers that split the rows into several stride phases
    ("kernel: 3, stride: 2, dilation: 2, padding: same", (9, 8, 2)),
    ("kernel: [3, 4], stride: [3, 2], padding: [[1, 1], [2, 0]], depth_multiplier: 2", (10, 9, 3)),
    ("kernel: 5, stride: 3", (11, 12, 2)),
    ("kernel: 1, stride: 2, bias: false", (5, 6, 2)),
    ("kernel: [2, 3], stride: [2, 4], dilation: [3, 2], padding: valid", (12, 13, 1)),
    ("kernel: 3, stride: 1, dilation: 3, padding: same, depth_multiplier: 3", (7, 7, 2)),
]


@pytest.mark.parametrize("fields, shape", DEPTHWISE_CASES)
def test_depthwise_against_loops(fields, shape):
    net, run = run_layer(f"{{kind: depthwise_conv2d, name: L, {fields}}}", shape)
    a = net.graph.nodes[0].attrs
    pads = explicit_pads(a.padding, shape[:-1], a.kernel, a.stride, a.dilation)
    weights = net.parameters["L"]
    tally = Tally()
    expected = oracle_depthwise(net.input, weights["kernel"], weights.get("bias"), a.stride, a.dilation, pads, tally)
    close(run.outputs["L"], expected)
    ops = run.layer("L").ops
    assert ops.macs == ops.mults == tally.mults
    assert ops.effective_mults == tally.effective
    outputs, taps = expected.size, math.prod(a.kernel)  # adds: taps - 1 per output, + 1 with a bias
    assert ops.adds == outputs * (taps - 1) + (outputs if a.bias else 0)


SEPARABLE_CASES = [
    ("filters: 4, kernel: 3, padding: same", (5, 5, 3)),
    ("filters: 4, kernel: 3, stride: 2, padding: same, activation: relu", (6, 6, 2)),
    ("filters: 3, kernel: 3, depth_multiplier: 2, bias: false, activation: tanh", (5, 4, 2)),
    ("filters: 4, kernel: 3, order: pointwise_first, padding: same", (5, 5, 3)),
    ("filters: 2, kernel: [3, 2], order: pointwise_first, depth_multiplier: 2, stride: 2, activation: sigmoid",
     (6, 5, 3)),
    ("filters: 3, kernel: 2, dilation: 2, order: pointwise_first, activation: relu6, padding: [[1, 0], [0, 2]]",
     (5, 5, 2)),
]


@pytest.mark.parametrize("fields, shape", SEPARABLE_CASES)
def test_separable_against_loops(fields, shape):
    net, run = run_layer(f"{{kind: separable_conv2d, name: L, {fields}}}", shape)
    a = net.graph.nodes[0].attrs
    w = net.parameters["L"]
    dw, pw, bias = w["depthwise"], w["pointwise"], w.get("bias")
    ones = (1, 1)
    tally = Tally()

    def act(t):
        return t if a.activation == "none" else oracle_activation(a.activation, t)

    if a.order == "depthwise_first":
        pads = explicit_pads(a.padding, shape[:-1], a.kernel, a.stride, a.dilation)
        mid = act(oracle_depthwise(net.input, dw, None, a.stride, a.dilation, pads, tally))
        expected = oracle_conv(mid, pw, bias, ones, ones, [(0, 0), (0, 0)], 1, tally)
    else:
        mid = act(oracle_conv(net.input, pw, None, ones, ones, [(0, 0), (0, 0)], 1, tally))
        pads = explicit_pads(a.padding, mid.shape[1:-1], a.kernel, a.stride, a.dilation)
        expected = oracle_depthwise(mid, dw, bias, a.stride, a.dilation, pads, tally)
    close(run.outputs["L"], expected)
    measured = run.layer("L").ops
    assert measured.macs == tally.mults
    assert measured.effective_mults - (measured.mults - measured.macs) == tally.effective  # minus tanh's 2x


def test_seed_examples_measured():
    """GUIDE.md section 4: 86,400 MACs / 3,456 weights, and 675 + 9,600 for the separable form."""
    run = execute(convcost.load("seed_standard").build())
    assert run.layer("conv").ops.macs == 86_400
    assert run.layer("conv").params["weights"] == 3_456
    run = execute(convcost.load("seed_separable").build())
    assert [m.ops.macs for m in run.layers] == [675, 9_600]


# --- pooling ------------------------------------------------------------------------------------

POOL_CASES = [
    ("kernel: 2", (4, 6, 2)),                                          # stride defaults to the window
    ("kernel: 3, stride: 2, padding: same", (6, 5, 2)),                # asymmetric same
    ("kernel: 3, stride: 1, padding: same", (4, 4, 2)),
    ("kernel: [2, 3], stride: [1, 2], padding: [[1, 0], [0, 2]]", (4, 5, 2)),
    ("kernel: 3, stride: 2", (7, 7, 1)),
]


@pytest.mark.parametrize("how", ["max", "average"])
@pytest.mark.parametrize("fields, shape", POOL_CASES)
def test_pooling2d_against_loops(how, fields, shape):
    net, run = run_layer(f"{{kind: {how}_pooling2d, name: L, {fields}}}", shape)
    a = net.graph.nodes[0].attrs
    stride = a.stride or a.kernel
    pads = explicit_pads(a.padding, shape[:-1], a.kernel, stride, (1, 1))
    close(run.outputs["L"], oracle_pool(net.input, a.kernel, stride, pads, "max" if how == "max" else "avg"))


@pytest.mark.parametrize("how", ["max", "average"])
@pytest.mark.parametrize("fields, shape", [("kernel: 2", (4, 4, 2, 2)),
                                           ("kernel: [1, 2, 3], stride: 1, padding: same", (3, 4, 4, 2)),
                                           ("kernel: 2, stride: 2, padding: [[0, 1], [1, 0], [0, 0]]", (3, 3, 4, 1))])
def test_pooling3d_against_loops(how, fields, shape):
    net, run = run_layer(f"{{kind: {how}_pooling3d, name: L, {fields}}}", shape)
    a = net.graph.nodes[0].attrs
    stride = a.stride or a.kernel
    pads = explicit_pads(a.padding, shape[:-1], a.kernel, stride, (1, 1, 1))
    close(run.outputs["L"], oracle_pool(net.input, a.kernel, stride, pads, "max" if how == "max" else "avg"))


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 2, 4)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_against_loops(shape, keepdims):
    for how in ("max", "average"):
        net, run = run_layer(f"{{kind: global_{how}_pooling, name: L, keepdims: {str(keepdims).lower()}}}", shape)
        x = net.input
        n_batch, channels = x.shape[0], x.shape[-1]
        expected = np.zeros((n_batch, channels))
        for n in range(n_batch):
            for c in range(channels):
                values = [x[(n, *idx, c)] for idx in itertools.product(*[range(m) for m in shape[:-1]])]
                expected[n, c] = max(values) if how == "max" else sum(values) / len(values)
        if keepdims:
            expected = expected.reshape(n_batch, *([1] * (len(shape) - 1)), channels)
        close(run.outputs["L"], expected)


# --- dense, batch norm, activations -------------------------------------------------------------

@pytest.mark.parametrize("shape, bias", [((5,), True), ((3, 2, 4), False), ((2, 3), True)])
def test_dense_against_loops(shape, bias):
    net, run = run_layer(f"{{kind: dense, name: L, units: 3, bias: {str(bias).lower()}}}", shape)
    w = net.parameters["L"]
    close(run.outputs["L"], oracle_dense(net.input, w["kernel"], w.get("bias")))


@pytest.mark.parametrize("shape", [(3, 4, 5), (6,), (2, 2, 2, 3)])
def test_batch_norm_against_the_unfolded_formula(shape):
    net, run = run_layer("{kind: batch_norm, name: L}", shape)
    p = net.parameters["L"]
    x = net.input
    expected = np.zeros_like(x)
    for idx in itertools.product(*[range(m) for m in x.shape]):
        c = idx[-1]
        expected[idx] = ((x[idx] - p["moving_mean"][c]) / math.sqrt(p["moving_variance"][c] + 1e-3)
                         * p["gamma"][c] + p["beta"][c])
    close(run.outputs["L"], expected)
    assert run.layer("L").params == {"weights": 0, "biases": 0, "bn_trainable": 2 * shape[-1],
                                     "bn_non_trainable": 2 * shape[-1], "affine": 0}


@pytest.mark.parametrize("name", ["relu", "relu6", "sigmoid", "tanh"])
def test_activations_against_math(name):
    net, run = run_layer(f"{{kind: {name}, name: L}}", (3, 4, 2))
    close(run.outputs["L"], oracle_activation(name, net.input))


def test_activations_saturate_without_nan():
    """exp overflows for large inputs; sigmoid and tanh still give their limits, softmax stays finite."""
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    from convcost.reference.kernels.activation import sigmoid, softmax, tanh

    ops = Counter()
    np.testing.assert_allclose(sigmoid(ops, x), [[0.0, 1.0 / (1.0 + math.exp(50)), 0.5, 1.0, 1.0]])
    np.testing.assert_allclose(tanh(ops, x), [[-1.0, -1.0, 0.0, 1.0, 1.0]])
    assert np.isfinite(softmax(ops, x)).all()
    assert np.isclose(tanh(ops, np.float32([30.0]))[0], 1.0)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 5)])
def test_softmax_against_loops(shape):
    net, run = run_layer("{kind: softmax, name: L}", shape)
    close(run.outputs["L"], oracle_softmax(net.input))


# --- merges and data movement -------------------------------------------------------------------

def test_add_three_inputs_and_concat():
    before = ("  - {kind: relu, name: a}\n"
              "  - {kind: sigmoid, name: b, inputs: input}\n")
    net, run = run_layer("{kind: add, name: L, inputs: [a, b, input]}", (3, 4, 2), before=before)
    out = run.outputs
    x, a, b = net.input, out["a"], out["b"]
    expected = np.zeros_like(x)
    for idx in itertools.product(*[range(m) for m in x.shape]):
        expected[idx] = a[idx] + b[idx] + x[idx]
    close(out["L"], expected)
    assert run.layer("L").ops.adds == 2 * x.size

    for axis in (-1, 0, 1):
        net, run = run_layer(f"{{kind: concat, name: L, axis: {axis}, inputs: [a, input]}}", (2, 3, 2), before=before)
        a, x = run.outputs["a"], net.input
        expected = np.concatenate([a, x], axis=axis + 1 if axis >= 0 else axis)
        # the per-sample axis 0 is array axis 1: check one element of the second part by hand
        close(run.outputs["L"], expected)
        if axis == 0:
            assert run.outputs["L"].shape == (2, 4, 3, 2)
            assert run.outputs["L"][1, 2, 1, 0] == x[1, 0, 1, 0]


def test_flatten_dropout_zero_padding():
    net, run = run_layer("{kind: flatten, name: L}", (2, 3, 4))
    x = net.input
    assert run.outputs["L"].shape == (2, 24)
    assert run.outputs["L"][1, 2 * 4 * 0 + 4 * 1 + 3] == x[1, 0, 1, 3]  # row-major (H, W, C) order
    net, run = run_layer("{kind: dropout, name: L, rate: 0.5}", (2, 3))
    close(run.outputs["L"], net.input)
    for kind, shape, pads in (("zero_padding2d", (2, 3, 2), [[1, 0], [2, 1]]),
                              ("zero_padding3d", (2, 2, 2, 1), [[0, 1], [1, 0], [1, 1]])):
        net, run = run_layer(f"{{kind: {kind}, name: L, padding: {pads}}}", shape)
        x, y = net.input, run.outputs["L"]
        assert y.shape == (2, *(n + b + e for n, (b, e) in zip(shape[:-1], pads)), shape[-1])
        for idx in itertools.product(*[range(m) for m in y.shape]):
            src = [idx[a + 1] - pads[a][0] for a in range(len(pads))]
            inside = all(0 <= s < n for s, n in zip(src, shape[:-1]))
            assert y[idx] == (x[(idx[0], *src, idx[-1])] if inside else 0.0)


# --- the counting machinery ---------------------------------------------------------------------

@pytest.mark.parametrize("subscripts, a_shape, b_shape", [
    ("nc,cf->nf", (5, 4), (4, 3)),
    ("nhwc,cf->nhwf", (2, 3, 4, 5), (5, 6)),
    ("nhwcij,ijcf->nhwf", (1, 2, 3, 4, 2, 3), (2, 3, 4, 5)),
    ("nhwgcij,ijcgf->nhwgf", (2, 3, 2, 3, 2, 2, 2), (2, 2, 2, 3, 4)),
    ("nhwc,cm->nhwcm", (2, 3, 3, 4), (4, 2)),
    ("nhwc,c->nhwc", (2, 3, 3, 4), (4,)),
    ("npc,cu->npu", (2, 3, 4), (4, 5)),
])
def test_contract_equals_einsum_and_counts_every_product(subscripts, a_shape, b_shape):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    ops = Counter()
    result = ops.contract(subscripts, a, b)
    close(result, np.einsum(subscripts, a, b))
    sizes = dict(zip(subscripts.split(",")[0], a_shape)) | dict(zip(subscripts.split(",")[1].split("->")[0], b_shape))
    every = math.prod(sizes.values())
    assert ops.tally.mults == ops.tally.macs == ops.tally.effective_mults == every
    assert ops.tally.adds == every - result.size


def test_contract_refuses_a_one_sided_sum():
    with pytest.raises(ValueError, match="only one operand"):
        Counter().contract("nc,cf->f", np.ones((2, 3)), np.ones((3, 4)))


def test_reductions_and_elementwise_counts():
    ops = Counter()
    x = np.arange(24.0).reshape(2, 3, 4)
    ops.sum(x, axis=(1,))  # 2·4 outputs of 3 -> 16 adds
    ops.max(x, axis=-1)  # 2·3 outputs of 4 -> 18 comparisons
    ops.divide(x, 2.0)
    ops.exp(x, negate=True)
    assert (ops.tally.adds, ops.tally.comparisons, ops.tally.divisions, ops.tally.exponentials) == (16, 18, 24, 24)


def test_same_padding_and_real_pairs():
    assert same_pads(224, 3, 2, 1) == (0, 1) == tf_same(224, 3, 2)
    assert same_pads(7, 3, 1, 1) == (1, 1)
    assert same_pads(6, 2, 1, 1) == (0, 1)
    assert list(real_pairs((7,), ((1, 1),), (3,), (1,), (1,))) == [2, 3, 3, 3, 3, 3, 2]
    assert int(real_pairs((224, 224), ((0, 1), (0, 1)), (3, 3), (2, 2), (1, 1)).sum()) == (112 * 3 - 1) ** 2


def test_parse_bytes():
    assert parse_bytes("4GiB") == parse_bytes("4G") == 4 * 2**30
    assert parse_bytes("512MiB") == 512 * 2**20
    assert parse_bytes("2GB") == 2_000_000_000
    assert parse_bytes("1.5 GiB") == 3 * 2**29
    assert parse_bytes("1000") == 1000
    with pytest.raises(ValueError, match="got '4 parsecs'"):
        parse_bytes("4 parsecs")


def test_float32_by_default_and_float64_on_request():
    graph = convcost.load("seed_separable").build()
    single, double = execute(graph), execute(graph, dtype="float64")
    assert single.output.dtype == np.float32 and double.output.dtype == np.float64
    np.testing.assert_allclose(single.output, double.output, rtol=1e-4, atol=1e-5)
    assert [m.ops for m in single.layers] == [m.ops for m in double.layers]


def test_seeded_and_batched():
    graph = convcost.load("seed_separable").build()
    assert np.array_equal(execute(graph, seed=3).output, execute(graph, seed=3).output)
    assert not np.array_equal(execute(graph, seed=3).output, execute(graph, seed=4).output)
    one, three = execute(graph, batch=1), execute(graph, batch=3)
    assert three.output.shape == (3, 5, 5, 128)
    assert three.layers[0].ops.macs == 3 * one.layers[0].ops.macs
    assert three.layers[0].params == one.layers[0].params


# --- structure ----------------------------------------------------------------------------------

def test_every_layer_kind_has_a_kernel():
    from convcost.layers import KINDS

    assert set(KERNELS) == set(KINDS), f"kinds without a kernel: {sorted(set(KINDS) - set(KERNELS))}"


def test_the_executor_never_imports_the_analytic_engine():
    """Independence: convcost/reference/ may read the graph, never the analytic rules."""
    forbidden = ("convcost.analysis", "convcost.layers", "convcost.language", "convcost.verify")
    root = Path(convcost.__file__).parent / "reference"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


# --- an independent library, where installed -----------------------------------------------------

def test_conv2d_against_scipy_correlate():
    signal = pytest.importorskip("scipy.signal")
    net, run = run_layer("{kind: conv2d, name: L, filters: 1, kernel: [3, 4], bias: false}", (9, 8, 1), batch=1)
    x, w = net.input[0, :, :, 0], net.parameters["L"]["kernel"][:, :, 0, 0]
    close(run.outputs["L"][0, :, :, 0], signal.correlate(x, w, mode="valid"))


def test_depthwise_same_against_scipy_correlate():
    signal = pytest.importorskip("scipy.signal")
    net, run = run_layer("{kind: depthwise_conv2d, name: L, kernel: 3, padding: same, bias: false}", (6, 7, 2),
                         batch=1)
    for c in range(2):
        expected = signal.correlate(net.input[0, :, :, c], net.parameters["L"]["kernel"][:, :, c, 0], mode="same")
        close(run.outputs["L"][0, :, :, c], expected)
