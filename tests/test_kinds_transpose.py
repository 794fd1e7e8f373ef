"""Issue 12: conv2d_transpose and conv3d_transpose.

The rule against hand-derived figures (ptflops issue #149's layer), the kernel against a
nested-loop oracle written here from PyTorch's definition (output o receives input i through tap
t where i·s + t·d − p_begin = o), which also counts multiplications and adds per the convention,
against torch.nn.functional.conv_transpose2d when torch is importable, and verify agreeing.
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
from convcost.layers.transpose import covered_positions, transpose_output_size
from convcost.reference import ReferenceNetwork

from cli_runner import runner

PTFLOPS_149 = """\
name: ptflops-149
input: [2, 2, 3]
layers:
  - {kind: conv2d_transpose, name: up, filters: 1, kernel: 2, stride: 2}
"""


def record_of(text: str):
    return analyze(convcost.loads(text).build()).layers[0]


def test_ptflops_149_worked_example():
    """ptflops issue #149 (github.com/sovrasov/flops-counter.pytorch/issues/149) reports 208 MACs for
    PyTorch ConvTranspose2d(3, 1, 2, stride=2) on a 2×2 input: 16 output positions × 4 taps × 3
    channels + 16 biases, i.e. counted as if it were a convolution over its output. Hand count:
    output (2 − 1)·2 + 2 = 4 per axis; MACs = 4 input positions × 3 channels × 4 taps × 1 filter = 48;
    each output gets one tap of one input position (k = s), 3 products: adds = 16·(3 − 1) + 16 = 48."""
    record = record_of(PTFLOPS_149)
    assert record.output_shape == (4, 4, 1)
    assert record.cost.macs == 48 and record.cost.mults == 48 and record.cost.effective_mults == 48
    assert record.cost.adds == 48
    assert record.cost.weights == 12 and record.cost.biases == 1


def test_ptflops_149_measured_by_verify(tmp_path):
    """The executor measures the same 48 MACs and 48 adds on the ptflops #149 layer."""
    data = verified(tmp_path, PTFLOPS_149)
    assert data["layers"][0]["agree"] is True
    assert data["totals"]["macs"] == {"analytic": 48, "measured": 48, "agree": True}
    assert data["totals"]["adds"] == {"analytic": 48, "measured": 48, "agree": True}


def test_output_size_formula():
    assert transpose_output_size(2, 2, 2, (0, 0), 0, 1) == 4
    assert transpose_output_size(7, 3, 2, (1, 1), 1, 1) == 14
    assert transpose_output_size(5, 4, 3, (2, 1), 2, 2) == (5 - 1) * 3 - 3 + 2 * 3 + 2 + 1


@pytest.mark.parametrize("n,k,s,d", [(n, k, s, d) for n in (1, 2, 5) for k in (1, 2, 3, 5) for s in (1, 2, 3, 4)
                                     for d in (1, 2, 3)])
def test_covered_positions_against_a_set(n, k, s, d):
    assert covered_positions(n, k, s, d) == len({i * s + t * d for i in range(n) for t in range(k)})


def test_same_gives_n_times_stride():
    record = record_of("input: [7, 5, 2]\nlayers:\n  - {kind: conv2d_transpose, filters: 3, kernel: 3, "
                       "stride: 2, padding: same}\n")
    assert record.output_shape == (14, 10, 3)


# --- the kernel against loops ----------------------------------------------------------------------

def transpose_oracle(x, w, b, stride, dilation, begin, out, groups):
    """y[n, o, f] = b[f] + Σ x[n, i, g·C/G + c] · w[t, c, f] over i·s + t·d − begin = o (per axis), by
    loops over inputs, taps, channels and filters. Also the convention's counts: mults (every
    product), adds (per full-output element: contributions − 1 where it has any; + 1 per output
    with bias)."""
    rank = x.ndim - 2
    spatial, c_in = x.shape[1:-1], x.shape[-1]
    taps, c_out = w.shape[:rank], w.shape[-1]
    cg, fg = c_in // groups, c_out // groups
    y = np.zeros((x.shape[0], *out, c_out))
    hits: dict[tuple, int] = {}
    mults = 0
    for n in range(x.shape[0]):
        for i in itertools.product(*map(range, spatial)):
            for t in itertools.product(*map(range, taps)):
                full = tuple(ii * s + tt * d for ii, tt, s, d in zip(i, t, stride, dilation))
                o = tuple(f - bb for f, bb in zip(full, begin))
                inside = all(0 <= oo < m for oo, m in zip(o, out))
                for f in range(c_out):
                    g = f // fg
                    for c in range(cg):
                        mults += 1
                        hits[(n, full, f)] = hits.get((n, full, f), 0) + 1
                        if inside:
                            y[(n, *o, f)] += x[(n, *i, g * cg + c)] * w[(*t, c, f)]
    adds = sum(h - 1 for h in hits.values())
    if b is not None:
        y += b
        adds += y.size
    return y, mults, adds


def run_layer(layer: str, shape):
    text = f"input: {list(shape)}\nlayers:\n  - {layer}\n"
    net = ReferenceNetwork(convcost.loads(text).build(), batch=2, dtype="float64", seed=5)
    execution = net.forward(keep=True)
    return net, net.graph.nodes[0].attrs, execution.outputs["L"], execution.layer("L").ops


CASES = [  # (layer fields, input shape, crop at the begin per axis)
    ("filters: 1, kernel: 2, stride: 2", (2, 2, 3), (0, 0)),
    ("filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1", (3, 4, 2), (1, 1)),
    ("filters: 6, kernel: [2, 3], stride: [1, 2], groups: 3, padding: [[1, 0], [2, 2]], bias: false", (3, 3, 3),
     (1, 2)),
    ("filters: 2, kernel: 2, stride: 3, dilation: [1, 2], output_padding: [2, 1]", (3, 2, 1), (0, 0)),
    ("filters: 2, kernel: 1, stride: 3, padding: same", (2, 3, 2), (0, 0)),
    ("filters: 3, kernel: 4, stride: 2, padding: same", (3, 3, 2), (1, 1)),
    ("filters: 2, kernel: 3, stride: 1, dilation: 2, padding: same", (4, 3, 1), (2, 2)),
]


@pytest.mark.parametrize("fields,shape,begin", CASES)
def test_conv2d_transpose_kernel_matches_loops(fields, shape, begin):
    net, attrs, y, ops = run_layer("{kind: conv2d_transpose, name: L, " + fields + "}", shape)
    weights = net.parameters["L"]
    want, mults, adds = transpose_oracle(net.input, weights["kernel"], weights.get("bias"), attrs.stride,
                                         attrs.dilation, begin, y.shape[1:-1], attrs.groups)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    assert ops.macs == ops.mults == ops.effective_mults == mults
    assert ops.adds == adds
    record = record_of(f"input: {list(shape)}\nlayers:\n  - {{kind: conv2d_transpose, {fields}}}\n")
    assert record.output_shape == y.shape[1:]
    assert 2 * record.cost.macs == mults and 2 * record.cost.adds == adds


def test_conv3d_transpose_kernel_matches_loops():
    fields = ("filters: 2, kernel: [2, 1, 3], stride: [2, 3, 1], padding: [[0, 1], [0, 0], [1, 1]], "
              "output_padding: [1, 2, 0]")
    net, attrs, y, ops = run_layer("{kind: conv3d_transpose, name: L, " + fields + "}", (2, 3, 2, 2))
    weights = net.parameters["L"]
    want, mults, adds = transpose_oracle(net.input, weights["kernel"], weights["bias"], attrs.stride,
                                         attrs.dilation, (0, 0, 1), y.shape[1:-1], attrs.groups)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    assert (ops.macs, ops.adds) == (mults, adds)
    assert y.shape[1:] == (4, 9, 2, 2)


@pytest.mark.interop  # PyTorch: the interop run installs it (README)
def test_conv2d_transpose_matches_torch():
    torch = pytest.importorskip("torch")  # optional: the loop oracle above always runs
    net, attrs, y, _ = run_layer("{kind: conv2d_transpose, name: L, filters: 4, kernel: 3, stride: 2, padding: 1, "
                                 "output_padding: 1, groups: 2}", (4, 5, 6))
    w = net.parameters["L"]["kernel"]  # (kh, kw, C_in/G, C_out) -> torch (C_in, C_out/G, kh, kw)
    g, fg = 2, 2  # groups, filters per group
    tw = np.concatenate([w[:, :, :, k * fg:(k + 1) * fg].transpose(2, 3, 0, 1) for k in range(g)], axis=0)
    got = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(net.input.transpose(0, 3, 1, 2)), torch.from_numpy(tw),
        torch.from_numpy(net.parameters["L"]["bias"]), stride=2, padding=1, output_padding=1, groups=g)
    np.testing.assert_allclose(y, got.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    assert math.prod(y.shape) > 0


# --- verify and errors ---------------------------------------------------------------------------

def verified(tmp_path, text: str) -> dict:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["verify", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"] is True
    return data


DECODER = """\
name: decoder
input: [7, 7, 8]
layers:
  - {kind: conv2d_transpose, filters: 8, kernel: 3, stride: 2, padding: 1, output_padding: 1, activation: relu}
  - {kind: conv2d_transpose, filters: 4, kernel: 4, stride: 2, padding: same, groups: 4}
  - {kind: conv2d_transpose, filters: 2, kernel: 1, stride: 3, bias: false}
"""


def test_verify_agrees_on_a_decoder(tmp_path):
    verified(tmp_path, DECODER)


def problem(tmp_path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output + result.stderr
    return result.stderr


def test_output_padding_must_be_below_stride_or_dilation(tmp_path):
    err = problem(tmp_path, "input: [4, 4, 2]\nlayers:\n  - {kind: conv2d_transpose, filters: 2, kernel: 3, "
                            "stride: 2, output_padding: 2}\n")
    assert "E410" in err and "output_padding" in err
    # below the dilation is enough, as in PyTorch
    record_of("input: [4, 4, 2]\nlayers:\n  - {kind: conv2d_transpose, filters: 2, kernel: 3, stride: 1, "
              "dilation: 2, output_padding: 1}\n")


def test_output_padding_with_same_is_refused(tmp_path):
    err = problem(tmp_path, "input: [4, 4, 2]\nlayers:\n  - {kind: conv2d_transpose, filters: 2, kernel: 3, "
                            "stride: 2, padding: same, output_padding: 1}\n")
    assert "E411" in err


def test_padding_that_crops_everything(tmp_path):
    err = problem(tmp_path, "input: [1, 1, 2]\nlayers:\n  - {kind: conv2d_transpose, filters: 2, kernel: 1, "
                            "padding: 1}\n")
    assert "E403" in err


def test_layer_calculator_takes_the_new_fields():
    result = runner.invoke(app, ["layer", "conv2d_transpose", "-i", "2x2x3", "--filters", "1", "-k", "2",
                                 "--stride", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"macs": 48,' in result.stdout
    result = runner.invoke(app, ["layer", "conv2d_transpose", "-i", "4x4x2", "--filters", "1", "-k", "3",
                                 "--stride", "2", "--output-padding", "2"])
    assert result.exit_code == 2 and "--output-padding: E410" in result.stderr
    result = runner.invoke(app, ["layer", "max_pooling2d", "-i", "6x6x1", "-k", "3", "--stride", "2", "--ceil-mode"])
    assert result.exit_code == 0 and "55" in result.stdout
    result = runner.invoke(app, ["layer", "adaptive_average_pooling2d", "-i", "8x8x512", "--output-size", "7"])
    assert result.exit_code == 0 and "75,264" in result.stdout


def test_explain_covers_the_new_kinds():
    from convcost.explain import explain

    result = convcost.analyze(convcost.loads(PTFLOPS_149))
    text = "\n".join(explain(result, "up"))
    assert "= 48" in text and "2·2·3·2·2·1/1" in text
    spec = ("input: [12, 3]\nlayers:\n  - {kind: conv1d, name: c, filters: 2, kernel: 3}\n"
            "  - {kind: average_pooling1d, name: p, kernel: 3, stride: 2, ceil_mode: true, count_include_pad: true}\n"
            "  - {kind: adaptive_max_pooling1d, name: a, output_size: 3}\n")
    result = convcost.analyze(convcost.loads(spec))
    for name in ("c", "p", "a"):
        assert len(explain(result, name)) > 3, name
    assert "n + o − gcd(n, o)" in "\n".join(explain(result, "a"))
