"""Issue 12, convolutions and pooling: conv1d, 1-D pooling, ceil_mode / count_include_pad.

Each rule against a hand-derived example, each kernel against a nested-loop oracle written here
(padding handled by an index test, windows cut by an explicit range), and verify agreeing.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

import convcost
from convcost.analysis import analyze
from convcost.cli import app
from convcost.reference import ReferenceNetwork

from cli_runner import runner


def layer_cost(kind: str, in_shape, **fields):
    """(output shape, cost) of one layer written in the spec language (fields as YAML flow values)."""
    written = ", ".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())
    text = f"input: {list(in_shape)}\nlayers:\n  - {{kind: {kind}, {written}}}\n"
    record = analyze(convcost.loads(text).build()).layers[0]
    return record.output_shape, record.cost


class Run:
    """One layer (named L) run forward in float64: its input, output, weights and tally."""

    def __init__(self, layer: str, input_shape, batch: int = 2):
        text = f"input: {list(input_shape)}\nlayers:\n  - {layer}\n"
        self.net = ReferenceNetwork(convcost.loads(text).build(), batch=batch, dtype="float64", seed=3)
        execution = self.net.forward(keep=True)
        self.attrs = self.net.graph.nodes[0].attrs
        self.x, self.y = self.net.input, execution.outputs["L"]
        self.weights = self.net.parameters["L"]
        self.ops = execution.layer("L").ops


def run_one(layer: str, input_shape, batch: int = 2) -> Run:
    return Run(layer, input_shape, batch)


def verified(tmp_path, text: str) -> dict:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["verify", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"] is True
    return data


# --- conv1d -------------------------------------------------------------------------------------

def test_conv1d_rule_worked_example():
    """[100, 16] input, 32 filters, kernel 5, valid (hand-derived, layers/conv.py): L_out = 96,
    macs = 96·32·5·16 = 245,760, weights 5·16·32 = 2,560, adds 96·32·79 + 96·32 = 245,760."""
    out, cost = layer_cost("conv1d", (100, 16), filters=32, kernel=5)
    assert out == (96, 32)
    assert cost.macs == 245_760 and cost.weights == 2_560 and cost.biases == 32
    assert cost.adds == 245_760


def conv1d_oracle(x, w, b, stride, dilation, pads, groups):
    """y[n, o, f] = b[f] + Σ_t Σ_c x[n, o·s + t·d − p_b, g·C/G + c] · w[t, c, f], by loops."""
    n_, length, c_in = x.shape
    k, cg, c_out = w.shape
    fg = c_out // groups
    out_len = (length + pads[0] + pads[1] - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((n_, out_len, c_out))
    for n, o, f in itertools.product(range(n_), range(out_len), range(c_out)):
        g = f // fg
        total = 0.0
        for t in range(k):
            i = o * stride + t * dilation - pads[0]
            if 0 <= i < length:
                for c in range(cg):
                    total += x[n, i, g * cg + c] * w[t, c, f]
        y[n, o, f] = total + (b[f] if b is not None else 0.0)
    return y


@pytest.mark.parametrize("layer,pads", [
    ("{kind: conv1d, filters: 4, kernel: 3, name: L}", (0, 0)),
    ("{kind: conv1d, filters: 6, kernel: 3, stride: 2, padding: same, groups: 3, name: L}", (1, 1)),
    ("{kind: conv1d, filters: 2, kernel: 2, dilation: 3, padding: [[2, 1]], bias: false, name: L}", (2, 1)),
])
def test_conv1d_kernel_matches_loops(layer, pads):
    r = run_one(layer, (11, 6))
    want = conv1d_oracle(r.x, r.weights["kernel"], r.weights.get("bias"), r.attrs.stride[0], r.attrs.dilation[0],
                         pads, r.attrs.groups)
    np.testing.assert_allclose(r.y, want, rtol=1e-10, atol=1e-12)


# --- pooling oracles ----------------------------------------------------------------------------

def pool_out(n, k, s, pb, pe, ceil_mode):
    span = n + pb + pe - k
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + pb:
        out -= 1
    return out


def pool_oracle(x, kernel, stride, pads, ceil_mode, mode, include_pad=False):
    """Max or average over each window by loops; also counts comparisons/adds over the taps
    inside the padded input (the convention) and the divisions."""
    spatial = x.shape[1:-1]
    outs = [pool_out(n, k, s, b, e, ceil_mode) for n, k, s, (b, e) in zip(spatial, kernel, stride, pads)]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    ops = 0
    for n, o, c in itertools.product(range(x.shape[0]), itertools.product(*map(range, outs)), range(x.shape[-1])):
        values, taps = [], 0
        for t in itertools.product(*map(range, kernel)):
            pos = [oi * s + ti - b for oi, ti, s, (b, _) in zip(o, t, stride, pads)]
            if any(p >= m + e for p, m, (_, e) in zip(pos, spatial, pads)):
                continue  # past the padded input (ceil mode): not a tap of this window
            taps += 1
            if all(0 <= p < m for p, m in zip(pos, spatial)):
                values.append(x[(n, *pos, c)])
            elif mode == "average":
                values.append(0.0)
        ops += taps - 1
        if mode == "max":
            y[(n, *o, c)] = max(values)
        else:
            real = sum(1 for t in itertools.product(*map(range, kernel))
                       if all(0 <= oi * s + ti - b < m for oi, ti, s, (b, _), m in zip(o, t, stride, pads, spatial)))
            y[(n, *o, c)] = sum(values) / (taps if include_pad else max(real, 1))
    return y, ops


POOLS = [
    ("max_pooling1d", "{kernel: 3, stride: 2, ceil_mode: true}", (10, 2), (3,), (2,), ((0, 0),)),
    ("average_pooling1d", "{kernel: 3, stride: 2, padding: 1, ceil_mode: true}", (10, 2), (3,), (2,), ((1, 1),)),
    ("average_pooling1d", "{kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true}",
     (10, 2), (3,), (2,), ((1, 1),)),
    ("max_pooling1d", "{kernel: 2}", (9, 3), (2,), (2,), ((0, 0),)),
    ("max_pooling2d", "{kernel: 3, stride: 2, ceil_mode: true}", (6, 7, 2), (3, 3), (2, 2), ((0, 0), (0, 0))),
    ("average_pooling2d", "{kernel: 3, stride: 2, padding: 1, count_include_pad: true}", (6, 5, 2), (3, 3),
     (2, 2), ((1, 1), (1, 1))),
    ("average_pooling2d", "{kernel: [2, 3], stride: [2, 2], padding: [[1, 1], [0, 1]], ceil_mode: true, "
     "count_include_pad: true}", (5, 6, 1), (2, 3), (2, 2), ((1, 1), (0, 1))),
    ("average_pooling3d", "{kernel: 2, stride: 2, ceil_mode: true}", (3, 5, 4, 1), (2, 2, 2), (2, 2, 2),
     ((0, 0),) * 3),
    ("max_pooling3d", "{kernel: 3, stride: 2, ceil_mode: true, padding: 1}", (4, 5, 6, 1), (3, 3, 3), (2, 2, 2),
     ((1, 1),) * 3),
]


@pytest.mark.parametrize("kind,fields,shape,kernel,stride,pads", POOLS)
def test_pooling_kernel_matches_loops(kind, fields, shape, kernel, stride, pads):
    layer = "{kind: " + kind + ", name: L, " + fields[1:]
    r = run_one(layer, shape)
    attrs = r.attrs
    mode = "max" if kind.startswith("max") else "average"
    include = getattr(attrs, "count_include_pad", False)
    want, ops = pool_oracle(r.x, kernel, stride, pads, attrs.ceil_mode, mode, include)
    np.testing.assert_allclose(r.y, want, rtol=1e-10, atol=1e-12)
    tally = r.ops
    assert (tally.comparisons if mode == "max" else tally.adds) == ops
    # the rule agrees with the oracle's count (batch 2 in the run, batch 1 in the rule)
    text = f"input: {list(shape)}\nlayers:\n  - {layer}\n"
    record = analyze(convcost.loads(text).build()).layers[0]
    out, cost = record.output_shape, record.cost
    assert out == want.shape[1:]
    assert (cost.comparisons if mode == "max" else cost.adds) * 2 == ops


def test_ceil_mode_worked_example():
    """Hand-derived (layers/pooling.py): max pooling k = 3, s = 2 on 6×6×1. Floor: 2×2 outputs,
    4·8 = 32 comparisons. Ceil: 3×3 outputs, the last window on each axis has 2 taps, taps per
    axis 3 + 3 + 2 = 8, comparisons 8·8 − 9 = 55."""
    out, cost = layer_cost("max_pooling2d", (6, 6, 1), kernel=3, stride=2)
    assert out == (2, 2, 1) and cost.comparisons == 32
    out, cost = layer_cost("max_pooling2d", (6, 6, 1), kernel=3, stride=2, ceil_mode=True)
    assert out == (3, 3, 1) and cost.comparisons == 55


def test_ceil_mode_last_window_must_start_inside():
    """PyTorch's rule: 5 with k = 2, s = 2, padding 1: ceil((5 + 2 − 2)/2) + 1 = 4, but a 4th
    window would start at 6 ≥ 5 + 1 (the right padding): 3 outputs."""
    out, _ = layer_cost("max_pooling1d", (5, 1), kernel=2, stride=2, padding=1, ceil_mode=True)
    assert out == (3, 1)


def test_count_include_pad_changes_values_not_counts():
    base = "{kind: average_pooling2d, name: L, kernel: 3, stride: 1, padding: 1"
    excl = run_one(base + "}", (4, 4, 1))
    incl = run_one(base + ", count_include_pad: true}", (4, 4, 1))
    corner = incl.x[0, :2, :2, 0].sum()
    assert incl.y[0, 0, 0, 0] == pytest.approx(corner / 9)
    assert excl.y[0, 0, 0, 0] == pytest.approx(corner / 4)
    assert incl.ops == excl.ops


def test_global_pooling_takes_sequences():
    out, cost = layer_cost("global_average_pooling", (50, 8), keepdims=False)
    assert out == (8,) and cost.adds == 8 * 49 and cost.divisions == 8
    out, cost = layer_cost("global_max_pooling", (50, 8), keepdims=True)
    assert out == (1, 8) and cost.comparisons == 8 * 49


SEQUENCE_SPEC = """\
name: seq
input: [40, 3]
layers:
  - {kind: conv1d, filters: 8, kernel: 5, padding: same, activation: relu}
  - {kind: max_pooling1d, kernel: 3, stride: 2, ceil_mode: true}
  - {kind: conv1d, filters: 8, kernel: 3, groups: 4, dilation: 2, padding: [[1, 2]]}
  - {kind: average_pooling1d, kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true}
  - {kind: global_max_pooling}
"""


def test_verify_agrees_on_a_sequence_network(tmp_path):
    verified(tmp_path, SEQUENCE_SPEC)


def test_conv1d_is_a_kind_now():
    result = runner.invoke(app, ["kinds", "conv1d"])
    assert result.exit_code == 0, result.output
    assert "[L, C]" in result.output


# --- adaptive pooling -------------------------------------------------------------------------------

def adaptive_oracle(x, output_size, mode):
    """PyTorch's adaptive pooling by loops: bin i of o over n is [floor(i·n/o), ceil((i + 1)·n/o));
    also the comparisons/adds over each bin's taps (taps − 1 per output)."""
    spatial = x.shape[1:-1]
    bins = [[(i * n // o, -(-(i + 1) * n // o)) for i in range(o)] for n, o in zip(spatial, output_size)]
    y = np.zeros((x.shape[0], *output_size, x.shape[-1]))
    ops = 0
    for n, o, c in itertools.product(range(x.shape[0]), itertools.product(*map(range, output_size)),
                                     range(x.shape[-1])):
        ranges = [range(*bins[a][o[a]]) for a in range(len(o))]
        values = [x[(n, *pos, c)] for pos in itertools.product(*ranges)]
        ops += len(values) - 1
        y[(n, *o, c)] = max(values) if mode == "max" else sum(values) / len(values)
    return y, ops


ADAPTIVE = [
    ("adaptive_average_pooling2d", "output_size: [7, 4]", (8, 9, 2)),
    ("adaptive_max_pooling2d", "output_size: [3, 13]", (8, 9, 2)),
    ("adaptive_average_pooling2d", "output_size: 1", (5, 3, 1)),
    ("adaptive_max_pooling2d", "output_size: 6", (7, 7, 1)),
    ("adaptive_average_pooling1d", "output_size: 5", (13, 2)),
    ("adaptive_max_pooling1d", "output_size: 9", (4, 3)),
]


@pytest.mark.parametrize("kind,fields,shape", ADAPTIVE)
def test_adaptive_pooling_kernel_matches_loops(kind, fields, shape):
    r = run_one("{kind: " + kind + ", name: L, " + fields + "}", shape)
    mode = "max" if "max" in kind else "average"
    want, ops = adaptive_oracle(r.x, r.attrs.output_size, mode)
    np.testing.assert_allclose(r.y, want, rtol=1e-10, atol=1e-12)
    assert (r.ops.comparisons if mode == "max" else r.ops.adds) == ops
    out, cost = layer_cost(kind, shape, **{fields.split(":")[0]: json.loads(fields.split(":", 1)[1])})
    assert out == want.shape[1:]
    assert (cost.comparisons if mode == "max" else cost.adds) * 2 == ops


def test_adaptive_pooling_torchvision_classifiers():
    """torchvision's VGG16 keeps 7×7 at any input with AdaptiveAvgPool2d((7, 7)); hand-derived:
    at 224×224 its features are 7×7×512 already (bins of one: 0 adds, 25,088 divisions); at 256×256
    they are 8×8×512, every bin 2 wide (8 + 7 − 1 = 14 taps per axis): adds 512·(14·14 − 49) = 75,264.
    AlexNet at 256×256: 7×7×256 to 6×6, 12 taps per axis, adds 256·(144 − 36) = 27,648."""
    out, cost = layer_cost("adaptive_average_pooling2d", (7, 7, 512), output_size=7)
    assert out == (7, 7, 512) and cost.adds == 0 and cost.divisions == 25_088
    out, cost = layer_cost("adaptive_average_pooling2d", (8, 8, 512), output_size=[7, 7])
    assert out == (7, 7, 512) and cost.adds == 75_264 and cost.divisions == 25_088
    out, cost = layer_cost("adaptive_average_pooling2d", (7, 7, 256), output_size=6)
    assert out == (6, 6, 256) and cost.adds == 27_648 and cost.divisions == 9_216


def test_adaptive_bins_taps_against_loops():
    from convcost.layers.pooling import adaptive_bins_taps

    for n, o in itertools.product(range(1, 20), range(1, 20)):
        assert adaptive_bins_taps(n, o) == sum(-(-(i + 1) * n // o) - i * n // o for i in range(o))


@pytest.mark.interop  # PyTorch: the interop run installs it (README)
def test_adaptive_pooling_matches_torch():
    torch = pytest.importorskip("torch")  # optional: the loop oracle above always runs
    r = run_one("{kind: adaptive_average_pooling2d, name: L, output_size: [3, 5]}", (7, 11, 2))
    got = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(r.x.transpose(0, 3, 1, 2)), (3, 5))
    np.testing.assert_allclose(r.y, got.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
