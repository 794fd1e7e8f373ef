"""Lookups by name in the Python API: a name that names nothing raises convcost.UnknownNameError
(a ConvcostError, and a KeyError for callers written against the bare KeyError) that says which
name was asked for and suggests the nearest one."""

import pytest

import convcost
from convcost.analysis import analyze
from convcost.compare import compare
from convcost.errors import ConvcostError

SEED = convcost.loads("name: seed\ninput: [7, 7, 3]\nlayers:\n  - {kind: conv2d, name: conv, filters: 4, kernel: 3}\n"
                      "  - {kind: batch_norm, name: conv_bn}\n  - {kind: relu, name: conv_relu}\n")


def test_analysis_layer_names_the_missing_layer_and_suggests_one(mobilenet_spec):
    result = convcost.analyze(mobilenet_spec)
    with pytest.raises(convcost.UnknownNameError) as caught:
        result.layer("conv_1")
    error = caught.value
    assert isinstance(error, ConvcostError) and isinstance(error, KeyError)
    assert str(error) == "no layer named 'conv_1' in MobileNet v1; did you mean 'conv1'?"
    assert error.args == ("conv_1",) and error.name == "conv_1"  # as the bare KeyError had it


def test_a_name_with_no_near_miss_lists_the_layers(mobilenet_spec):
    with pytest.raises(KeyError) as caught:  # `except KeyError` keeps working
        convcost.analyze(mobilenet_spec).layer("nope")
    assert str(caught.value).startswith("no layer named 'nope' in MobileNet v1; layers: conv1, conv1_bn, conv1_relu, ")
    assert str(caught.value).endswith("… (84 in all)")


def test_the_command_line_reports_it_as_an_input_error():
    import typer

    from convcost.cli.common import handled

    with pytest.raises(typer.Exit) as caught:
        with handled():
            convcost.analyze(SEED).layer("conv_bm")
    assert caught.value.exit_code == 2


def test_executor_layer():
    from convcost.reference import ReferenceNetwork

    run = ReferenceNetwork(SEED.build()).forward()
    assert run.layer("conv").ops.macs == 5 * 5 * 4 * 27
    with pytest.raises(convcost.UnknownNameError, match=r"^no layer named 'conv_bm' in seed; did you mean 'conv_bn'"):
        run.layer("conv_bm")


def test_verify_check_of_an_unknown_quantity():
    from convcost.reference import ReferenceNetwork
    from convcost.verify import compare as verify

    graph = SEED.build()
    verdict = verify(analyze(graph), ReferenceNetwork(graph).forward()).layers[0]
    assert verdict.check("macs").agree and verdict.check("layer") is None  # a quantity it has not: None
    with pytest.raises(convcost.UnknownNameError, match=r"^no quantity named 'maks'; did you mean 'macs'\?$"):
        verdict.check("maks")


def test_comparison_total():
    result = compare(convcost.analyze(SEED), convcost.analyze(SEED))
    assert result.total("macs").difference == 0
    with pytest.raises(convcost.UnknownNameError, match=r"^no total named 'maks'; did you mean 'macs'\?$"):
        result.total("maks")


def test_sweep_ratio():
    from convcost.sweep import parse_axis, sweep

    spec = convcost.loads("parameters: {f: 4}\ninput: [7, 7, 3]\nlayers:\n  - {kind: conv2d, filters: f, kernel: 3}\n")
    result = sweep(spec, [parse_axis("f", "4,8")])
    assert result.ratio(result.rows[1], "macs") == 2
    with pytest.raises(convcost.UnknownNameError, match=r"^no total named 'mac'; did you mean 'macs'\?$"):
        result.ratio(result.rows[1], "mac")
