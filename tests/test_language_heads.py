"""Issue 12, item 2.5: several named inputs (``inputs:``) and several outputs (``outputs:``):
the build, the analysis (peak memory keeps outputs alive), the executor (feeds every input),
W401, the report (docs/spec.md, "Several inputs and outputs")."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convcost
from convcost.analysis import analyze, summarize
from convcost.cli import app
from convcost.errors import SpecError
from convcost.reference.executor import ReferenceNetwork
from convcost.sweep import parse_axis, sweep

from cli_runner import runner

HEADS = """\
inputs: {image: [16, 16, 3], mask: [16, 16, 1]}
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 3, padding: same}
  - {kind: concat, name: joined, inputs: [stem, mask]}
  - {kind: conv2d, name: seg, filters: 2, kernel: 1}
  - {kind: global_average_pooling, name: pool, inputs: joined}
  - {kind: dense, name: cls, units: 10}
outputs: [seg, cls]
"""


def build(text: str, overrides=None):
    return convcost.loads(text).build(overrides)


def problems(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(SpecError) as caught:
        build(text)
    return [(p.code, p.location.line, p.location.column) for p in caught.value.problems]


def test_layers_read_named_inputs_and_the_first_layer_reads_the_first():
    graph = build(HEADS)
    assert graph.inputs == (("image", (16, 16, 3)), ("mask", (16, 16, 1))) and graph.input_shape == (16, 16, 3)
    assert graph.input_shapes() == {"image": (16, 16, 3), "mask": (16, 16, 1)}
    assert graph.outputs == ("seg", "cls") and graph.output_names() == ("seg", "cls")
    nodes = {n.name: n for n in graph.nodes}
    assert nodes["stem"].inputs == ("image",) and nodes["joined"].inputs == ("stem", "mask")
    assert not graph.warnings  # seg is read by none, but it is an output: no W401


def test_the_peak_counts_every_input_and_keeps_outputs_alive():
    # By hand (element counts): image 768, mask 256, stem 2,048, joined 2,304, seg 512, pool 9, cls 10.
    # stem runs: 768 + 256 + 2,048 = 3,072 (then image is freed); joined runs: 256 + 2,048 + 2,304 = 4,608.
    analysis = analyze(build(HEADS))
    assert analysis.peak_activation_elements == 4_608
    assert summarize(build(HEADS)).peak_activation_elements == 4_608
    # An output that a later layer reads stays alive to the end. A chain of 16×16×64 tensors (16,384
    # elements each): input -> feat -> more -> last. Without outputs two are alive at once at most
    # (a layer's input and its output); with 'feat' an output, while 'last' runs feat (kept), more
    # and last are: 3 × 16,384 = 49,152.
    text = ("input: [16, 16, 64]\nlayers:\n  - {kind: relu, name: feat}\n  - {kind: relu, name: more}\n"
            "  - {kind: relu6, name: last}\n")
    assert analyze(build(text)).peak_activation_elements == 16_384 * 2
    kept = analyze(build(text + "outputs: [feat, last]\n"))
    assert kept.peak_activation_elements == 16_384 * 3
    assert summarize(build(text + "outputs: [feat, last]\n")).peak_activation_elements == 16_384 * 3


def test_the_executor_feeds_every_input_and_agrees(tmp_path):
    path = tmp_path / "heads.yaml"
    path.write_text(HEADS, encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "✓ all 5 layers agree" in result.stdout
    net = ReferenceNetwork(build(HEADS))
    assert set(net.inputs) == {"image", "mask"} and net.inputs["mask"].shape == (1, 16, 16, 1)
    run = net.forward()
    assert set(run.heads) == {"seg", "cls"} and run.heads["seg"].shape == (1, 16, 16, 2)
    given = {"image": np.zeros((1, 16, 16, 3)), "mask": np.ones((1, 16, 16, 1))}
    assert net.forward(given).heads["cls"].shape == (1, 10)
    with pytest.raises(ValueError, match="give them by name"):
        net.forward(np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match="input 'mask' must have shape"):
        net.forward({"image": np.zeros((1, 16, 16, 3)), "mask": np.zeros((1, 16, 16, 2))})


def test_one_input_draws_as_before():
    net = ReferenceNetwork(convcost.load("seed_standard").build())
    assert list(net.inputs) == ["input"] and net.input is net.inputs["input"]


def test_report_and_json_show_them():
    result = runner.invoke(app, ["report", "-", "--format", "json"], input=HEADS)
    data = json.loads(result.stdout)
    assert data["inputs"] == {"image": [16, 16, 3], "mask": [16, 16, 1]} and data["outputs"] == ["seg", "cls"]
    assert data["input_shape"] == [16, 16, 3]
    text = runner.invoke(app, ["report", "-"], input=HEADS).stdout
    assert text.splitlines()[0].endswith("inputs image 16×16×3, mask 16×16×1  outputs seg, cls")
    assert "inputs" not in json.loads(runner.invoke(app, ["report", "seed_standard", "--format", "json"]).stdout)


def test_a_sweep_of_a_spec_with_two_inputs():
    text = HEADS.replace("inputs: {image: [16, 16, 3], mask: [16, 16, 1]}",
                         "parameters: {r: 16}\ninputs: {image: [r, r, 3], mask: [r, r, 1]}")
    result = sweep(convcost.loads(text), [parse_axis("r", "8,16")], columns=("macs", "peak_activation_elements"))
    for row in result.rows:
        fresh = analyze(build(text, {"r": row.config["r"]}))
        assert row.totals["macs"] == fresh.totals.macs
        assert row.totals["peak_activation_elements"] == fresh.peak_activation_elements


def test_an_unread_layer_is_w401_and_names_the_outputs():
    graph = build(HEADS.replace("outputs: [seg, cls]", "outputs: [cls]"))
    (warning,) = graph.warnings
    assert warning.code == "W401" and "not one of the network's outputs ('cls')" in warning.message


def test_outputs_may_name_layers_inside_instances():
    text = ("input: [8, 8, 3]\nblocks:\n  u:\n    layers:\n      - {kind: conv2d, name: c, filters: 4, kernel: 1}\n"
            "      - relu\nlayers:\n  - {kind: u, name: a}\n  - {kind: u, name: b}\noutputs: [a/c, b]\n")
    graph = build(text)
    assert graph.outputs == ("a/c", "b/relu_1") and not graph.warnings


def test_an_output_listed_twice_is_e401_at_the_second_entry():
    # it used to be dropped silently; the same layer by two spellings (an instance and its last layer) too
    text = ("input: [8, 8, 3]\nblocks:\n  u:\n    layers:\n      - {kind: conv2d, name: c, filters: 4, kernel: 1}\n"
            "      - relu\nlayers:\n  - {kind: u, name: a}\n  - {kind: u, name: b}\noutputs: [b, a/c, b/relu_1]\n")
    with pytest.raises(SpecError) as caught:
        build(text)
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line, problem.location.column) == ("E401", 10, 19)
    assert problem.message == "outputs: 'b/relu_1' is listed twice"
    assert problem.hint == "the first is at line 10, column 11 as 'b': list each output once"


@pytest.mark.parametrize("text, expected", [
    ("input: [8, 8, 3]\ninputs: {a: [8, 8, 3]}\nlayers: [relu]\n", [("E212", 2, 1)]),
    ("inputs: {a: [8, 8, 3]}\nlayers:\n  - {kind: relu, name: a}\n", [("E401", 3, 24)]),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: relu, name: r}\noutputs: [r, nothing]\n", [("E400", 4, 14)]),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: relu, name: r}\noutputs: []\n", [("E204", 4, 10)]),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: relu, name: r}\n  - relu6\noutputs: [r, relu6_1, r]\n",
     [("E401", 5, 23)]),
    ("inputs: {a: [8, 8, 3]}\nlayers:\n  - {kind: relu, name: r}\noutputs: [a]\n", [("E204", 4, 11)]),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: relu, name: r, when: false}\n  - relu6\noutputs: [r]\n",
     [("E211", 5, 11)]),
    ("inputs: {}\nlayers: [relu]\n", [("E204", 1, 9)]),
    ("inputs: {input: [8, 8, 3]}\nlayers: [relu]\n", [("E207", 1, 10)]),
])
def test_located_errors(text, expected):
    assert problems(text) == expected


def test_a_parameter_read_only_by_the_second_input_is_read():
    text = ("parameters: {r: 8, c: 1}\ninputs: {a: [r, r, 3], b: [r, r, c]}\n"
            "layers:\n  - {kind: concat, inputs: [a, b]}\n")
    graph = build(text)
    assert not graph.warnings and graph.inputs[1] == ("b", (8, 8, 1))
    assert build(text, {"c": "2"}).inputs[1] == ("b", (8, 8, 2))  # not E305


def test_a_layer_named_like_an_input_says_so():
    with pytest.raises(SpecError) as caught:
        build("inputs: {a: [8, 8, 3]}\nlayers:\n  - {kind: relu, name: a}\n")
    assert "the name of one of the network's inputs" in caught.value.problems[0].hint


def test_the_doc_example_builds():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "spec.md").read_text(encoding="utf-8")
    (example,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("inputs:")]
    graph = build(example)
    assert graph.outputs == ("segmentation", "classes") and not graph.warnings
    assert {n.name: n.inputs for n in graph.nodes}["mask_small"] == ("mask",)
