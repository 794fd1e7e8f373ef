"""Issue 12: elementwise layers with broadcasting, more activations, layer/group/instance norm and
local response normalization, and the two new fields special_functions and affine.

Rules against hand-derived examples (derivations in docs/conventions.md), kernels against
nested-loop oracles written here with ``math`` (and against torch.nn.functional where torch
imports), and verify agreeing on a spec that uses every one of them.
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
from convcost.layers.elementwise import broadcast_shape
from convcost.reference import ReferenceNetwork

from cli_runner import runner

E = 7 * 7 * 512  # 25,088 elements: a 7×7×512 tensor


def cost(kind: str, shape, fields: str = "", inputs=None):
    """The rule's Cost of one layer on ``shape`` (or on several input shapes)."""
    layer = KINDS[kind]
    attrs = layer.make_attrs(dict(_fields(kind, fields)) if layer.fields else {})
    shapes = tuple(inputs) if inputs else (tuple(shape),)
    return layer.cost(attrs, shapes, layer.output_shape(attrs, shapes))


def _fields(kind: str, text: str):
    spec = convcost.loads(f"input: [4, 4, 8]\nlayers:\n  - {{kind: {kind}{', ' + text if text else ''}}}\n")
    return spec.build().nodes[0].attrs._asdict().items()


# --- rules against worked examples ------------------------------------------------------------

def test_broadcast_shape_follows_numpy():
    assert broadcast_shape(((7, 7, 512), (1, 1, 512))) == (7, 7, 512)  # squeeze-and-excitation gate
    assert broadcast_shape(((7, 7, 512), (512,))) == (7, 7, 512)  # the [C] gate straight after pooling
    assert broadcast_shape(((7, 1, 8), (1, 5, 8))) == (7, 5, 8)
    assert broadcast_shape(((7, 7, 512), (7, 512))) == (7, 7, 512)  # [7, 512] lines up with [W, C]
    assert broadcast_shape(((7, 6, 512), (7, 512))) is None  # ... not with [H, C]
    for a, b in itertools.product([(3, 1, 4), (1, 4), (4,), (2, 3, 4), (5,)], repeat=2):
        try:
            expected = np.broadcast_shapes(a, b)
        except ValueError:
            expected = None
        assert broadcast_shape((a, b)) == expected


def test_squeeze_and_excitation_multiply():
    c = cost("multiply", None, inputs=[(7, 7, 512), (512,)])
    assert (c.mults, c.effective_mults, c.adds, c.params) == (E, E, 0, 0)  # one mult per output element
    three = cost("multiply", None, inputs=[(7, 7, 512), (1, 1, 512), (512,)])
    assert three.mults == 2 * E  # per extra input


def test_subtract_and_scale():
    assert cost("subtract", None, inputs=[(7, 7, 512), (1, 1, 512)]).adds == E
    scale = cost("scale", (7, 7, 512))
    assert (scale.mults, scale.affine, scale.params, scale.trainable_params) == (E, 512, 512, 512)


@pytest.mark.parametrize("kind, fields, counts", [
    # (mults, adds, comparisons, divisions, exponentials, special_functions) per element
    ("swish", "", (0, 1, 0, 1, 1, 0)),
    ("silu", "", (0, 1, 0, 1, 1, 0)),
    ("hard_sigmoid", "", (0, 1, 2, 1, 0, 0)),
    ("hard_swish", "", (1, 1, 2, 1, 0, 0)),
    ("softplus", "", (0, 1, 0, 0, 1, 1)),
    ("mish", "", (2, 3, 0, 1, 2, 1)),
    ("linear", "", (0, 0, 0, 0, 0, 0)),
    ("leaky_relu", "alpha: 0.01", (1, 0, 1, 0, 0, 0)),
    ("elu", "", (1, 1, 1, 0, 1, 0)),
    ("prelu", "", (1, 0, 1, 0, 0, 0)),
    ("gelu", "", (2, 1, 0, 1, 0, 1)),
    ("gelu", "approximate: tanh", (7, 4, 0, 1, 1, 0)),
])
def test_activation_counts_per_element(kind, fields, counts):
    c = cost(kind, (7, 7, 512), fields)
    assert (c.mults, c.adds, c.comparisons, c.divisions, c.exponentials, c.special_functions) == \
        tuple(E * k for k in counts)
    assert c.flops == E * sum(counts)  # special functions are in flops
    assert c.affine == (512 if kind == "prelu" else 0)


def test_gelu_tanh_worked_example():
    # hand-derived: x·x, ·x, ·0.044715, +x, ·√(2/π), tanh (1 mult, 1 exp, 2 adds, 1 div), +1, 0.5·x, ·
    c = cost("gelu", (7, 7, 512), "approximate: tanh")
    assert (c.mults, c.adds, c.exponentials, c.divisions) == (175_616, 100_352, 25_088, 25_088)


def test_layer_norm_worked_example():
    # 49 positions of n = 512: 2n mults, 4n − 1 adds, n + 2 divisions, 1 sqrt each (docs/conventions.md)
    c = cost("layer_norm", (7, 7, 512))
    assert (c.mults, c.adds, c.divisions, c.special_functions, c.affine) == (50_176, 100_303, 25_186, 49, 1024)
    along_height = cost("layer_norm", (7, 5, 3), "axis: 0")  # 15 groups of 7; gamma, beta of 7
    assert (along_height.adds, along_height.special_functions, along_height.affine) == (15 * 27, 15, 14)


def test_group_and_instance_norm():
    g = cost("group_norm", (7, 7, 512), "groups: 32")  # 32 groups of 49·16 = 784
    assert (g.mults, g.adds, g.divisions, g.special_functions, g.affine) == (
        32 * 2 * 784, 32 * (4 * 784 - 1), 32 * 786, 32, 1024)
    i = cost("instance_norm", (7, 7, 512))  # 512 groups of 49
    assert (i.adds, i.divisions, i.special_functions, i.affine) == (512 * 195, 512 * 51, 512, 1024)
    assert i == cost("group_norm", (7, 7, 512), "groups: 512")


def test_local_response_norm_alexnet():
    # AlexNet's first LRN, 55×55×96, size 5: 290,400 elements × (2 mults, 5 adds, 1 pow, 1 division)
    c = cost("local_response_norm", (55, 55, 96), "size: 5")
    assert (c.mults, c.adds, c.special_functions, c.divisions, c.params) == (
        580_800, 1_452_000, 290_400, 290_400, 0)


def test_report_json_has_the_new_fields(tmp_path):
    spec = tmp_path / "n.yaml"
    spec.write_text("input: [7, 7, 512]\nlayers:\n  - layer_norm\n  - {kind: gelu, approximate: none}\n")
    result = runner.invoke(app, ["report", str(spec), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"]["special_functions"] == 49 + E and data["totals"]["affine"] == 1024
    assert data["layers"][0]["affine"] == 1024 and data["layers"][1]["special_functions"] == E
    assert data["totals"]["trainable_params"] == data["totals"]["params"] == 1024


def test_new_activations_fuse():
    text = "input: [4, 4, 3]\nlayers:\n  - {kind: conv2d, name: c, filters: 8, kernel: 1, activation: hard_swish}\n"
    nodes = convcost.loads(text).build().nodes
    assert [(n.name, n.kind) for n in nodes] == [("c", "conv2d"), ("c_hard_swish", "hard_swish")]


# --- kernels against nested-loop oracles ------------------------------------------------------

def run_layer(layer: str, shape, before: str = ""):
    text = f"input: {list(shape)}\nlayers:\n{before}  - {layer}\n"
    net = ReferenceNetwork(convcost.loads(text).build(), batch=2, dtype="float64", seed=3)
    return net, net.forward(keep=True)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def each(x):
    return itertools.product(*[range(m) for m in x.shape])


SCALAR = {
    "swish": lambda v: v / (1 + math.exp(-v)),
    "silu": lambda v: v / (1 + math.exp(-v)),
    "hard_sigmoid": lambda v: min(max(v + 3, 0.0), 6.0) / 6,
    "hard_swish": lambda v: v * min(max(v + 3, 0.0), 6.0) / 6,
    "softplus": lambda v: math.log1p(math.exp(v)),
    "mish": lambda v: v * math.tanh(math.log1p(math.exp(v))),
    "linear": lambda v: v,
    "leaky_relu": lambda v: v if v > 0 else 0.1 * v,
    "elu": lambda v: v if v > 0 else 0.5 * math.expm1(v),
    "gelu": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
    "gelu_tanh": lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))),
}
LAYERS = {"leaky_relu": "{kind: leaky_relu, name: L, alpha: 0.1}", "elu": "{kind: elu, name: L, alpha: 0.5}",
          "gelu_tanh": "{kind: gelu, name: L, approximate: tanh}"}


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_activation_kernels_against_math(name):
    net, run = run_layer(LAYERS.get(name, f"{{kind: {name}, name: L}}"), (3, 4, 5))
    x = net.input * 3  # the seeded input is standard normal: widen it over both branches
    run = net.forward(x, keep=True)
    expected = np.zeros_like(x)
    for idx in each(x):
        expected[idx] = SCALAR[name](float(x[idx]))
    close(run.outputs["L"], expected)
    analytic = convcost.analyze(net.graph, batch=2).layer("L").cost
    for field in ("mults", "adds", "comparisons", "divisions", "exponentials", "special_functions"):
        assert getattr(run.layer("L").ops, field) == getattr(analytic, field), field


def test_prelu_kernel_against_loops():
    net, run = run_layer("{kind: prelu, name: L}", (3, 4, 5))
    a, x = net.parameters["L"]["alpha"], net.input
    expected = np.zeros_like(x)
    for idx in each(x):
        expected[idx] = x[idx] if x[idx] > 0 else a[idx[-1]] * x[idx]
    close(run.outputs["L"], expected)
    assert run.layer("L").params["affine"] == 5


def test_multiply_subtract_scale_against_loops():
    before = ("  - {kind: conv2d, name: a, filters: 6, kernel: 1}\n"
              "  - {kind: global_average_pooling, name: gate}\n"
              "  - {kind: global_max_pooling, name: gate2, inputs: a, keepdims: true}\n")
    net, run = run_layer("{kind: multiply, name: L, inputs: [a, gate, gate2]}", (3, 4, 2), before)
    a, g, g2 = run.outputs["a"], run.outputs["gate"], run.outputs["gate2"]
    expected = np.zeros_like(a)
    for n, i, j, c in each(a):
        expected[n, i, j, c] = a[n, i, j, c] * g[n, c] * g2[n, 0, 0, c]
    close(run.outputs["L"], expected)
    assert run.layer("L").ops.mults == 2 * a.size

    net, run = run_layer("{kind: subtract, name: L, inputs: [gate, a]}", (3, 4, 2), before)
    a, g = run.outputs["a"], run.outputs["gate"]
    for n, i, j, c in each(a):
        assert run.outputs["L"][n, i, j, c] == pytest.approx(g[n, c] - a[n, i, j, c], abs=1e-12)
    assert run.layer("L").ops.adds == a.size

    net, run = run_layer("{kind: scale, name: L}", (3, 4, 5))
    gamma = net.parameters["L"]["gamma"]
    close(run.outputs["L"], np.array([[[[net.input[n, i, j, c] * gamma[c] for c in range(5)] for j in range(4)]
                                        for i in range(3)] for n in range(2)]))


def oracle_standardize(x, groups_of):
    """Mean and (biased) variance of each group by loops; ``groups_of(idx)`` names an element's group."""
    members: dict = {}
    for idx in each(x):
        members.setdefault(groups_of(idx), []).append(float(x[idx]))
    stats = {}
    for key, values in members.items():
        mean = sum(values) / len(values)
        stats[key] = (mean, sum((v - mean) ** 2 for v in values) / len(values))
    out = np.zeros_like(x)
    for idx in each(x):
        mean, var = stats[groups_of(idx)]
        out[idx] = (x[idx] - mean) / math.sqrt(var + 1e-5)
    return out


@pytest.mark.parametrize("layer, groups_of, along", [
    ("{kind: layer_norm, name: L}", lambda i: i[:-1], -1),
    ("{kind: layer_norm, name: L, axis: 1}", lambda i: (i[0], i[1], i[3]), 1),  # along the width
    ("{kind: group_norm, name: L, groups: 3}", lambda i: (i[0], i[3] // 2), -1),
    ("{kind: instance_norm, name: L}", lambda i: (i[0], i[3]), -1),
])
def test_norm_kernels_against_loops(layer, groups_of, along):
    net, run = run_layer(layer, (3, 4, 6))
    p, x = net.parameters["L"], net.input
    z = oracle_standardize(x, groups_of)
    expected = np.zeros_like(x)
    for idx in each(x):
        c = idx[along] if along == -1 else idx[along + 1]
        expected[idx] = z[idx] * p["gamma"][c] + p["beta"][c]
    close(run.outputs["L"], expected)
    analytic = convcost.analyze(net.graph, batch=2).layer("L").cost
    ops = run.layer("L").ops
    assert (ops.mults, ops.adds, ops.divisions, ops.special_functions) == (
        analytic.mults, analytic.adds, analytic.divisions, analytic.special_functions)
    assert run.layer("L").params["affine"] == analytic.affine


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_local_response_norm_against_loops(size):
    net, run = run_layer(f"{{kind: local_response_norm, name: L, size: {size}, alpha: 0.5, beta: 0.75, k: 2}}",
                         (2, 3, 6))
    x = net.input
    expected = np.zeros_like(x)
    for idx in each(x):
        c = idx[-1]
        window = range(max(0, c - size // 2), min(6, c + (size - 1) // 2 + 1))
        total = sum(float(x[(*idx[:-1], j)]) ** 2 for j in window)
        expected[idx] = x[idx] / (2 + 0.5 / size * total) ** 0.75
    close(run.outputs["L"], expected)
    assert run.layer("L").ops.adds == x.size * size  # size − 1 per window sum, + k


@pytest.mark.interop  # PyTorch: the interop run installs it (README)
def test_against_torch_where_it_imports():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    net, run = run_layer("{kind: local_response_norm, name: L, size: 5, alpha: 0.0001, beta: 0.75, k: 1}",
                         (3, 4, 7))
    t = torch.from_numpy(np.moveaxis(net.input, -1, 1).copy())
    close(run.outputs["L"], np.moveaxis(F.local_response_norm(t, 5, 1e-4, 0.75, 1.0).numpy(), 1, -1))
    for layer, function in (("gelu", lambda v: F.gelu(v)), ("{kind: gelu, name: L, approximate: tanh}",
                                                              lambda v: F.gelu(v, approximate="tanh")),
                            ("hard_swish", F.hardswish), ("hard_sigmoid", F.hardsigmoid), ("mish", F.mish),
                            ("silu", F.silu), ("softplus", F.softplus)):
        item = layer if layer.startswith("{") else f"{{kind: {layer}, name: L}}"
        net, run = run_layer(item, (3, 4, 7))
        close(run.outputs["L"], function(torch.from_numpy(net.input)).numpy())


# --- verify and bad specs ---------------------------------------------------------------------

EVERY_NEW_KIND = """\
name: issue 12 kinds
input: [6, 5, 8]
layers:
  - {kind: conv2d, name: c1, filters: 8, kernel: 3, padding: same, activation: swish}
  - silu
  - hard_sigmoid
  - hard_swish
  - mish
  - softplus
  - linear
  - {kind: leaky_relu, alpha: 0.01}
  - elu
  - prelu
  - gelu
  - {kind: gelu, approximate: tanh}
  - {kind: layer_norm, name: ln}
  - {kind: layer_norm, axis: 0}
  - {kind: group_norm, groups: 4}
  - instance_norm
  - {kind: local_response_norm, size: 5}
  - {kind: local_response_norm, size: 4, alpha: 1, beta: 0.5, k: 2}
  - {kind: scale, name: ls}
  - global_average_pooling
  - {kind: dense, name: fc, units: 8, activation: hard_sigmoid}
  - {kind: multiply, name: se, inputs: [ls, fc]}
  - {kind: multiply, name: se3, inputs: [se, ls, fc]}
  - {kind: subtract, name: sub, inputs: [se3, ln]}
"""


def test_verify_agrees_on_every_new_kind(tmp_path):
    spec = tmp_path / "new.yaml"
    spec.write_text(EVERY_NEW_KIND)
    result = runner.invoke(app, ["verify", str(spec), "--format", "json", "--batch", "2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["agree"] and data["totals"]["special_functions"]["measured"] > 0
    affine = 8 + 16 + 12 + 16 + 16 + 8  # prelu, the two layer norms, group, instance, scale
    assert data["totals"]["affine"]["analytic"] == data["totals"]["affine"]["measured"] == affine
    used = {node.kind for node in convcost.loads(EVERY_NEW_KIND).build().nodes}
    new = {"multiply", "subtract", "scale", "swish", "silu", "hard_sigmoid", "hard_swish", "mish", "softplus",
           "linear", "leaky_relu", "elu", "prelu", "gelu", "layer_norm", "group_norm", "instance_norm",
           "local_response_norm"}
    assert new <= used


def test_explain_and_kinds_text():
    text = "input: [7, 7, 512]\nlayers:\n  - {kind: layer_norm, name: ln}\n"
    spec = convcost.loads(text)
    from convcost.explain import explain

    lines = explain(convcost.analyze(spec.build()), "ln")
    assert "  special functions = 49" in lines and any("1,024 affine" in line for line in lines)
    result = runner.invoke(app, ["kinds", "subtract"])
    assert "exactly 2" in result.stdout
