"""Issue 12, item 2: shape-aware expressions (in_channels, …), comparisons and booleans, and
conditional items (``when:``) in the spec language (docs/spec.md, "The input's shape",
"Conditions" and "Conditional layers")."""

from __future__ import annotations

import pytest

import convcost
from convcost.analysis import analyze
from convcost.cli import app
from convcost.errors import Location, SpecError
from convcost.language.expressions import evaluate, parse_expression, shape_values
from convcost.sweep import parse_axis, sweep

from cli_runner import runner


def build(text: str, overrides=None):
    return convcost.loads(text).build(overrides)


def problems(text: str, overrides=None) -> list[tuple[str, int, int, str]]:
    with pytest.raises(SpecError) as caught:
        build(text, overrides)
    return [(p.code, p.location.line, p.location.column, p.message) for p in caught.value.problems]


def value(text: str, scope=None):
    where = Location("<test>", 1, 1)
    return evaluate(parse_expression(text, where), scope or {}, where)


# The MobileNetV2 inverted residual (Sandler et al. 2018, Table 1), written once: the expansion
# reads the block's input channels, the residual exists only when the stride is 1 and the shape
# is kept. The block's input channels are a block parameter whose default reads the block's input.
INVERTED = """
parameters: {resolution: 32}
input: [resolution, resolution, 16]
blocks:
  inverted:
    parameters: {filters: null, stride: 1, expansion: 6, block_in: in_channels}
    layers:
      - {kind: conv2d, name: expand, filters: in_channels * expansion, kernel: 1, bias: false, when: expansion != 1}
      - {kind: batch_norm, name: expand_bn, when: expansion != 1}
      - {kind: relu6, name: expand_relu, when: expansion != 1}
      - {kind: depthwise_conv2d, name: dw, kernel: 3, stride: stride, padding: same, bias: false}
      - {kind: batch_norm, name: dw_bn}
      - {kind: relu6, name: dw_relu}
      - {kind: conv2d, name: project, filters: filters, kernel: 1, bias: false}
      - {kind: batch_norm, name: project_bn}
      - {kind: add, name: residual, inputs: [project_bn, input], when: stride == 1 and block_in == filters}
layers:
  - {kind: inverted, name: b1, filters: 16, expansion: 1}
  - {kind: inverted, name: b2, filters: 24, stride: 2}
  - {kind: inverted, name: b3, filters: 24, repeat: 2}
  - global_average_pooling
  - {kind: dense, units: in_channels * 2}
"""


def test_the_inverted_residual_is_written_once():
    graph = build(INVERTED)
    nodes = {node.name: node for node in graph.nodes}
    assert "b1/expand" not in nodes and "b1/residual" in nodes  # expansion 1: no expansion layers
    assert nodes["b1/dw"].inputs == ("input",)
    assert nodes["b2/expand"].attrs.filters == 16 * 6  # in_channels of the block's input
    assert "b2/residual" not in nodes  # stride 2: no residual, the block's output is project_bn
    assert nodes["b3_1/expand"].inputs == ("b2/project_bn",)
    assert nodes["b3_1/expand"].attrs.filters == 24 * 6
    assert nodes["b3_1/residual"].inputs == ("b3_1/project_bn", "b2/project_bn")
    assert nodes["b3_2/residual"].inputs == ("b3_2/project_bn", "b3_1/residual")
    assert nodes["dense_1"].attrs.units == 48  # after global pooling, in_channels is the vector's size


def test_the_inverted_residual_counts_by_hand():
    # b2/expand: 1×1 conv 16 -> 96 on 32×32: 32·32·96·16 = 1,572,864 MACs; dense 24 -> 48: 1,152.
    records = {r.name: r for r in analyze(build(INVERTED)).layers}
    assert records["b2/expand"].macs == 32 * 32 * 96 * 16 == 1_572_864
    assert records["b3_1/expand"].macs == 16 * 16 * 144 * 24 == 884_736
    assert records["dense_1"].macs == 24 * 48 == 1_152


def test_the_executor_agrees_on_a_spec_with_shapes_and_conditions(tmp_path):
    path = tmp_path / "inverted.yaml"
    path.write_text(INVERTED.replace("resolution: 32", "resolution: 8"), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "✓ all" in result.stdout and "≠" not in result.stdout


def test_shape_names_by_rank():
    assert shape_values((7, 5, 3), "x")["in_height"] == 7
    values = shape_values((4, 7, 5, 3), "x")
    assert (values["in_depth"], values["in_height"], values["in_width"], values["in_channels"]) == (4, 7, 5, 3)
    values = shape_values((10, 6), "x")
    assert (values["in_length"], values["in_channels"]) == (10, 6)
    assert shape_values((1000,), "x")["in_channels"] == 1000


def test_a_repeated_item_reads_the_shape_of_each_repetition():
    graph = build("input: [8, 8, 4]\nlayers:\n  - {kind: conv2d, name: c, filters: in_channels * 2, kernel: 1, "
                  "repeat: 3}\n")
    assert [node.attrs.filters for node in graph.nodes] == [8, 16, 32]


def test_repeat_may_read_the_shape_of_the_items_input():
    graph = build("input: [32, 32, 8]\nlayers:\n  - {kind: max_pooling2d, kernel: 2, repeat: in_channels // 4}\n")
    assert [node.name for node in graph.nodes] == ["max_pooling2d_1", "max_pooling2d_2"]


def test_a_merge_reads_the_shape_of_its_first_input():
    graph = build("input: [8, 8, 4]\nlayers:\n  - {kind: conv2d, name: a, filters: 6, kernel: 1}\n"
                  "  - {kind: concat, inputs: [a, input]}\n  - {kind: conv2d, filters: in_channels, kernel: 1}\n"
                  "  - {kind: dense, units: in_width, when: in_channels == 10}\n")
    assert [node.attrs.filters for node in graph.nodes if node.kind == "conv2d"] == [6, 10]
    assert graph.nodes[-1].attrs.units == 8


def test_a_block_built_on_two_input_shapes_is_two_templates():
    text = """
input: [16, 16, 4]
blocks:
  grow:
    layers:
      - {kind: conv2d, name: c, filters: in_channels * 2, kernel: 3, stride: 2, padding: same}
layers:
  - {kind: grow, repeat: 3}
  - {kind: grow, name: again}
"""
    graph = build(text)
    assert [(node.name, node.attrs.filters) for node in graph.nodes] == [
        ("grow_1/c", 8), ("grow_2/c", 16), ("grow_3/c", 32), ("again/c", 64)]
    assert build(text).nodes == graph.nodes  # built again from the memo: the same


SWEPT = """
parameters: {resolution: 32}
input: [resolution, resolution, 3]
blocks:
  square:
    parameters: {side: in_height}
    layers:
      - {kind: conv2d, name: c, filters: side // 4, kernel: 3, padding: same}
      - {kind: max_pooling2d, kernel: 2, when: in_width > 16}
layers:
  - {kind: conv2d, filters: in_height // 2, kernel: 1}
  - square
  - global_average_pooling
  - {kind: dense, units: in_channels}
"""


def test_a_sweep_over_the_resolution_is_right_for_a_spec_that_reads_shapes():
    # The memo of the build (nodes kept by the parameters they read) must key these by the shape
    # they read: each configuration equals a fresh build of it.
    spec = convcost.loads(SWEPT)
    result = sweep(spec, [parse_axis("resolution", "16,32,64,32,16")], columns=("macs", "params", "layers"))
    for row in result.rows:
        fresh = analyze(convcost.loads(SWEPT).build({"resolution": row.config["resolution"]}))
        assert row.totals["macs"] == fresh.totals.macs
        assert row.totals["params"] == fresh.totals.params
        assert row.totals["layers"] == len(fresh.layers)
    r = 64  # by hand: conv 1×1 3 -> 32; conv 3×3 32 -> 16 (side 64 // 4); pooling; dense 16 -> 16
    assert result.rows[2].totals["macs"] == r * r * 32 * 3 + r * r * 16 * 9 * 32 + 16 * 16
    assert result.rows[0].totals["layers"] == 4 and result.rows[1].totals["layers"] == 5


def test_a_shape_name_in_a_spec_parameter_or_the_input_is_unknown():
    found = problems("parameters: {c: in_channels}\ninput: [8, 8, 3]\nlayers:\n  - relu\n")
    assert found[0][0] == "E301"


@pytest.mark.parametrize("text, result", [
    ("1 < 2 <= 2 != 3", True), ("2 > 3 or 3 >= 3", True), ("not (1 == 1)", False),
    ("8 if 2 > 1 else 16", 8), ("8 if False else 16", 16), ("True and 1", True), ("1 == 1.0", True),
    ("(1 if 0 else 2) * 3", 6), ("0 or 1 > 0", True), ("0.5 < 1/2 + 0.001", True),
])
def test_comparisons_booleans_and_conditionals(text, result):
    assert value(text) == result and type(value(text)) is type(result)


def test_only_the_branch_chosen_is_evaluated():
    assert value("1 if d == 0 else 8 // d", {"d": 0}) == 1
    assert value("d != 0 and 8 // d > 1", {"d": 0}) is False


@pytest.mark.parametrize("text, code", [
    ("(1 < 2) + 1", "E311"), ("-(1 < 2)", "E311"), ("max(1 < 2, 3)", "E311"), ("True < 2", "E311"),
    ("3 if 2 else 1", "E311"), ("not 2", "E311"), ("2 and True", "E311"),
    ("1 is 1", "E300"), ("1 in 2", "E300"),
])
def test_booleans_are_not_numbers(text, code):
    with pytest.raises(SpecError) as caught:
        value(text)
    assert caught.value.problems[0].code == code


def test_a_condition_where_a_count_is_needed_is_located():
    found = problems("parameters: {c: 16}\ninput: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: c > 8, kernel: 1}\n")
    assert found == [("E311", 4, 29, "conv2d 'conv2d_1': filters must be a number, got a condition: "
                                     "'c > 8' is true")]


def test_a_boolean_parameter_is_a_condition_and_not_a_count():
    text = ("parameters: {deep: true, wide: 2 > 1}\ninput: [8, 8, 3]\nlayers:\n"
            "  - {kind: conv2d, filters: 8, kernel: 1, when: deep}\n"
            "  - {kind: conv2d, filters: 16, kernel: 1, when: wide and not deep}\n")
    assert [node.attrs.filters for node in build(text).nodes] == [8]
    assert [node.attrs.filters for node in build(text, {"deep": "0"}).nodes] == [16]
    found = problems("parameters: {wide: 2 > 1}\ninput: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: wide, "
                     "kernel: 1}\n")
    assert found[0][0] == "E311"


def test_when_leaves_an_item_out_and_the_next_reads_what_it_would_have_read():
    text = """
parameters: {stem: 1}
input: [8, 8, 3]
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 3, padding: same, when: stem == 1}
  - {kind: relu, name: act}
  - {kind: softmax, when: 1 < 0 or stem > 5}
"""
    graph = build(text)
    assert [n.name for n in graph.nodes] == ["stem", "act"] and graph.nodes[1].inputs == ("stem",)
    graph = build(text, {"stem": "0"})
    assert [n.name for n in graph.nodes] == ["act"] and graph.nodes[0].inputs == ("input",)


def test_when_on_a_block_call_and_a_block_whose_last_item_is_left_out():
    text = """
parameters: {extra: 0}
input: [8, 8, 3]
blocks:
  unit:
    layers:
      - {kind: conv2d, name: c, filters: 8, kernel: 1}
      - {kind: relu, name: r, when: extra == 1}
layers:
  - {kind: unit, name: u}
  - {kind: unit, name: v, when: extra == 1}
  - {kind: dense, units: 2}
"""
    graph = build(text)
    assert [n.name for n in graph.nodes] == ["u/c", "dense_1"] and graph.nodes[1].inputs == ("u/c",)
    graph = build(text, {"extra": "1"})
    assert [n.name for n in graph.nodes] == ["u/c", "u/r", "v/c", "v/r", "dense_1"]


SHORTCUT = """
input: [16, 16, 8]
blocks:
  residual:
    parameters: {filters: null, stride: 1, same_shape: stride == 1 and in_channels == filters}
    layers:
      - {kind: conv2d, name: c1, filters: filters, kernel: 3, stride: stride, padding: same}
      - {kind: conv2d, name: c2, filters: filters, kernel: 3, padding: same}
      - {kind: conv2d, name: proj, inputs: [input], filters: filters, kernel: 1, stride: stride, when: not same_shape}
      - {kind: add, name: sum, inputs: [c2, proj], when: not same_shape}
      - {kind: add, name: sum, inputs: [c2, input], when: same_shape}
layers:
  - {kind: residual, name: r1, filters: 8}
  - {kind: residual, name: r2, filters: 16, stride: 2}
"""


def test_two_items_of_one_name_when_at_most_one_is_included():
    nodes = {n.name: n for n in build(SHORTCUT).nodes}
    assert nodes["r1/sum"].inputs == ("r1/c2", "input")
    assert "r1/proj" not in nodes
    assert nodes["r2/sum"].inputs == ("r2/c2", "r2/proj") and nodes["r2/proj"].inputs == ("r1/sum",)


def test_two_included_items_of_one_name_are_e401():
    text = SHORTCUT.replace("when: same_shape}", "when: true}")
    found = problems(text)
    assert found[0][0] == "E401"


def test_reading_a_left_out_item_names_its_when():
    text = ("parameters: {stride: 2}\ninput: [8, 8, 4]\nlayers:\n"
            "  - {kind: conv2d, name: proj, filters: 8, kernel: 1, when: stride != 2}\n"
            "  - {kind: add, inputs: [input, proj]}\n")
    assert problems(text) == [("E211", 5, 33, "inputs: 'proj' was left out by its 'when: stride != 2' (line 4), "
                                              "which is false here")]


def test_a_when_that_reads_nothing_is_w210():
    graph = build("input: [8, 8, 3]\nlayers:\n  - {kind: relu, when: false}\n  - {kind: relu6, when: 2 > 1}\n")
    warnings = [(w.code, w.location.line, w.location.column) for w in graph.warnings]
    assert warnings == [("W210", 3, 24), ("W210", 4, 25)]
    assert "left out in every build" in graph.warnings[0].message
    assert "included in every build" in graph.warnings[1].message


def test_a_number_other_than_0_or_1_is_not_a_condition():
    found = problems("parameters: {stride: 2}\ninput: [8, 8, 3]\nlayers:\n  - {kind: relu, when: stride}\n")
    assert found[0][:3] == ("E311", 4, 24)
    found = problems("input: [8, 8, 3]\nlayers:\n  - {kind: relu, when: 2}\n")
    assert found[0][:3] == ("E311", 3, 24)


def test_a_missing_axis_is_located():
    found = problems("input: [8, 8, 3]\nlayers:\n  - flatten\n  - {kind: dense, units: in_height}\n")
    assert found == [("E310", 4, 26, "dense 'dense_1': units: in_height: its input is 192, a vector [N], which "
                                     "has no height axis")]


def test_a_parameter_named_like_a_shape_name_is_e210():
    found = problems("parameters: {in_channels: 3}\ninput: [8, 8, 3]\nlayers:\n  - relu\n")
    assert found[0][:3] == ("E210", 1, 14)
    found = problems("input: [8, 8, 3]\nblocks:\n  b:\n    parameters: {in_width: 3}\n    layers: [relu]\n"
                     "layers:\n  - b\n")
    assert found[0][:3] == ("E210", 4, 18)


def test_a_shape_read_after_a_shape_error_is_reported_once():
    found = problems("input: [4, 4, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernel: 5}\n"
                     "  - {kind: conv2d, filters: in_channels, kernel: 1}\n")
    assert [code for code, *_ in found] == ["E403"]


def test_the_memo_keys_by_the_input_shape_only_when_a_layer_reads_it():
    spec = convcost.loads("parameters: {r: 8}\ninput: [r, r, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 1}\n")
    assert spec.build({"r": "8"}).nodes is spec.build({"r": "16"}).nodes  # shared: nothing reads the shape
    spec = convcost.loads(SWEPT)
    assert spec.build({"resolution": "16"}).nodes is not spec.build({"resolution": "32"}).nodes
    assert spec.build({"resolution": "16"}).nodes is spec.build({"resolution": "16"}).nodes


def _doc_examples() -> list[str]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "spec.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
            if block.startswith(("parameters:", "input:")) and ("when:" in block or "in_channels" in block)]


def test_the_doc_examples_build_as_they_say():
    examples = _doc_examples()
    assert len(examples) == 4
    conditions, widen, inverted, basic = (build(text) for text in examples)
    assert [n.kind for n in conditions.nodes] == ["conv2d", "batch_norm"]
    assert conditions.nodes[0].attrs.filters == 128 and conditions.nodes[0].attrs.bias is True
    assert [n.attrs.filters for n in widen.nodes[:3]] == [32, 64, 128] and widen.nodes[-1].attrs.units == 32
    assert widen.nodes[3].attrs.kernel == (32, 32)
    names = [n.name for n in inverted.nodes]
    assert "block3/add" in names and "block4/add" not in names and "block5/add" in names
    assert {n.name: n for n in inverted.nodes}["block5/expand"].attrs.filters == 192
    sums = {n.name: n.inputs for n in basic.nodes if n.kind == "add"}
    assert sums == {"stage1/sum": ("stage1/c2", "input"), "stage2/sum": ("stage2/c2", "stage2/proj")}


# --- what a block that reads its input's shape is rebuilt for ---------------------------------------

def test_a_block_reading_only_in_channels_is_reused_at_every_resolution():
    """Its nodes depend on its input's rank and channels alone: a sweep over the resolution reuses
    them (the very node objects), and counts stay those of a fresh build."""
    spec = convcost.load("mobilenet_v2")
    small, large = spec.build({"resolution": 96}), spec.build({"resolution": 160})
    by_name = {node.name: node for node in small.nodes}
    shared = [node for node in large.nodes if by_name.get(node.name) is node]
    assert len(shared) > len(large.nodes) // 2
    fresh = convcost.load("mobilenet_v2").build({"resolution": 160})
    assert convcost.analyze(large).totals == convcost.analyze(fresh).totals


def test_a_block_reading_in_channels_after_a_flatten_is_rebuilt_for_each_size():
    """After a flatten, in_channels depends on the spatial sizes: the block is built for each."""
    spec = convcost.loads("""
parameters: {size: 4}
input: [size, size, 2]
blocks:
  head:
    layers:
      - flatten
      - {kind: dense, units: in_channels + 1}
layers:
  - {kind: head, name: h}
""")
    assert [node.attrs.units for node in spec.build({"size": 4}).nodes if node.kind == "dense"] == [33]
    assert [node.attrs.units for node in spec.build({"size": 3}).nodes if node.kind == "dense"] == [19]


def test_true_and_false_are_1_and_0_for_block_arguments_as_for_spec_parameters():
    spec = convcost.loads("""
input: [8, 8, 3]
blocks:
  unit:
    parameters: {act: true}
    layers:
      - {kind: conv2d, filters: 4, kernel: 1}
      - {kind: relu, when: act}
layers:
  - {kind: unit, name: on}
  - {kind: unit, name: off, act: false}
""")
    assert [node.name for node in spec.build({}).nodes] == ["on/conv2d_1", "on/relu_1", "off/conv2d_1"]
