"""The spec language: parameters and expressions, blocks, repeat, names, inputs and merges."""

import pytest

import convcost
from convcost.errors import SpecError


def build(text: str, overrides=None):
    return convcost.loads(text).build(overrides)


def test_parameters_depend_on_earlier_ones_and_can_be_overridden():
    text = """
parameters:
  alpha: 1.0
  rho: 1.0
  resolution: round(224 * rho)
  width: make_divisible(32 * alpha, 8)
input: [resolution, resolution, 3]
layers:
  - {kind: conv2d, filters: width, kernel: 3}
"""
    graph = build(text)
    assert graph.input_shape == (224, 224, 3) and graph.nodes[0].attrs.filters == 32
    graph = build(text, {"rho": "0.571", "alpha": "0.75"})
    assert graph.input_shape == (128, 128, 3) and graph.nodes[0].attrs.filters == 24
    assert graph.parameters["resolution"] == 128
    assert build(text, {"resolution": "100 + 60"}).input_shape == (160, 160, 3)


def test_expressions_are_exact():
    # 0.1 * 30 is 3.0000000000000004 in floating point; convcost's arithmetic is exact.
    graph = build("parameters: {a: 0.1}\ninput: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: a * 30, kernel: 1}\n")
    assert graph.nodes[0].attrs.filters == 3
    functions = "max(1, min(7, 5)) + int(2.9) + floor(-0.5) + ceil(0.2) + abs(-1) + 7 // 2 + 7 % 4 + round(2.5)"
    graph = build(f"input: [8, 8, 3]\nlayers:\n  - {{kind: conv2d, filters: '{functions}', kernel: 1}}\n")
    assert graph.nodes[0].attrs.filters == 5 + 2 - 1 + 1 + 1 + 3 + 3 + 2


@pytest.mark.parametrize("expression, code", [
    ("alpah * 2", "E301"),
    ("sqrt(4)", "E302"),
    ("__import__('os').system('true')", "E300"),
    ("(1).__class__", "E300"),
    ("2 ** 8", "E300"),
    ("1 / 0", "E303"),
    ("lambda: 1", "E300"),
])
def test_bad_expressions_are_located_errors(expression, code):
    text = (f'parameters: {{alpha: 1}}\ninput: [8, 8, 3]\nlayers:\n'
            f'  - {{kind: conv2d, filters: "{expression}", kernel: 1}}\n')
    with pytest.raises(SpecError) as caught:
        build(text)
    problem = caught.value.problems[0]
    assert problem.code == code
    assert problem.location.line == 4


def test_blocks_repeat_and_names():
    text = """
input: [16, 16, 8]
blocks:
  unit:
    parameters: {filters: null, stride: 1}
    layers:
      - {kind: conv2d, name: conv, filters: filters, kernel: 3, stride: stride, padding: same}
      - relu
layers:
  - {kind: unit, name: first, filters: 8, stride: 2}
  - {kind: unit, filters: 8, repeat: 3}
  - {kind: batch_norm, repeat: 2}
"""
    names = [node.name for node in build(text).nodes]
    assert names == ["first/conv", "first/relu_1",
                     "unit_1/conv", "unit_1/relu_1", "unit_2/conv", "unit_2/relu_1", "unit_3/conv", "unit_3/relu_1",
                     "batch_norm_1", "batch_norm_2"]
    graph = build(text)
    assert graph.nodes[2].inputs == ("first/relu_1",)  # a block reads what came before it
    assert graph.nodes[4].inputs == ("unit_1/relu_1",)  # each repetition reads the previous one


def test_residual_dag_and_merges():
    text = """
input: [8, 8, 4]
layers:
  - {kind: conv2d, name: a, filters: 4, kernel: 3, padding: same}
  - {kind: conv2d, name: b, filters: 4, kernel: 3, padding: same}
  - {kind: add, name: sum, inputs: [b, input]}
  - {kind: concat, name: cat, inputs: [sum, a]}
"""
    result = convcost.analyze(convcost.loads(text))
    assert result.layer("sum").inputs == ("b", "input")
    assert result.layer("sum").adds == 8 * 8 * 4
    assert result.layer("cat").output_shape == (8, 8, 8)


def test_repeat_zero_drops_an_item():
    graph = build("parameters: {enabled: 0}\ninput: [4, 4, 1]\n"
                  "layers:\n  - {kind: relu, repeat: enabled}\n  - sigmoid\n")
    assert [n.kind for n in graph.nodes] == ["sigmoid"]


def test_ten_thousand_layers_through_repeat():
    text = """
input: [4, 4, 2]
blocks:
  pair:
    layers: [relu, {kind: batch_norm}]
layers:
  - {kind: pair, repeat: 5000}
"""
    result = convcost.analyze(convcost.loads(text))
    assert len(result.layers) == 10_000
    assert result.totals.mults == 5000 * 32


@pytest.mark.parametrize("text, code, line", [
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2dd, filters: 8, kernel: 3}\n", "E201", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernal: 3}\n", "E202", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, kernel: 3}\n", "E203", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernel: 3, stride: 0}\n", "E205", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 2.5, kernel: 3}\n", "E206", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernel: 9}\n", "E403", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernel: 3, groups: 2}\n", "E405", 3),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, name: a, filters: 8, kernel: 3}\n"
     "  - {kind: add, inputs: [a, input]}\n", "E402", 4),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: add, inputs: [later, input]}\n  - {kind: relu, name: later}\n", "E400", 3),
])
def test_errors_are_located(text, code, line):
    with pytest.raises(SpecError) as caught:
        convcost.analyze(convcost.loads(text, "net.yaml"))
    problem = caught.value.problems[0]
    assert (problem.code, problem.location.path, problem.location.line) == (code, "net.yaml", line)


def test_add_mismatch_shows_both_shapes():
    text = ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, name: a, filters: 8, kernel: 3}\n"
            "  - {kind: add, inputs: [a, input]}\n")
    with pytest.raises(SpecError) as caught:
        convcost.analyze(convcost.loads(text))
    assert "6×6×8" in str(caught.value) and "8×8×3" in str(caught.value)


def test_unknown_set_parameter_suggests_the_name(mobilenet_spec):
    with pytest.raises(SpecError) as caught:
        mobilenet_spec.build({"alhpa": "0.5"})
    assert caught.value.problems[0].code == "E304"
    assert "alpha" in caught.value.problems[0].hint


RESIDUAL = """
parameters: {project: 0}
input: [8, 8, 4]
layers:
  - {kind: conv2d, name: a, filters: 4, kernel: 3, padding: same}
  - {kind: conv2d, name: b, filters: 4, kernel: 3, padding: same}
  - {kind: conv2d, name: proj, inputs: [input], filters: 4, kernel: 1, repeat: project}
  - {kind: add, name: sum, inputs: [b, proj]}
"""


def test_a_removed_projection_is_the_identity_shortcut():
    # repeat: 0 removes 'proj'; its name then stands for what it read (the network input),
    # not for the layer written before it ('b'): sum = b + input, an identity shortcut.
    result = convcost.analyze(convcost.loads(RESIDUAL))
    assert [r.name for r in result.layers] == ["a", "b", "sum"]
    assert result.layer("sum").inputs == ("b", "input")
    assert result.totals.macs == 2 * 8 * 8 * 4 * 3 * 3 * 4
    projected = convcost.analyze(convcost.loads(RESIDUAL).build({"project": 1}))
    assert projected.layer("sum").inputs == ("b", "proj")
    assert projected.totals.macs == result.totals.macs + 8 * 8 * 4 * 4


def test_a_removed_item_stands_for_its_one_input_implicit_or_explicit():
    text = """
input: [4, 4, 2]
layers:
  - {kind: relu, name: r}
  - {kind: sigmoid, name: s, inputs: input, repeat: 0}
  - {kind: tanh, name: t}
  - {kind: batch_norm, name: norm, repeat: 0}
  - {kind: add, name: sum, inputs: [norm, s]}
"""
    graph = build(text)
    assert [(n.name, n.inputs) for n in graph.nodes] == [
        ("r", ("input",)), ("t", ("input",)), ("sum", ("t", "input"))]


@pytest.mark.parametrize("reader, where", [
    ("  - {kind: relu, name: after, inputs: [merged]}\n", (6, 40)),  # by name
    ("  - {kind: relu, name: after}\n", (6, 5)),  # as the item before it
])
def test_reading_a_removed_merge_is_a_located_error(reader, where):
    text = ("input: [4, 4, 2]\nlayers:\n  - {kind: relu, name: a}\n  - {kind: sigmoid, name: b, inputs: input}\n"
            "  - {kind: add, name: merged, inputs: [a, b], repeat: 0}\n" + reader)
    with pytest.raises(SpecError) as caught:
        build(text)
    (problem,) = caught.value.problems
    assert problem.code == "E400"
    assert (problem.location.line, problem.location.column) == where
    assert "'merged'" in problem.message and "repeat: 0" in problem.message and "2 inputs" in problem.message
    assert "a, b" in problem.hint


def test_a_removed_merge_nobody_reads_is_fine():
    text = ("input: [4, 4, 2]\nlayers:\n  - {kind: relu, name: a}\n"
            "  - {kind: add, name: merged, inputs: [a, input], repeat: 0}\n"
            "  - {kind: relu, name: c, inputs: [merged], repeat: 0}\n")
    assert [n.name for n in build(text).nodes] == ["a"]


# --- Keras' fused activation: a layer of its own right after the layer ------------------------------

FUSED = """
input: [8, 8, 3]
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 3, padding: same, activation: relu}
  - {kind: depthwise_conv2d, kernel: 3, activation: relu6}
  - {kind: conv2d, filters: 4, kernel: 1, activation: linear}
  - {kind: conv2d, name: plain, filters: 4, kernel: 1, activation: null}
  - flatten
  - {kind: dense, name: fc, units: 5, activation: softmax}
  - {kind: add, inputs: [fc, fc]}
"""

EXPLICIT = """
input: [8, 8, 3]
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 3, padding: same}
  - {kind: relu, name: stem_relu}
  - {kind: depthwise_conv2d, kernel: 3}
  - {kind: relu6, name: depthwise_conv2d_1_relu6}
  - {kind: conv2d, filters: 4, kernel: 1}
  - {kind: conv2d, name: plain, filters: 4, kernel: 1}
  - flatten
  - {kind: dense, name: fc, units: 5}
  - {kind: softmax, name: fc_softmax}
  - {kind: add, inputs: [fc_softmax, fc_softmax]}
"""


def test_a_fused_activation_is_its_own_layer_after_the_layer():
    fused, explicit = (convcost.analyze(convcost.loads(text)) for text in (FUSED, EXPLICIT))
    assert fused.totals == explicit.totals
    assert [(r.name, r.kind, r.inputs) for r in fused.layers] == [
        (r.name, r.kind, r.inputs) for r in explicit.layers]
    assert fused.layer("stem_relu").comparisons == 8 * 8 * 8
    assert not hasattr(fused.layer("stem").attrs, "activation")  # expanded, not an attribute of the conv
    # the layer's name reads the activation's output, as in Keras
    assert fused.layer("add_1").inputs == ("fc_softmax", "fc_softmax")


def test_a_fused_activation_with_repeat_and_in_a_block():
    text = """
input: [4, 4, 2]
blocks:
  unit:
    layers:
      - {kind: conv2d, name: conv, filters: 2, kernel: 1, activation: tanh}
layers:
  - {kind: unit, name: u}
  - {kind: conv2d, name: c, filters: 2, kernel: 1, activation: sigmoid, repeat: 2}
"""
    assert [(n.name, n.inputs) for n in build(text).nodes] == [
        ("u/conv", ("input",)), ("u/conv_tanh", ("u/conv",)), ("c_1", ("u/conv_tanh",)), ("c_1_sigmoid", ("c_1",)),
        ("c_2", ("c_1_sigmoid",)), ("c_2_sigmoid", ("c_2",))]


@pytest.mark.parametrize("layers, where, words", [
    ("  - {kind: conv2d, filters: 4, kernel: 1, activation: rellu}\n", (3, 55), ["relu, relu6", "did you mean 'relu'"]),
    ("  - {kind: dense, units: 4, activation: 3}\n", (3, 41), ["linear"]),
    # the name the activation layer would have is taken, before or after it
    ("  - {kind: relu, name: c_relu}\n  - {kind: conv2d, name: c, filters: 4, kernel: 1, activation: relu}\n",
     (4, 64), ["'c_relu'", "line 3"]),
    ("  - {kind: conv2d, name: c, filters: 4, kernel: 1, activation: relu}\n  - {kind: relu, name: c_relu}\n",
     (4, 24), ["'c_relu'", "line 3"]),
])
def test_fused_activation_problems_are_located(layers, where, words):
    with pytest.raises(SpecError) as caught:
        build("input: [8, 8, 3]\nlayers:\n" + layers)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.column) == where, problem
    for word in words:
        assert word in str(problem), problem


# --- an unquoted comma in a flow mapping splits an expression --------------------------------------

@pytest.mark.parametrize("item, column, fix", [
    ("{kind: unit, n: min(t - 1, 1)}", 32, 'n: "min(t - 1, 1)"'),  # a block argument
    ("{kind: conv2d, filters: max(t, 2, 1), kernel: 1}", 36, 'filters: "max(t, 2, 1)"'),  # a layer field
    ("{kind: conv2d, filters: max(t, t), kernel: 1}", 36, 'filters: "max(t, t)"'),
    ("{kind: conv2d, filters: max(t,  (2)), kernel: 1}", 37, 'filters: "max(t, (2))"'),
])
def test_a_comma_in_an_unquoted_expression_says_to_quote_it(item, column, fix):
    # YAML reads {n: min(t - 1, 1)} as n: 'min(t - 1' and a key '1)': one mistake, one message
    text = ("parameters: {t: 3}\ninput: [8, 8, 4]\nblocks:\n  unit:\n    parameters: {n: 1}\n"
            f"    layers: [{{kind: conv2d, filters: n, kernel: 1}}]\nlayers:\n  - {item}\n")
    with pytest.raises(SpecError) as caught:
        build(text)
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line, problem.location.column) == ("E202", 8, column), problem
    assert f"quote the expression: {fix}" in problem.hint
    fixed = build(text.replace(item[item.index(fix.split(":")[0] + ":"):item.rindex(")") + 1], fix))
    assert fixed.nodes[0].attrs.filters in (1, 2, 3)


def test_a_field_that_only_looks_like_a_fragment_gets_the_usual_hint():
    with pytest.raises(SpecError) as caught:
        build("input: [8, 8, 4]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 1, 1): 2}\n")
    (problem,) = caught.value.problems
    assert problem.code == "E202" and "quote" not in problem.hint


# --- building the same spec again -------------------------------------------------------------------

REBUILT = """
parameters: {alpha: 1, n: 2, classes: 10, size: 16}
input: [size, size, 3]
blocks:
  unit:
    parameters: {filters: , repeats: n}
    layers:
      - {kind: conv2d, filters: round(filters * alpha), kernel: 3, padding: same, activation: relu}
      - {kind: batch_norm, repeat: repeats}
      - {kind: add, inputs: [input, conv2d_1_relu]}
  pair:
    parameters: {filters: 8}
    layers:
      - {kind: unit, filters: filters}
      - {kind: unit, filters: filters, repeat: "max(n - 1, 0)"}
layers:
  - {kind: conv2d, name: stem, filters: 8, kernel: 1}
  - {kind: pair, name: p, repeat: 2}
  - {kind: unit, filters: 8, repeat: 3}
  - global_average_pooling
  - {kind: dense, units: classes}
"""


@pytest.mark.parametrize("overrides", [{}, {"alpha": "0.5"}, {"n": "1"}, {"n": "3", "size": "8"}, {"classes": "4"},
                                       {"n": "0"}, {}, {"alpha": "0.5", "n": "1"}])
def test_a_spec_built_again_is_the_graph_of_a_fresh_load(overrides):
    # Building keeps what it found per spec (block instances, the layers by the values they read):
    # whatever was built before, the graph is the one a freshly loaded spec gives.
    reused = convcost.loads(REBUILT)
    for before in ({}, {"alpha": "0.5"}, {"n": "3"}, {"n": "0"}):
        reused.build(before)
    assert reused.build(overrides) == convcost.loads(REBUILT).build(overrides)


def test_an_unused_override_is_found_when_the_layers_are_reused():
    spec = convcost.loads("parameters: {k: 3, n: 1}\ninput: [8, 8, 3]\nlayers:\n"
                          "  - {kind: conv2d, filters: 4, kernel: k, repeat: n}\n  - relu\n")
    for _ in range(2):  # the second time, the layers built the first time are reused
        with pytest.raises(SpecError) as error:
            spec.build({"k": "5", "n": "0"})  # repeat 0: nothing reads k
        assert [p.code for p in error.value.problems] == ["E305"] and "'k'" in error.value.problems[0].message
