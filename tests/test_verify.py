"""`convcost verify`: the executor agrees with the analytic engine on every shipped spec at full
size (the MobileNet paper rows, Xception 299), and the command fails (exit 1) when a rule is
broken, and refuses bad input (exit 2)."""

from __future__ import annotations

import json

import pytest

import convcost
from convcost.cli import app
from convcost.layers import KINDS

from cli_runner import runner


def run(*args):
    return runner.invoke(app, ["verify", *args])


def verify_json(*args) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output + result.stderr
    return json.loads(result.stdout)


# Every layer kind of the spec language at once, 2-D, with residual adds and a concat.
EVERY_KIND_2D = """\
name: every kind 2-D
input: [12, 11, 4]
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 3, stride: 2, padding: same}
  - {kind: batch_norm, name: stem_bn}
  - {kind: relu6, name: stem_act}
  - {kind: depthwise_conv2d, name: dw, kernel: [3, 2], padding: [[1, 1], [0, 1]], depth_multiplier: 2}
  - {kind: conv2d, name: grouped, filters: 8, kernel: 3, groups: 4, padding: same, dilation: 2, bias: false}
  - {kind: add, name: residual, inputs: [grouped, stem_act]}
  - {kind: separable_conv2d, name: sep, filters: 6, kernel: 3, padding: same, activation: relu}
  - {kind: separable_conv2d, name: sep_pw, inputs: residual, filters: 3, kernel: 3, padding: same,
     order: pointwise_first, depth_multiplier: 2, activation: tanh}
  - {kind: concat, name: joined, inputs: [sep, sep_pw]}
  - {kind: sigmoid, name: gate}
  - {kind: zero_padding2d, name: zp, padding: [[1, 0], [0, 2]]}
  - {kind: max_pooling2d, name: maxpool, kernel: 3, stride: 2, padding: same}
  - {kind: average_pooling2d, name: avgpool, inputs: zp, kernel: 2, padding: same}
  - {kind: tanh, name: squash}
  - {kind: global_max_pooling, name: gmax, inputs: maxpool}
  - {kind: global_average_pooling, name: gavg, inputs: squash, keepdims: true}
  - {kind: flatten, name: flat}
  - {kind: dropout, name: drop, rate: 0.2}
  - {kind: upsampling2d, name: up, inputs: gate, size: 2, interpolation: bilinear}
  - {kind: space_to_depth, name: s2d, block_size: 2}
  - {kind: depth_to_space, name: d2s, block_size: 2}
  - {kind: cropping2d, name: crop, cropping: [[1, 2], [0, 1]]}
  - {kind: upsampling2d, name: near, target: [10, 13]}
  - {kind: channel_shuffle, name: shuffle, groups: 3}
  - {kind: split, name: half, parts: 2, part: 1}
  - {kind: reshape, name: rows, shape: [-1]}
  - {kind: concat, name: features, inputs: [drop, gmax, rows]}
  - {kind: dense, name: fc, units: 5}
  - {kind: softmax, name: probs}
  - {kind: layer_norm, name: ln, inputs: stem_act}
  - {kind: group_norm, name: gn, groups: 2}
  - {kind: instance_norm, name: inorm}
  - {kind: local_response_norm, name: lrn, size: 3}
  - {kind: scale, name: ls}
  - {kind: prelu, name: pr}
  - {kind: leaky_relu, name: leaky, alpha: 0.1}
  - {kind: elu, name: el}
  - {kind: gelu, name: ge}
  - {kind: gelu, name: get, approximate: tanh}
  - {kind: swish, name: sw}
  - {kind: silu, name: si}
  - {kind: hard_sigmoid, name: hsig}
  - {kind: hard_swish, name: hsw}
  - {kind: mish, name: mi}
  - {kind: softplus, name: sp}
  - {kind: linear, name: lin}
  - {kind: global_average_pooling, name: squeeze}
  - {kind: multiply, name: excite, inputs: [lin, squeeze]}
  - {kind: global_max_pooling, name: pooled}
  - {kind: dense, name: fc2, units: 5}
  - {kind: subtract, name: diff, inputs: [probs, fc2]}
"""

EVERY_KIND_3D = """\
name: every kind 3-D
input: [5, 6, 7, 3]
layers:
  - {kind: conv3d, name: c1, filters: 4, kernel: [3, 3, 1], padding: same, stride: [1, 2, 1]}
  - {kind: batch_norm, name: bn}
  - {kind: relu, name: act}
  - {kind: conv3d, name: c2, filters: 4, kernel: 2, groups: 2, padding: [[1, 0], [0, 1], [1, 1]], bias: false}
  - {kind: zero_padding3d, name: zp0, inputs: act, padding: [[2, 0], [0, 1], [0, 2]]}
  - {kind: cropping3d, name: zp, cropping: [[1, 0], [0, 1], [0, 1]]}
  - {kind: conv3d, name: c3, filters: 4, kernel: 2, dilation: [1, 1, 2]}
  - {kind: max_pooling3d, name: mp, inputs: c2, kernel: 2, padding: same}
  - {kind: average_pooling3d, name: ap, inputs: c3, kernel: [1, 2, 2], stride: 1, padding: valid}
  - {kind: global_average_pooling, name: g1, inputs: mp}
  - {kind: global_max_pooling, name: g2, inputs: ap}
  - {kind: add, name: sum, inputs: [g1, g2]}
  - {kind: dense, name: fc, units: 3, bias: false}
  - {kind: softmax, name: probs}
"""

# The kinds of issue 12 (1-D kinds, pooling options).
EVERY_KIND_ISSUE12 = """\
name: every-issue12
input: [24, 4]
layers:
  - {kind: conv1d, name: c1, filters: 6, kernel: 3, padding: same, groups: 2, activation: relu}
  - {kind: max_pooling1d, name: mp1, kernel: 3, stride: 2, ceil_mode: true}
  - {kind: average_pooling1d, name: ap1, kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true}
  - {kind: adaptive_average_pooling1d, name: aa1, inputs: c1, output_size: 5}
  - {kind: adaptive_max_pooling1d, name: am1, output_size: 7}
  - {kind: global_max_pooling, name: g}
"""
EVERY_KIND_ISSUE12_TRANSPOSED = """\
name: every-issue12-transposed
input: [4, 4, 2]
layers:
  - {kind: conv2d_transpose, name: t2, filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1, groups: 2,
     activation: relu}
  - {kind: conv2d_transpose, name: t2s, filters: 3, kernel: 3, stride: 2, padding: same, dilation: 2}
  - {kind: adaptive_average_pooling2d, name: aa2, output_size: [7, 5]}
  - {kind: adaptive_max_pooling2d, name: am2, output_size: 3}
"""
EVERY_KIND_ISSUE12_3D = """\
name: every-issue12-3d
input: [3, 4, 4, 2]
layers:
  - {kind: conv3d_transpose, name: t3, filters: 4, kernel: [2, 3, 1], stride: 2, padding: [[0, 0], [1, 1], [0, 0]],
     output_padding: [1, 1, 0], groups: 2, bias: false}
"""

# The kinds and fields of issue 13 (imported Keras and ONNX models).
EVERY_KIND_ISSUE13 = """\
name: every-issue13
input: [6, 5, 3]
layers:
  - {kind: rescaling, name: r, scale: [0.5, 2, 1], offset: -1}
  - {kind: normalization, name: nz}
  - {kind: batch_norm, name: bn, scale: false}
  - {kind: layer_norm, name: ln, center: false}
  - {kind: clip, name: cl, min: -0.5}
  - {kind: slice, name: sl, axis: 0, start: 1, stop: -1, step: 2}
"""


@pytest.fixture
def every_kind(tmp_path):
    two, three = tmp_path / "every2d.yaml", tmp_path / "every3d.yaml"
    two.write_text(EVERY_KIND_2D)
    three.write_text(EVERY_KIND_3D)
    issue12 = [tmp_path / f"every_issue12_{i}.yaml" for i in range(3)] + [tmp_path / "every_issue13.yaml"]
    for path, text in zip(issue12, (EVERY_KIND_ISSUE12, EVERY_KIND_ISSUE12_TRANSPOSED, EVERY_KIND_ISSUE12_3D,
                                    EVERY_KIND_ISSUE13)):
        path.write_text(text)
    return (str(two), str(three), *map(str, issue12))


def test_every_layer_kind_agrees(every_kind):
    used = set()
    for spec in every_kind:
        result = run(spec)
        assert result.exit_code == 0, result.output + result.stderr
        assert "✓ all" in result.stdout and "≠" not in result.stdout
        used |= {node.kind for node in convcost.load(spec).build().nodes}
    assert used == set(KINDS)  # the two specs cover the whole spec language


def test_json_batch_dtype_seed(every_kind):
    for args in ((), ("--batch", "3"), ("--dtype", "float64", "--seed", "7")):
        data = verify_json(every_kind[0], *args)
        assert data["agree"] is True and data["disagreements"] == 0
        assert all(layer["agree"] and not layer["mismatches"] for layer in data["layers"])
    assert data["dtype"] == "float64" and data["seed"] == 7
    stem = data["layers"][0]
    assert stem["name"] == "stem" and stem["values"]["output_shape"] == [6, 6, 8]
    assert stem["values"]["macs"] == 6 * 6 * 8 * 3 * 3 * 4
    batch3 = verify_json(every_kind[0], "--batch", "3")
    assert batch3["totals"]["macs"]["measured"] == 3 * data["totals"]["macs"]["measured"]


def test_no_progress_bar_when_not_a_terminal(every_kind):
    result = run(every_kind[0])
    assert result.exit_code == 0 and result.stderr == ""


# --- a broken analytic rule is caught (exit 1) ---------------------------------------------------

def _broken(kind: str, **changes):
    """The analytic cost rule of ``kind`` with some fields off: ``macs=+1`` adds 1 to macs."""
    original = KINDS[kind]

    def cost(attrs, inputs, out):
        c = original.cost(attrs, inputs, out)
        return c._replace(**{f: getattr(c, f) + d for f, d in changes.items()})

    return original._replace(cost=cost)


def test_off_by_one_rule_exits_1(monkeypatch, every_kind):
    monkeypatch.setitem(KINDS, "conv2d", _broken("conv2d", macs=+1))
    result = run(every_kind[0])
    assert result.exit_code == 1, result.output
    # the stem: 6·6·8·36 = 10,368 MACs measured; the broken rule claims one more
    assert "10,369 ≠ 10,368" in result.stdout
    assert "disagreement(s) in 2 layer(s): stem, grouped" in result.stdout.replace("\n", " ")


def test_each_count_and_parameter_group_is_checked(monkeypatch, every_kind):
    for kind, field in (("depthwise_conv2d", "effective_mults"), ("relu6", "comparisons"), ("softmax", "divisions"),
                        ("sigmoid", "exponentials"), ("add", "adds"), ("batch_norm", "mults"),
                        ("dense", "biases"), ("batch_norm", "bn_non_trainable"), ("separable_conv2d", "weights"),
                        ("batch_norm", "bn_trainable")):
        with monkeypatch.context() as patch:
            patch.setitem(KINDS, kind, _broken(kind, **{field: -1}))
            data = verify_json(every_kind[0])
        assert data["agree"] is False, (kind, field)
        bad = [(layer["name"], list(layer["mismatches"])) for layer in data["layers"] if layer["mismatches"]]
        assert bad and all(fields == [field] for _, fields in bad), (kind, field, bad)
        assert not data["totals"][field]["agree"]


def test_broken_shape_rule_exits_1(monkeypatch, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [4, 4, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 3, padding: same}\n"
                    "  - relu\n  - {kind: conv2d, filters: 2, kernel: 1}\n")
    original = KINDS["relu"]
    monkeypatch.setitem(KINDS, "relu", original._replace(
        output_shape=lambda attrs, inputs: inputs[0][:-1] + (inputs[0][-1] + 1,)))
    result = run(str(spec))
    assert result.exit_code == 1, result.output + result.stderr
    assert "4×4×5 ≠ 4×4×4" in result.stdout  # the relu: analytic claims 5 channels, the run made 4
    assert "160 ≠ 128" in result.stdout  # and the 1×1 conv after it: 4·4·2·5 against 4·4·2·4 MACs


# --- bad input (exit 2) ----------------------------------------------------------------------------

@pytest.mark.parametrize("body, code", [
    ("input: [8, 8, 3]\nlayers:\n  - {kind: convolution, filters: 8, kernel: 3}\n", "E201"),
    ("input: [4, 4, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernel: 5}\n", "E403"),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, name: a, filters: 8, kernel: 3}\n"
     "  - {kind: add, inputs: [a, input]}\n", "E402"),
])
def test_bad_spec_exits_2(tmp_path, body, code):
    spec = tmp_path / "bad.yaml"
    spec.write_text(body)
    result = run(str(spec))
    assert result.exit_code == 2
    assert f"{code} " in result.stderr and str(spec) in result.stderr


def test_memory_limit_exits_2():
    result = run("mobilenet", "--max-memory", "16MiB")
    assert result.exit_code == 2
    assert "over the limit of 16.00 MiB" in result.stderr and "--max-memory" in result.stderr
    assert run("mobilenet", "--max-memory", "lots").exit_code == 2
    assert run("mobilenet", "--set", "alhpa=1").exit_code == 2
    assert run("xception", "--set", "size=71", "--max-memory", "none", "-q").exit_code == 0


# --- full size: every shipped spec, every MobileNet paper row ---------------------------------------

MOBILENET_ROWS = [  # (alpha, rho, the paper's million mult-adds; the last two print 290 and 76, see GUIDE.md)
    (1, 1, 569), (0.75, 1, 325), (0.5, 1, 149), (0.25, 1, 41),
    (1, 0.857, 418), (1, 0.714, 291), (1, 0.571, 186), (0.5, 0.714, 77),
]


@pytest.mark.parametrize("alpha, rho, millions", MOBILENET_ROWS)
def test_mobilenet_paper_rows_full_size(alpha, rho, millions):
    data = verify_json("mobilenet", "--set", f"alpha={alpha}", "--set", f"rho={rho}")
    assert data["agree"] is True, [layer for layer in data["layers"] if not layer["agree"]][:3]
    assert round(data["totals"]["macs"]["measured"] / 1e6) == millions


def test_xception_299_full_size():
    data = verify_json("specs/xception.yaml")
    assert data["agree"] is True
    assert data["input_shape"] == [299, 299, 3]
    totals = data["totals"]
    assert totals["weights"]["measured"] + totals["biases"]["measured"] + totals["bn_trainable"]["measured"] \
        == 22_855_952  # Keras' trainable parameters (GUIDE.md section 4)
    assert totals["bn_non_trainable"]["measured"] == 54_528


# The specs that shipped before the zoo, small enough to verify at full size in every run. The zoo's
# networks (tests/test_zoo_*.py) verify at a reduced resolution there, and at full size here under
# `pytest -m slow` (U-Net's 572×572 tile alone is 150G MACs, 12 s and 1 GiB).
BEFORE_THE_ZOO = ("mobilenet_conv", "mobilenet_shallow", "xception_walkthrough", "seed_standard", "seed_separable",
                  "spatially_separable", "conv3d_example", "modified_separable")


@pytest.mark.parametrize("name", [
    name if name in BEFORE_THE_ZOO else pytest.param(name, marks=pytest.mark.slow)
    for name in convcost.shipped_specs() if name not in ("mobilenet", "xception")])
def test_every_other_shipped_spec_full_size(name):
    data = verify_json(name)
    assert data["agree"] is True, [layer for layer in data["layers"] if not layer["agree"]][:3]


@pytest.mark.parametrize("name, overrides, batch", [("mobilenet_conv", {"rho": 0.5}, 1), ("xception", {"size": 99}, 2),
                                                    ("modified_separable", {}, 1), ("conv3d_example", {"size": 56}, 1)])
def test_memory_estimate_bounds_what_numpy_allocates(name, overrides, batch):
    """The guard's estimate is an upper bound of the executor's traced allocations (NumPy reports
    its buffers to tracemalloc)."""
    import tracemalloc

    from convcost.reference import ReferenceNetwork

    graph = convcost.load(name).build(overrides)
    tracemalloc.start()
    try:
        net = ReferenceNetwork(graph, batch=batch)
        net.forward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= net.memory.total


def test_the_python_example_in_docs_verify_md_runs():
    import re
    from pathlib import Path

    doc = (Path(convcost.__file__).resolve().parent.parent / "docs" / "verify.md").read_text()
    block = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    namespace: dict = {}
    exec(compile(block, "docs/verify.md", "exec"), namespace)  # the doc's own example code, nothing else
    assert namespace["result"].agree and namespace["run"].layer("conv1").output_shape == (112, 112, 16)


def test_fused_activations_agree(tmp_path):
    """`activation:` on a layer is a layer of its own: the executor runs it as one, and agrees."""
    image = tmp_path / "fused.yaml"
    image.write_text("input: [6, 6, 3]\nlayers:\n"
                     "  - {kind: conv2d, name: c, filters: 4, kernel: 3, padding: same, activation: relu6}\n"
                     "  - {kind: depthwise_conv2d, name: dw, kernel: 3, activation: sigmoid}\n"
                     "  - {kind: conv2d, name: pw, filters: 2, kernel: 1, activation: tanh}\n"
                     "  - flatten\n  - {kind: dense, name: fc, units: 3, activation: softmax}\n")
    volume = tmp_path / "volume.yaml"
    volume.write_text("input: [3, 4, 4, 2]\nlayers:\n"
                      "  - {kind: conv3d, name: c, filters: 2, kernel: 2, activation: relu}\n")
    for spec, names in ((image, ["c", "c_relu6", "dw", "dw_sigmoid", "pw", "pw_tanh", "flatten_1", "fc",
                                 "fc_softmax"]),
                        (volume, ["c", "c_relu"])):
        data = verify_json(str(spec))
        assert data["agree"] is True
        assert [layer["name"] for layer in data["layers"]] == names
